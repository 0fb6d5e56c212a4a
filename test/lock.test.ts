/**
 * The run folder's lock (src/journal/lock.ts): one process at a time writes a run. A live holder refuses others, a
 * dead one's lock is taken over with a warning, and the lock file is never visible half-written (a second process
 * would read it as a lock torn by a crash and take it over while its holder still writes the run).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_FILE, lockRunFolder } from '../src/journal/lock.js';

const base = mkdtempSync(join(tmpdir(), 'evotune-lock-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let n = 0;
const folder = () => {
  const dir = join(base, `run${n++}`);
  mkdirSync(dir);
  return dir;
};

/** A process of this host that has ended: its PID is free (or reused by something else, which the lock cannot tell). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => child.on('close', r));
  return child.pid!;
}

describe('run folder lock', () => {
  it('refuses a second holder while the first is live, naming its PID; free again once released', () => {
    const dir = folder();
    const first = lockRunFolder(dir, () => {});
    const other = { pid: process.ppid, host: hostname(), startedAt: '2026-01-01T00:00:00.000Z' };
    // The same process is live by definition; a lock of another live process (our parent) is refused too.
    expect(() => lockRunFolder(dir, () => {})).toThrow(`is in use by process ${process.pid}`);
    first.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify(other));
    expect(() => lockRunFolder(dir, () => {})).toThrow(new RegExp(`run folder .* is in use by process ${process.ppid} \\(since 2026`));
  });

  it('takes over the lock of a process that is gone, with a warning naming it', async () => {
    const dir = folder();
    const pid = await deadPid();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid, host: hostname(), startedAt: '2026-01-01T00:00:00.000Z' }));
    const warnings: string[] = [];
    const lock = lockRunFolder(dir, (w) => warnings.push(w));
    expect(warnings).toEqual([`${dir}: took over the lock of process ${pid} on ${hostname()} (started 2026-01-01T00:00:00.000Z), which is gone`]);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  // A loaded machine may give the two processes little CPU: the time limit is generous (no time is asserted).
  it('the lock file is never seen empty or half-written while another process takes and releases it', { timeout: 180_000 }, async () => {
    const dir = folder();
    const done = join(base, 'done');
    const lockModule = new URL('../dist/src/journal/lock.js', import.meta.url).href;
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { lockRunFolder } from ${JSON.stringify(lockModule)}; import { writeFileSync } from 'node:fs';
         for (let i = 0; i < 1000; i++) lockRunFolder(${JSON.stringify(dir)}, () => {}).release();
         writeFileSync(${JSON.stringify(done)}, '');`,
      ],
      { stdio: 'inherit' },
    );
    const seen = { whole: 0, torn: [] as string[] };
    const t0 = Date.now();
    // Reads as fast as it can (a second process's check), until the child has locked and released 1000 times.
    while (!existsSync(done) && Date.now() - t0 < 150_000) {
      let text: string;
      try {
        text = readFileSync(join(dir, LOCK_FILE), 'utf8');
      } catch {
        continue; // not held at this instant
      }
      try {
        JSON.parse(text);
        seen.whole++;
      } catch {
        seen.torn.push(text);
      }
    }
    await new Promise((r) => child.on('close', r));
    expect(existsSync(done)).toBe(true);
    expect(seen.torn.length, `reads that saw a lock file half-written, e.g. ${JSON.stringify(seen.torn[0])}`).toBe(0);
    expect(seen.whole).toBeGreaterThan(0); // the reader did see the lock held: the check had a chance to fail
  });
});
