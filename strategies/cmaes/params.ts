/**
 * The constants of CMA-ES for a dimension and a population size, as in Hansen's tutorial (arXiv:1604.00772,
 * Table 1 and eqs. 48-56), including the negative weights of active CMA for the rank-mu update.
 * They are derived on demand rather than stored, so a saved state cannot disagree with them.
 */
export interface CmaParams {
  readonly n: number;
  readonly lambda: number;
  readonly mu: number;
  /** lambda weights, best first: the first mu are positive and sum to 1, the rest negative. */
  readonly weights: readonly number[];
  readonly muEff: number;
  readonly cc: number;
  readonly cs: number;
  readonly ds: number;
  readonly c1: number;
  readonly cmu: number;
  /** E||N(0, I)||. */
  readonly chiN: number;
}

/** Default population size: 4 + floor(3 ln n) (eq. 48). */
export const defaultLambda = (n: number): number => 4 + Math.floor(3 * Math.log(n));

export function cmaParams(n: number, lambda: number): CmaParams {
  const mu = Math.floor(lambda / 2);
  const raw = Array.from({ length: lambda }, (_, i) => Math.log((lambda + 1) / 2) - Math.log(i + 1));
  const pos = raw.slice(0, mu);
  const neg = raw.slice(mu);
  const sq = (v: number) => v * v;
  const muEff = sq(sum(pos)) / sum(pos.map(sq));
  const muEffNeg = neg.length > 0 && sum(neg) !== 0 ? sq(sum(neg)) / sum(neg.map(sq)) : 0;

  const alphaCov = 2;
  const c1 = alphaCov / (sq(n + 1.3) + muEff);
  const cmu = Math.min(1 - c1, (alphaCov * (muEff - 2 + 1 / muEff)) / (sq(n + 2) + (alphaCov * muEff) / 2));
  const cs = (muEff + 2) / (n + muEff + 5);
  const ds = 1 + 2 * Math.max(0, Math.sqrt((muEff - 1) / (n + 1)) - 1) + cs;
  const cc = (4 + muEff / n) / (n + 4 + (2 * muEff) / n);

  // Negative weights are scaled so that the covariance stays positive definite (eqs. 50-53).
  const alphaNeg = Math.min(1 + c1 / cmu, 1 + (2 * muEffNeg) / (muEff + 2), (1 - c1 - cmu) / (n * cmu));
  const sumPos = sum(raw.filter((w) => w > 0));
  const sumNeg = -sum(raw.filter((w) => w < 0));
  const weights = raw.map((w) => (w >= 0 ? w / sumPos : (alphaNeg * w) / sumNeg));

  const chiN = Math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n));
  return { n, lambda, mu, weights, muEff, cc, cs, ds, c1, cmu, chiN };
}

const sum = (v: readonly number[]) => v.reduce((s, x) => s + x, 0);
