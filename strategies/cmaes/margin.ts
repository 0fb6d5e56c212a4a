import { normalQuantile } from '../../src/util/normal.js';

/**
 * The margin of CMA-ES with Margin (Hamano et al., GECCO 2022, arXiv:2205.13482), simplified.
 *
 * An int or categorical gene is a set of bins of [0, 1]. Once the search distribution is narrower than a bin,
 * every sample lands in the mean's bin, all of them score the same on that gene, and nothing moves it again:
 * CMA-ES stalls on the plateau. The margin keeps the marginal probability of sampling outside the mean's bin at
 * least `alpha` (alpha / 2 on each side when the bin has neighbours on both sides) by widening that gene's
 * sampling by a factor A_i >= 1. Unlike the paper we never move the mean, and A is recomputed from the current
 * distribution every generation, so it is not state; the covariance update keeps learning from the unscaled
 * steps, as in the paper.
 *
 * `edges[i]` are the sorted interior boundaries between gene i's bins (empty for a continuous gene).
 */
export function marginScale(mean: readonly number[], stdDevs: readonly number[], edges: readonly (readonly number[])[], alpha: number): number[] {
  return mean.map((m, i) => {
    const e = edges[i] ?? [];
    const sd = stdDevs[i]!;
    if (e.length === 0 || alpha <= 0 || !(sd > 0)) return 1;
    const upper = e.findIndex((edge) => edge > m);
    const below = upper === -1 ? e[e.length - 1] : upper > 0 ? e[upper - 1] : undefined;
    const above = upper === -1 ? undefined : e[upper];
    const sides = [below, above].filter((v): v is number => v !== undefined);
    // P(N(m, s^2) beyond an edge at distance d) >= p  <=>  s >= d / z_{1-p}.
    const z = normalQuantile(1 - alpha / sides.length);
    const needed = Math.max(...sides.map((edge) => Math.abs(edge - m) / z));
    return Math.max(1, needed / sd);
  });
}
