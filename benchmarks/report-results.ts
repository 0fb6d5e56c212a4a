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

Written by hand after each full run (replace every line below): what the numbers say, and what changed since the
previous run. Call a difference only where the tables do (no ≈, p < 0.05).

- Standard functions: does GA beat the DEAP GA anchor and PSO the pyswarms anchor on every function? Which
  strategy leads each function, and which others are within noise of it?
- Population family: does cmaes match Optuna's CMA-ES; what does rotation cost each strategy?
- Bundled tasks: which strategies lead each task at this budget, which are within noise; do bounds from the LR
  range test lower the best validation loss, and is it worth the time the test takes?
- LR range test: how many suggestions land within 1.5x of the grid-best LR, and where it misses.
- Pool: microseconds of overhead per trial; the 2-worker speed-up against the 2-core ceiling, on the CPU-bound
  fitness and on a training task; utilisation.
- Throughput: evotune's training loop against model.fit per task and backend.
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
