import * as z from 'zod';
import { parseSpace, type SpaceSpec } from '../space/spec.js';
import type { StudyLine } from '../journal/format.js';
import type { Journal } from '../journal/reader.js';
import { bestOf, trialRows, type TrialRow } from '../journal/trials.js';
import type { Best } from '../study/types.js';

/** The LR range test as the report draws it; the journal keeps the test's whole result. */
const lrRangeSchema = z.object({
  curve: z.object({ points: z.array(z.object({ lr: z.number(), loss: z.number(), smoothed: z.number() })) }),
  suggestion: z.number().optional(),
  bounds: z.tuple([z.number(), z.number()]).optional(),
  rule: z.string().optional(),
});
export type LrRange = z.infer<typeof lrRangeSchema>;

/** Whether the run ended by itself (and why), or is still running or died (no "done" after its last session). */
export type RunStatus = { readonly ended: true; readonly stoppedBy: string } | { readonly ended: false };

export interface RunData {
  readonly dir: string;
  readonly study: StudyLine;
  readonly space: SpaceSpec;
  readonly rows: readonly TrialRow[];
  readonly best: Best | undefined;
  readonly budget: number;
  readonly status: RunStatus;
  readonly lrRange: LrRange | undefined;
  readonly warnings: readonly string[];
}

/** Everything the report and the export show, from a run folder's journal. */
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
  return { dir, study: journal.study, space: parseSpace(journal.study.space), rows, best: bestOf(rows), budget, status, lrRange, warnings };
}
