import { describe, expect, it } from 'vitest';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { isEvotuneError } from '../src/errors.js';
import { loadTf, tfjsNodeAvailable, type BackendChoice } from '../src/tf/backend.js';

const caught = async (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

describe('loadTf', () => {
  // tfjs-node cannot be installed on this machine (no libtensorflow download): these two check what a user sees then.
  const noNode = !tfjsNodeAvailable();

  it.runIf(noNode)('forcing tensorflow when tfjs-node is missing is a usage error naming the backend and a way out', async () => {
    const e = await caught(loadTf({ backend: 'tensorflow' }));
    expect(isEvotuneError(e) && e.code === 'E_BACKEND' && e.kind === 'usage').toBe(true);
    expect((e as Error).message).toMatch(/backend "tensorflow" is not available: @tensorflow\/tfjs-node could not be loaded/);
    expect((e as { hint?: string }).hint).toMatch(/--backend wasm/);
  });

  it.runIf(noNode)('auto falls back to wasm, single-threaded, and says so', async () => {
    const { tf, backend } = await loadTf({ backend: 'auto', threads: 1 });
    expect(backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(getThreadsCount()).toBe(1);
  });

  it('is idempotent and switches between the pure-JS backends on request', async () => {
    const a = await loadTf({ backend: 'cpu' });
    const b = await loadTf({ backend: 'cpu' });
    expect(a.tf).toBe(b.tf);
    expect(a.tf.getBackend()).toBe('cpu');
    const c = await loadTf({ backend: 'wasm' });
    expect(c.tf.getBackend()).toBe('wasm');
  });

  it('rejects an unknown backend name and a bad thread count', async () => {
    const e = await caught(loadTf({ backend: 'webgpu' as BackendChoice }));
    expect(isEvotuneError(e) && e.code === 'E_UNKNOWN_BACKEND').toBe(true);
    expect((e as Error).message).toMatch(/expected one of: auto, tensorflow, wasm, cpu/);
    const t = await caught(loadTf({ backend: 'wasm', threads: 0 }));
    expect((t as Error).message).toMatch(/threads: expected a whole number >= 1, got 0/);
  });

  it('trains a conv net on wasm: its missing filter-gradient kernel is supplied and matches cpu', async () => {
    const grad = async (backend: 'cpu' | 'wasm') => {
      const { tf } = await loadTf({ backend });
      const x = tf.tensor4d(Array.from({ length: 2 * 5 * 5 * 2 }, (_, i) => Math.sin(i)), [2, 5, 5, 2]);
      const w = tf.tensor4d(Array.from({ length: 3 * 3 * 2 * 3 }, (_, i) => Math.cos(i)), [3, 3, 2, 3]);
      const g = tf.grad((f) => tf.sum(tf.square(tf.conv2d(x, f as never, 1, 'same'))))(w);
      const out = Array.from(await g.data());
      tf.dispose([x, w, g]);
      return out;
    };
    const cpu = await grad('cpu');
    const wasm = await grad('wasm');
    wasm.forEach((v, i) => expect(v).toBeCloseTo(cpu[i]!, 3));
  });
});
