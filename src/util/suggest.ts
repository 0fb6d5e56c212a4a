/** Edit distance (insertions, deletions, substitutions; a swap of two neighbours counts one), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) =>
    Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[s.length]![t.length]!;
}

/**
 * The known name a mistyped one most likely meant: the closest by edit distance when it is close enough (a third
 * of the name's length, at least 2 edits), or the only name that starts with what was typed. Undefined otherwise:
 * a far-fetched guess is worse than none.
 */
export function closest(typed: string, known: readonly string[]): string | undefined {
  if (typed === '') return undefined;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const dist = editDistance(typed, k);
    if (dist < bestDistance) [best, bestDistance] = [k, dist];
  }
  if (best !== undefined && bestDistance <= Math.max(2, Math.floor(typed.length / 3))) return best;
  const prefixed = typed.length >= 2 ? known.filter((k) => k.toLowerCase().startsWith(typed.toLowerCase())) : [];
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/** "; did you mean digits?" or nothing, to append to an "unknown ..." message. */
export const didYouMean = (typed: string, known: readonly string[], show: (name: string) => string = (n) => n): string => {
  const guess = closest(typed, known);
  return guess === undefined ? '' : `; did you mean ${show(guess)}?`;
};
