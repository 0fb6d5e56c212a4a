/**
 * The fault-injection suite (issue #18): real processes, a real redis-server, real signals. Each kill scenario runs
 * FAULT_RUNS (default 2) seeded random kill moments; benchmarks/faults.ts runs 20 or more and writes the table.
 * Every run must end with trials 0..N-1 recorded exactly once, the best of a run that never stopped, the expected
 * exit codes, and every process ended within its bound (support/fault-harness.ts). Runs from dist/: build first.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rngFor } from '../src/util/rng.js';
import {
  atMoment,
  audit,
  BUDGET,
  complete,
  EXIT_BOUND_MS,
  GRACE_MS,
  concurrentResume,
  coordinatorKillLocal,
  coordinatorKillRedis,
  redisKillForGood,
  redisKillRestart,
  redisRig,
  removeTemps,
  run,
  searchArgs,
  signalSearch,
  tempRun,
  uninterrupted,
  workerKill,
  type RedisRig,
  type RunResult,
} from '../support/fault-harness.js';
import { CLI, redisServerBinary, startRedis, startWorker } from '../support/redis-harness.js';
import { servicesRequired } from './helpers/services.js';

const RUNS = Math.max(1, Number(process.env.FAULT_RUNS ?? 2));
const requireRedis = servicesRequired() || process.env.EVOTUNE_REQUIRE_REDIS === '1';
if (!redisServerBinary && !requireRedis)
  console.warn('test/fault-injection.test.ts: Redis scenarios skipped: no redis-server on PATH (scripts/ci-redis.sh installs it)');

/** Runs a scenario RUNS times with its own seeded kill moments; every run must be clean. */
async function each(name: string, scenario: (rng: () => number) => Promise<RunResult>, runs = RUNS): Promise<void> {
  const rng = rngFor(18, name);
  for (let i = 0; i < runs; i++) {
    const r = await scenario(rng);
    expect({
      scenario: name,
      run: i,
      lost: r.lost,
      duplicated: r.duplicated,
      wrongBest: r.wrongBest,
      hangs: r.hangs,
      problems: r.problems,
      codes: r.codes,
    }).toEqual({
      scenario: name,
      run: i,
      lost: 0,
      duplicated: 0,
      wrongBest: false,
      hangs: 0,
      problems: [],
      codes: r.codes,
    });
  }
}

afterAll(removeTemps);

/** Scenarios take up to about 30 s a run on a loaded 2-core machine. */
const KILL_TIMEOUT = { timeout: RUNS * 60_000 + 30_000 };

describe('local pool, killed for real', KILL_TIMEOUT, () => {
  beforeAll(async () => {
    await uninterrupted();
  });

  it('coordinator SIGKILL at random moments, then resume: each trial once, the same best', () => each('local-sigkill', coordinatorKillLocal));
  it('Ctrl-C once: exit 1 with the resume hint and "interrupted" (not "stopped by stopped"); the resume ends whole', () =>
    each('local-sigint', (rng) => signalSearch(rng, 'SIGINT')));
  it('SIGTERM once: the same as Ctrl-C', () => each('local-sigterm', (rng) => signalSearch(rng, 'SIGTERM')));
  it('a resume of a run that is still going is refused with exit 2 naming the PID; the run and its journal stay whole', () =>
    each('concurrent-resume', concurrentResume));
});

// ------------------------------------------------------------------------------------------------ journal damage

/** A run killed about half way: its journal cut after the 20th finished line (what a SIGKILL leaves). Made once, copied. */
let killed: string | undefined;
async function killedRun(): Promise<string> {
  if (!killed) {
    killed = tempRun();
    expect(await complete([...searchArgs(), '--workers', '2', '--out', killed, '--json'])).toBe(0);
    const lines = readFileSync(join(killed, 'journal.jsonl'), 'utf8').split('\n');
    let finished = 0;
    const cut = lines.findIndex((l) => l.includes('"type":"finished"') && ++finished === 20);
    writeFileSync(join(killed, 'journal.jsonl'), `${lines.slice(0, cut + 1).join('\n')}\n`);
  }
  const out = tempRun();
  cpSync(killed, out, { recursive: true });
  return out;
}

const journalLines = (out: string) => readFileSync(join(out, 'journal.jsonl'), 'utf8').split('\n').slice(0, -1);
const setLines = (out: string, lines: string[]) => writeFileSync(join(out, 'journal.jsonl'), `${lines.join('\n')}\n`);
const firstError = (stderr: string) => stderr.split('\n').find((l) => l.startsWith('evotune: ') && !l.startsWith('evotune: warning'));

interface Damage {
  readonly name: string;
  readonly damage: (out: string) => void;
  /** recover: every command goes on (exit 0) with a warning matching `says`; refuse: every command exits 2 with one line matching `says`. */
  readonly decision: 'recover' | 'refuse';
  readonly says: RegExp;
}

const finishedAt = (lines: string[], k: number) =>
  lines.reduce((found, l, i) => (found < 0 && l.includes('"type":"finished"') && k-- === 0 ? i : found), -1);

const DAMAGES: readonly Damage[] = [
  {
    name: 'torn last line',
    decision: 'recover',
    says: /ignored a truncated last line/,
    damage: (o) => appendFileSync(join(o, 'journal.jsonl'), '{"type":"finished","trial":21,"x":[0.1,'),
  },
  {
    name: 'duplicated finished line',
    decision: 'recover',
    says: /finished a second time with the outcome of line \d+; kept line \d+/,
    damage: (o) => {
      const ls = journalLines(o);
      setLines(o, [...ls, ls[finishedAt(ls, 3)]!]);
    },
  },
  {
    name: 'conflicting finished line',
    decision: 'refuse',
    says: /journal\.jsonl line \d+: trial \d+ finished a second time with another outcome than on line \d+/,
    damage: (o) => {
      const ls = journalLines(o);
      const f = JSON.parse(ls[finishedAt(ls, 3)]!);
      setLines(o, [...ls, JSON.stringify({ ...f, value: f.value + 1 })]);
    },
  },
  {
    name: 'orphan finished line (its asked line gone)',
    decision: 'refuse',
    says: /journal\.jsonl line \d+: trial \d+ finished but was never asked/,
    damage: (o) => {
      const ls = journalLines(o);
      const f = JSON.parse(ls[finishedAt(ls, 5)]!);
      setLines(
        o,
        ls.filter((l) => !(l.includes('"type":"asked"') && JSON.parse(l).trial === f.trial)),
      );
    },
  },
  {
    name: 'foreign line',
    decision: 'refuse',
    says: /journal\.jsonl line 4 is not a valid "note" journal line/,
    damage: (o) => {
      const ls = journalLines(o);
      setLines(o, [...ls.slice(0, 3), '{"type":"note","text":"hello"}', ...ls.slice(3)]);
    },
  },
  {
    name: 'line that is not JSON',
    decision: 'refuse',
    says: /journal\.jsonl line 5 is not JSON/,
    damage: (o) => {
      const ls = journalLines(o);
      setLines(o, [...ls.slice(0, 4), 'garbage', ...ls.slice(4)]);
    },
  },
  {
    name: 'missing config.json',
    decision: 'recover',
    says: /config\.json is missing; using the options the journal recorded/,
    damage: (o) => unlinkSync(join(o, 'config.json')),
  },
];

describe('journal damage: one decision per case, the same in resume, export and report', () => {
  for (const d of DAMAGES) {
    it(`${d.name}: ${d.decision}`, async () => {
      const out = await killedRun();
      d.damage(out);
      const commands = [
        ['export', out, '--json'],
        ['report', out],
        ['search', '--resume', out, '--json'],
      ];
      const results = [];
      for (const args of commands) {
        const p = run(args);
        results.push({ command: args[0], code: await p.endWithin(60_000), stderr: p.err(), stdout: p.out() });
      }
      for (const r of results) {
        if (d.decision === 'recover') {
          expect(r, r.stderr).toMatchObject({ code: 0 });
          expect(r.stderr).toMatch(d.says);
        } else {
          expect(r.code, `${r.command}: ${r.stderr}`).toBe(2);
          expect(firstError(r.stderr)).toMatch(d.says);
        }
      }
      if (d.decision === 'refuse') {
        // The same line, word for word, from every command.
        expect(new Set(results.map((r) => firstError(r.stderr))).size).toBe(1);
        return;
      }
      // Recovered and resumed: what the user sees (export) holds each trial once, with the uninterrupted run's best.
      const p = run(['export', out, '--json']);
      expect(await p.endWithin(60_000)).toBe(0);
      const trials = (JSON.parse(p.out()) as Array<{ trial: number; state: string; value?: number }>).map((t) => t.trial);
      expect(trials).toEqual([...Array(BUDGET).keys()]);
      const done = journalLines(out)
        .map((l) => JSON.parse(l))
        .filter((l) => l.type === 'done')
        .at(-1);
      expect(done.best).toEqual((await uninterrupted()).best);
      expect(existsSync(join(out, 'config.json'))).toBe(true);
    });
  }
});

// ------------------------------------------------------------------------------------------------ the run folder's place

/** Runs `script` (sh) in a private mount namespace, where it may mount a tmpfs; undefined when this system forbids it. */
function inMountNamespace(script: string): { code: number; out: string } | undefined {
  const probe = spawnSync(
    'unshare',
    ['-rm', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs /mnt 2>/dev/null || mount -t tmpfs -o size=64k tmpfs /tmp'],
    { encoding: 'utf8' },
  );
  if (probe.error || probe.status !== 0) return undefined;
  const r = spawnSync('unshare', ['-rm', 'sh', '-c', script], { encoding: 'utf8', timeout: 180_000 });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

describe('where the run folder is', () => {
  const cli = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)}`;
  const search = searchArgs()
    .map((a) => `'${a}'`)
    .join(' ');

  it('--out in /proc or /sys: exit 2 naming the virtual file system, not "the disk is full"', async () => {
    for (const [out, fs] of [
      ['/proc/evotune-x', 'proc'],
      ['/sys/evotune-x/run', 'sysfs'],
    ] as const) {
      const p = run([...searchArgs(), '--out', out]);
      expect(await p.endWithin(60_000)).toBe(2);
      expect(firstError(p.err())).toBe(
        `evotune: --out ${out}: cannot write there: /${fs === 'proc' ? 'proc' : 'sys'} is on a virtual file system (${fs}) that cannot hold files`,
      );
    }
  });

  it('--out under a file: exit 2 naming it', async () => {
    const file = join(dirname(tempRun()), 'a-file');
    writeFileSync(file, '');
    const p = run([...searchArgs(), '--out', join(file, 'run')]);
    expect(await p.endWithin(60_000)).toBe(2);
    expect(firstError(p.err())).toMatch(/is a file, not a folder \(ENOTDIR\)/);
  });

  it('a read-only file system: search, resume and report exit 2 saying so (not ENOENT)', async (ctx) => {
    const out = await killedRun();
    const dir = dirname(out);
    const r = inMountNamespace(
      `mount --bind ${dir} ${dir} && mount -o remount,bind,ro ${dir} || exit 99
       ${cli} report ${out}; echo "code=$?"
       ${cli} search --resume ${out}; echo "code=$?"
       ${cli} ${search} --out ${dir}/new; echo "code=$?"`,
    );
    if (!r || r.code === 99) return ctx.skip('this system does not allow a private mount namespace (unshare -rm), so no read-only mount');
    expect(r.out.match(/code=\d+/g)).toEqual(['code=2', 'code=2', 'code=2']);
    expect(r.out).toContain(`evotune: run folder ${out}: cannot write the report: the file system is read-only (EROFS)`);
    expect(r.out).toContain(`evotune: run folder ${out}: cannot create its lock file: the file system is read-only (EROFS)`);
    expect(r.out).toContain(`evotune: --out ${dir}/new: cannot write there: the file system is read-only (EROFS)`);
    expect(r.out).not.toMatch(/ENOENT/);
  });

  it('disk full mid-run: exit 1 saying so, with the resume hint; after space is freed the resume ends whole', async (ctx) => {
    const keep = tempRun();
    mkdirSync(keep, { recursive: true });
    const mnt = join(dirname(keep), 'mnt');
    mkdirSync(mnt);
    // A 256 KB tmpfs: enough for the run's preflight check; a filler file takes the rest once 15 trials finished.
    const r = inMountNamespace(
      `mount -t tmpfs -o size=256k tmpfs ${mnt} || exit 99
       ${cli} ${search} --workers 2 --out ${mnt}/run --json > /dev/null 2> ${keep}/first.err &
       pid=$!
       while [ "$(cat ${mnt}/run/journal.jsonl 2>/dev/null | grep -c '"type":"finished"')" -lt 15 ]; do sleep 0.01; done
       dd if=/dev/zero of=${mnt}/fill bs=1k 2>/dev/null
       wait $pid; echo "code=$?"
       rm ${mnt}/fill
       ${cli} search --resume ${mnt}/run --json > /dev/null; echo "code=$?"
       cp ${mnt}/run/journal.jsonl ${keep}/`,
    );
    if (!r || r.code === 99) return ctx.skip('this system does not allow a private mount namespace (unshare -rm), so no small tmpfs to fill');
    const first = readFileSync(join(keep, 'first.err'), 'utf8');
    // The filler may land after the last write of a run this short: then the run ends normally.
    const [c1, c2] = r.out.match(/code=\d+/g)!;
    if (c1 === 'code=1') {
      expect(first).toMatch(/cannot write: the disk is full \(ENOSPC\)/);
      expect(first).toContain(`hint: fix it, then resume with: evotune search --resume ${mnt}/run`);
    } else expect(c1).toBe('code=0');
    expect(c2).toBe('code=0');
    expect(await audit(keep)).toEqual({ lost: 0, duplicated: 0, wrongBest: false });
  });
});

// ------------------------------------------------------------------------------------------------ Redis

describe.skipIf(!redisServerBinary && !requireRedis)('redis executor, killed for real', KILL_TIMEOUT, () => {
  let rig: RedisRig;
  beforeAll(async () => {
    rig = await redisRig();
    await uninterrupted();
  }, 120_000);
  afterAll(async () => rig?.stop());

  it('coordinator SIGKILL at random moments, resumed without --executor (the run recorded it): each trial once, the same best', () =>
    each('redis-coordinator-sigkill', (rng) => coordinatorKillRedis(rig, rng)));
  it('Ctrl-C on a search running on Redis: exit 1 with the resume hint; the resume (no --executor) runs on Redis and ends whole', () =>
    each('redis-coordinator-sigint', (rng) => signalSearch(rng, 'SIGINT', rig), 1));
  it('SIGTERM on a search running on Redis: the same as Ctrl-C', () =>
    each('redis-coordinator-sigterm', (rng) => signalSearch(rng, 'SIGTERM', rig), 1));
  it('worker SIGKILL at random moments: the other worker takes its trials up', () => each('redis-worker-sigkill', (rng) => workerKill(rig, rng)));
  it('redis-server SIGKILL and restart (empty): the search ends whole', () => each('redis-sigkill-restart', (rng) => redisKillRestart(rig, rng)));
  it('redis-server SIGKILL for good: --worker-wait ends the search, which exits in bound, as does a worker on one SIGTERM', () =>
    each('redis-gone-wait', (rng) => redisKillForGood(rig, rng, 'wait')));
  it('redis-server SIGKILL for good, then Ctrl-C: exits in bound', () => each('redis-gone-sigint', (rng) => redisKillForGood(rig, rng, 'SIGINT'), 1));
  it('redis-server SIGKILL for good, then SIGTERM: exits in bound', () =>
    each('redis-gone-sigterm', (rng) => redisKillForGood(rig, rng, 'SIGTERM'), 1));

  it('Ctrl-C on a Redis with a password: the hint gives --executor with *** for it; followed, the resume runs on Redis and ends whole', async () => {
    const password = 'pa:ss@w0rd';
    const secured = await startRedis({ password });
    const w = startWorker(secured.url, ['--concurrency', '2']);
    try {
      await w.waitFor(/trial slot/, 60_000);
      const out = tempRun();
      const first = run([...searchArgs(), '--executor', secured.url, '--out', out]);
      await atMoment(out, 12, () => 0, first);
      first.child.kill('SIGINT');
      expect(await first.endWithin(GRACE_MS + EXIT_BOUND_MS), first.err()).toBe(1);
      const hint = first.err().match(/resume with: evotune search --resume (\S+) --executor '([^']+)' \(with the password in place of \*\*\*\)/);
      expect(hint, first.err()).not.toBeNull();
      expect(hint![1]).toBe(out);
      expect(first.err()).not.toContain(encodeURIComponent(password));
      // As a user would: the password put back in place of ***.
      const resumed = run(['search', '--resume', out, '--executor', hint![2]!.replace('***', encodeURIComponent(password)), '--json']);
      expect(await resumed.endWithin(60_000), resumed.err()).toBe(0);
      expect(resumed.out()).toMatch(/redis queue/);
      expect(await audit(out)).toEqual({ lost: 0, duplicated: 0, wrongBest: false });
    } finally {
      w.kill('SIGKILL');
      await w.exited;
      await secured.stop();
    }
  });

  it('a SIGKILLed worker stops counting at once, not when its roster entry expires', async () => {
    for (const w of rig.workers.splice(0)) w.kill('SIGKILL');
    process.env.SLEEPY_MS = '200'; // the worker runs the fitness: slow trials, so that the kill lands mid-search
    const w = await rig.worker(['--concurrency', '1']).finally(() => delete process.env.SLEEPY_MS);
    const out = tempRun();
    const search = run([...searchArgs(), '--executor', rig.redis.url, '--worker-wait', '3', '--out', out]);
    await w.waitFor(/trial 3 started/, 60_000);
    // The search counts workers once a second from their roster entries: kill only after it has seen this one
    // serve (its entry lists the study, then one more poll), or there is no worker to see leave.
    const id = w.output().match(/worker (\S+): 1 trial slot/)![1];
    const roster = new Redis(rig.redis.url);
    try {
      for (let t = 0; t < 100; t++) {
        const entry = await roster.get(`evotune:worker:${id}`);
        if (entry && (JSON.parse(entry) as { serving?: unknown[] }).serving?.length) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      roster.disconnect();
    }
    await new Promise((r) => setTimeout(r, 1_500));
    w.kill('SIGKILL');
    await w.exited;
    rig.workers.splice(0);
    expect(await search.endWithin(60_000), search.err()).toBe(1);
    expect(search.err()).toMatch(/worker \S+ left \(0 serving this study now\)/);
    expect(search.err()).toMatch(/no worker was connected to study \w+ for 3 s/);
    // Its entry (renewed every 2 s, kept 10 s) is still in the roster: the search did not wait for it to expire.
    const redis = new Redis(rig.redis.url);
    try {
      expect(await redis.get(`evotune:worker:${w.output().match(/worker (\S+): 1 trial slot/)![1]}`)).not.toBeNull();
    } finally {
      redis.disconnect();
    }
  });

  it('hostile roster entries are skipped and logged once; the worker serves the valid study', async () => {
    for (const w of rig.workers.splice(0)) w.kill('SIGKILL');
    const redis = new Redis(rig.redis.url);
    const hostile: Record<string, string> = {
      '0000000000a1': JSON.stringify({ state: 'open', host: 'x', source: { kind: 'module', url: 'file://remotehost/x.mjs' } }),
      '0000000000a2': JSON.stringify({ state: 'open', host: 'x', source: { kind: 'module', url: 'file:///dir%2ffit.mjs' } }),
      '0000000000a3': JSON.stringify({ state: 'open', host: 'x', source: { kind: 'module', url: 'data:text/javascript,process.exit(9)' } }),
      '0000000000a4': '{not json',
      '0000000000a5': JSON.stringify({ state: 'open', host: 'x'.repeat(100_000), source: { kind: 'task', task: 'digits', backend: 'wasm' } }),
      '../../etc': JSON.stringify({ state: 'open', host: 'x', source: { kind: 'task', task: 'digits', backend: 'wasm' } }),
    };
    try {
      for (const [id, value] of Object.entries(hostile))
        await redis.multi().set(`evotune:study:${id}`, value, 'PX', 120_000).sadd('evotune:studies', id).exec();
      const w = await rig.worker(['--concurrency', '2']);
      const out = tempRun();
      const code = await run([...searchArgs(), '--executor', rig.redis.url, '--worker-wait', '30', '--out', out, '--json']).endWithin(60_000);
      expect(code).toBe(0);
      expect(await audit(out)).toEqual({ lost: 0, duplicated: 0, wrongBest: false });
      const log = w.output();
      expect(log).toMatch(/study 0000000000a1: refused: "file:\/\/remotehost\/x\.mjs" is not a file of this machine/);
      expect(log).toMatch(/study 0000000000a2: refused: "file:\/\/\/dir%2ffit\.mjs" is not a file of this machine/);
      expect(log).toMatch(/study 0000000000a3: refused: only file: modules are loaded/);
      expect(log).toMatch(/skipped roster entry "0000000000a4": not a valid study entry/);
      expect(log).toMatch(/skipped roster entry "0000000000a5": not a valid study entry \(host:/);
      expect(log).toMatch(/skipped roster entry "\.\.\/\.\.\/etc": its id is not one evotune writes/);
      // Logged once each, though discovery ran every second meanwhile.
      for (const id of Object.keys(hostile)) expect(log.split(id).length - 1, id).toBe(1);
    } finally {
      for (const id of Object.keys(hostile)) await redis.multi().del(`evotune:study:${id}`).srem('evotune:studies', id).exec();
      redis.disconnect();
    }
  });
});

// Keeps the suite honest where CI promises Redis: CI=true, EVOTUNE_REQUIRE_SERVICES=1 or EVOTUNE_REQUIRE_REDIS=1 turns a skip into a failure.
describe.runIf(requireRedis && !redisServerBinary)('redis required', () => {
  it('has redis-server on PATH', () => expect(redisServerBinary).toBeDefined());
});
