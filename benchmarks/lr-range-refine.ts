// Scratch simulation of refine variants (not shipped): reads both data files, reports goal counts.
import { readFileSync } from 'node:fs';
import { gridBest, interpolatedLoss, type CaseData } from './lr-range-data.js';
import type { RefineCase } from './lr-range-refine-collect.js';

const cases = JSON.parse(readFileSync('/work/main/benchmarks/results/lr-range-data.json', 'utf8')) as CaseData[];
const truthFile = process.env.TRUTH;
if (truthFile) {
  const t = JSON.parse(readFileSync(truthFile, 'utf8')) as Array<{ task: string; optimizer: string; grid: CaseData['grid'] }>;
  for (const c of cases) (c as { grid: CaseData['grid'] }).grid = t.find((x) => x.task === c.task && x.optimizer === c.optimizer)!.grid;
}
const refine = JSON.parse(readFileSync('/work/main/benchmarks/results/lr-range-refine-data.json', 'utf8')) as RefineCase[];

type Select = 'raw' | 'smooth' | 'parabola' | 'smooth-parabola' | 'median3';
interface V { agg?: 'arith'; probes: number; reps: number; select: Select; fine: boolean; extend: number; divAs: 'inf' | 'worst'; center?: boolean; spacing?: number }

function run(v: V, c: CaseData, s: RefineCase['seeds'][number]) {
  const look = (lr: number, k: number) => {
    let best = s.probes[0]!;
    for (const p of s.probes) if (Math.abs(Math.log(p.lr / lr)) < Math.abs(Math.log(best.lr / lr))) best = p;
    if (Math.abs(Math.log10(best.lr / lr)) > 1 / 16 + 1e-9) throw new Error(`no data at ${lr} (${c.task}/${c.optimizer}/${s.rangeSeed})`);
    const l = best.losses[k];
    return l === null || l === undefined || !Number.isFinite(l) ? Infinity : l;
  };
  const has = (lr: number) => lr >= s.probes[0]!.lr / 10 ** (1 / 16) && lr <= s.probes[s.probes.length - 1]!.lr * 10 ** (1 / 16);
  let evals = 0;
  const score = (lr: number) => {
    evals += v.reps;
    const ls = Array.from({ length: v.reps }, (_, k) => look(lr, k));
    if (ls.some((l) => !Number.isFinite(l))) return Infinity;
    return v.agg === 'arith' ? Math.log(ls.reduce((a, b) => a + b, 0) / ls.length) : ls.reduce((a, b) => a + Math.log(b), 0) / ls.length;
  };
  const [lo, hi] = s.bounds;
  let lrs: number[];
  if (v.center) {
    const d = v.spacing!;
    const half = (v.probes - 1) / 2;
    lrs = Array.from({ length: v.probes }, (_, i) => s.suggestion * 10 ** ((i - half) * d)).filter((lr) => lr >= lo / 1.01 && lr <= hi * 1.01);
  } else lrs = Array.from({ length: v.probes }, (_, i) => lo * (hi / lo) ** (i / (v.probes - 1)));
  const ratio = v.center ? 10 ** v.spacing! : (hi / lo) ** (1 / (v.probes - 1));
  let ys = lrs.map(score);
  // extend past an edge while the best sits on it
  for (let e = 0; e < v.extend; e++) {
    const i = argmin(fill(ys, v.divAs));
    if (i === ys.length - 1 && has(lrs[i]! * ratio)) {
      lrs.push(lrs[i]! * ratio);
      ys.push(score(lrs[lrs.length - 1]!));
    } else if (i === 0 && has(lrs[0]! / ratio)) {
      lrs.unshift(lrs[0]! / ratio);
      ys.unshift(score(lrs[0]!));
    } else break;
  }
  const f = fill(ys, v.divAs);
  const sm = smooth(f);
  let pick: number;
  const useS = v.select === 'smooth' || v.select === 'smooth-parabola' ? sm : v.select === 'median3' ? med3(f) : f;
  const i = argmin(useS);
  pick = lrs[i]!;
  if ((v.select === 'parabola' || v.select === 'smooth-parabola') && i > 0 && i < lrs.length - 1) {
    const [a, b, cc] = [useS[i - 1]!, useS[i]!, useS[i + 1]!];
    const den = a - 2 * b + cc;
    if (Number.isFinite(den) && den > 0) {
      const off = Math.max(-0.5, Math.min(0.5, (0.5 * (a - cc)) / den));
      pick = lrs[i]! * ratio ** off;
    }
  }
  if (v.fine) {
    const cand = [pick / Math.sqrt(ratio), pick * Math.sqrt(ratio)].filter(has);
    const center = ys[i]!; // raw mean at center (approx if parabola moved it)
    const cs = cand.map(score);
    const all = [center, ...cs];
    const j = argmin(all);
    pick = j === 0 ? pick : cand[j - 1]!;
  }
  const best = gridBest(c.grid);
  return { suggestion: pick, ratio: pick / best.lr, loss: interpolatedLoss(c.grid, pick) / best.loss, evals };
}

const argmin = (xs: number[]) => xs.reduce((b, x, i) => (x < xs[b]! ? i : b), 0);
function fill(ys: number[], how: 'inf' | 'worst') {
  if (how === 'inf') return ys;
  const w = Math.max(...ys.filter(Number.isFinite));
  return ys.map((y) => (Number.isFinite(y) ? y : w + Math.log(2)));
}
function smooth(ys: number[]) {
  return ys.map((y, i) => {
    const a = ys[i - 1];
    const b = ys[i + 1];
    if (a === undefined && b === undefined) return y;
    if (a === undefined) return (2 * y + b!) / 3;
    if (b === undefined) return (2 * y + a) / 3;
    return (a + 2 * y + b) / 4;
  });
}
function med3(ys: number[]) {
  return ys.map((y, i) => {
    const w = [ys[i - 1], y, ys[i + 1]].filter((x): x is number => x !== undefined).sort((p, q) => p - q);
    return w.length === 3 ? w[1]! : (w[0]! + w[1]!) / 2;
  });
}

const variants: V[] = [];
for (const probes of [5, 6, 7, 9, 11])
  for (const reps of [1, 2])
    for (const select of ['raw', 'smooth', 'parabola', 'smooth-parabola', 'median3'] as Select[])
      for (const fine of [false, true]) for (const extend of [0, 2]) for (const divAs of ['inf', 'worst'] as const) variants.push({ probes, reps, select, fine, extend, divAs });
for (const probes of [5, 7, 9]) for (const spacing of [0.125, 0.25]) for (const reps of [1, 2]) for (const select of ['raw', 'smooth', 'smooth-parabola'] as Select[]) for (const fine of [false, true]) variants.push({ probes, reps, select, fine, extend: 2, divAs: 'worst', center: true, spacing });

for (const v of [...variants]) if (v.reps === 2) variants.push({ ...v, agg: 'arith' });
const only = process.argv[2];
const rows = [];
for (const v of variants) {
  let goal = 0, w2 = 0, loss5 = 0, n = 0, evals = 0;
  const lossRatios: number[] = [];
  const per: string[] = [];
  for (const rc of refine) {
    const c = cases.find((x) => x.task === rc.task && x.optimizer === rc.optimizer)!;
    let g = 0;
    for (const s of rc.seeds) {
      const r = run(v, c, s);
      n++;
      evals += r.evals;
      const ok = r.ratio <= 1.5 && r.ratio >= 1 / 1.5 && r.loss <= 1.05;
      if (ok) { goal++; g++; }
      if (r.ratio <= 2 && r.ratio >= 0.5) w2++;
      if (r.loss <= 1.05) loss5++;
      lossRatios.push(r.loss);
    }
    per.push(`${rc.task}/${rc.optimizer}:${g}`);
  }
  lossRatios.sort((a, b) => a - b);
  const gm = Math.exp(lossRatios.reduce((a, b) => a + Math.log(b), 0) / lossRatios.length);
  rows.push({ name: JSON.stringify(v), goal, w2, loss5, n, evals: evals / n, per: per.join(' '), med: lossRatios[Math.floor(lossRatios.length / 2)]!, gm, worst: lossRatios[lossRatios.length - 1]! });
}
const key = process.argv[3] ?? 'goal';
rows.sort((a, b) => (key === 'gm' ? a.gm - b.gm : b.goal - a.goal) || a.evals - b.evals);
for (const r of rows.slice(0, Number(only ?? 40))) console.log(`${r.goal}/${r.n} w2 ${r.w2} loss5 ${r.loss5} med ${r.med.toFixed(3)} gm ${r.gm.toFixed(3)} worst ${r.worst.toFixed(2)} evals ${r.evals.toFixed(1)} ${r.name}`);
