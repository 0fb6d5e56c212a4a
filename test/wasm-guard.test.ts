/**
 * src/tf/flat-kernels.ts uses private parts of tfjs-backend-wasm: package.json pins the version they were read
 * against, and loadTf refuses the wasm backend, with a way out, at any other version.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { isEvotuneError } from '../src/errors.js';
import { loadTf } from '../src/tf/backend.js';
import { WASM_VERSION_CHECKED, wasmInternalsProblem } from '../src/tf/flat-kernels.js';

// What a user gets after an upgrade: the real backend, reporting a newer version.
const installed = vi.hoisted(() => ({ version: '' }));
vi.mock('@tensorflow/tfjs-backend-wasm', async (importOriginal) => {
  const real = await importOriginal<typeof import('@tensorflow/tfjs-backend-wasm')>();
  installed.version = real.version_wasm;
  return {
    ...real,
    get version_wasm() {
      return installed.version;
    },
  };
});

describe('the wasm backend version guard', () => {
  it('package.json pins exactly the checked version, and it is the one installed', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(pkg.dependencies['@tensorflow/tfjs-backend-wasm']).toBe(WASM_VERSION_CHECKED);
    expect(pkg.dependencies['@tensorflow/tfjs']).toBe(WASM_VERSION_CHECKED);
    const wasmPkg = JSON.parse(readFileSync(new URL('../node_modules/@tensorflow/tfjs-backend-wasm/package.json', import.meta.url), 'utf8'));
    expect(wasmPkg.version).toBe(WASM_VERSION_CHECKED);
  });

  it('loads wasm at the checked version', async () => {
    const { tf, backend } = await loadTf({ backend: 'wasm' });
    expect(backend).toBe('wasm');
    expect(wasmInternalsProblem(WASM_VERSION_CHECKED, tf.backend())).toBeUndefined();
  });

  it('refuses wasm at another version with a usage error naming both versions and a way out; cpu still loads', async () => {
    installed.version = '4.23.0';
    try {
      const e = await loadTf({ backend: 'wasm' }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(isEvotuneError(e) && e.code === 'E_BACKEND' && e.kind === 'usage').toBe(true);
      expect((e as Error).message).toBe(
        `backend "wasm" is not available: @tensorflow/tfjs-backend-wasm 4.23.0 is installed, but evotune reaches into its private API, checked against ${WASM_VERSION_CHECKED} only`,
      );
      expect((e as { hint?: string }).hint).toBe(`install @tensorflow/tfjs-backend-wasm@${WASM_VERSION_CHECKED}, or use --backend cpu`);
      expect((await loadTf({ backend: 'auto' })).backend).toBe('cpu');
      expect((await loadTf({ backend: 'cpu' })).backend).toBe('cpu');
    } finally {
      installed.version = WASM_VERSION_CHECKED;
    }
  });

  it('names the private method a backend lacks', () => {
    expect(wasmInternalsProblem(WASM_VERSION_CHECKED, { makeOutput: () => undefined })).toBe(
      "its backend lacks typedArrayFromHeap, which evotune's wasm kernels call",
    );
  });
});
