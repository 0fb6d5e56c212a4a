import { readJournal } from '../journal/reader.js';
import { runData, type RunData } from '../report/data.js';
import type { FailureKind } from '../eval/types.js';

/**
 * A run that has nothing left to do: its last session ended by itself (budget spent, target reached or strategy
 * exhausted) and `budget` (perhaps raised for this resume) asks for no more trials. Undefined otherwise.
 * Resuming it would replay every trial and report "0.0 s, pool utilisation 0%"; the CLI prints its result instead.
 */
export function completedRun(dir: string, budget: number, budgetEpochs?: number): RunData | undefined {
  const journal = readJournal(dir);
  const data = runData(dir, journal);
  if (!data.status.ended) return undefined;
  const { stoppedBy } = data.status;
  // A resource budget (--budget-epochs) spent and not raised now ends the run too.
  let epochs = journal.study.config.budgetEpochs;
  for (const l of journal.lines) if (l.type === 'resumed' && l.changed.budgetEpochs) epochs = l.changed.budgetEpochs.to;
  const spent = data.rows.length >= budget || (budgetEpochs !== undefined && budgetEpochs === epochs);
  return stoppedBy === 'target' || stoppedBy === 'exhausted' || (stoppedBy === 'budget' && spent) ? data : undefined;
}

/** The run's result as the journal has it, in the shape of `search --json`'s fields that a finished run knows. */
export function completedRunJson(data: RunData) {
  const failuresByKind: Partial<Record<FailureKind, number>> = {};
  for (const r of data.rows) if (r.outcome.state === 'failed') failuresByKind[r.outcome.kind] = (failuresByKind[r.outcome.kind] ?? 0) + 1;
  const c = data.study.config;
  // With the metrics the best trial returned (accuracy, ...), as a search's own result has them.
  const bestRow = data.best && data.rows.find((r) => r.trial === data.best!.trial);
  const best = data.best && bestRow?.outcome.state === 'complete' ? { ...data.best, metrics: bestRow.outcome.metrics } : data.best;
  return {
    alreadyComplete: true,
    best,
    trials: data.rows.length,
    failed: Object.values(failuresByKind).reduce((a, b) => a + b, 0),
    failuresByKind,
    strategy: data.study.strategy,
    strategyOptions: data.study.strategyOptions,
    seed: c.seed,
    budget: data.budget,
    stoppedBy: data.status.ended ? data.status.stoppedBy : undefined,
    space: data.space,
    out: data.dir,
  };
}
