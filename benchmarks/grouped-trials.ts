/**
 * Trials of a fixed-architecture search through the worker pool, with and without evaluator groups, side by side:
 *   node dist/benchmarks/grouped-trials.js [--quick]
 * Random trials on digits whose space leaves the architecture fixed (lr, momentum, weight decay, schedule vary;
 * units, batch size, epochs and optimizer are the task's defaults), one worker (one core), the same requests both
 * ways, alternating, each asking for its final state as a search does. Reports wall and CPU time (the process's,
 * worker thread included) and whether every trial's value is the same.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { PoolEvaluator } from '../src/eval/pool.js';
import type { TrialOutcome, TrialRequest } from '../src/eval/types.js';
import { SCHEDULES } from '../src/tasks/config.js';
import { rngFor } from '../src/util/rng.js';
import { median } from '../src/bench/stats.js';
import type { Section } from './section.js';
import { timed } from './tasks.js';

export interface GroupedTrialsRow {
  readonly grouped: boolean;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly info: Record<string, unknown>;
}

export interface GroupedTrialsResult {
  readonly task: string;
  readonly trials: number;
  readonly repeats: number;
  readonly rows: readonly GroupedTrialsRow[];
  /** Every trial's value (or failure kind) identical with and without groups, in every repeat. */
  readonly sameValues: boolean;
  readonly best: number;
}

/** `n` random trials of a space that fixes the architecture: what a user gets by leaving shape params out of it. */
export function fixedArchitectureTrials(n: number, seed: number): TrialRequest[] {
  const rng = rngFor(seed, 'grouped-trials');
  const logUniform = (lo: number, hi: number) => Math.exp(Math.log(lo) + rng() * (Math.log(hi) - Math.log(lo)));
  return Array.from({ length: n }, (_, i) => ({
    number: i,
    seed: 10_000 + i,
    // As a search asks of a task's trials: the final state, from which the best model is kept.
    wantCheckpoint: true,
    params: {
      lr: logUniform(1e-4, 1e-1),
      momentum: 0.5 + rng() * 0.49,
      weightDecay: logUniform(1e-6, 1e-2),
      schedule: SCHEDULES[Math.floor(rng() * SCHEDULES.length)]!,
    },
  }));
}

const outcomeValue = (o: TrialOutcome) => (o.state === 'complete' ? o.value : o.state === 'failed' ? o.kind : o.value);

export async function runGroupedTrials(o: { quick: boolean; log?: (line: string) => void }): Promise<GroupedTrialsResult> {
  const log = o.log ?? (() => undefined);
  const task = 'digits';
  const trials = o.quick ? 24 : 100;
  const repeats = o.quick ? 1 : 2;
  const requests = fixedArchitectureTrials(trials, 1);
  const rows: GroupedTrialsRow[] = [];
  const values: Array<Array<number | string>> = [];
  for (let r = 0; r < repeats; r++) {
    for (const grouped of [true, false]) {
      const pool = new PoolEvaluator({ source: { kind: 'task', task, backend: 'wasm' }, workers: 1, groupTrials: grouped });
      try {
        await pool.warm();
        const t = await timed(() => Promise.all(requests.map((q) => pool.run(q))));
        values.push(t.value.map(outcomeValue));
        rows.push({ grouped, wallMs: t.wallMs, cpuMs: t.cpuMs, info: pool.info() });
        log(
          `grouped trials: ${trials} ${task} trials, groups ${grouped ? 'on' : 'off'}: ${(t.wallMs / 1000).toFixed(1)} s wall, ${(t.cpuMs / 1000).toFixed(1)} s cpu`,
        );
      } finally {
        await pool.close();
      }
    }
  }
  const sameValues = values.every((v) => JSON.stringify(v) === JSON.stringify(values[0]));
  const best = Math.min(...values[0]!.filter((v): v is number => typeof v === 'number'));
  return { task, trials, repeats, rows, sameValues, best };
}

export function toMarkdown(res: GroupedTrialsResult): string {
  const med = (grouped: boolean, k: 'wallMs' | 'cpuMs') => median(res.rows.filter((r) => r.grouped === grouped).map((r) => r[k]));
  const line = (grouped: boolean) =>
    `| ${grouped ? 'on' : 'off'} | ${(med(grouped, 'wallMs') / 1000).toFixed(1)} | ${(med(grouped, 'cpuMs') / 1000).toFixed(1)} |`;
  const on = res.rows.find((r) => r.grouped)?.info ?? {};
  return [
    `${res.trials} random trials of ${res.task} from a space that fixes the architecture (lr, momentum, weight decay, schedule vary), one worker, median of ${res.repeats} alternating run(s):`,
    '',
    '| groups | wall s | CPU s |',
    '| --- | --- | --- |',
    line(true),
    line(false),
    '',
    `Speed-up: ${(med(false, 'wallMs') / med(true, 'wallMs')).toFixed(2)}x wall, ${(med(false, 'cpuMs') / med(true, 'cpuMs')).toFixed(2)}x CPU. ` +
      `Every trial's value identical with and without groups: ${res.sameValues ? 'yes' : 'NO'}; best ${res.best.toFixed(4)}. ` +
      `Groups formed: ${JSON.stringify(on.groupsBySize ?? {})}, median ${String(on.groupMemberStepsPerSec ?? '-')} member-steps/s.`,
  ].join('\n');
}

export const groupedTrialsSection: Section = {
  id: 'grouped-trials',
  title: '4d. A fixed-architecture search through the pool, with and without evaluator groups',
  async run({ quick, log }) {
    const result = await runGroupedTrials({ quick, log });
    return { kind: 'ran', markdown: toMarkdown(result), data: result, charts: [] };
  },
};

async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({ args: [...argv], options: { quick: { type: 'boolean', default: false } } });
  console.log(toMarkdown(await runGroupedTrials({ quick: values.quick, log: (l) => console.error(l) })));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
