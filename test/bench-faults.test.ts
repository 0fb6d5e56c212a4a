/** The fault benchmark's plumbing (benchmarks/faults.ts): choosing scenarios, and a long run kept scenario by scenario. */
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { faultOptions, readProgress, SCENARIOS, toMarkdown, type FaultRow } from '../benchmarks/faults.js';

const dir = mkdtempSync(join(tmpdir(), 'evotune-bench-faults-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const row = (id: string, over: Partial<FaultRow> = {}): FaultRow => ({
  id,
  scenario: SCENARIOS.find((s) => s.id === id)!.title,
  runs: 20,
  lost: 0,
  duplicated: 0,
  wrongBest: 0,
  hangs: 0,
  otherProblems: 0,
  examples: [],
  secondsPerRun: 9.5,
  measuredAt: '2026-12-07T03:00:00.000Z',
  code: 'abc',
  ...over,
});

describe('fault benchmark options', () => {
  it('runs every scenario by default, or those FAULT_SCENARIOS names, in the table order', () => {
    expect(faultOptions({}, false).scenarios.map((s) => s.id)).toEqual(SCENARIOS.map((s) => s.id));
    expect(faultOptions({}, false).runs).toBe(20);
    expect(faultOptions({}, true).runs).toBe(3);
    const some = faultOptions({ FAULT_SCENARIOS: 'redis-gone-wait, local-sigkill', FAULT_RUNS: '7' }, false);
    expect(some.scenarios.map((s) => s.id)).toEqual(['local-sigkill', 'redis-gone-wait']);
    expect(some.runs).toBe(7);
  });

  it('refuses an unknown scenario or a bad count with a line naming the variable', () => {
    expect(() => faultOptions({ FAULT_SCENARIOS: 'local-sigkil' }, false)).toThrow(
      /^FAULT_SCENARIOS: expected a comma-separated list of local-sigkill, /,
    );
    expect(() => faultOptions({ FAULT_RUNS: '0' }, false)).toThrow('FAULT_RUNS: expected a whole number >= 1, got "0"');
    expect(() => faultOptions({ FAULT_RUNS: 'many' }, false)).toThrow('FAULT_RUNS: expected a whole number >= 1, got "many"');
  });
});

describe('fault benchmark progress file', () => {
  it('reuses only rows measured with the same code and at least as many runs, the newest per scenario, past a torn last line', () => {
    const file = join(dir, 'progress.jsonl');
    appendFileSync(file, `${JSON.stringify(row('local-sigkill', { lost: 1 }))}\n`);
    appendFileSync(file, `${JSON.stringify(row('local-sigkill'))}\n`); // measured again: this one counts
    appendFileSync(file, `${JSON.stringify(row('local-sigint', { code: 'older' }))}\n`);
    appendFileSync(file, `${JSON.stringify(row('local-sigterm', { runs: 3 }))}\n`);
    appendFileSync(file, '{"id":"concurrent-resume","runs":20,"co');
    const kept = readProgress(file, 'abc', 20);
    expect([...kept.keys()]).toEqual(['local-sigkill']);
    expect(kept.get('local-sigkill')!.lost).toBe(0);
    expect([...readProgress(file, 'abc', 3).keys()]).toEqual(['local-sigkill', 'local-sigterm']);
    expect(readProgress(join(dir, 'none.jsonl'), 'abc', 20).size).toBe(0);
  });

  it('the table has one row per scenario with its runs, counts and time per run', () => {
    const md = toMarkdown([row('local-sigkill'), row('concurrent-resume', { otherProblems: 1, examples: ['the second process exited 0, not 2'] })]);
    expect(md).toContain('| coordinator SIGKILL (local pool), then resume | `local-sigkill` | 20 | 0 | 0 | 0 | 0 | 0 | 9.5 |');
    expect(md).toContain('| concurrent resume of a live run | `concurrent-resume` | 20 | 0 | 0 | 0 | 0 | 1 | 9.5 |');
    expect(md).toContain('- concurrent resume of a live run: the second process exited 0, not 2');
  });
});
