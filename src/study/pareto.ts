/**
 * Pareto tools on objective vectors, every objective minimised: dominance, non-dominated sorting, crowding
 * distance and the hypervolume (exact: a sweep in 2-D, slicing along the last objective above that).
 */

export type Vector = readonly number[];

/** a is no worse than b in every objective and better in at least one. */
export function dominates(a: Vector, b: Vector): boolean {
  let better = false;
  for (let i = 0; i < a.length; i++) {
    if (a[i]! > b[i]!) return false;
    if (a[i]! < b[i]!) better = true;
  }
  return better;
}

/** Indices of the points no other point dominates, in their original order (equal points are all kept). */
export function nonDominated(points: readonly Vector[]): number[] {
  return points.map((_, i) => i).filter((i) => !points.some((q, j) => j !== i && dominates(q, points[i]!)));
}

/**
 * Fast non-dominated sort (Deb et al. 2002) under any dominance relation (e.g. constrained dominance):
 * front 0 holds the items nothing dominates, front k those dominated only by items of earlier fronts.
 * Indices keep their original order within a front, so ties are broken the same way on every run.
 */
export function sortFronts(n: number, dom: (i: number, j: number) => boolean): number[][] {
  const dominatedBy: number[][] = Array.from({ length: n }, () => []);
  const count = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (dom(i, j)) {
        dominatedBy[i]!.push(j);
        count[j]!++;
      } else if (dom(j, i)) {
        dominatedBy[j]!.push(i);
        count[i]!++;
      }
    }
  }
  const fronts: number[][] = [];
  let current = count.flatMap((c, i) => (c === 0 ? [i] : []));
  while (current.length > 0) {
    fronts.push(current);
    const next: number[] = [];
    for (const i of current) for (const j of dominatedBy[i]!) if (--count[j]! === 0) next.push(j);
    current = next.sort((a, b) => a - b);
  }
  return fronts;
}

/**
 * Crowding distance of each point of one front (Deb et al. 2002): the sum over objectives of the normalised gap
 * between its neighbours; the extremes of every objective get Infinity so that they are always kept.
 */
export function crowding(points: readonly Vector[]): number[] {
  const n = points.length;
  const d = new Array<number>(n).fill(0);
  if (n === 0) return d;
  for (let m = 0; m < points[0]!.length; m++) {
    const order = points.map((_, i) => i).sort((a, b) => points[a]![m]! - points[b]![m]! || a - b);
    const lo = points[order[0]!]![m]!;
    const hi = points[order[n - 1]!]![m]!;
    d[order[0]!] = Infinity;
    d[order[n - 1]!] = Infinity;
    if (hi === lo) continue;
    for (let k = 1; k < n - 1; k++) d[order[k]!]! += (points[order[k + 1]!]![m]! - points[order[k - 1]!]![m]!) / (hi - lo);
  }
  return d;
}

/**
 * The hypervolume the points dominate inside the box bounded by `ref` (points not strictly better than `ref` in
 * every objective add nothing). Exact: a sweep in 2-D; in d > 2 the points are sorted by the last objective and
 * each slab between consecutive values adds its thickness times the (d-1)-dimensional volume of the points below.
 * Cost O(n^2) in 3-D, which is what a population of tens to hundreds needs.
 */
export function hypervolume(points: readonly Vector[], ref: Vector): number {
  const inside = points.filter((p) => p.length === ref.length && p.every((v, i) => v < ref[i]!));
  if (inside.length === 0) return 0;
  if (ref.length === 1) return ref[0]! - Math.min(...inside.map((p) => p[0]!));
  if (ref.length === 2) return area(inside, ref);
  if (ref.length === 3) return volume3(inside, ref);
  const last = ref.length - 1;
  const sorted = [...inside].sort((a, b) => a[last]! - b[last]!);
  let total = 0;
  for (let k = 0; k < sorted.length; k++) {
    const top = k + 1 < sorted.length ? sorted[k + 1]![last]! : ref[last]!;
    if (top > sorted[k]![last]!)
      total +=
        (top - sorted[k]![last]!) *
        hypervolume(
          sorted.slice(0, k + 1).map((p) => p.slice(0, last)),
          ref.slice(0, last),
        );
  }
  return total;
}

/** 2-D: sort by the first objective and add the rectangle each point adds below the best second objective so far. */
function area(points: readonly Vector[], ref: Vector): number {
  const sorted = [...points].sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let total = 0;
  let ceiling = ref[1]!;
  for (const p of sorted) {
    if (p[1]! >= ceiling) continue;
    total += (ref[0]! - p[0]!) * (ceiling - p[1]!);
    ceiling = p[1]!;
  }
  return total;
}

/** 3-D by slicing along z, keeping the 2-D front of the points seen so far sorted by x (insertion, O(n) each). */
function volume3(points: readonly Vector[], ref: Vector): number {
  const sorted = [...points].sort((a, b) => a[2]! - b[2]!);
  // The 2-D front: x ascending, y strictly descending.
  const xs: number[] = [];
  const ys: number[] = [];
  let front = 0;
  let total = 0;
  for (let k = 0; k < sorted.length; k++) {
    const [x, y] = sorted[k]! as [number, number];
    // Insert (x, y) unless dominated, dropping the points it dominates; then recompute the area (O(n)).
    let at = 0;
    while (at < xs.length && xs[at]! <= x) at++;
    const dominated = at > 0 && ys[at - 1]! <= y;
    if (!dominated) {
      let end = at;
      while (end < xs.length && ys[end]! >= y) end++;
      xs.splice(at, end - at, x);
      ys.splice(at, end - at, y);
      front = 0;
      for (let i = 0; i < xs.length; i++) front += ((i + 1 < xs.length ? xs[i + 1]! : ref[0]!) - xs[i]!) * (ref[1]! - ys[i]!);
    }
    const top = k + 1 < sorted.length ? sorted[k + 1]![2]! : ref[2]!;
    total += front * (top - sorted[k]![2]!);
  }
  return total;
}

/**
 * How much hypervolume each point of a front (mutually non-dominated points, as SMS-EMOA hands it) alone adds:
 * what the volume loses without it; 0 for duplicates. Closed form in 2-D (the rectangle between its neighbours);
 * above that, the total minus the hypervolume without the point.
 */
export function contributions(points: readonly Vector[], ref: Vector): number[] {
  const n = points.length;
  if (ref.length === 2) {
    const out = new Array<number>(n).fill(0);
    const inside = points.map((_, i) => i).filter((i) => points[i]![0]! < ref[0]! && points[i]![1]! < ref[1]!);
    const front = inside
      .filter(
        (i) => !inside.some((j) => j !== i && (dominates(points[j]!, points[i]!) || (j < i && points[j]!.every((v, m) => v === points[i]![m])))),
      )
      .sort((a, b) => points[a]![0]! - points[b]![0]!);
    front.forEach((i, k) => {
      const right = k + 1 < front.length ? points[front[k + 1]!]![0]! : ref[0]!;
      const above = k > 0 ? points[front[k - 1]!]![1]! : ref[1]!;
      // A point equal to another on the front adds nothing: losing one of them loses no volume.
      const twin = points.some((q, j) => j !== i && q[0] === points[i]![0] && q[1] === points[i]![1]);
      out[i] = twin ? 0 : (right - points[i]![0]!) * (above - points[i]![1]!);
    });
    return out;
  }
  const total = hypervolume(points, ref);
  return points.map((_, i) => Math.max(0, total - hypervolume([...points.slice(0, i), ...points.slice(i + 1)], ref)));
}
