import { errors } from '../src/errors.js';
import type { Told } from './types.js';

/**
 * A result as generational strategies store it. Failures (any non-finite value: the study reports them as
 * +Infinity) are `null`, because JSON turns Infinity into null and a resumed state must not then rank a
 * failure as 0, i.e. as a good result.
 */
export type Score = number | null;

/** A point with its score, as GA and DE keep them from generation to generation. */
export interface Member {
  x: number[];
  score: Score;
}

export const toScore = (value: number): Score => (Number.isFinite(value) ? value : null);

/** Ascending, failures last; equal scores compare equal so a stable sort keeps their order. */
export function compareScores(a: Score, b: Score): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Indices of `scores` from best to worst (stable). */
export const ranking = (scores: readonly Score[]): number[] => scores.map((_, i) => i).sort((i, j) => compareScores(scores[i]!, scores[j]!));

/** The population best first (stable). */
export const bestFirst = (population: readonly Member[]): Member[] => ranking(population.map((m) => m.score)).map((i) => population[i]!);

/**
 * One generation in flight: the points asked and the scores of the first ones told. The study may cut a batch
 * short (end of the budget, then perhaps a resume with a larger one), so a generation is only used once every
 * point has a score; until then `ask` hands out the untold rest again instead of starting a new generation.
 */
export interface Pending {
  readonly xs: number[][];
  readonly scores: Score[];
}

export const untold = (p: Pending): number[][] => p.xs.slice(p.scores.length).map((x) => [...x]);

export const isComplete = (p: Pending): boolean => p.scores.length === p.xs.length;

/** The points of a fully told generation with their scores, in the order asked. */
export const members = (p: Pending): Member[] => p.xs.map((x, i) => ({ x, score: p.scores[i]! }));

/** The generation with `told` (a prefix of its untold points, in order) recorded. */
export function record<P extends Pending>(p: P, told: readonly Told[], strategy: string): P {
  return { ...p, scores: appendScores(p.scores, p.xs.length, told, strategy) };
}

/** `scores` of a generation of `size` points, extended by `told` (a prefix of the points still waiting, in order). */
export function appendScores(scores: readonly Score[], size: number, told: readonly Told[], strategy: string): Score[] {
  const left = size - scores.length;
  if (told.length > left) {
    throw errors.internal(`${strategy}: told ${told.length} results but only ${left} points were waiting for one`);
  }
  return [...scores, ...told.map((t) => toScore(t.value))];
}
