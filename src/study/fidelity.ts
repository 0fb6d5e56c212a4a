import type { TrialOutcome } from '../eval/types.js';

/** What a strategy is told for a pruned trial: the value it had when it stopped, or the worst value. */
export type TellPruned = 'last' | 'worst';
export const TELL_PRUNED: readonly TellPruned[] = ['last', 'worst'];

/**
 * The value a strategy sees for a trial. Complete: its value. Failed: +Infinity (the worst). Pruned: by default the
 * value it reported when it stopped: with a loss that falls as training goes on, that early value is worse than what
 * it would have reached, so pruned trials rank behind finished ones of the same quality yet keep their order among
 * themselves (a strategy still learns which region was less bad); 'worst' tells +Infinity instead.
 */
export function toldValue(o: TrialOutcome, tellPruned: TellPruned): number {
  if (o.state === 'complete') return o.value;
  if (o.state === 'pruned') return tellPruned === 'last' ? o.value : Infinity;
  return Infinity;
}

/**
 * Resource a trial used: up to the last step it reported, from where its segment started (PBT continues trainings),
 * or for a trial that reported nothing and finished, its segment or `full`.
 */
export function resourceOf(o: TrialOutcome, full: number, segment?: { readonly from: number; readonly to: number }): number {
  const from = segment?.from ?? 0;
  const last = o.reports?.[o.reports.length - 1];
  if (last) return Math.max(0, last.step - from);
  if (o.state !== 'complete') return 0;
  return segment ? segment.to - segment.from : full;
}
