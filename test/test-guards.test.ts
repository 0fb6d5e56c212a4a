/** The guards that keep the suite honest: no testing a stale dist/, no silent skips in CI. */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { staleMessage, staleSources } from './helpers/fresh-dist.js';
import { needService } from './helpers/services.js';

describe('stale dist/ guard', () => {
  const root = mkdtempSync(join(tmpdir(), 'evotune-dist-'));
  const write = (rel: string, secondsAgo: number) => {
    const file = join(root, rel);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, '');
    const t = Date.now() / 1000 - secondsAgo;
    utimesSync(file, t, t);
  };
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('names sources edited after the build, and sources never built', () => {
    write('src/a.ts', 100);
    write('dist/src/a.js', 50); // built after the edit: fresh
    write('strategies/b.ts', 10);
    write('dist/strategies/b.js', 50); // edited after the build
    write('bin/c.ts', 10); // never built
    write('src/types.d.ts', 10); // declarations compile to nothing
    expect(staleSources(root).sort()).toEqual(['bin/c.ts', 'strategies/b.ts']);
    expect(staleMessage(['bin/c.ts'])).toMatch(/dist\/ is older than its sources \(bin\/c\.ts\): run `npm run build`/);
  });

  it('finds this checkout fresh (vitest would not have started otherwise)', () => {
    expect(staleSources(join(import.meta.dirname, '..'))).toEqual([]);
  });
});

describe('tests that need a service', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('skip locally with a message saying how to get the service', () => {
    vi.stubEnv('CI', '');
    vi.stubEnv('EVOTUNE_REQUIRE_SERVICES', '');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(needService('redis-server', false, 'test/redis.test.ts', 'install it with scripts/ci-redis.sh')).toBe(false);
    expect(warn).toHaveBeenCalledWith('test/redis.test.ts skipped: redis-server is missing (install it with scripts/ci-redis.sh)');
    warn.mockRestore();
  });

  it.each([
    ['CI', 'true'],
    ['EVOTUNE_REQUIRE_SERVICES', '1'],
  ])('fail instead of skipping with %s=%s', (name, value) => {
    vi.stubEnv('CI', '');
    vi.stubEnv(name, value);
    expect(() => needService('chromium', false, 'the headless Chromium test', 'apt-get install chromium')).toThrow(
      /the headless Chromium test cannot run: chromium is missing/,
    );
    expect(needService('chromium', true, 'the headless Chromium test', 'apt-get install chromium')).toBe(true);
  });
});
