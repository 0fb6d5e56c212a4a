/**
 * What intermediate values cost a trial's dispatch: search() on a no-op fitness module, against the same fitness
 * reporting 20 steps (journaled with the outcome) under an ASHA scheduler that checks every report. Both run side
 * by side in alternation on 2 workers; each figure is the best of the repeats (the least noisy estimate of a fixed
 * cost on a shared machine). The bound: reporting and scheduling add at most 10% to the dispatch cost.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { search } from '../src/search.js';
import type { SpaceSpec } from '../src/space/spec.js';
import { table } from '../src/bench/report-markdown.js';
import type { Section } from './section.js';

const fixture = (name: string) => {
  const url = new URL(`../../test/fixtures/${name}`, import.meta.url);
  if (!existsSync(url)) throw new Error(`fixture ${fileURLToPath(url)} not found: run from dist/`);
  return url.href;
};

const SPACE: SpaceSpec = { x: { type: 'float', low: -1, high: 1, log: false }, y: { type: 'float', low: -1, high: 1, log: false } };

export interface ReportOverhead {
  readonly trials: number;
  /** Study clock per trial, microseconds, with a journal (what a CLI run pays). */
  readonly plainUs: number;
  readonly reportingUs: number;
  readonly ratio: number;
}

async function perTrialUs(fitness: string, trials: number, scheduled: boolean): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'evotune-report-overhead-'));
  try {
    const r = await search({
      fitness,
      space: SPACE,
      strategy: 'random',
      budget: trials,
      workers: 2,
      seed: 1,
      out: join(dir, 'run'),
      ...(scheduled ? { scheduler: 'asha', schedulerOptions: { maxResource: 20, minValues: 1 } } : {}),
    });
    return (r.elapsedMs * 1000) / trials;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function reportOverhead(trials: number, repeats: number): Promise<ReportOverhead> {
  const plain: number[] = [];
  const reporting: number[] = [];
  for (let i = 0; i < repeats; i++) {
    plain.push(await perTrialUs(fixture('fast.mjs'), trials, false));
    reporting.push(await perTrialUs(fixture('fast-report.mjs'), trials, true));
  }
  const plainUs = Math.min(...plain);
  const reportingUs = Math.min(...reporting);
  return { trials, plainUs, reportingUs, ratio: reportingUs / plainUs };
}

export const reportOverheadSection: Section = {
  id: 'report-overhead',
  title: "6d. Multi-fidelity: what reporting 20 steps and a scheduler add to a trial's dispatch",
  async run({ quick, log }) {
    const trials = quick ? 400 : 2000;
    const repeats = quick ? 3 : 7;
    log(`report overhead: ${trials} no-op trials, plain against 20 reports + asha, best of ${repeats}`);
    const r = await reportOverhead(trials, repeats);
    const markdown = [
      `search() with a journal on 2 workers, ${trials} trials of a no-op fitness module, best of ${repeats} alternating repeats.`,
      '',
      table(
        ['fitness', 'us per trial (study clock)'],
        [
          ['no reports', r.plainUs.toFixed(1)],
          ['20 reports + asha rule', r.reportingUs.toFixed(1)],
          ['ratio', `${r.ratio.toFixed(3)}x`],
        ],
      ),
    ].join('\n');
    return { kind: 'ran', markdown, data: r, charts: [] };
  },
};
