import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_FUNCTIONS } from '../src/bench/functions.js';
import { problem, specOf, VARIANTS } from '../src/bench/problems.js';
import { rngFor } from '../src/util/rng.js';

const dot = (a: readonly number[], b: readonly number[]) => a.reduce((s, v, i) => s + v * b[i]!, 0);

describe('test problems', () => {
  it('puts the minimum 0 at the shift, off-centre and different per coordinate, for every function and variant', () => {
    for (const fn of ALL_FUNCTIONS) {
      for (const v of VARIANTS) {
        const p = problem(fn, v, 10);
        expect(Math.abs(p.f(p.shift)), `${fn.name} ${v}`).toBeLessThan(1e-9);
        const nearby = p.shift.map((x, i) => x + (i % 2 ? 1 : -1) * 1e-3 * (fn.high - fn.low));
        expect(p.f(nearby), `${fn.name} ${v}`).toBeGreaterThan(p.f(p.shift));
        if (v === 'shifted' || v === 'shifted+rotated') {
          const centre = (fn.low + fn.high) / 2;
          expect(new Set(p.shift).size).toBe(10);
          expect(p.shift.every((x) => Math.abs(x - centre) <= 0.4 * (fn.high - fn.low))).toBe(true);
        }
      }
    }
  });

  it('turns with a fixed orthogonal matrix: the same problem every time, and distances kept', () => {
    const p = problem(ALL_FUNCTIONS[0]!, 'shifted+rotated', 20);
    expect(specOf(problem(ALL_FUNCTIONS[0]!, 'shifted+rotated', 20))).toEqual(specOf(p));
    p.rotation.forEach((row, i) => p.rotation.forEach((other, j) => expect(dot(row, other)).toBeCloseTo(i === j ? 1 : 0, 12)));
    // Not the identity: a unit step along the stiffest axis costs 1e6 on the plain ellipsoid, far less once turned.
    const e = problem(ALL_FUNCTIONS.find((f) => f.name === 'ellipsoid')!, 'rotated', 20);
    const x = e.shift.map((s, i) => s + (i === 19 ? 1 : 0));
    expect(e.f(x)).toBeLessThan(5e5); // unturned: exactly 1e6;
  });

  const python = '/usr/bin/python3';
  const numpy = existsSync(python) && spawnSync(python, ['-c', 'import numpy']).status === 0;
  it.skipIf(!numpy)('gives the same values as the Python anchors on the same specs (benchmarks/anchors/problems.py)', () => {
    const probs = ALL_FUNCTIONS.flatMap((fn) => [problem(fn, 'shifted+rotated', 10), problem(fn, 'plain', 3)]);
    const rng = rngFor(7, 'points');
    const points = probs.map((p) => Array.from({ length: 5 }, () => Array.from({ length: p.dim }, () => p.low + rng() * (p.high - p.low) * 1.2)));
    const dir = mkdtempSync(join(tmpdir(), 'evotune-problems-'));
    try {
      writeFileSync(join(dir, 'specs.json'), JSON.stringify(probs.map(specOf)));
      writeFileSync(join(dir, 'points.json'), JSON.stringify(points));
      const r = spawnSync(python, ['benchmarks/anchors/problems.py', join(dir, 'specs.json'), '--check', join(dir, 'points.json')], {
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      const theirs = JSON.parse(r.stdout) as number[][];
      probs.forEach((p, i) =>
        points[i]!.forEach((x, k) =>
          expect(Math.abs(theirs[i]![k]! - p.f(x)), `${p.fn} ${p.variant}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(p.f(x)))),
        ),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
