import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { isEvotuneError } from '../src/errors.js';
import { loadTf, tfjsNodeAvailable, type BackendChoice } from '../src/tf/backend.js';

const caught = async (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

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
      const x = tf.tensor4d(
        Array.from({ length: 2 * 5 * 5 * 2 }, (_, i) => Math.sin(i)),
        [2, 5, 5, 2],
      );
      const w = tf.tensor4d(
        Array.from({ length: 3 * 3 * 2 * 3 }, (_, i) => Math.cos(i)),
        [3, 3, 2, 3],
      );
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

describe('the tfjs-node path, with a stand-in for the addon (the real one cannot install here)', () => {
  it('auto picks it on the main thread with the thread cap set; a worker thread falls back to wasm or is told why', () => {
    const root = fileURLToPath(new URL('..', import.meta.url));
    const dir = mkdtempSync(join(tmpdir(), 'evotune-tfjs-node-'));
    try {
      // A copy of the compiled code next to a node_modules that has every real package plus the stand-in.
      cpSync(join(root, 'dist', 'src'), join(dir, 'dist', 'src'), { recursive: true });
      cpSync(join(root, 'src', 'tasks', 'data'), join(dir, 'src', 'tasks', 'data'), { recursive: true });
      mkdirSync(join(dir, 'node_modules', '@tensorflow', 'tfjs-node'), { recursive: true });
      for (const name of readdirSync(join(root, 'node_modules'))) {
        if (name !== '@tensorflow') symlinkSync(join(root, 'node_modules', name), join(dir, 'node_modules', name));
      }
      for (const name of readdirSync(join(root, 'node_modules', '@tensorflow'))) {
        // A real but unloadable tfjs-node (its install script could not fetch libtensorflow) gives way to the stand-in.
        if (name !== 'tfjs-node') symlinkSync(join(root, 'node_modules', '@tensorflow', name), join(dir, 'node_modules', '@tensorflow', name));
      }
      cpSync(join(root, 'test', 'fixtures', 'tfjs-node-stub.cjs'), join(dir, 'node_modules', '@tensorflow', 'tfjs-node', 'index.js'));
      writeFileSync(
        join(dir, 'node_modules', '@tensorflow', 'tfjs-node', 'package.json'),
        JSON.stringify({ name: '@tensorflow/tfjs-node', main: 'index.js' }),
      );
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
      cpSync(join(root, 'test', 'fixtures', 'tfjs-node-check.mjs'), join(dir, 'check.mjs'));
      const out = JSON.parse(execFileSync(process.execPath, [join(dir, 'check.mjs')], { encoding: 'utf8' }));
      expect(out.available).toBe(true);
      expect(out.backend).toBe('tensorflow');
      expect(out.threadsAtLoad).toBe('2');
      expect(Number.isFinite(out.loss)).toBe(true);
      expect(out.worker.auto).toBe('wasm');
      expect(out.worker.forced.code).toBe('E_BACKEND');
      expect(out.worker.forced.message).toMatch(/Module did not self-register/);
      expect(out.worker.forced.hint).toMatch(/one thread per process/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
