import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/cli/main.js';
import { DEFAULT_STRATEGY } from '../strategies/index.js';
import { runCli } from './helpers/cli.js';

const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The option flags of a help text, in the order printed. */
const flagsIn = (help: string) => [...help.matchAll(/^\s+(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]!);

describe('lr-find', () => {
  it('says what it runs before the seconds of training, then prints the result', async () => {
    const task = fileURLToPath(new URL('./fixtures/tiny-task.mjs', import.meta.url));
    const plot = join(mkdtempSync(join(tmpdir(), 'evotune-lr-find-')), 'curve.svg');
    const r = await runCli(['lr-find', '--task', task, '--steps', '40', '--refine', '0', '--backend', 'cpu', '--plot', plot]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('LR range test on tiny: training a fresh model while the LR grows...\n');
    expect(r.stdout).toMatch(/^suggested LR {2}\S+/m);
  }, 120_000);
});

describe('help and version', () => {
  it.each([['--version'], ['-V']])('%s prints the version from package.json and exits 0', async (flag) => {
    const r = await runCli([flag]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it('search --help names the default strategy, says that --task or --fitness is required, lists its own options first', async () => {
    const r = await runCli(['search', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`(default ${DEFAULT_STRATEGY};`);
    expect(r.stdout).toMatch(/One of --task or --fitness is\s+required/);
    const flags = flagsIn(r.stdout.split('Examples:')[0]!);
    expect(flags.slice(0, 2)).toEqual(['--task', '--fitness']);
    expect(flags.slice(-3)).toEqual(['--verbose', '--help', '--version']);
  });

  it.each(COMMANDS.map((c) => [String(c.command).split(' ')[0]!]))('%s --help has examples and lists --verbose/--help last', async (name) => {
    const r = await runCli([name, '--help']);
    expect(r.code).toBe(0);
    const examples = r.stdout.split('Examples:')[1];
    expect(examples, `${name} --help has no Examples section`).toBeDefined();
    expect(examples).toContain(`evotune ${name} `);
    const flags = flagsIn(r.stdout.split('Examples:')[0]!);
    expect(flags.slice(-3)).toEqual(['--verbose', '--help', '--version']);
    if (flags.length > 3) expect(flags[0]).not.toBe('--verbose');
  });
});
