import { linkSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { errors } from '../errors.js';
import { pathProblem } from './writer.js';

/** The lock file of a run folder: present while a process writes the run. */
export const LOCK_FILE = 'lock';
/** Held only for the few microseconds of taking over a stale lock, so that two processes cannot both take it. */
const TAKEOVER_FILE = 'lock.takeover';

interface LockInfo {
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
}

/** A held run-folder lock. release() is idempotent, and also runs when the process exits (process.exit, a 2nd Ctrl-C). */
export interface RunLock {
  readonly file: string;
  release(): void;
}

/**
 * Takes the exclusive lock of a run folder before anything writes to it, so that one process at a time writes a
 * run: a second search on the same folder (a resume of a run that is still going) is refused with a usage error
 * naming the holder. A lock left by a process of this host that is gone (SIGKILL, a crash) is taken over, with a
 * warning; a lock from another host cannot be checked and is refused (the hint says how to clear it).
 */
export function lockRunFolder(dir: string, warn: (message: string) => void): RunLock {
  const file = join(dir, LOCK_FILE);
  const mine: LockInfo = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  if (!tryCreate(dir, file, mine)) {
    const held = readLock(file);
    if (held && isLive(held)) throw heldBy(dir, held);
    takeOver(dir, file, held, mine);
    warn(
      `${dir}: took over the lock of process ${held ? `${held.pid} on ${held.host} (started ${held.startedAt})` : '(unreadable lock file)'}, which is gone`,
    );
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    try {
      // Only our own lock: never one a later process took over.
      if (readLock(file)?.pid === mine.pid) unlinkSync(file);
    } catch {
      // already gone
    }
  };
  process.on('exit', release);
  return { file, release };
}

/**
 * Creates the lock file exclusively, whole: written to a file of its own, then linked into place (link fails if the
 * name exists). Opening the lock file itself and then writing would leave a moment when it is empty, which a second
 * process reads as a lock torn by a crash, takes over, and then both processes write the run. False if one exists.
 */
function tryCreate(dir: string, file: string, info: LockInfo): boolean {
  const draft = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  try {
    writeFileSync(draft, `${JSON.stringify(info)}\n`, { flag: 'wx' });
  } catch (e) {
    rmSync(draft, { force: true });
    throw errors.runFolder(dir, `cannot create its lock file: ${pathProblem(file, e)}`);
  }
  try {
    linkSync(draft, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw errors.runFolder(dir, `cannot create its lock file: ${pathProblem(file, e)}`);
  } finally {
    rmSync(draft, { force: true });
  }
}

function readLock(file: string): LockInfo | undefined {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockInfo>;
    if (Number.isSafeInteger(v.pid) && typeof v.host === 'string' && typeof v.startedAt === 'string') return v as LockInfo;
  } catch {
    // missing, torn (a process killed between creating and writing it) or not ours: treated as stale below
  }
  return undefined;
}

/** Whether the lock's process may still be running. A process on another host cannot be checked: assume it is. */
function isLive(info: LockInfo): boolean {
  if (info.host !== hostname()) return true;
  if (info.pid === process.pid) return true;
  try {
    process.kill(info.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function heldBy(dir: string, info: LockInfo) {
  const where = info.host === hostname() ? '' : ` on host ${info.host}`;
  return errors.runLocked(
    dir,
    `is in use by process ${info.pid}${where} (since ${info.startedAt})`,
    info.host === hostname() ? 'wait for it to end, or stop it first' : `if that process is gone, delete ${join(dir, LOCK_FILE)}`,
  );
}

/**
 * Replaces a stale lock. The takeover file serialises takers: without it, two processes could both see the same
 * stale lock, and the second would delete the lock the first had just taken.
 */
function takeOver(dir: string, file: string, stale: LockInfo | undefined, mine: LockInfo): void {
  const guard = join(dir, TAKEOVER_FILE);
  if (!tryCreate(dir, guard, mine)) {
    const other = readLock(guard);
    if (other && isLive(other)) throw heldBy(dir, other);
    unlinkSync(guard); // left by a taker that died mid-takeover
    if (!tryCreate(dir, guard, mine)) throw heldBy(dir, readLock(guard) ?? mine);
  }
  try {
    const now = readLock(file);
    // Someone else took it over between our read and our guard: theirs is live.
    if (now && (now.pid !== stale?.pid || now.startedAt !== stale.startedAt) && isLive(now)) throw heldBy(dir, now);
    try {
      unlinkSync(file);
    } catch {
      // gone already
    }
    if (!tryCreate(dir, file, mine)) throw heldBy(dir, readLock(file) ?? mine);
  } finally {
    unlinkSync(guard);
  }
}
