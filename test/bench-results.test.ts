/**
 * Every number the project quotes comes from a committed run file: RESULTS.md is exactly what the run files
 * compose to, and every figure in README's results sections and in the hand-written reading appears in
 * benchmarks/results/ (POPULATION.md quotes design constants only, and points to RESULTS.md for measurements).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeResults, READING_MD, readRuns, RESULTS_DIR, RESULTS_MD } from '../benchmarks/report-results.js';

/** README sections that quote measurements. */
const README_RESULTS_SECTIONS = [
  'The LR range test',
  'Early stopping, multi-fidelity and population-based training',
  'Choosing a strategy',
  'Objectives',
  'Benchmarks',
];

/** Numbers as a reader sees them: 3,214 / 0.0154 / 1.2e-3 / 96% / x1.95. Link targets and code spans are not figures. */
function figures(text: string): number[] {
  const prose = text
    .replace(/\]\([^)]*\)/g, ']')
    .replace(/`[^`]*`/g, '')
    .replace(/\bx(?=\d)/g, 'x ');
  return [...prose.matchAll(/(?<![\w.-])\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\w.-])\d+(?:\.\d+)?(?:e[+-]?\d+)?/gi)].map((m) =>
    Number(m[0].replace(/,/g, '')),
  );
}

/**
 * Numbers in the committed run files, as values (so 1.20e-3 matches 1.2e-3), and in the generated part of RESULTS.md
 * (tables rebuilt from those files' data, e.g. Holm-adjusted p-values; the test above checks it is generated).
 */
function committedFigures(): Set<number> {
  const files = readdirSync(RESULTS_DIR).filter((f) => /\.(md|json)$/.test(f));
  const generated = readFileSync(RESULTS_MD, 'utf8').split('\n# Reading (written by hand)')[0]!;
  return new Set([...files.flatMap((f) => figures(readFileSync(join(RESULTS_DIR, f), 'utf8'))), ...figures(generated)]);
}

function readmeSection(readme: string, title: string): string {
  const lines = readme.split('\n');
  const start = lines.indexOf(`## ${title}`);
  if (start < 0) throw new Error(`README has no section "${title}"`);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

describe('committed numbers', () => {
  it('finds figures the way a reader reads them', () => {
    expect(figures('3,214 steps, 0.0154 [1.2e-3, 96%] x1.95, see [f](results/2026-11-25.md) `--seeds 15`')).toEqual([3214, 0.0154, 1.2e-3, 96, 1.95]);
  });

  it('RESULTS.md is exactly the composition of the run files and the reading (no hand edits)', () => {
    expect(readFileSync(RESULTS_MD, 'utf8')).toBe(composeResults(readRuns(), readFileSync(READING_MD, 'utf8')));
  });

  it("every figure in README's results sections and in the reading is in a committed results file", () => {
    const known = committedFigures();
    const readme = readFileSync('README.md', 'utf8');
    const texts = {
      ...Object.fromEntries(README_RESULTS_SECTIONS.map((t) => [`README "${t}"`, readmeSection(readme, t)])),
      [READING_MD]: readFileSync(READING_MD, 'utf8'),
    };
    const missing = Object.entries(texts).flatMap(([where, text]) =>
      figures(text)
        .filter((n) => !known.has(n))
        .map((n) => `${where}: ${n}`),
    );
    expect(missing).toEqual([]);
  });
});
