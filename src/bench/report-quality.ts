import { compare, type Comparison } from './compare.js';
import { curvesSvg } from './report-chart.js';
import { comparisonTable, num, pValue, table } from './report-markdown.js';
import type { LrSeeding, QualityCell } from './search-quality.js';
import { holm, mannWhitneyU, summarize } from './stats.js';

const secs = (ms: number) => (Number.isFinite(ms) ? (ms / 1000).toFixed(1) : 'n/a');

const SEEDING_LABEL: Record<LrSeeding, string> = { none: 'task range', auto: 'LR range test' };

const unique = <T>(xs: readonly T[]) => [...new Set(xs)];

/** The strategies of one task and LR seeding, compared at equal budget. */
export interface QualityGroup {
  readonly task: string;
  readonly lr: LrSeeding;
  readonly comparison: Comparison;
  readonly cells: readonly QualityCell[];
}

export function qualityGroups(cells: readonly QualityCell[]): QualityGroup[] {
  return unique(cells.map((c) => JSON.stringify([c.task, c.lr]))).map((k) => {
    const [task, lr] = JSON.parse(k) as [string, LrSeeding];
    const group = cells.filter((c) => c.task === task && c.lr === lr);
    return { task, lr, comparison: compare(group.map((c) => ({ label: c.strategy, values: c.bests }))), cells: group };
  });
}

/** Strategies against each other: one row per task and LR seeding. */
export function strategyTable(groups: readonly QualityGroup[]): string {
  const strategies = unique(groups.flatMap((g) => g.cells.map((c) => c.strategy)));
  const rows = groups.map((g) => ({ keys: [g.task, SEEDING_LABEL[g.lr]], comparison: g.comparison }));
  return comparisonTable(['task', 'LR bounds'], strategies, rows);
}

/**
 * What seeding the LR bounds from the range test changes, per task and strategy: the best value with and without,
 * the rank test between them, and what it costs in wall time (the range test runs before the search).
 */
export function seedingTable(cells: readonly QualityCell[]): string | undefined {
  const pairs = cells.flatMap((none) => {
    if (none.lr !== 'none') return [];
    const auto = cells.find((c) => c.lr === 'auto' && c.task === none.task && c.strategy === none.strategy);
    return auto ? [{ none, auto }] : [];
  });
  if (pairs.length === 0) return undefined;
  const show = (c: QualityCell) => {
    const s = summarize(c.bests);
    return `${num(s.median)} [${num(s.q1)}, ${num(s.q3)}]`;
  };
  // One test per row, Holm-adjusted across the table's rows: "better" is only said where it survives that.
  const ps = holm(pairs.map(({ none, auto }) => mannWhitneyU(none.bests, auto.bests).p));
  const rows = pairs.map(({ none, auto }, i) => {
    const p = ps[i]!;
    const better = summarize(auto.bests).median < summarize(none.bests).median ? 'range test' : 'task range';
    return [
      none.task,
      none.strategy,
      show(none),
      show(auto),
      p < 0.05 ? `${better} (p=${pValue(p)})` : `within noise (p=${pValue(p)})`,
      secs(none.medianWallMs),
      `${secs(auto.medianWallMs)} + ${secs(auto.medianRangeTestMs ?? NaN)}`,
    ];
  });
  return [
    'What bounds from the LR range test change:',
    '',
    table(['task', 'strategy', 'task range', 'LR range test', 'better', 'search s', 'search s + range test s'], rows),
    '',
    'Same seeds and budget; p from a two-sided Mann-Whitney U test across seeds, one test per row, Holm-adjusted across the rows. ' +
      'Times are medians over seeds of the wall time of search() (worker pool start-up included); the range test runs ' +
      'once per task and seed before the search, and its time is the extra a user pays for the bounds.',
  ].join('\n');
}

/** One chart per task: every strategy's (and seeding's) best-so-far curve. */
export async function curveCharts(cells: readonly QualityCell[]): Promise<Array<{ name: string; svg: string }>> {
  const bothSeedings = unique(cells.map((c) => c.lr)).length > 1;
  return Promise.all(
    unique(cells.map((c) => c.task)).map(async (task) => ({
      name: `curves-${task}`,
      svg: await curvesSvg(
        `${task}: best validation loss so far`,
        cells
          .filter((c) => c.task === task)
          .map((c) => ({ label: c.strategy, ...(bothSeedings ? { variant: `LR bounds: ${SEEDING_LABEL[c.lr]}` } : {}), points: c.curve })),
        'best validation loss so far (median, IQR band)',
      ),
    })),
  );
}
