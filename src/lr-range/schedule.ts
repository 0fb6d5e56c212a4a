/** How the LR moves from start to end over the test: exponential (even steps in log LR) or linear. */
export type ScheduleKind = 'exponential' | 'linear';
export const SCHEDULES: readonly ScheduleKind[] = ['exponential', 'linear'];

/**
 * The LR at step `i` of `steps` (0-based), from `start` at the first step to `end` at the last.
 * Exponential is the default because a linear ramp spends almost every step above end/10, leaving the small LRs,
 * which need many steps to show an effect, with almost none.
 */
export function scheduledLr(kind: ScheduleKind, start: number, end: number, steps: number, i: number): number {
  const t = steps <= 1 ? 0 : i / (steps - 1);
  return kind === 'exponential' ? start * (end / start) ** t : start + (end - start) * t;
}
