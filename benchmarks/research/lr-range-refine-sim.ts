/**
 * Ranks ways of spending refine's trainings precisely, by simulation: the 20-seed grid (lr-range-grid-seeds) stands
 * for the population of training seeds. Per task x optimizer x range-test seed (the curve's suggestion and bounds,
 * replayed from the sweeps in lr-range-data.json), each draw gives refine fresh seeds from that population (a probe reads the
 * grid's loss for that seed at the nearest grid LR) and grades its suggestion against a truth drawn independently:
 * 3 seeds as in the issue, or 20. Many draws make the comparison between policies far steadier than the 36 runs of
 * the end-to-end benchmark (lr-range.ts), whose own truth moves with its seeds (lr-range-ceiling.ts).
 *   node dist/benchmarks/research/lr-range-refine-sim.js [--draws 200]
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { rngFor, shuffleInPlace, type Rng } from '../../src/util/rng.js';
import { latticeLrs, probeMean, probeSeed, refine, smoothedScores, type ProbeResult } from '../../src/lr-range/refine.js';
import { argmin } from '../../src/lr-range/analyse.js';
import { DATA_FILE, gridBest, interpolatedLoss, rangeSeeds, readCases, stageOne, type CaseData, type GridPoint } from '../lr-range-data.js';
import { GRID20_FILE, readSeededGrids, seededGridOf, type SeededGrid } from '../lr-range-grid-seeds.js';
import { onSeeds } from '../lr-range-ceiling.js';
import { GOAL_LR_FACTOR, lossWithin, lrWithin, meetsGoal } from '../lr-range-goal.js';

/** What a policy knows: the curve's reading. It asks for trainings through `probe` (LR, replicate) and picks an LR. */
interface Stage1 {
  readonly suggestion: number;
  readonly bounds: readonly [number, number];
  readonly rangeSeed: number;
}
type SimProbe = (lr: number, replicate: number) => number;
interface Policy {
  readonly name: string;
  pick(s: Stage1, probe: SimProbe): Promise<{ lr: number; trainings: number }>;
}

const QUARTER = 10 ** 0.25;
const snap = (lr: number) => 10 ** (Math.round(Math.log10(lr) * 4) / 4);
const seedsOf = (n: number) => Array.from({ length: n }, (_, k) => k);
const run = (probe: SimProbe, lr: number, replicates: readonly number[]): ProbeResult => ({ lr, losses: replicates.map((k) => probe(lr, k)) });

/**
 * The shipped refine (src/lr-range/refine.ts) on simulated probes: its pick, and its probes for a policy that reads
 * the same race another way. Replicate k is the refine's k-th probe seed.
 */
async function runRace(s: Stage1, probe: SimProbe, finalists: number, seeds: number) {
  const bySeed = new Map(seedsOf(seeds).map((k) => [probeSeed(s.rangeSeed, k), k] as const));
  const r = await refine(
    async (lr, seed) => probe(lr, bySeed.get(seed)!),
    s.suggestion,
    s.bounds as [number, number],
    { finalists, seeds },
    s.rangeSeed,
  );
  const { probes } = r.refinement;
  return {
    suggestion: r.suggestion,
    probes,
    isFinalist: (i: number) => r.refinement.finalists.includes(probes[i]!.lr),
    trainings: probes.reduce((n, p) => n + p.losses.length, 0),
  };
}

/** The shipped refine: the race. */
function race(finalists: number, seeds: number): Policy {
  return {
    name: `race: 1 seed per LR in the bounds, best ${finalists} to ${seeds} seeds`,
    async pick(s, probe) {
      const r = await runRace(s, probe, finalists, seeds);
      return { lr: r.suggestion, trainings: r.trainings };
    },
  };
}

/** A race read another way: the finalist with the lowest smoothed score (neighbours count) rather than mean. */
function raceSmoothed(finalists: number, seeds: number): Policy {
  return {
    name: `race: best ${finalists} to ${seeds} seeds, finalist with the lowest smoothed score`,
    async pick(s, probe) {
      const r = await runRace(s, probe, finalists, seeds);
      const sc = smoothedScores(r.probes).map((v, i) => (r.isFinalist(i) ? v : Infinity));
      return { lr: r.probes[argmin(sc)]!.lr, trainings: r.trainings };
    },
  };
}

/** A race whose pick is the lowest-LR finalist within `slack` of the best finalist's mean (cliffs lie above). */
function raceCautious(finalists: number, seeds: number, slack: number): Policy {
  return {
    name: `race: best ${finalists} to ${seeds} seeds, lowest LR within ${Math.round(100 * slack)}% of the best mean`,
    async pick(s, probe) {
      const r = await runRace(s, probe, finalists, seeds);
      const means = r.probes.map((p, i) => (r.isFinalist(i) ? probeMean(p) : Infinity));
      const best = Math.min(...means);
      const i = Number.isFinite(best) ? means.findIndex((m) => m <= best * (1 + slack)) : argmin(smoothedScores(r.probes));
      return { lr: r.probes[i]!.lr, trainings: r.trainings };
    },
  };
}

/** Every lattice LR inside the bounds x `seeds`, the lowest mean. */
function latticeGrid(seeds: number): Policy {
  return {
    name: `every LR in the bounds x ${seeds} seeds, lowest mean`,
    async pick(s, probe) {
      const probes = latticeLrs(s.bounds as [number, number]).map((lr) => run(probe, lr, seedsOf(seeds)));
      return { lr: probes[argmin(probes.map(probeMean))]!.lr, trainings: probes.length * seeds };
    },
  };
}

/**
 * The refine shipped before the race (kept here as the yardstick it replaced): `n` LRs a quarter decade apart
 * centred on the curve's suggestion, 2 more outwards while the best is the outermost, each x `seeds`; the lowest
 * 1-2-1-smoothed log mean, moved to the vertex of the parabola through it and its neighbours (at most half a step).
 */
function centred(n: number, seeds: number): Policy {
  return {
    name: `previous refine: ${n} LRs centred on the curve's suggestion x ${seeds} seeds, smoothed, vertex`,
    async pick(s, probe) {
      const inside = (lr: number) => lr >= s.bounds[0] * (1 - 1e-9) && lr <= s.bounds[1] * (1 + 1e-9);
      const firstLrs = seedsOf(n)
        .map((i) => s.suggestion * QUARTER ** (i - (n - 1) / 2))
        .filter(inside);
      const probes = (firstLrs.length > 0 ? firstLrs : [s.suggestion]).map((lr) => run(probe, lr, seedsOf(seeds)));
      for (let extra = 0; extra < 2; extra++) {
        const best = argmin(smoothedScores(probes));
        const up = best === probes.length - 1;
        if (!up && best !== 0) break;
        const next = up ? probes[best]!.lr * QUARTER : probes[0]!.lr / QUARTER;
        if (!inside(next)) break;
        if (up) probes.push(run(probe, next, seedsOf(seeds)));
        else probes.unshift(run(probe, next, seedsOf(seeds)));
      }
      const sc = smoothedScores(probes);
      const i = argmin(sc);
      const trainings = probes.length * seeds;
      if (i === 0 || i === probes.length - 1) return { lr: probes[i]!.lr, trainings };
      const [a, b, c] = [sc[i - 1]!, sc[i]!, sc[i + 1]!];
      const curvature = a - 2 * b + c;
      const offset = curvature > 0 ? Math.max(-0.5, Math.min(0.5, (0.5 * (a - c)) / curvature)) : 0;
      return { lr: probes[i]!.lr * QUARTER ** offset, trainings };
    },
  };
}

const POLICIES: readonly Policy[] = [
  { name: 'curve only (refine 0)', pick: async (s) => ({ lr: s.suggestion, trainings: 0 }) },
  centred(7, 2),
  latticeGrid(1),
  latticeGrid(2),
  latticeGrid(3),
  race(3, 3),
  raceSmoothed(3, 3),
  raceCautious(3, 4, 0.03),
  raceCautious(3, 4, 0.06),
  raceCautious(3, 4, 0.1),
  raceSmoothed(3, 4),
  race(2, 3),
  race(2, 4),
  race(3, 4),
  race(4, 3),
  race(5, 3),
  race(3, 5),
  race(2, 5),
];

/** The grid's loss for pool seed `seed` at the grid LR nearest `lr`. */
function reader(grid: readonly GridPoint[], seedOf: readonly number[]): SimProbe {
  return (lr, replicate) => {
    const near = grid.reduce((a, b) => (Math.abs(Math.log(b.lr / lr)) < Math.abs(Math.log(a.lr / lr)) ? b : a));
    const v = near.losses[seedOf[replicate]!];
    return typeof v === 'number' ? v : NaN; // NaN is stored as null
  };
}

interface SimScore {
  readonly goal: number;
  readonly lr: number;
  readonly loss: number;
  /** Share of picks whose loss is over BAD_MISS x the truth's best (diverged included). */
  readonly bad: number;
  /** Geometric mean of the loss ratio (capped at 10). */
  readonly meanLoss: number;
  readonly trainings: number;
}

/**
 * 'exact' grades the pick where it is; 'snapped' grades the nearest grid LR: the choice among grid LRs, without the
 * interpolation's penalty on a pick between two grid points (interpolating linearly overstates the loss near a minimum).
 */
const GRADINGS = ['exact', 'snapped'] as const;
type Grading = (typeof GRADINGS)[number];

/** A pick against a truth: its LR over the truth's best, and the truth's loss there over the best's. */
interface Graded {
  readonly ratio: number;
  readonly lossRatio: number;
}

function grade(truth: readonly GridPoint[], best: { lr: number; loss: number }, lr: number): Graded {
  return { ratio: lr / best.lr, lossRatio: interpolatedLoss(truth, lr) / best.loss };
}

function score(graded: readonly Graded[], trainings: number): SimScore {
  const n = graded.length;
  const share = (f: (g: Graded) => boolean) => graded.filter(f).length / n;
  return {
    goal: share((g) => meetsGoal(g.ratio, g.lossRatio)),
    lr: share((g) => lrWithin(g.ratio, GOAL_LR_FACTOR)),
    loss: share((g) => lossWithin(g.lossRatio)),
    bad: share((g) => !(g.lossRatio <= BAD_MISS)),
    meanLoss: Math.exp(graded.reduce((sum, g) => sum + Math.log(Math.min(g.lossRatio, 10)), 0) / n), // a diverged pick counts as 10x
    trainings: trainings / n,
  };
}

/** Seeds of the pool kept for the finder (no policy uses more); the truth is drawn from the others. */
const FINDER_SEEDS = 5;

/**
 * One policy over every case x range-test seed x draw, against a truth of `truthSeeds` of the pool's other seeds
 * (`rest`: all of them); each pick graded both ways.
 */
async function simulate(
  policy: Policy,
  cases: readonly CaseData[],
  pool: readonly SeededGrid[],
  truthSeeds: number | 'rest',
  draws: number,
): Promise<Record<Grading, SimScore>> {
  const graded: Record<Grading, Graded[]> = { exact: [], snapped: [] };
  let trainings = 0;
  for (const c of cases) {
    const grid = seededGridOf(pool, c)!.grid;
    const size = grid[0]!.losses.length;
    for (const rangeSeed of rangeSeeds(c)) {
      const { suggestion, bounds } = stageOne(c, rangeSeed);
      const s: Stage1 = { suggestion, bounds, rangeSeed };
      const rng: Rng = rngFor(1, 'refine-sim', c.task, c.optimizer, rangeSeed, truthSeeds);
      for (let d = 0; d < draws; d++) {
        // The finder's seeds and the truth's are disjoint: a truth the finder never trained on.
        const order = shuffleInPlace(
          Array.from({ length: size }, (_, i) => i),
          rng,
        );
        const finderSeeds = order.slice(0, FINDER_SEEDS);
        const truth = onSeeds(grid, order.slice(FINDER_SEEDS, truthSeeds === 'rest' ? size : FINDER_SEEDS + truthSeeds));
        const picked = await policy.pick(s, reader(grid, finderSeeds));
        const best = gridBest(truth);
        graded.exact.push(grade(truth, best, picked.lr));
        graded.snapped.push(grade(truth, best, snap(picked.lr)));
        trainings += picked.trainings;
      }
    }
  }
  return { exact: score(graded.exact, trainings), snapped: score(graded.snapped, trainings) };
}

/** A pick whose validation loss is more than this multiple of the best's is a bad miss. */
const BAD_MISS = 1.25;

async function main() {
  const { values } = parseArgs({
    options: {
      data: { type: 'string', default: DATA_FILE },
      truth: { type: 'string', default: GRID20_FILE },
      draws: { type: 'string', default: '200' },
    },
  });
  const cases = readCases(values.data);
  const pool = readSeededGrids(values.truth);
  const draws = Number(values.draws);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  console.log(
    `${cases.length} cases x ${rangeSeeds(cases[0]!).length} range-test seeds x ${draws} draws; population: ${pool[0]!.seeds.length} training seeds\n`,
  );
  console.log(
    '| policy | trainings (mean) | meets goal, truth 3 seeds (LR / loss) | truth 15 seeds | pick snapped to the grid, truth 3 seeds | snapped, truth 15 seeds | val loss over 1.25x the best, truth 15 seeds | mean val loss over the best (geometric), truth 15 seeds |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const p of POLICIES) {
    const three = await simulate(p, cases, pool, 3, draws);
    const rest = await simulate(p, cases, pool, 'rest', draws);
    const cells = GRADINGS.flatMap((g) => [three[g], rest[g]]).map((a) => `**${pct(a.goal)}** (${pct(a.lr)} / ${pct(a.loss)})`);
    console.log(
      `| ${p.name} | ${rest.exact.trainings.toFixed(1)} | ${cells.join(' | ')} | ${pct(rest.exact.bad)} | ${rest.exact.meanLoss.toFixed(3)} |`,
    );
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
