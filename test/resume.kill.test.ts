import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readJournal } from '../src/journal/reader.js';
import { trialRows } from '../src/journal/trials.js';
import { rngFor } from '../src/util/rng.js';

/**
 * The CLI as a user runs it, killed for real. Runs from dist/: build first (`npm test` does).
 * Trials sleep 8 ms on 2 workers, so a run of 80 lasts about half a second and a kill lands mid-run.
 */
const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'dist/bin/evotune.js');
const fixture = join(root, 'test/fixtures/journal-sleepy.mjs');
const spaceFile = join(root, 'test/fixtures/journal-space.json');
const search = [
  'search',
  '--fitness',
  fixture,
  '--space',
  spaceFile,
  '--strategy',
  'ga',
  '--strategy-options',
  '{"populationSize":10}',
  '--budget',
  '80',
  '--workers',
  '2',
  '--seed',
  '5',
];

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

const start = (args: string[], env: Record<string, string> = {}) => {
  const c = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(c);
  let stdout = '';
  let stderr = '';
  c.stdout!.on('data', (d) => (stdout += d));
  c.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((res) =>
    c.on('close', (code, signal) => res({ code, signal, stdout, stderr })),
  );
  return { child: c, exited };
};

const finishedCount = (out: string) => {
  const file = join(out, 'journal.jsonl');
  return existsSync(file) ? readFileSync(file, 'utf8').split('"type":"finished"').length - 1 : 0;
};

async function waitForFinished(out: string, n: number, child: ChildProcess): Promise<void> {
  while (finishedCount(out) < n) {
    if (child.exitCode !== null) throw new Error(`the run ended before ${n} trials finished`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Every trial's number, point and value, and the best: what an interrupted run must end with, unchanged. */
const outcome = (out: string) => {
  const j = readJournal(out);
  const rows = trialRows(j, out).map((r) => [r.trial, r.x, r.outcome.state !== 'failed' ? r.outcome.value : r.outcome.kind]);
  const done = j.lines.filter((l) => l.type === 'done').at(-1);
  return { rows, best: done?.type === 'done' ? done.best : undefined };
};

const tmp = () => join(mkdtempSync(join(tmpdir(), 'evotune-kill-')), 'run');

describe.skipIf(!existsSync(bin))('killed and resumed (child process)', () => {
  let reference: ReturnType<typeof outcome> | undefined;
  const uninterrupted = () => {
    if (!reference) {
      const out = tmp();
      const r = spawnSync(process.execPath, [bin, ...search, '--out', out, '--json'], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      reference = outcome(out);
      expect(reference.rows).toHaveLength(80);
    }
    return reference;
  };

  it('SIGKILLed at random moments, then resumed: the same trials and best as a run that never stopped', async () => {
    const ref = uninterrupted();
    const rng = rngFor(2024, 'kill-moments');
    const out = tmp();
    // Three kills, each a random number of finished trials further in, plus a random delay so that it lands
    // inside trials as well as between them.
    let args = [...search, '--out', out, '--json'];
    for (let k = 0, at = 0; k < 3; k++) {
      at += 5 + Math.floor(rng() * 18);
      const run = start(args);
      await waitForFinished(out, at, run.child);
      await new Promise((r) => setTimeout(r, Math.floor(rng() * 12)));
      run.child.kill('SIGKILL');
      expect((await run.exited).signal).toBe('SIGKILL');
      args = ['search', '--resume', out, '--json'];
    }
    expect(finishedCount(out)).toBeLessThan(80);
    const last = start(args);
    const done = await last.exited;
    expect(done.code, done.stderr).toBe(0);
    expect(JSON.parse(done.stdout).trials).toBe(80);
    // One "finished" line per trial: no finished trial ran twice.
    expect(finishedCount(out)).toBe(80);
    expect(outcome(out)).toEqual(ref);
  });

  it('SIGINT once: stops cleanly, says how to resume, exits 1; the resumed run ends as if never stopped', async () => {
    const ref = uninterrupted();
    const out = tmp();
    const run = start([...search, '--out', out]);
    await waitForFinished(out, 25, run.child);
    run.child.kill('SIGINT');
    const r = await run.exited;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('evotune: search interrupted');
    expect(r.stderr).toContain(`hint: resume with: evotune search --resume ${out}`);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const j = readJournal(out);
    expect(j.warnings).toEqual([]);
    expect(j.lines.at(-1)).toMatchObject({ type: 'done', stoppedBy: 'stopped' });

    const resumed = start(['search', '--resume', out, '--json']);
    expect((await resumed.exited).code).toBe(0);
    expect(outcome(out)).toEqual(ref);
  });

  it('SIGINT twice: exits at once with 130, and the journal has no torn line', async () => {
    const ref = uninterrupted();
    const out = tmp();
    // Slow trials, so that the first SIGINT is still waiting for them when the second arrives.
    const run = start([...search, '--out', out], { SLEEPY_MS: '400' });
    await waitForFinished(out, 2, run.child);
    run.child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 50));
    run.child.kill('SIGINT');
    const r = await run.exited;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain(`resume with: evotune search --resume ${out}`);
    expect(readJournal(out).warnings).toEqual([]);

    const resumed = start(['search', '--resume', out, '--json']);
    expect((await resumed.exited).code).toBe(0);
    expect(outcome(out)).toEqual(ref);
  });
});
