import * as z from 'zod';
import { parseSpace, type Params, type SpaceSpec } from '../space/spec.js';
import type { StudyLine } from '../journal/format.js';
import type { Journal } from '../journal/reader.js';
import { bestOf, trialRows, type TrialRow } from '../journal/trials.js';
import type { Best } from '../study/types.js';
import { configObjectives, DEFAULT_OBJECTIVES, type ObjectiveSpec } from '../study/objectives.js';
import type { TrialState } from '../eval/types.js';

/** The LR range test as the charts draw it; the journal keeps the test's whole result. */
const lrRangeSchema = z.object({
  curve: z.object({ points: z.array(z.object({ step: z.number().optional(), lr: z.number(), loss: z.number(), smoothed: z.number() })) }),
  suggestion: z.number().optional(),
  bounds: z.tuple([z.number(), z.number()]).optional(),
  rule: z.string().optional(),
  /** Every rule's suggestion (null where a rule found none), to compare with the chosen one. */
  suggestions: z.record(z.string(), z.number().nullable()).optional(),
  /** With several seeds (`lr-find --seeds K`): the curve is the members' median, the band their quartiles. */
  members: z
    .object({
      seeds: z.array(z.number()),
      band: z.array(z.object({ lr: z.number(), q1: z.number(), q3: z.number().nullable() })),
    })
    .optional(),
  refinement: z
    .object({
      from: z.number().optional(),
      probes: z.array(z.object({ lr: z.number(), losses: z.array(z.number().nullable()) })),
      finalists: z.array(z.number()),
    })
    .optional(),
});
export type LrRange = z.infer<typeof lrRangeSchema>;

/** Whether the run ended by itself (and why), or is still running or died (no "done" after its last session). */
export type RunStatus = { readonly ended: true; readonly stoppedBy: string } | { readonly ended: false };

/**
 * One finished trial as the charts see it: its state, the value a chart places it at (a pruned trial's last
 * reported value), its intermediate values and its time on its worker.
 */
export interface TrialView {
  readonly trial: number;
  readonly generation: number;
  readonly params: Params;
  readonly state: TrialState;
  /** Complete: the value; pruned: the last value reported; failed: none. */
  readonly value: number | undefined;
  /** Pruned: the step it reached. */
  readonly step: number | undefined;
  readonly reports: ReadonlyArray<readonly [step: number, value: number]>;
  readonly metrics: Readonly<Record<string, unknown>>;
  readonly failure: { readonly kind: string; readonly message: string } | undefined;
  readonly durationMs: number;
  readonly worker: string;
  /** Milliseconds since the epoch. */
  readonly finishedAt: number;
  /** PBT: the resource segment it trained and the trial it continued from. */
  readonly segment: { readonly from: number; readonly to: number } | undefined;
  readonly parent: number | undefined;
}

export interface RunData {
  readonly dir: string;
  readonly study: StudyLine;
  readonly space: SpaceSpec;
  readonly rows: readonly TrialRow[];
  readonly trials: readonly TrialView[];
  /** What the run optimised (its config's objectives, directions and constraints). */
  readonly objectives: ObjectiveSpec;
  readonly best: Best | undefined;
  readonly budget: number;
  readonly status: RunStatus;
  readonly lrRange: LrRange | undefined;
  readonly warnings: readonly string[];
}

/** The chart's view of a journal row. */
export function trialView(r: TrialRow): TrialView {
  const o = r.outcome;
  const reports = (o.reports ?? []).map((p) => [p.step, p.value] as const);
  return {
    trial: r.trial,
    generation: r.generation,
    params: r.params,
    state: o.state,
    value: o.state === 'failed' ? undefined : o.value,
    step: o.state === 'pruned' ? o.step : undefined,
    reports,
    metrics: o.state === 'failed' ? {} : o.metrics,
    failure: o.state === 'failed' ? { kind: o.kind, message: o.message } : undefined,
    durationMs: o.durationMs,
    worker: o.worker,
    finishedAt: Date.parse(r.finishedAt),
    segment: r.segment,
    parent: r.parent,
  };
}

/** Everything the report, the dashboard and the export show, from a run folder's journal. */
export function runData(dir: string, journal: Journal): RunData {
  const rows = trialRows(journal, dir);
  const warnings = [...journal.warnings];
  let status: RunStatus = { ended: false };
  let budget = Number(journal.study.config.budget);
  let lrRange: LrRange | undefined;
  for (const line of journal.lines) {
    if (line.type === 'resumed') {
      status = { ended: false };
      const b = line.changed.budget?.to;
      if (typeof b === 'number') budget = b;
    } else if (line.type === 'done') {
      status = { ended: true, stoppedBy: line.stoppedBy };
    } else if (line.type === 'lr-range') {
      const r = lrRangeSchema.safeParse(line.result);
      if (r.success) lrRange = r.data;
      else warnings.push('the LR range test result in the journal has no curve this report can draw');
    }
  }
  const space = parseSpace(journal.study.space);
  let objectives = DEFAULT_OBJECTIVES;
  try {
    objectives = configObjectives(journal.study.config);
  } catch (e) {
    warnings.push(`the run's objectives cannot be read (${(e as Error).message}): the value is shown as minimised`);
  }
  const trials = rows.map(trialView);
  return { dir, study: journal.study, space, rows, trials, objectives, best: bestOf(rows, objectives), budget, status, lrRange, warnings };
}
