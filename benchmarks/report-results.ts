/**
 * benchmarks/RESULTS.md is half generated, half written: the runner replaces what lies between the two markers with
 * the latest full run and leaves the rest (the reading of the numbers) to people.
 */
export const START = '<!-- generated:start: written by `npm run bench` (a full run); edit outside the markers -->';
export const END = '<!-- generated:end -->';

const TEMPLATE = `# Benchmark results

The latest full run of \`npm run bench\`: how it was made, then every section. Regenerate it with a full run on a
quiet machine; the runner rewrites the part between the markers and keeps the reading below.

${START}
${END}

## Reading

To be written after each full run: what the numbers say, where evotune stands against the anchors, which
differences are within noise, and what changed since the previous run.
`;

/**
 * The file with its generated part replaced by `generated` (a missing file starts from the template). A file whose
 * markers were edited away is left alone: overwriting it would lose the hand-written reading.
 */
export function withGenerated(existing: string | undefined, generated: string): { ok: true; text: string } | { ok: false; problem: string } {
  const base = existing ?? TEMPLATE;
  const start = base.indexOf(START);
  const end = base.indexOf(END);
  if (start < 0 || end < start) return { ok: false, problem: `its markers are missing or out of order; put back the lines\n${START}\n${END}` };
  return { ok: true, text: `${base.slice(0, start + START.length)}\n${generated.trim()}\n${base.slice(end)}` };
}
