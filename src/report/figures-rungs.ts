/**
 * Runs with a scheduler (--scheduler median | asha | hyperband): per rung, how many trials reached it and how
 * many were stopped there, one panel per Hyperband bracket. The rungs come from the scheduler itself (its state
 * after init, `rungsOf`), so the picture shows the rule that ran, not a copy of it.
 */
import { valueAt } from '../study/schedulers/rungs.js';
import { resolveScheduler } from '../study/schedulers/index.js';
import type { ChartSpec } from './chart.js';
import type { RunData, TrialView } from './data.js';
import { COLORS, type Figure } from './chart.js';

const OUTCOMES = ['went on (at the last rung: completed)', 'stopped here', 'failed before the next rung'] as const;
type Outcome = (typeof OUTCOMES)[number];

interface Layout {
  /** Per bracket, its rung steps below the full resource. */
  readonly brackets: ReadonlyMap<number, readonly number[]>;
  readonly bracketOf: (trial: number) => number;
  /** The full resource, drawn as the last rung. */
  readonly full: number;
}

const sameStep = (a: number, b: number) => Math.abs(a - b) <= 1e-9;
const lastStep = (t: TrialView) => t.reports.at(-1)?.[0];

/**
 * The rungs of the run's scheduler. Its full resource is the option when given, else (a task's epochs) the last
 * step a complete trial reported. Median stopping has no rungs: every step where it stopped a trial is one.
 */
function layout(d: RunData, name: string): Layout | string {
  const complete = d.trials.filter((t) => t.state === 'complete');
  const reached = Math.max(0, ...complete.map((t) => lastStep(t) ?? 0), ...d.trials.map((t) => lastStep(t) ?? 0));
  try {
    const { scheduler, options } = resolveScheduler(name, d.study.config.schedulerOptions);
    const full = typeof options.maxResource === 'number' ? options.maxResource : reached;
    if (!scheduler.rungsOf) {
      const steps = [...new Set(d.trials.flatMap((t) => (t.state === 'pruned' && t.step !== undefined ? [t.step] : [])))].sort((a, b) => a - b);
      return { brackets: new Map([[0, steps.filter((s) => s < full)]]), bracketOf: () => 0, full };
    }
    if (full <= 0) return 'no trial reported how far it trained';
    const state = scheduler.init(options, { maxResource: full });
    const brackets = new Map<number, readonly number[]>();
    for (const t of d.trials) {
      const r = scheduler.rungsOf(state, t.trial);
      brackets.set(r.bracket, r.steps);
    }
    return { brackets, bracketOf: (trial) => scheduler.rungsOf!(state, trial).bracket, full };
  } catch (e) {
    return `the scheduler's options in the journal cannot be read: ${(e as Error).message}`;
  }
}

/** Rows of the chart: per bracket and rung (the full resource last), how many trials reached it and how each ended there. */
export function rungCounts(d: RunData, l: Layout) {
  const rows: Array<{ bracket: number; rung: string; step: number; outcome: Outcome; k: number; trials: number; reached: number }> = [];
  for (const [bracket, below] of [...l.brackets].sort((a, b) => a[0] - b[0])) {
    const steps = [...below, l.full];
    const mine = d.trials.filter((t) => l.bracketOf(t.trial) === bracket);
    // A trial reached a rung when it reported at or past its step (complete trials reached the full resource).
    const reachedAt = (t: TrialView, k: number) =>
      valueAt(toReports(t), steps[k]!) !== undefined || (t.state === 'complete' && k === steps.length - 1);
    // The rung a trial ended at: the last one it reached (a trial that reported nothing: the first).
    const endRung = (t: TrialView) => {
      let k = -1;
      for (let i = 0; i < steps.length; i++) if (reachedAt(t, i)) k = i;
      return k;
    };
    steps.forEach((step, k) => {
      const reached = mine.filter((t) => reachedAt(t, k));
      const count = (o: Outcome) =>
        o === 'stopped here'
          ? reached.filter((t) => t.state === 'pruned' && endRung(t) === k).length
          : o === 'failed before the next rung'
            ? mine.filter((t) => t.state === 'failed' && Math.max(0, endRung(t)) === k).length
            : reached.filter((t) => !(t.state === 'pruned' && endRung(t) === k) && !(t.state === 'failed' && endRung(t) === k)).length;
      const rung = `${Number(step.toPrecision(4))}${sameStep(step, l.full) ? ' (full)' : ''}`;
      OUTCOMES.forEach((outcome, o) => rows.push({ bracket, rung, step, outcome, k: o, trials: count(outcome), reached: reached.length }));
    });
  }
  return rows;
}

const toReports = (t: TrialView) => t.reports.map(([step, value]) => ({ step, value }));

export function rungFigure(d: RunData): Figure | undefined {
  const name = d.study.config.scheduler;
  if (typeof name !== 'string') return undefined;
  const hyperband = name === 'hyperband';
  const title = hyperband ? 'Rungs and brackets' : 'Rungs';
  const caption = `Per rung (resource step: epochs for tasks), how many trials reached it and how they ended there under ${name}: stopped (purple), went on to the next rung (blue), failed (red). Successive halving shows as bars that shrink by about the reduction factor from rung to rung${
    hyperband ? '; one panel per Hyperband bracket, from the most aggressive (first rung lowest) to the one that trains every trial fully' : ''
  }.`;
  const l = layout(d, name);
  if (typeof l === 'string') return { id: 'rungs', title, caption, spec: undefined, empty: l };
  if (d.trials.length === 0) return { id: 'rungs', title, caption, spec: undefined, empty: 'no trial has finished yet' };
  const rows = rungCounts(d, l);
  const color = {
    field: 'outcome',
    type: 'nominal',
    title: null,
    scale: { domain: [...OUTCOMES], range: [COLORS.trial, COLORS.pruned, COLORS.failed] },
    sort: [...OUTCOMES],
  } as const;
  const panels = [...l.brackets.keys()]
    .sort((a, b) => a - b)
    .map((b) => {
      const mine = rows.filter((r) => r.bracket === b && r.trials > 0);
      const first = rows.find((r) => r.bracket === b)!;
      return {
        name: `rungs${b}`,
        title: hyperband ? { text: `bracket ${b}: first rung at ${first.rung}`, fontSize: 12 } : undefined,
        width: Math.max(160, 70 * (l.brackets.get(b)!.length + 1)),
        height: 150,
        data: { values: mine },
        mark: { type: 'bar' },
        encoding: {
          x: { field: 'rung', type: 'ordinal', title: 'rung (resource)', sort: { field: 'step' }, axis: { labelAngle: 0 } },
          y: { field: 'trials', type: 'quantitative', title: 'trials', stack: 'zero', axis: { tickMinStep: 1 } },
          color,
          order: { field: 'k', type: 'quantitative' },
          tooltip: [
            { field: 'rung', type: 'ordinal' },
            { field: 'outcome', type: 'nominal' },
            { field: 'trials', type: 'quantitative' },
            { field: 'reached', type: 'quantitative', title: 'reached the rung' },
          ],
        },
      };
    });
  const spec = (panels.length === 1 ? panels[0] : { columns: 2, concat: panels, resolve: { scale: { y: 'independent' } } }) as unknown as ChartSpec;
  return { id: 'rungs', title, caption, spec };
}
