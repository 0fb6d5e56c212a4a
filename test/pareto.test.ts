import { describe, expect, it } from 'vitest';
import { contributions, crowding, dominates, hypervolume, nonDominated, sortFronts, type Vector } from '../src/study/pareto.js';
import { rngFor } from '../src/util/rng.js';

const randomPoints = (n: number, m: number, seed: number): number[][] => {
  const rng = rngFor(seed, 'points');
  return Array.from({ length: n }, () => Array.from({ length: m }, () => rng()));
};

/** Volume by counting grid cells below the reference that some point dominates (a slow, obviously right check). */
function gridVolume(points: readonly Vector[], ref: readonly number[], cells: number): number {
  const m = ref.length;
  let inside = 0;
  const total = cells ** m;
  for (let k = 0; k < total; k++) {
    const c = Array.from({ length: m }, (_, i) => ((Math.floor(k / cells ** i) % cells) + 0.5) * (ref[i]! / cells));
    if (points.some((p) => p.every((v, i) => v <= c[i]!))) inside++;
  }
  return (inside / total) * ref.reduce((a, b) => a * b, 1);
}

describe('dominance and sorting', () => {
  it('dominates only when no worse everywhere and better somewhere', () => {
    expect(dominates([1, 2], [2, 2])).toBe(true);
    expect(dominates([1, 2], [1, 2])).toBe(false);
    expect(dominates([1, 3], [2, 2])).toBe(false);
  });

  it('keeps the non-dominated points in order, equal ones included', () => {
    expect(
      nonDominated([
        [3, 1],
        [2, 2],
        [2, 3],
        [1, 3],
        [2, 2],
      ]),
    ).toEqual([0, 1, 3, 4]);
  });

  it('sorts into fronts, each dominated only by earlier ones', () => {
    const pts = [
      [1, 1],
      [2, 2],
      [0, 3],
      [3, 3],
      [2, 0.5],
    ];
    expect(sortFronts(pts.length, (i, j) => dominates(pts[i]!, pts[j]!))).toEqual([[0, 2, 4], [1], [3]]);
  });

  it('gives the extremes infinite crowding and the others the sum of normalised neighbour gaps', () => {
    const d = crowding([
      [0, 4],
      [1, 2],
      [3, 1],
      [4, 0],
    ]);
    expect(d[0]).toBe(Infinity);
    expect(d[3]).toBe(Infinity);
    expect(d[1]).toBeCloseTo(3 / 4 + 3 / 4);
    expect(d[2]).toBeCloseTo(3 / 4 + 2 / 4);
  });
});

describe('hypervolume', () => {
  it('is exact in 2-D, ignoring dominated points and points beyond the reference', () => {
    expect(
      hypervolume(
        [
          [1, 2],
          [2, 1],
        ],
        [3, 3],
      ),
    ).toBeCloseTo(3);
    expect(
      hypervolume(
        [
          [1, 2],
          [2, 1],
          [2.5, 2.5],
          [4, 0],
        ],
        [3, 3],
      ),
    ).toBeCloseTo(3);
    expect(hypervolume([], [1, 1])).toBe(0);
  });

  it.each([2, 3, 4])('agrees with counting grid cells in %i-D', (m) => {
    const pts = randomPoints(m === 4 ? 8 : 15, m, m);
    const cells = m === 4 ? 16 : m === 3 ? 40 : 400;
    expect(hypervolume(pts, new Array(m).fill(1))).toBeCloseTo(gridVolume(pts, new Array(m).fill(1), cells), 1);
  });

  it('gives the same 3-D volume by its sweep as by the general slicing (a 4th objective of zeros)', () => {
    const pts = randomPoints(40, 3, 9);
    const lifted = pts.map((p) => [...p, 0]);
    expect(hypervolume(lifted, [1, 1, 1, 1])).toBeCloseTo(hypervolume(pts, [1, 1, 1]), 12);
  });

  it("counts each front member's own contribution: what the volume loses without it", () => {
    for (const m of [2, 3]) {
      // Points on the unit sphere: mutually non-dominated, plus a pair of twins.
      const sphere = randomPoints(20, m, 30 + m).map((p) => p.map((v) => v / Math.hypot(...p)));
      const twin = new Array(m).fill(1 / Math.sqrt(m));
      const pts = [...sphere, twin, [...twin]];
      const ref = new Array(m).fill(1.1);
      const total = hypervolume(pts, ref);
      const c = contributions(pts, ref);
      pts.forEach((_, i) =>
        expect(c[i]).toBeCloseTo(
          total -
            hypervolume(
              pts.filter((__, j) => j !== i),
              ref,
            ),
          12,
        ),
      );
      // The twins cost nothing alone.
      expect(c.slice(-2)).toEqual([0, 0]);
    }
  });
});
