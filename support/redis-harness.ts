/**
 * A throwaway redis-server on a free loopback port in a temp folder, and `evotune worker` child processes, for the
 * Redis tests and the queue benchmark. Nothing here is left running: stop() kills what start() spawned.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compiledSibling } from '../src/util/compiled.js';

/** The redis-server binary on PATH, or undefined (the Redis tests are then skipped). */
export const redisServerBinary: string | undefined = (process.env.PATH ?? '')
  .split(delimiter)
  .map((dir) => join(dir, 'redis-server'))
  .find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });

/** The built CLI that worker processes run (build first: npx tsc -p tsconfig.json). */
export const CLI = fileURLToPath(compiledSibling(import.meta.url, '../bin/evotune.js'));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  readonly port: number;
  /** redis://[:password@]127.0.0.1:port */
  readonly url: string;
  /** Kills the server and starts an empty one on the same port (no persistence: everything is lost). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts redis-server on 127.0.0.1 only, without persistence, with `password` if given. */
export async function startRedis(opts: { password?: string } = {}): Promise<RedisServer> {
  if (!redisServerBinary) throw new Error('no redis-server on PATH');
  const bin = redisServerBinary;
  const dir = mkdtempSync(join(tmpdir(), 'evotune-redis-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no'];
  if (opts.password !== undefined) args.push('--requirepass', opts.password);
  let proc: ChildProcess;

  const launch = () =>
    new Promise<void>((resolve, reject) => {
      proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), 10_000);
      proc.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (/Ready to accept connections/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${out}`));
      });
    });

  const kill = () =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });

  await launch();
  const auth = opts.password === undefined ? '' : `:${encodeURIComponent(opts.password)}@`;
  return {
    port,
    url: `redis://${auth}127.0.0.1:${port}`,
    restart: async () => {
      await kill();
      await launch();
    },
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface WorkerProcess {
  readonly pid: number;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the first match of `pattern` in its output, now or later. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  kill(signal: NodeJS.Signals): void;
  /** Resolves with the exit code (or signal) once it exited. */
  readonly exited: Promise<number | NodeJS.Signals>;
}

/** Starts `evotune worker --redis url ...args` from dist/. */
export function startWorker(url: string, args: readonly string[] = []): WorkerProcess {
  const proc = spawn(process.execPath, [CLI, 'worker', '--redis', url, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    for (const l of listeners) l();
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exited = new Promise<number | NodeJS.Signals>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal!)));
  return {
    pid: proc.pid!,
    output: () => out,
    exited,
    kill: (signal) => void proc.kill(signal),
    waitFor: (pattern, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(pattern);
          if (!m) return;
          cleanup();
          resolve(m);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`worker ${proc.pid} never printed ${pattern}; it printed:\n${out}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      }),
  };
}
