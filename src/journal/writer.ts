import { accessSync, closeSync, constants, existsSync, fsyncSync, openSync, statfsSync, statSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { errors, type EvotuneError } from '../errors.js';
import type { UnstampedLine } from './format.js';

/** Bound on how long a written line may wait for its fsync when nothing forces one sooner. */
const MAX_UNSYNCED_MS = 1000;

/**
 * Appends lines to a journal. Every line is written whole with one synchronous write, so the process dying (a
 * crash, SIGKILL, a second Ctrl-C) never leaves half a line behind: only the machine dying can, and readers
 * tolerate a torn last line. Durability against the machine dying costs an fsync (1-3 ms here): `sync()` is
 * called before anything is reported to the user, and a write forces one when the last was over a second ago,
 * so a run of cheap trials pays about one fsync per generation instead of one per line.
 */
export class JournalWriter {
  private fd: number | undefined;
  private dirty = false;
  private lastSync = performance.now();
  private failure: EvotuneError | undefined;

  /**
   * `flags`: 'ax' to create a new journal (fails if one exists), 'a' to append to one. Both open with O_APPEND:
   * every write lands at the end of the file as it is then, never over lines another process wrote (the run
   * folder's lock keeps other writers out; append mode keeps a line whole even if one got in).
   */
  constructor(
    private readonly file: string,
    flags: 'ax' | 'a',
    private readonly dir: string,
  ) {
    try {
      this.fd = openSync(file, flags);
    } catch (e) {
      throw errors.outDir(dir, `cannot open ${file}: ${ioProblem(e)}`);
    }
  }

  /** Writes one line now; `durable` lines (study, resumed, lr-range, done) are fsynced before this returns. */
  write(line: UnstampedLine, durable = false): void {
    this.writeJson(JSON.stringify(line), durable);
  }

  /**
   * Writes one line given as the JSON text of an UnstampedLine (an object, so it ends with '}'), stamped with
   * `at` as its last key: the same bytes as write() gives for that line.
   */
  writeJson(json: string, durable = false): void {
    // After a failed write every later one fails the same way: the first cause (a full disk) is what the user sees.
    if (this.failure) throw this.failure;
    if (this.fd === undefined) throw errors.internal(`journal ${this.file} is closed`);
    const bytes = Buffer.from(`${json.slice(0, -1)},"at":"${new Date().toISOString()}"}\n`);
    try {
      let done = 0;
      while (done < bytes.length) done += writeSync(this.fd, bytes, done);
    } catch (e) {
      // A line may be half written: stop here, so that it stays the last one, which readers tolerate.
      throw this.abandon(e);
    }
    this.dirty = true;
    if (durable || performance.now() - this.lastSync >= MAX_UNSYNCED_MS) this.sync();
  }

  /** Makes every line written so far survive a machine crash. Cheap when there is nothing new. */
  sync(): void {
    if (this.fd === undefined || !this.dirty) return;
    try {
      fsyncSync(this.fd);
    } catch (e) {
      throw this.abandon(e);
    }
    this.dirty = false;
    this.lastSync = performance.now();
  }

  close(): void {
    if (this.fd === undefined) return;
    this.sync();
    closeSync(this.fd);
    this.fd = undefined;
  }

  private abandon(e: unknown): EvotuneError {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.failure = errors.journalWrite(this.dir, ioProblem(e));
    return this.failure;
  }
}

/** An fs error as a short phrase a user can act on. */
export function ioProblem(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOSPC':
      return 'the disk is full (ENOSPC)';
    case 'EDQUOT':
      return 'the disk quota is exceeded (EDQUOT)';
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${code})`;
    case 'EROFS':
      return 'the file system is read-only (EROFS)';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder (ENOTDIR)';
    case 'EEXIST':
      return 'it already exists (EEXIST)';
    default:
      return e instanceof Error ? e.message : String(e);
  }
}

/** Names of the virtual file systems (statfs f_type) where a run folder might be pointed by mistake. */
const VIRTUAL_FS: Record<number, string> = {
  40864: 'proc',
  1650812274: 'sysfs',
  2613483: 'cgroup',
  1667723888: 'cgroup2',
  7377: 'devpts',
  1684170528: 'debugfs',
  1953653091: 'tracefs',
};

/**
 * Why nothing can be written under `path` (checked at its nearest existing folder), or undefined when it looks
 * writable. Says what a user can act on: a file in the way, no permission, a read-only or virtual file system
 * (/proc, /sys: they hold no files), a full disk.
 */
export function placeProblem(path: string): string | undefined {
  let existing = resolve(path);
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  try {
    if (!statSync(existing).isDirectory()) return `${existing} is a file, not a folder (ENOTDIR)`;
    const fs = statfsSync(existing);
    // A virtual file system reports no blocks at all: not full, just not a place for files.
    if (fs.blocks === 0)
      return `${existing} is on a virtual file system (${VIRTUAL_FS[fs.type] ?? `type 0x${fs.type.toString(16)}`}) that cannot hold files`;
    accessSync(existing, constants.W_OK);
    if (fs.bavail === 0) return ioProblem(Object.assign(new Error(existing), { code: 'ENOSPC' }));
  } catch (e) {
    return ioProblem(e);
  }
  return undefined;
}

/**
 * An fs error met while writing `path`, named by its real cause where the errno misleads: Node's recursive mkdir
 * says ENOENT on a read-only file system, and a virtual file system answers ENOENT or ENOSPC.
 */
export function pathProblem(path: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOSPC') return placeProblem(path) ?? ioProblem(e);
  return ioProblem(e);
}
