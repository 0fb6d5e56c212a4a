/**
 * Loads TensorFlow.js with the backend a run asks for, once per thread.
 *
 * - 'tensorflow' is tfjs-node (libtensorflow, multi-threaded). Its native addon can be loaded by one thread of a
 *   process only (a second thread gets "Module did not self-register"), so 'auto' picks it only on the main thread
 *   (which covers child processes); evaluations with it run in-thread or in child processes, never in a pool of
 *   worker threads.
 * - 'wasm' is always the single-threaded SIMD build: a pool gets its parallelism from one backend per worker.
 *   (tfjs-backend-wasm 4.22 never picks its threaded build under Node, and that build could not start its pthreads
 *   there anyway: they are Workers on blob: URLs. We pin the flag so that a future version cannot silently start
 *   threads inside each pool worker and oversubscribe the cores.)
 * - 'cpu' is plain JavaScript, always there.
 */
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { isMainThread } from 'node:worker_threads';
import { describe, errors } from '../errors.js';
import type { TF } from '../tasks/types.js';
import { registerWasmFlatKernels, WASM_VERSION_CHECKED, wasmInternalsProblem } from './flat-kernels.js';
import { registerWasmConv2DFilterGrad } from './wasm-kernels.js';

export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

export interface LoadedTf {
  readonly tf: TF;
  /** As tf.getBackend() reports it: 'tensorflow', 'wasm' or 'cpu'. */
  readonly backend: string;
}

const TFJS_NODE = '@tensorflow/tfjs-node';
const require = createRequire(import.meta.url);

let nodeAvailable: boolean | undefined;

/**
 * Whether tfjs-node is installed and its native addon loads, checked in a child process so that this thread (and
 * so every worker it may start) stays free to load it later, or not at all. Cached per process.
 */
export function tfjsNodeAvailable(): boolean {
  if (nodeAvailable === undefined) {
    let resolved = true;
    try {
      require.resolve(TFJS_NODE);
    } catch {
      resolved = false;
    }
    nodeAvailable =
      resolved &&
      spawnSync(process.execPath, ['-e', `require(${JSON.stringify(require.resolve(TFJS_NODE))})`], {
        stdio: 'ignore',
        timeout: 60_000,
      }).status === 0;
  }
  return nodeAvailable;
}

let pure: Promise<TF> | undefined;
let node: Promise<TF> | undefined;
const ready = new Map<string, Promise<void>>();

/**
 * Settings for a thread that trains model after model: prod mode (no per-op debug checks), and a small cache of
 * tfjs-layers' graph sorts. That cache keeps the last 100 graphs by tensor names; every trial's model has new
 * names, so it would hold on to 100 dead models (measured: the heap grew 1 MB every 50 trials until then). The
 * model in training needs two entries (training and inference calls).
 */
function configure(tf: TF): TF {
  tf.enableProdMode();
  tf.env().set('TOPOLOGICAL_SORT_CACHE_MAX_ENTRIES', 4);
  return tf;
}

/** @tensorflow/tfjs with the wasm backend registered, its flags pinned and its missing kernels added. */
function loadPure(): Promise<TF> {
  pure ??= (async () => {
    const tf = (await import('@tensorflow/tfjs')) as TF;
    await import('@tensorflow/tfjs-backend-wasm');
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    registerWasmConv2DFilterGrad(tf);
    registerWasmFlatKernels(tf);
    return configure(tf);
  })();
  return pure;
}

/** tfjs-node's namespace (a superset of tfjs); `threads` caps libtensorflow's thread pools if given. */
function loadNode(threads: number | undefined): Promise<TF> {
  node ??= (async () => {
    if (threads !== undefined) {
      // Read by libtensorflow when its first session starts; setting them later has no effect.
      process.env.TF_NUM_INTRAOP_THREADS ??= String(threads);
      process.env.TF_NUM_INTEROP_THREADS ??= '1';
    }
    // tfjs-node is CommonJS: its module.exports (the `default` of the namespace) is the whole API, whichever
    // named exports Node's static analysis manages to find.
    const mod = (await import(TFJS_NODE)) as { default?: TF };
    return configure(mod.default ?? (mod as unknown as TF));
  })();
  return node;
}

async function activate(tf: TF, name: string): Promise<void> {
  let p = ready.get(name);
  if (!p) {
    p = (async () => {
      if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') failed`);
      await tf.ready();
    })();
    ready.set(name, p);
  }
  await p;
  if (tf.getBackend() !== name) await tf.setBackend(name);
}

async function loadForced(choice: Exclude<BackendChoice, 'auto'>, threads: number | undefined): Promise<LoadedTf> {
  if (choice === 'tensorflow') {
    let tf: TF;
    try {
      tf = await loadNode(threads);
    } catch (e) {
      node = undefined;
      throw errors.backendUnavailable(
        'tensorflow',
        `@tensorflow/tfjs-node could not be loaded (${describe(e).split('\n')[0]})`,
        isMainThread
          ? 'install @tensorflow/tfjs-node (it needs libtensorflow), or use --backend wasm'
          : 'tfjs-node loads in one thread per process: run its evaluations in-thread or in child processes, or use --backend wasm',
      );
    }
    await activate(tf, 'tensorflow');
    return { tf, backend: 'tensorflow' };
  }
  const tf = await loadPure();
  try {
    await activate(tf, choice);
  } catch (e) {
    ready.delete(choice);
    throw errors.backendUnavailable(choice, describe(e).split('\n')[0]!, choice === 'wasm' ? 'use --backend cpu' : undefined);
  }
  if (choice === 'wasm') {
    const problem = wasmInternalsProblem((await import('@tensorflow/tfjs-backend-wasm')).version_wasm, tf.backend());
    const hint = `install @tensorflow/tfjs-backend-wasm@${WASM_VERSION_CHECKED}, or use --backend cpu`;
    if (problem) throw errors.backendUnavailable('wasm', problem, hint);
  }
  return { tf, backend: choice };
}

/**
 * TensorFlow.js with the chosen backend active. 'auto' = tfjs-node on the main thread if it loads, else wasm, else
 * cpu. A forced backend that cannot load is a usage error naming it. Idempotent per thread.
 */
export async function loadTf(opts: { backend: BackendChoice; threads?: number }): Promise<LoadedTf> {
  const { backend, threads } = opts;
  if (!BACKEND_CHOICES.includes(backend)) throw errors.unknownBackend(String(backend), BACKEND_CHOICES);
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
    throw errors.option('threads', 'a whole number >= 1', threads);
  }
  if (backend !== 'auto') return loadForced(backend, threads);
  const order: Array<Exclude<BackendChoice, 'auto'>> = isMainThread && tfjsNodeAvailable() ? ['tensorflow', 'wasm', 'cpu'] : ['wasm', 'cpu'];
  let last: unknown;
  for (const choice of order) {
    try {
      return await loadForced(choice, threads);
    } catch (e) {
      last = e;
    }
  }
  throw last;
}
