import * as z from 'zod';
import { availableParallelism } from 'node:os';
import { parseOptions } from './util/schema.js';
import { DIRECTIONS } from './study/objectives.js';
import { executorOption, LOCAL_EXECUTOR } from './eval/queue/url.js';
import { TELL_PRUNED } from './study/fidelity.js';
import { isStrategyName, STRATEGIES } from '../strategies/index.js';

/**
 * The one schema for `search` options: command-line flags, a --config file and the library API all go through it,
 * so a mistake gets the same message wherever it was made. Messages say what was expected; the formatter adds the
 * field and what was given.
 */
const wholeAtLeast = (min: number) => z.int({ error: `expected a whole number >= ${min}` }).min(min, { error: `expected a whole number >= ${min}` });
const positiveNumber = z
  .number({ error: 'expected a number > 0' })
  .positive({ error: 'expected a number > 0' })
  .finite({ error: 'expected a number > 0' });

export const BACKENDS = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendOption = (typeof BACKENDS)[number];

const lrBounds = z.union(
  [z.literal('auto'), z.tuple([positiveNumber, positiveNumber]).refine(([lo, hi]) => lo < hi, { error: 'expected LO < HI' })],
  { error: 'expected "auto" or two numbers LO,HI with 0 < LO < HI' },
);
const SPACE_EXPECTED = 'expected a path to a space JSON file or a space object';
const metricName = z.string({ error: 'expected a metric name' }).min(1, { error: 'expected a metric name' });
const direction = z.enum(DIRECTIONS, { error: `expected ${DIRECTIONS.join(' or ')}` });
const constraintText = z
  .string({ error: 'expected a constraint such as "size<=1e5"' })
  .min(1, { error: 'expected a constraint such as "size<=1e5"' });

export const searchOptionsSchema = z.strictObject(
  {
    /** Path or file URL of a fitness module (default export scores one set of params). */
    fitness: z.string({ error: 'expected a path to a fitness module' }).min(1, { error: 'expected a path to a fitness module' }).optional(),
    /** A bundled task name or a path to a task module. */
    task: z
      .string({ error: 'expected a task name or a path to a task module' })
      .min(1, { error: 'expected a task name or a path to a task module' })
      .optional(),
    /** A space file path, or the space itself (validated separately with messages per parameter). */
    space: z.union([z.string().min(1, { error: SPACE_EXPECTED }), z.record(z.string(), z.unknown())], { error: SPACE_EXPECTED }).optional(),
    strategy: z.string({ error: 'expected a strategy name' }).min(1, { error: 'expected a strategy name' }).optional(),
    strategyOptions: z.record(z.string(), z.unknown(), { error: 'expected an object of strategy options' }).optional(),
    budget: wholeAtLeast(1).default(100),
    /** Resource budget: stop once the trials used this much (epochs for tasks, the reported steps for modules). */
    budgetEpochs: positiveNumber.optional(),
    /** Stops trials early on their intermediate values: median, asha, hyperband (src/study/schedulers). */
    scheduler: z.string({ error: 'expected a scheduler name' }).min(1, { error: 'expected a scheduler name' }).optional(),
    schedulerOptions: z.record(z.string(), z.unknown(), { error: 'expected an object of scheduler options' }).optional(),
    /** What the strategy is told for a pruned trial: the value it stopped at, or the worst value. */
    tellPruned: z.enum(TELL_PRUNED, { error: `expected one of ${TELL_PRUNED.join(', ')}` }).default('last'),
    /** Wall-clock budget in seconds. */
    timeBudget: positiveNumber.optional(),
    workers: wholeAtLeast(1).default(availableParallelism()),
    /** Where trials run: "threads" (a local pool of `workers`), or the redis:// or rediss:// URL that `evotune worker`s serve. */
    executor: executorOption.default(LOCAL_EXECUTOR),
    /** With a Redis executor: seconds to wait for a worker before giving up (default: wait). */
    workerWait: positiveNumber.optional(),
    seed: z
      .int({ error: 'expected a whole number >= 0' })
      .min(0, { error: 'expected a whole number >= 0' })
      .max(2 ** 32 - 1, { error: 'expected a whole number < 2^32' })
      .default(0),
    backend: z.enum(BACKENDS, { error: `expected one of ${BACKENDS.join(', ')}` }).default('auto'),
    /** Per-trial timeout in seconds. */
    trialTimeout: positiveNumber.optional(),
    /** Heap limit per worker in MB. */
    maxHeapMb: wholeAtLeast(16).optional(),
    lrBounds: lrBounds.optional(),
    target: z.number({ error: 'expected a finite number' }).optional(),
    /** What is optimised (src/study/objectives.ts): a metric of the outcome ("loss" is the fitness's value), its direction, */
    objective: metricName.optional(),
    direction: direction.optional(),
    /** or several metrics for a Pareto front, one direction each, */
    objectives: z.array(metricName, { error: 'expected a list of metric names' }).min(1, { error: 'expected at least one metric name' }).optional(),
    directions: z.array(direction, { error: `expected a list of ${DIRECTIONS.join(' or ')}` }).optional(),
    /** and constraints: a metric that must be <= 0, or METRIC<=NUMBER / METRIC>=NUMBER (parsed, never evaluated). */
    constraint: z
      .union([constraintText, z.array(constraintText)], { error: 'expected a constraint such as "size<=1e5", or a list of them' })
      .optional(),
    maxConsecutiveFailures: wholeAtLeast(0).default(20),
    /** Where the run's config and journal go. */
    out: z.string({ error: 'expected a folder path' }).min(1, { error: 'expected a folder path' }).optional(),
  },
  { error: 'expected an object of options' },
);

/** The trial budget of a search bounded by its resource budget alone. */
export const UNBOUNDED_TRIALS = 1_000_000;

export type SearchOptionsInput = z.input<typeof searchOptionsSchema>;
export type SearchOptions = z.output<typeof searchOptionsSchema>;

/** Validates options; the first problem becomes one clear usage error naming the field. */
export function parseSearchOptions(raw: unknown, fieldName?: (key: string) => string): SearchOptions {
  // A resource budget (or PBT, which ends with its horizon) bounds the search by itself: the trial budget then
  // only bounds it if given.
  const given = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : undefined;
  const selfBounded =
    given &&
    (given.budgetEpochs !== undefined ||
      (typeof given.strategy === 'string' && isStrategyName(given.strategy) && STRATEGIES[given.strategy].continuesTraining === true));
  const input = given && selfBounded && given.budget === undefined ? { ...given, budget: UNBOUNDED_TRIALS } : raw;
  return parseOptions(searchOptionsSchema, input, { what: 'option', fieldName });
}
