import { errors } from '../../errors.js';
import { validateOptions } from '../../../strategies/options.js';
import { asha } from './asha.js';
import { hyperband } from './hyperband.js';
import { median } from './median.js';
import type { Scheduler } from './types.js';

/** The registry: adding a scheduler is one file in this folder plus one line here. */
export const SCHEDULERS: Readonly<Record<string, Scheduler>> = {
  median,
  asha,
  hyperband,
};

export const schedulerNames = (): string[] => Object.keys(SCHEDULERS);

/** Resolves a scheduler by name and validates its options (defaults filled in). */
export function resolveScheduler(name: string, options?: unknown): { scheduler: Scheduler; options: Record<string, unknown> } {
  const scheduler = SCHEDULERS[name];
  if (!scheduler) throw errors.unknownScheduler(name, schedulerNames());
  const validated = validateOptions(name, scheduler.options, options, (field, expected, got) => errors.schedulerOption(name, field, expected, got));
  return { scheduler, options: validated as Record<string, unknown> };
}

export type { Scheduler, FinishedTrial, SchedulerContext } from './types.js';
