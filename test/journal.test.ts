import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { search } from '../src/search.js';
import { journalLineSchema, type JournalLine } from '../src/journal/format.js';
import { readJournal } from '../src/journal/reader.js';
import { JournalWriter } from '../src/journal/writer.js';
import { parseSearchOptions } from '../src/options.js';
import type { Params } from '../src/space/spec.js';

const space = {
  lr: { type: 'float', low: 1e-4, high: 1, log: true },
  units: { type: 'int', low: 8, high: 64, log: false },
  act: { type: 'categorical', choices: ['relu', 'tanh'] },
} as const;
const fitness = (p: Params) => ({
  loss: (Math.log10(Number(p.lr)) + 2) ** 2 + (Number(p.units) - 32) ** 2 / 100 + (p.act === 'tanh' ? 0.5 : 0),
  units: Number(p.units),
});
const tmp = () => mkdtempSync(join(tmpdir(), 'evotune-journal-'));
const lines = (dir: string): JournalLine[] =>
  readFileSync(join(dir, 'journal.jsonl'), 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => journalLineSchema.parse(JSON.parse(l)));

describe('run folder', () => {
  it('holds a config usable as --config and a journal: study first, every trial asked then finished, done last', async () => {
    const out = join(tmp(), 'run');
    const r = await search({ fitness, space, strategy: 'ga', strategyOptions: { populationSize: 6 }, budget: 20, seed: 4, out });
    expect(r.out).toBe(out);

    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(() => parseSearchOptions(config)).not.toThrow();
    expect(config).toMatchObject({ strategy: 'ga', budget: 20, seed: 4, strategyOptions: { populationSize: 6 } });

    const ls = lines(out);
    expect(ls[0]).toMatchObject({ v: 1, type: 'study', strategy: 'ga', objective: { kind: 'function', name: 'fitness' } });
    expect(ls.at(-1)).toMatchObject({ type: 'done', stoppedBy: 'budget', trials: 20, best: { value: r.best!.value, trial: r.best!.trial } });
    const asked = ls.filter((l) => l.type === 'asked').map((l) => l.trial);
    const finished = ls.flatMap((l) => (l.type === 'finished' ? [l] : []));
    expect(asked).toEqual([...Array(20).keys()]);
    expect(finished.map((l) => l.trial).sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
    // Each finished line carries what a resume needs (x) and what a user reads (value, metrics, duration, worker).
    for (const f of finished) {
      const rec = r.history.find((h) => h.number === f.trial)!;
      expect(f.x).toEqual(rec.x);
      expect(f).toMatchObject({
        state: 'complete',
        value: (rec.outcome as { value: number }).value,
        metrics: { units: rec.params.units },
        worker: 'main',
      });
    }
  });

  it('refuses a folder that already holds a run, and says how to resume it', async () => {
    const out = join(tmp(), 'run');
    await search({ fitness, space, budget: 4, out });
    await expect(search({ fitness, space, budget: 4, out })).rejects.toMatchObject({
      code: 'E_OUT_DIR',
      message: expect.stringContaining(`--resume ${out}`),
    });
  });

  it('fails before any trial when --out cannot be created', async () => {
    const file = join(tmp(), 'a-file');
    writeFileSync(file, '');
    let calls = 0;
    const counting = (p: Params) => (calls++, fitness(p));
    await expect(search({ fitness: counting, space, budget: 4, out: join(file, 'run') })).rejects.toMatchObject({
      code: 'E_OUT_DIR',
      kind: 'usage',
      message: expect.stringContaining('ENOTDIR'),
    });
    expect(calls).toBe(0);
  });

  it('fails before any trial when the disk cannot hold the journal of the budget', async () => {
    const out = join(tmp(), 'run');
    await expect(search({ fitness, space, budget: 1e12, out })).rejects.toMatchObject({
      code: 'E_OUT_DIR',
      message: expect.stringMatching(/MB free; the journal of 1000000000000 trials needs/),
    });
    expect(existsSync(join(out, 'journal.jsonl'))).toBe(false);
  });

  it('reports a full disk as one clear, resumable runtime error', () => {
    const w = new JournalWriter('/dev/full', 'a', 'runs/x');
    expect(() => w.write({ type: 'resumed', changed: {} })).toThrow(
      expect.objectContaining({
        code: 'E_OUT_DIR',
        kind: 'runtime',
        message: 'journal in runs/x: cannot write: the disk is full (ENOSPC)',
        hint: 'fix it, then resume with: evotune search --resume runs/x',
      }),
    );
  });
});

describe('reading a journal', () => {
  it('leaves out a truncated last line with a warning', async () => {
    const out = join(tmp(), 'run');
    await search({ fitness, space, budget: 6, out });
    appendFileSync(join(out, 'journal.jsonl'), '{"type":"finished","trial":6,"x":[0.1,');
    const j = readJournal(out);
    expect(j.warnings).toEqual([expect.stringMatching(/ignored a truncated last line \(\d+ bytes\)/)]);
    expect(j.lines.at(-1)!.type).toBe('done');
  });

  it('rejects a corrupt line in the middle, naming it', async () => {
    const out = join(tmp(), 'run');
    await search({ fitness, space, budget: 6, out });
    const file = join(out, 'journal.jsonl');
    const text = readFileSync(file, 'utf8').split('\n');
    text[3] = '{"type":"finished","trial":"three"}';
    writeFileSync(file, text.join('\n'));
    expect(() => readJournal(out)).toThrow(
      expect.objectContaining({ code: 'E_RUN', message: expect.stringContaining('line 4 is not a valid "finished" journal line') }),
    );
  });

  it('rejects a folder without a journal with a hint', () => {
    expect(() => readJournal(tmp())).toThrow(expect.objectContaining({ code: 'E_RUN', hint: 'give a folder that `evotune search --out` wrote' }));
  });
});

describe('the run config', () => {
  it('records the executor without its password, so that a resume runs on the same Redis and the password stays out', async () => {
    const { runConfig } = await import('../src/journal/config.js');
    const options = parseSearchOptions({ fitness: '/x/f.mjs', space: '/x/s.json', executor: 'redis://:s3cret@10.0.0.1:6379/2' });
    expect(runConfig(options, 'ga')).toMatchObject({ executor: 'redis://10.0.0.1:6379/2' });
    expect(JSON.stringify(runConfig(options, 'ga'))).not.toContain('s3cret');
    expect(runConfig(parseSearchOptions({ fitness: '/x/f.mjs', executor: 'redis://10.0.0.1:6379' }), 'ga')).toMatchObject({
      executor: 'redis://10.0.0.1:6379',
    });
  });
});
