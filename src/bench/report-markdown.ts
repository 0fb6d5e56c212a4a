import type { Comparison, Ranked } from './compare.js';

/** A GitHub-flavoured markdown table. Pipes inside cells are escaped. */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Three significant digits; exponent form for the very small and very large. */
export function num(v: number): string {
  if (Number.isNaN(v)) return 'n/a';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '-∞';
  if (v === 0) return '0';
  return Math.abs(v) >= 0.01 && Math.abs(v) < 1e5 ? String(Number(v.toPrecision(3))) : v.toExponential(2);
}

export const pValue = (p: number) => (p < 0.001 ? '<0.001' : p.toFixed(3));

/** "median [q1, q3]", the leader in bold, every other cell with its p-value against the leader. */
export function cell(r: Ranked): string {
  const s = `${num(r.summary.median)} [${num(r.summary.q1)}, ${num(r.summary.q3)}]`;
  switch (r.verdict.kind) {
    case 'leader':
      return `**${s}**`;
    case 'within-noise':
      return `${s} ≈ p=${pValue(r.verdict.p)}`;
    case 'worse':
      return `${s} p=${pValue(r.verdict.p)}`;
  }
}

export interface ComparisonRow {
  /** The first cells (e.g. the task, the LR seeding). */
  readonly keys: readonly string[];
  readonly comparison: Comparison;
  /** Cells after the contenders (e.g. reference figures). */
  readonly extra?: readonly string[];
}

/**
 * One row per comparison group, one column per contender, then a legend that says how to read it and where the
 * seeds were too few for any call.
 */
export function comparisonTable(
  keyHead: readonly string[],
  contenders: readonly string[],
  rows: readonly ComparisonRow[],
  extraHead: readonly string[] = [],
): string {
  const body = rows.map((r) => [
    ...r.keys,
    ...contenders.map((label) => {
      const ranked = r.comparison.rows.find((x) => x.label === label);
      return ranked ? cell(ranked) : '';
    }),
    ...(r.extra ?? []),
  ]);
  const alpha = rows[0]?.comparison.alpha ?? 0.05;
  const caveats = [...new Set(rows.flatMap((r) => (r.comparison.tooFewSeeds ? [r.comparison.tooFewSeeds] : [])))];
  return [
    table([...keyHead, ...contenders, ...extraHead], body),
    '',
    `Cells: median [first quartile, third quartile] of the best value over seeds (lower is better). **Bold**: lowest median in the row. ` +
      `p: two-sided Mann-Whitney U test against the bold cell across seeds, Holm-adjusted within the row; ` +
      `≈ marks a difference within seed noise (p ≥ ${alpha}).`,
    ...caveats.map((c) => `\nNote: ${c}; every difference in this table is within noise.`),
  ].join('\n');
}
