import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate, PROBLEMS, writeSpec } from '../benchmarks/multi-objective.js';
import { randomRotation } from '../src/bench/problems.js';
import { rngFor } from '../src/util/rng.js';

describe('multi-objective benchmark problems', () => {
  const rotated = PROBLEMS.find((p) => p.rotation)!;
  const plain = PROBLEMS.find((p) => p.kind === 'dtlz2' && !p.rotation)!;

  it('turns DTLZ2 by the shared test-function rotation and keeps its optimum', () => {
    expect(rotated.rotation).toEqual(randomRotation(10, 17, 'dtlz2'));
    // On the optimum (distance variables 0.5) both give the same point of the unit sphere; off it they differ.
    const onFront = [0.3, 0.7, ...new Array<number>(10).fill(0.5)];
    expect(evaluate(rotated, onFront)).toEqual(evaluate(plain, onFront));
    expect(Math.hypot(...evaluate(rotated, onFront))).toBeCloseTo(1, 12);
    const off = [0.3, 0.7, 0.9, ...new Array<number>(9).fill(0.5)];
    expect(evaluate(rotated, off)).not.toEqual(evaluate(plain, off));
  });

  const python = '/usr/bin/python3';
  it.skipIf(!existsSync(python))('gives the same values as the Python anchors read from the spec file (benchmarks/anchors/mo_problems.py)', () => {
    const rng = rngFor(3, 'mo-points');
    const points = PROBLEMS.map((p) => Array.from({ length: 5 }, () => Array.from({ length: p.variables }, () => rng())));
    const spec = writeSpec(PROBLEMS, 100, 1);
    const file = join(dirname(spec), 'points.json');
    writeFileSync(file, JSON.stringify(points));
    const r = spawnSync(python, ['benchmarks/anchors/mo_problems.py', spec, '--check', file], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const theirs = JSON.parse(r.stdout) as number[][][];
    PROBLEMS.forEach((p, i) =>
      points[i]!.forEach((x, k) => evaluate(p, x).forEach((v, m) => expect(Math.abs(theirs[i]![k]![m]! - v), p.name).toBeLessThan(1e-12))),
    );
  });
});
