import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { search } from '../../src/search.js';
import { Space } from '../../src/space/codec.js';
import type { FitnessContext } from '../../src/eval/types.js';
import type { Params } from '../../src/space/spec.js';

/** A choice that would run script if a page put it in as HTML. */
export const XSS = '<img src=x onerror=alert(1)>';

export const SPACE = {
  lr: { type: 'float', low: 1e-4, high: 1, log: true },
  units: { type: 'int', low: 8, high: 64, log: false },
  act: { type: 'categorical', choices: ['relu', XSS] },
} as const;

/** lr matters most, units a little, the XSS choice costs 0.05; trial 5 fails with a message holding HTML too. */
const fitness = (p: Params, ctx: FitnessContext) => {
  if (ctx.trial === 5) throw new Error('out of <b>patience</b>');
  return { loss: (Math.log10(Number(p.lr)) + 2) ** 2 + (Number(p.units) - 32) ** 2 / 400 + (p.act === XSS ? 0.05 : 0), accuracy: 0.9 };
};

/** A finished run of `budget` trials (GA, in-process) in `dir`. */
export async function makeRun(dir: string, budget = 30, seed = 2): Promise<string> {
  await search({ fitness, space: SPACE, strategy: 'ga', strategyOptions: { populationSize: 10 }, budget, seed, out: dir });
  return dir;
}

/** Appends an LR range test's result (curve, every rule's suggestion, bounds) as a search with --lr-bounds auto writes it. */
export function appendLrRange(dir: string): void {
  const points = Array.from({ length: 40 }, (_, i) => {
    const lr = 1e-6 * 10 ** (i / 6);
    const loss = 2 - Math.min(1.5, i / 20) + (i > 34 ? (i - 34) ** 2 : 0);
    return { step: i, lr, loss, smoothed: loss };
  });
  const suggestions = { valley: 2e-4, steepest: 1e-3, minimum: 3e-3, 'minimum-or-valley': 3e-3 };
  const result = {
    task: 'x',
    curve: { signal: 'train', points, stop: { reason: 'end' } },
    rule: 'steepest',
    suggestion: 1e-3,
    bounds: [1e-4, 1e-2],
    suggestions,
  };
  appendFileSync(join(dir, 'journal.jsonl'), `${JSON.stringify({ type: 'lr-range', at: new Date().toISOString(), result })}\n`);
}

/** Writes one more trial to a run's journal, as a search session would (asked, then finished). */
export function appendTrial(dir: string, value: number): number {
  return appendFinished(dir, (trial, x) => ({
    trial,
    x,
    state: 'complete',
    value,
    metrics: { accuracy: 0.95 },
    durationMs: 12,
    worker: 'late-worker',
  }));
}

/** Writes a trial that reported `reports` ([step, value]) and was pruned at the last, or completed (`pruned` false). */
export function appendReported(dir: string, reports: Array<[number, number]>, pruned: boolean): number {
  const [step, value] = reports.at(-1)!;
  const end = pruned ? { state: 'pruned', value, step } : { state: 'complete', value };
  return appendFinished(dir, (trial, x) => ({ trial, x, ...end, metrics: {}, reports, durationMs: 20, worker: 'pool-1' }));
}

function appendFinished(dir: string, finished: (trial: number, x: number[]) => Record<string, unknown>): number {
  const file = join(dir, 'journal.jsonl');
  const lines = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; trial?: number });
  const trial = Math.max(...lines.map((l) => l.trial ?? -1)) + 1;
  const params = { lr: 0.01, units: 32, act: 'relu' };
  const x = [...new Space(SPACE as never).encode(params)];
  const at = new Date().toISOString();
  appendFileSync(file, `${JSON.stringify({ type: 'asked', at, trial, generation: 99, x, params, seed: 1 })}\n`);
  appendFileSync(file, `${JSON.stringify({ type: 'finished', at, ...finished(trial, x) })}\n`);
  return trial;
}
