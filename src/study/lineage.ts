import type { ParamValue } from '../space/spec.js';
import type { TrialRecord } from './types.js';

/** One segment of a lineage: the trial that trained it, its resource segment, its hyperparameters and its value. */
export interface LineageStep {
  readonly trial: number;
  readonly segment: { readonly from: number; readonly to: number };
  readonly params: TrialRecord['params'];
  readonly value?: number;
}

/** A hyperparameter over resource as a list of constant pieces: what PBT discovered for, e.g., the learning rate. */
export interface SchedulePiece {
  readonly from: number;
  readonly to: number;
  readonly value: ParamValue;
}

/**
 * The chain of trials whose checkpoints led to `trial`, first segment first (PBT): each trial continued from its
 * parent's weights, so the chain is one training with hyperparameters changing at segment boundaries.
 */
export function lineageOf(history: readonly TrialRecord[], trial: number): LineageStep[] {
  const byNumber = new Map(history.map((t) => [t.number, t]));
  const chain: LineageStep[] = [];
  for (let t = byNumber.get(trial); t?.segment; t = t.parent === undefined ? undefined : byNumber.get(t.parent)) {
    const o = t.outcome;
    chain.push({ trial: t.number, segment: t.segment, params: t.params, ...(o.state === 'complete' ? { value: o.value } : {}) });
  }
  return chain.reverse();
}

/** One parameter along a lineage, adjacent equal pieces merged. */
export function scheduleOf(lineage: readonly LineageStep[], param: string): SchedulePiece[] {
  const pieces: SchedulePiece[] = [];
  for (const step of lineage) {
    const value = step.params[param];
    if (value === undefined) continue;
    const last = pieces[pieces.length - 1];
    if (last && last.value === value && last.to === step.segment.from) pieces[pieces.length - 1] = { ...last, to: step.segment.to };
    else pieces.push({ from: step.segment.from, to: step.segment.to, value });
  }
  return pieces;
}
