import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { rngFor } from '../src/util/rng.js';
import { onCube, sphere } from '../src/bench/functions.js';
import { resolveStrategy, STRATEGIES } from '../strategies/index.js';

/**
 * The first two batches of every registered strategy (default options, seed 42, 4 genes, the first batch told
 * its sphere values), kept in test/golden/strategies.json. A change here changes what every seeded run asks,
 * so it must be deliberate: regenerate with UPDATE_GOLDEN=1 npx vitest run test/strategies.golden.test.ts
 */
const FILE = join(dirname(fileURLToPath(import.meta.url)), 'golden', 'strategies.json');
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const SEED = 42;
const DIM = 4;

type Batches = number[][][];

const round9 = (v: number) => Math.round(v * 1e9) / 1e9;

function firstTwoAsks(name: string): Batches {
  const { strategy, options } = resolveStrategy(name, {});
  const setup = { dim: DIM, options };
  const state = strategy.init({ ...setup, rng: rngFor(SEED, name, 'init') });
  const first = strategy.ask(state, rngFor(SEED, name, 'ask', 0), setup);
  const told = first.xs.map((x) => ({ x, value: onCube(sphere)(x) }));
  const second = strategy.ask(strategy.tell(first.state, told, rngFor(SEED, name, 'tell', 0), setup), rngFor(SEED, name, 'ask', 1), setup);
  return [first.xs, second.xs].map((batch) => batch.map((x) => x.map(round9)));
}

/** One point per line, so a diff shows which points moved. */
function format(all: Record<string, Batches>): string {
  const strategies = Object.entries(all).map(([name, batches]) => {
    const body = batches.map((b) => `    [\n${b.map((x) => `      ${JSON.stringify(x)}`).join(',\n')}\n    ]`).join(',\n');
    return `  ${JSON.stringify(name)}: [\n${body}\n  ]`;
  });
  return `{\n${strategies.join(',\n')}\n}\n`;
}

const HINT = 'run UPDATE_GOLDEN=1 npx vitest run test/strategies.golden.test.ts';

describe('golden asks (seed 42, dim 4)', () => {
  if (UPDATE) {
    it('writes test/golden/strategies.json', () => {
      mkdirSync(dirname(FILE), { recursive: true });
      writeFileSync(FILE, format(Object.fromEntries(Object.keys(STRATEGIES).map((name) => [name, firstTwoAsks(name)]))));
    });
    return;
  }
  const golden: Record<string, Batches> = existsSync(FILE) ? JSON.parse(readFileSync(FILE, 'utf8')) : {};
  it.each(Object.keys(STRATEGIES))('%s asks what it asked when the golden file was written', (name) => {
    const expected = golden[name];
    if (!expected) expect.fail(`no golden asks for strategy "${name}" in ${FILE}: ${HINT}`);
    expect(firstTwoAsks(name), `strategy "${name}" now asks different points; if intended, ${HINT}`).toEqual(expected);
  });
});
