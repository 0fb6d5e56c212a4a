import { EventEmitter } from 'node:events';
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { errors } from '../errors.js';
import { JOURNAL_FILE } from '../journal/format.js';
import { readJournal } from '../journal/reader.js';
import { runData, type RunData } from '../report/data.js';

/** A run folder the dashboard serves: its URL id, the name shown, and its real path (symlinks resolved). */
export interface RunFolder {
  readonly id: string;
  readonly name: string;
  readonly dir: string;
}

/** A run as last read: its data, or why its journal cannot be read (yet). */
export type RunState = { readonly ok: true; readonly data: RunData } | { readonly ok: false; readonly error: string };

const isRun = (dir: string) => existsSync(join(dir, JOURNAL_FILE));

/** How deep below a named folder the dashboard looks for run folders (runs/, runs/sweep-1/a, ...). */
const MAX_DEPTH = 3;

function findRuns(root: string, depth: number): string[] {
  if (isRun(root)) return [root];
  if (depth === 0) return [];
  let entries: string[];
  try {
    entries = readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
  // Directories only, never symlinks: a link cannot lead the server out of the folders it was given.
  return entries.flatMap((e) => findRuns(join(root, e), depth - 1));
}

/** A URL-safe id from a display name; unique among `taken`. */
function idFor(name: string, taken: Set<string>): string {
  const base = name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '') || 'run';
  let id = base;
  for (let k = 2; taken.has(id); k++) id = `${base}-${k}`;
  taken.add(id);
  return id;
}

/**
 * The run folders under the folders the user named (each may be a run or hold runs), followed as searches write
 * them: every `pollMs` each journal's size and time are checked and a changed one is read again (through the
 * journal reader, never written), and the named folders are scanned for new runs. Emits 'run' (id) when a run
 * changed and 'runs' when the set of runs did.
 */
export class RunWatcher extends EventEmitter {
  private readonly roots: readonly string[];
  private folders: RunFolder[] = [];
  private readonly cache = new Map<string, { stamp: string; state: RunState; version: number }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    dirs: readonly string[],
    private readonly pollMs = 250,
  ) {
    super();
    this.roots = dirs.map((d) => {
      let real: string;
      try {
        real = realpathSync(d);
      } catch {
        throw errors.runFolder(d, 'no such folder', 'name run folders written by `evotune search --out`, or a folder holding them');
      }
      if (!statSync(real).isDirectory()) throw errors.runFolder(d, 'not a folder');
      return real;
    });
    this.scan();
  }

  /** The runs being served, in the order found. */
  runs(): readonly RunFolder[] {
    return this.folders;
  }

  find(id: string): RunFolder | undefined {
    return this.folders.find((f) => f.id === id);
  }

  /** The run's data as of the last read, read now if never read. */
  state(id: string): { state: RunState; version: number } | undefined {
    const f = this.find(id);
    if (!f) return undefined;
    if (!this.cache.has(id)) this.refresh(f);
    return this.cache.get(id);
  }

  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const before = this.folders.map((f) => f.dir).join('\n');
    this.scan();
    if (this.folders.map((f) => f.dir).join('\n') !== before) this.emit('runs');
    for (const f of this.folders) if (this.cache.has(f.id) && this.refresh(f)) this.emit('run', f.id);
  }

  private scan(): void {
    const known = new Map(this.folders.map((f) => [f.dir, f]));
    const taken = new Set(this.folders.map((f) => f.id));
    const seen = new Set<string>();
    const next: RunFolder[] = [];
    for (const root of this.roots) {
      for (const dir of findRuns(root, MAX_DEPTH)) {
        if (seen.has(dir)) continue;
        seen.add(dir);
        const name = dir === root ? basename(root) : relative(root, dir).split(sep).join('/');
        next.push(known.get(dir) ?? { id: idFor(name, taken), name, dir });
      }
    }
    this.folders = next;
  }

  /** Reads the run again if its journal changed; true if it did. */
  private refresh(f: RunFolder): boolean {
    let stamp: string;
    try {
      const s = statSync(join(f.dir, JOURNAL_FILE));
      stamp = `${s.size}:${s.mtimeMs}`;
    } catch {
      stamp = 'missing';
    }
    const old = this.cache.get(f.id);
    if (old?.stamp === stamp) return false;
    let state: RunState;
    try {
      state = { ok: true, data: runData(f.dir, readJournal(f.dir)) };
    } catch (e) {
      state = { ok: false, error: e instanceof Error ? e.message : String(e) };
    }
    this.cache.set(f.id, { stamp, state, version: (old?.version ?? 0) + 1 });
    return true;
  }
}
