import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readJournal } from '../src/journal/reader.js';
import { trialRows } from '../src/journal/trials.js';
import { rngFor } from '../src/util/rng.js';

/** PBT killed with SIGKILL mid-round and resumed gives what an uninterrupted run gives. Runs from dist/. */
const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'dist/bin/evotune.js');
const args = [
  'search',
  '--fitness',
  join(root, 'test/fixtures/pbt-slow.mjs'),
  '--space',
  join(root, 'test/fixtures/pbt-space.json'),
  '--strategy',
  'pbt',
  '--strategy-options',
  '{"population":6,"readyEpochs":2}',
  '--budget-epochs',
  '60',
  '--workers',
  '2',
  '--seed',
  '9',
];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
const tmp = () => join(mkdtempSync(join(tmpdir(), 'evotune-pbt-kill-')), 'run');
const finished = (out: string) =>
  existsSync(join(out, 'journal.jsonl')) ? readFileSync(join(out, 'journal.jsonl'), 'utf8').split('"type":"finished"').length - 1 : 0;
const outcome = (out: string) => {
  const j = readJournal(out);
  const rows = trialRows(j, out).map((r) => [r.trial, r.x, r.outcome.state === 'complete' ? r.outcome.value : r.outcome.state]);
  const done = j.lines.filter((l) => l.type === 'done').at(-1);
  return { rows, best: done?.type === 'done' ? done.best : undefined };
};

describe.skipIf(!existsSync(bin))('pbt killed and resumed (child process)', () => {
  it('SIGKILL at random moments of PBT rounds, then --resume: the same trials, lineage and best', async () => {
    const ref = tmp();
    const r = spawnSync(process.execPath, [bin, ...args, '--out', ref, '--json'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const reference = outcome(ref);
    expect(reference.rows).toHaveLength(30);
    const rng = rngFor(13, 'pbt-kill');
    for (let i = 0; i < 3; i++) {
      const out = tmp();
      const killAt = 2 + Math.floor(rng() * 24);
      const c = spawn(process.execPath, [bin, ...args, '--out', out, '--json'], { stdio: 'ignore' });
      children.push(c);
      while (finished(out) < killAt && c.exitCode === null) await new Promise((res) => setTimeout(res, 2));
      c.kill('SIGKILL');
      await new Promise((res) => c.once('close', res));
      const resumed = spawnSync(process.execPath, [bin, 'search', '--resume', out, '--json'], { encoding: 'utf8' });
      expect(resumed.status, resumed.stderr).toBe(0);
      expect(outcome(out)).toEqual(reference);
      // Only what a resume could need stays on disk: the last round's checkpoints and the best one's.
      expect(readdirSync(join(out, 'checkpoints')).length).toBeLessThanOrEqual(6 + 1);
    }
  }, 240_000); // three kills and resumes: minutes on a loaded 2-core machine
});
