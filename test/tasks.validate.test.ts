import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../src/index.js';
import { resolveTask } from '../src/tasks/registry.js';
import { runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'evotune-task-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A task module whose data(seed) returns the tiny fixture's shapes with `change` applied: `change` is JavaScript
 * run on `d` (n = 8 training rows, 4 validation rows, 2 features, 2 classes, valid one-hot targets).
 */
function taskModule(name: string, change: string, kind = 'classification'): string {
  const path = join(dir, `${name}.mjs`);
  writeFileSync(
    path,
    `const oneHot = (n) => { const y = new Float32Array(n * 2); for (let i = 0; i < n; i++) y[2 * i + (i % 2)] = 1; return y; };
export default {
  name: '${name}', description: 'bad data', kind: '${kind}',
  space: { lr: { type: 'float', low: 1e-3, high: 1, log: true } }, defaults: { lr: 0.05, epochs: 1 },
  data(seed) {
    const d = { xTrain: new Float32Array(16), yTrain: oneHot(8), xVal: new Float32Array(8), yVal: oneHot(4), inputShape: [2], targetSize: 2, nTrain: 8, nVal: 4 };
    ${change};
    return d;
  },
  build() { throw new Error('never built: the data are refused first'); },
};\n`,
  );
  return path;
}

const CASES: ReadonlyArray<readonly [string, string, RegExp]> = [
  [
    'labels as class indices instead of one-hot rows',
    'd.yTrain = new Float32Array([0, 1, 0, 1, 0, 1, 0, 1])',
    /field "yTrain": expected nTrain x targetSize = 8 x 2 = 16 numbers, got 8 \(one number per row: class indices\? classification needs one-hot rows of targetSize numbers\)$/,
  ],
  [
    'a feature matrix of the wrong size',
    'd.xTrain = new Float32Array(12)',
    /field "xTrain": expected nTrain x prod\(inputShape\) = 8 x 2 = 16 numbers \(inputShape \[2\]\), got 12$/,
  ],
  [
    'validation rows that are not one-hot',
    'd.yVal[0] = 0.5',
    /field "yVal": expected one-hot rows \(2 numbers, a single 1, the rest 0\), got row 0 = \[0\.5, 0\]$/,
  ],
  ['a plain array instead of a Float32Array', 'd.xVal = Array.from(d.xVal)', /field "xVal": expected a Float32Array, got an array$/],
  ['a missing field', 'delete d.nVal', /field "nVal": expected a number of rows, a whole number >= 1, got nothing$/],
  ['an inputShape that is not a shape', 'd.inputShape = 2', /field "inputShape": expected the shape of one example, .*got 2$/],
  ['NaN among the features', 'd.xTrain[5] = NaN', /field "xTrain": expected finite numbers, got NaN at index 5 \(row 2\)$/],
  ['data() that throws', 'throw new Error("no such file: data.csv")', /failed: no such file: data\.csv$/],
];

describe('task data are checked when the task loads', () => {
  it.each(CASES)('%s: one line naming the field, exit 2, in search and lr-find alike', async (_what, change, line) => {
    const path = taskModule(`t${CASES.findIndex((c) => c[1] === change)}`, change);
    for (const args of [
      ['search', '--task', path, '--budget', '2', '--workers', '1', '--out', join(dir, 'run')],
      ['lr-find', '--task', path, '--json'],
    ]) {
      const r = await runCli(args);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines[0], args[0]).toMatch(new RegExp(`^evotune: task module \\S+\\.mjs: data\\(0\\):? ${line.source}`));
      expect(r.code, args[0]).toBe(2);
      expect(r.stdout).toBe('');
    }
  });

  it('regression targets need not be one-hot, but must have targetSize numbers per row', async () => {
    await expect(
      resolveTask(taskModule('reg-ok', 'd.targetSize = 1; d.yTrain = new Float32Array(8).fill(0.3); d.yVal = new Float32Array(4)', 'regression')),
    ).resolves.toBeDefined();
    await expect(resolveTask(taskModule('reg-bad', 'd.targetSize = 1', 'regression'))).rejects.toThrow(
      /field "yTrain": expected nTrain x targetSize = 8 x 1 = 8 numbers, got 16$/,
    );
  });

  it('a valid module loads, and one that uses evotune/random gets the same data from the same seed', async () => {
    const path = fileURLToPath(new URL('./fixtures/seeded-task.mjs', import.meta.url));
    const task = await resolveTask(path);
    const a = await task.data(3);
    const b = await task.data(3);
    const c = await task.data(4);
    expect(a.xTrain).toEqual(b.xTrain);
    expect(a.xTrain).not.toEqual(c.xTrain);
  });
});

describe('seededRandom', () => {
  it('is a pure function of (seed, labels): uniform numbers, whole numbers, normals and shuffles', () => {
    const draw = (seed: number, label: string) => {
      const r = seededRandom(seed, label);
      return [r(), r(), r.int(10), r.normal(), ...r.shuffle([1, 2, 3, 4, 5, 6])];
    };
    expect(draw(1, 'a')).toEqual(draw(1, 'a'));
    expect(draw(1, 'a')).not.toEqual(draw(2, 'a'));
    expect(draw(1, 'a')).not.toEqual(draw(1, 'b'));
    const r = seededRandom(7);
    const xs = Array.from({ length: 2000 }, () => r());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(Math.abs(xs.reduce((a, b) => a + b, 0) / xs.length - 0.5)).toBeLessThan(0.03);
    expect([...seededRandom(1).shuffle([1, 2, 3, 4, 5])].sort()).toEqual([1, 2, 3, 4, 5]);
  });
});
