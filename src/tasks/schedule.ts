import type { ScheduleConfig } from './config.js';

/**
 * The learning rate at `step` (0-based) of a run of `total` steps.
 * - constant: lr.
 * - cosine: linear warm-up from lr/warmupSteps to lr over the first warmupFraction of the run, then cosine decay to 0.
 * - triangular (Smith 2017, CLR): two full cycles lrMin -> lrMax -> lrMin over the run.
 * - onecycle (Smith 2018): lrMin -> lrMax over 45% of the run, back to lrMin over the next 45%, then down to
 *   lrMin/100 over the last 10%.
 */
export function lrAt(s: ScheduleConfig, step: number, total: number): number {
  const t = total <= 1 ? 0 : step / (total - 1);
  switch (s.kind) {
    case 'constant':
      return s.lr;
    case 'cosine': {
      const warm = Math.max(1, Math.round(s.warmupFraction * total));
      if (step < warm) return (s.lr * (step + 1)) / warm;
      const u = total - warm <= 1 ? 1 : (step - warm) / (total - warm - 1);
      return 0.5 * s.lr * (1 + Math.cos(Math.PI * u));
    }
    case 'triangular': {
      const cycle = (t * 2) % 1; // position in the current cycle, [0, 1)
      const tri = 1 - Math.abs(2 * cycle - 1);
      return s.lrMin + (s.lrMax - s.lrMin) * tri;
    }
    case 'onecycle': {
      if (t < 0.45) return s.lrMin + (s.lrMax - s.lrMin) * (t / 0.45);
      if (t < 0.9) return s.lrMax - (s.lrMax - s.lrMin) * ((t - 0.45) / 0.45);
      const lrEnd = s.lrMin / 100;
      return s.lrMin - (s.lrMin - lrEnd) * ((t - 0.9) / 0.1);
    }
  }
}
