import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { afterAll, describe, expect, it } from 'vitest';
import { transferList, type Checkpoint } from '../src/tasks/checkpoint.js';

const root = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'evotune-transfer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * How the pool hands checkpoints between threads without copies: main -> worker with `transferList` in run()'s
 * options; worker -> main by returning an object carrying Piscina's transferable symbols (what worker.ts would do
 * with the outcomes of its task, listing every outcome's checkpoint buffers, wrapped in Piscina.move).
 */
const workerSource = `
import { Piscina } from ${JSON.stringify(pathToFileURL(join(root, 'node_modules/piscina/dist/esm-wrapper.mjs')).href)};
import { transferList } from ${JSON.stringify(pathToFileURL(join(root, 'dist/src/tasks/checkpoint.js')).href)};
export default function ({ checkpoint }) {
  const next = { ...checkpoint, epoch: checkpoint.epoch + 1, weights: checkpoint.weights.map((w) => w + 1) };
  const outcome = { state: 'complete', value: 1, checkpoint: next };
  return Piscina.move({ [Piscina.transferableSymbol]: transferList(next), [Piscina.valueSymbol]: [outcome] });
}
`;

describe.skipIf(!existsSync(join(root, 'dist/src/tasks/checkpoint.js')))('checkpoints between Piscina workers', () => {
  it("go to a worker by transfer (the sender's arrays detach) and come back through Piscina.move", async () => {
    const file = join(dir, 'worker.mjs');
    writeFileSync(file, workerSource);
    const pool = new Piscina({ filename: file, maxThreads: 1, minThreads: 1 });
    try {
      const n = 1 << 20;
      const c: Checkpoint = {
        shapeKey: 'task=t;optimizer=adam;batch=1;weights=1048576',
        step: 4,
        epoch: 2,
        weights: Float32Array.from({ length: n }, (_, i) => i % 7),
        slots: [new Float32Array(n), new Float32Array(n).fill(2)],
        counters: { t: 4 },
      };
      const [back] = (await pool.run({ checkpoint: c }, { transferList: transferList(c) })) as [{ checkpoint: Checkpoint }];
      expect(c.weights.byteLength).toBe(0); // moved to the worker: the sender's arrays are detached
      expect(c.slots[1]!.byteLength).toBe(0);
      expect(back.checkpoint.epoch).toBe(3);
      expect(back.checkpoint.weights.length).toBe(n);
      expect(back.checkpoint.weights[13]).toBe((13 % 7) + 1);
      expect(back.checkpoint.slots[1]![5]).toBe(2);
    } finally {
      await pool.destroy();
    }
  });
});
