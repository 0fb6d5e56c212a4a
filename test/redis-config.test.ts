/** The Redis executor's input checks, without a Redis: URLs and their passwords, and what a worker agrees to load. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSearchOptions } from '../src/options.js';
import { admit } from '../src/eval/queue/admission.js';
import { printable } from '../src/eval/queue/protocol.js';
import { passwordPlaceholder, redactUrl, redisTarget, scrub } from '../src/eval/queue/url.js';
import { search } from '../src/search.js';

describe('redis URLs', () => {
  it.each([
    ['redis://:secret@host:6379', 'redis://***@host:6379'],
    ['redis://user:secret@host:6379/2', 'redis://user:***@host:6379/2'],
    ['rediss://:p@ss:w@rd@host', 'rediss://***@host'],
    ['redis//:secret@host', 'redis//:***@host'],
    ['redis://host:6379', 'redis://host:6379'],
  ])('prints %s as %s', (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });

  it.each([
    ['redis://:pa%3Ass@host:6379', 'redis://:***@host:6379'],
    ['rediss://user:secret@host:6380/2', 'rediss://user:***@host:6380/2'],
    ['redis://host:6379', 'redis://host:6379'],
  ])('a resume hint shows %s as %s: the password goes back in place of ***, the rest is the URL as given', (url, hint) => {
    expect(passwordPlaceholder(url)).toBe(hint);
    const [pre, post] = hint.split('***');
    if (post !== undefined) expect(new URL(`${pre}secret${post}`).password).toBe('secret');
  });

  it('rejects a malformed executor without echoing its password', () => {
    expect(() => parseSearchOptions({ executor: 'redis//:hunter2@host:6379' })).toThrow(
      /executor: expected "threads" or a redis:\/\/ or rediss:\/\/ URL/,
    );
    expect(() => parseSearchOptions({ executor: 'redis//:hunter2@host:6379' })).not.toThrow(/hunter2/);
    expect(() => parseSearchOptions({ executor: 'http://:hunter2@host' })).not.toThrow(/hunter2/);
    expect(parseSearchOptions({ executor: 'rediss://:hunter2@host:6380/1' }).executor).toBe('rediss://:hunter2@host:6380/1');
    expect(parseSearchOptions({}).executor).toBe('threads');
  });

  it('scrubs the password, as written and decoded, from messages', () => {
    const target = redisTarget('redis://:pa%3Ass@host', '--redis');
    expect(target.display).toBe('redis://***@host');
    expect(scrub(target, 'AUTH pa:ss failed; url had pa%3Ass')).toBe('AUTH *** failed; url had ***');
  });

  it('defuses terminal escapes in text that came through Redis before printing it', () => {
    expect(printable('host\u001b[2J\u0007-1\nnext')).toBe('host?[2J?-1?next');
  });

  it('refuses a fitness function with a redis executor', async () => {
    await expect(
      search({ fitness: () => 0, space: { x: { type: 'float', low: 0, high: 1, log: false } }, executor: 'redis://127.0.0.1:1' }),
    ).rejects.toThrow(/a fitness function runs in this process; a redis executor needs a fitness module path or a task/);
  });
});

describe('what a worker loads', () => {
  const root = mkdtempSync(join(tmpdir(), 'evotune-admit-'));
  const allowed = join(root, 'allowed');
  const other = join(root, 'other');
  mkdirSync(allowed);
  mkdirSync(other);
  const inside = join(allowed, 'f.mjs');
  const outside = join(other, 'f.mjs');
  writeFileSync(inside, 'export default () => 0;\n');
  writeFileSync(outside, 'export default () => 0;\n');
  // A link inside the allowed folder to a module outside it.
  symlinkSync(outside, join(allowed, 'escape.mjs'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const mod = (path: string) => ({ kind: 'module' as const, url: pathToFileURL(path).href });

  it('loads an existing module file, and a bundled task by name', () => {
    expect(admit(mod(outside), [])).toEqual({ ok: true });
    expect(admit({ kind: 'task', task: 'digits', backend: 'auto' }, [allowed])).toEqual({ ok: true });
  });

  it('refuses modules that do not exist here, and anything but file: URLs', () => {
    expect(admit(mod(join(root, 'missing.mjs')), [])).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/missing\.mjs does not exist on this machine/),
    });
    expect(admit({ kind: 'module', url: 'data:text/javascript,export default () => 0' }, [])).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/only file: modules/),
    });
    expect(admit({ kind: 'task', task: 'https://example.com/task.mjs', backend: 'auto' }, [])).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/only file: modules/),
    });
    expect(admit({ kind: 'task', task: '../task', backend: 'auto' }, [])).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/neither a bundled task name nor a file URL/),
    });
  });

  it('with --allow, loads only modules under the allowed folders, symlinks resolved', () => {
    expect(admit(mod(inside), [allowed])).toEqual({ ok: true });
    expect(admit(mod(outside), [allowed])).toMatchObject({ ok: false, reason: expect.stringMatching(/is not under --allow/) });
    expect(admit(mod(join(allowed, 'escape.mjs')), [allowed])).toMatchObject({ ok: false, reason: expect.stringMatching(/is not under --allow/) });
  });
});
