import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { appendJsonLine, openRun, progressDir, recordSection } from '../benchmarks/progress.js';
import { cacheOptions } from '../benchmarks/multi-fidelity.js';
import type { RunMeta, SectionOutcome } from '../benchmarks/report.js';

const machine = { cpu: 'test cpu', cores: 2, memoryGb: 24, os: 'Linux', node: 'v20', loadAtStart: 0.5 };
const meta = (date: string, commit = 'abc1234'): RunMeta => ({ date, command: 'npm run bench', quick: false, commit, machine });
const ran = (id: string, markdown: string): SectionOutcome => ({
  id,
  title: `Section ${id}`,
  status: 'ran',
  elapsedMs: 1000,
  markdown,
  data: { id },
  charts: [],
});

const dirs: string[] = [];
const tmp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('a benchmark run stopped part-way goes on from the sections it finished', () => {
  it('keeps one folder per set of sections, "all" for the full run', () => {
    expect(progressDir('out', ['a', 'b', 'c'], ['a', 'b', 'c'])).toBe(join('out', 'in-progress', 'all'));
    expect(progressDir('out', ['a', 'c'], ['a', 'b', 'c'])).toBe(join('out', 'in-progress', 'a-c'));
  });

  it('gives back what ran, not what failed or a line cut short, and keeps the first sitting as the run', () => {
    const dir = join(tmp('evotune-progress-'), 'in-progress', 'all');
    const first = openRun(dir, meta('2026-12-07T17:00:00.000Z'), ['a', 'b', 'c'], () => false);
    expect(first.finished).toEqual([]);
    recordSection(dir, ran('a', 'table a'));
    recordSection(dir, { id: 'b', title: 'Section b', status: 'failed', elapsedMs: 5, error: 'boom' });
    recordSection(dir, { id: 'c', title: 'Section c', status: 'skipped', reason: 'no redis' });
    appendFileSync(join(dir, 'sections.jsonl'), '{"id":"c","title":"Sect'); // killed mid-write

    const second = openRun(dir, meta('2026-12-08T09:00:00.000Z'), ['a', 'b', 'c'], () => false);
    expect(second.finished.map((o) => o.id)).toEqual(['a']);
    expect(second.meta.date).toBe('2026-12-07T17:00:00.000Z');
    expect(second.meta.resumed).toEqual([{ date: '2026-12-08T09:00:00.000Z', loadAtStart: 0.5 }]);
    const third = openRun(dir, meta('2026-12-09T09:00:00.000Z'), ['a', 'b', 'c'], () => false);
    expect(third.meta.resumed?.map((r) => r.date)).toEqual(['2026-12-08T09:00:00.000Z', '2026-12-09T09:00:00.000Z']);
  });

  it('starts a line after one torn by a kill on a line of its own, so that only the torn one is lost', () => {
    const file = join(tmp('evotune-progress-'), 'cells.jsonl');
    appendJsonLine(file, { cell: 1 });
    appendFileSync(file, '{"cell":2,"sco'); // killed mid-write
    appendJsonLine(file, { cell: 3 });
    const parsed = readFileSync(file, 'utf8')
      .split('\n')
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as { cell: number }];
        } catch {
          return [];
        }
      });
    expect(parsed.map((c) => c.cell)).toEqual([1, 3]);
  });

  it('refuses to go on once the code has changed, naming the commit and how to start afresh', () => {
    const dir = join(tmp('evotune-progress-'), 'in-progress', 'all');
    openRun(dir, meta('2026-12-07T17:00:00.000Z', 'abc1234'), ['a'], () => false);
    const asked: string[] = [];
    const go = () =>
      openRun(dir, meta('2026-12-08T09:00:00.000Z', 'def5678'), ['a'], (c) => {
        asked.push(c);
        return true;
      });
    expect(go).toThrow(
      expect.objectContaining({ kind: 'usage', message: expect.stringMatching(/at commit abc1234, and the code has changed since/) }),
    );
    expect(asked).toEqual(['abc1234']);
    expect(go).toThrow(expect.objectContaining({ hint: expect.stringContaining(`delete ${dir}`) }));
    writeFileSync(join(dir, 'run.json'), '{"meta":');
    expect(go).toThrow(/run\.json is not a run in progress/);
  });

  it("keeps multi-fidelity cells in the run's folder, keyed by the commit the run measures, not by HEAD", () => {
    const dir = join(tmp('evotune-progress-'), 'in-progress', 'all');
    const saved = process.env.MULTI_FIDELITY_CACHE;
    delete process.env.MULTI_FIDELITY_CACHE;
    try {
      expect(cacheOptions({ dir, commit: 'abc1234' })).toMatchObject({ cacheFile: join(dir, 'multi-fidelity-cells.jsonl'), commit: 'abc1234' });
      expect(existsSync(dir)).toBe(true);
      // A shared cache named by the person running is keyed by HEAD, as it was before runs kept their own.
      process.env.MULTI_FIDELITY_CACHE = join(dir, 'shared.jsonl');
      expect(cacheOptions({ dir, commit: 'abc1234' }).commit).not.toBe('abc1234');
      expect(cacheOptions(undefined).cacheFile).toBe(join(dir, 'shared.jsonl'));
      delete process.env.MULTI_FIDELITY_CACHE;
      expect(cacheOptions(undefined).cacheFile).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.MULTI_FIDELITY_CACHE;
      else process.env.MULTI_FIDELITY_CACHE = saved;
    }
  });

  // Through the real runner, in a scratch repository: nothing trains, because the one section was finished before.
  const run = fileURLToPath(new URL('../dist/benchmarks/run.js', import.meta.url));
  const scratch = () => {
    const repo = tmp('evotune-resume-');
    const sh = (cmd: string, ...args: string[]) => spawnSync(cmd, args, { cwd: repo, encoding: 'utf8' });
    const commit = (file: string, text: string) => {
      mkdirSync(join(repo, file, '..'), { recursive: true });
      writeFileSync(join(repo, file), text);
      sh('git', 'add', file);
      sh('git', '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', file);
      return sh('git', 'rev-parse', '--short', 'HEAD').stdout.trim();
    };
    sh('git', 'init', '-q');
    return { repo, sh, commit };
  };
  const seed = (out: string, started: string, commit: string) => {
    const dir = join(out, 'in-progress', 'checkpoints');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'run.json'), JSON.stringify({ meta: meta(started, commit), sections: ['checkpoints'] }));
    writeFileSync(join(dir, 'sections.jsonl'), `${JSON.stringify(ran('checkpoints', 'kept from the first sitting: 42 ms'))}\n`);
    return dir;
  };

  it('writes the run from what an earlier sitting kept, under the first sitting, and then deletes the folder', () => {
    const { sh, commit } = scratch();
    const code = commit('a.txt', 'one\n');
    const out = tmp('evotune-out-');
    const dir = seed(out, '2026-12-07T17:00:00.000Z', code);
    // What a sitting writes in between (results, the folder itself) is not a change of code.
    commit('benchmarks/results/note.md', 'a result\n');
    const r = sh(process.execPath, run, '--sections', 'checkpoints', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`going on with the run started 2026-12-07 17:00 UTC at ${code}: checkpoints finished then`);
    const md = readFileSync(join(out, '2026-12-07-checkpoints.md'), 'utf8');
    expect(md).toContain('kept from the first sitting: 42 ms');
    expect(md).toContain(`- Commit: ${code}`);
    expect(md).toMatch(/- Stopped and resumed on the same code once: \d{4}-\d\d-\d\d \d\d:\d\d UTC \(load [\d.]+\)/);
    expect(existsSync(dir)).toBe(false);
  });

  it('exits 2 with one line when a commit since changed code, and leaves the kept sections alone', () => {
    const { sh, commit } = scratch();
    const code = commit('a.txt', 'one\n');
    const out = tmp('evotune-out-');
    const dir = seed(out, '2026-12-07T17:00:00.000Z', code);
    commit('src/b.ts', 'export {};\n');
    const r = sh(process.execPath, run, '--sections', 'checkpoints', '--out', out);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`holds a run started 2026-12-07 17:00 UTC at commit ${code}, and the code has changed since`));
    expect(r.stderr).not.toMatch(/== |at .*\.js:\d+/);
    expect(readFileSync(join(dir, 'sections.jsonl'), 'utf8')).toContain('42 ms');
  });
});
