/**
 * The range test's options. Kept apart from the test so that the CLI lists the choices (schedules, signals, rules)
 * without loading the trainer.
 */
import * as z from 'zod';
import { parseOptions } from '../util/schema.js';
import { BACKEND_CHOICES } from '../tf/backend.js';
import { OPTIMIZERS } from '../tasks/config.js';
import { RULE_NAMES, SIGNALS } from './analyse.js';

/** How the LR moves from start to end over the test: exponential (even steps in log LR) or linear (see scheduledLr). */
export type ScheduleKind = 'exponential' | 'linear';
export const SCHEDULES: readonly ScheduleKind[] = ['exponential', 'linear'];

/** Most members one test takes (`seeds`): past a few dozen the median moves no more, and the memory grows. */
export const MAX_SEEDS = 64;

const positive = z.number({ error: 'expected a number > 0' }).positive({ error: 'expected a number > 0' }).finite({ error: 'expected a number > 0' });

/** The range test's options, for the API and the `lr-find` flags alike; defaults are filled in here only. */
export const lrRangeOptionsSchema = z
  .strictObject({
    startLr: positive.default(1e-7),
    endLr: positive.default(10),
    /** Steps of the test; default: see defaultSteps. */
    steps: z.int({ error: 'expected a whole number >= 10' }).min(10, { error: 'expected a whole number >= 10' }).optional(),
    schedule: z.enum(SCHEDULES, { error: `expected one of ${SCHEDULES.join(', ')}` }).default('exponential'),
    signal: z.enum(SIGNALS, { error: `expected one of ${SIGNALS.join(', ')}` }).default('train'),
    beta: z
      .number({ error: 'expected a number in [0, 1)' })
      .min(0, { error: 'expected a number in [0, 1)' })
      .lt(1, { error: 'expected a number in [0, 1)' })
      .default(0.98),
    divergence: z
      .number({ error: 'expected a number > 1' })
      .gt(1, { error: 'expected a number > 1' })
      .finite({ error: 'expected a number > 1' })
      .default(4),
    /** Chosen by benchmarks/lr-range.ts (see benchmarks/results/lr-range.md): closest to the grid-best LR overall. */
    rule: z.enum(RULE_NAMES, { error: `expected one of ${RULE_NAMES.join(', ')}` }).default('minimum-or-valley'),
    /** Stage 2 (see refine.ts): after one training at every quarter-decade LR inside the bounds, this many of the
     *  best race on with more seeds; 0: no training, the curve's suggestion stands. Chosen by
     *  benchmarks/research/lr-range-refine-sim.ts, see benchmarks/results/lr-range-refine.md. */
    refine: z.int({ error: 'expected 0 (off) or a whole number >= 1' }).min(0, { error: 'expected 0 (off) or a whole number >= 1' }).default(3),
    /** Trainings per finalist in all, each from its own seed. */
    refineSeeds: z.int({ error: 'expected a whole number >= 1' }).min(1, { error: 'expected a whole number >= 1' }).default(4),
    /** Range tests at once, member k from seed + k (sweep.ts); the curve read is their median. */
    seeds: z
      .int({ error: `expected a whole number from 1 to ${MAX_SEEDS}` })
      .min(1, { error: `expected a whole number from 1 to ${MAX_SEEDS}` })
      .max(MAX_SEEDS, { error: `expected a whole number from 1 to ${MAX_SEEDS}` })
      .default(1),
    /** Train with this optimizer instead of the task's own choice for the test. */
    optimizer: z.enum(OPTIMIZERS, { error: `expected one of ${OPTIMIZERS.join(', ')}` }).optional(),
    backend: z
      .enum(BACKEND_CHOICES as ['auto', 'tensorflow', 'wasm', 'cpu'], { error: `expected one of ${BACKEND_CHOICES.join(', ')}` })
      .default('auto'),
    /** Seed of the train/validation split: the search's trials use split 0. */
    dataSeed: z.int({ error: 'expected a whole number >= 0' }).min(0, { error: 'expected a whole number >= 0' }).default(0),
  })
  .refine((o) => o.startLr < o.endLr, { path: ['endLr'], error: 'expected endLr > startLr' });

export type LrRangeOptionsInput = z.input<typeof lrRangeOptionsSchema>;
export type LrRangeOptions = z.output<typeof lrRangeOptionsSchema>;

/** Validates options; the first problem is a usage error naming the field (`fieldName` maps it to a flag). */
export function parseLrRangeOptions(raw: unknown, fieldName?: (key: string) => string): LrRangeOptions {
  return parseOptions(lrRangeOptionsSchema, raw, { what: 'LR range test option', fieldName });
}
