import { describe, expect, it } from 'vitest';
import { runStudy } from '../src/study/study.js';
import { Space, parseSpace } from '../src/space/index.js';
import { InlineEvaluator } from '../src/eval/inline.js';
import { resolveStrategy } from '../strategies/index.js';

describe('a stop request', () => {
  it('starts no further trial of the running generation, and records the ones that ran', async () => {
    const stop = new AbortController();
    const space = new Space(parseSpace({ x: { type: 'float', low: -1, high: 1 } }));
    const { strategy, options } = resolveStrategy('random', { batch: 32 });
    const evaluator = new InlineEvaluator((p, ctx) => {
      if (ctx.trial === 4) stop.abort();
      return (p.x as number) ** 2;
    });
    const summary = await runStudy({ space, strategy, strategyOptions: options, evaluator, seed: 1, budget: 100, stopSignal: stop.signal });
    expect(summary.stoppedBy).toBe('stopped');
    // Trial 4 asked for the stop; with one trial at a time in flight nothing after it started.
    expect(summary.trials.map((t) => t.number)).toEqual([0, 1, 2, 3, 4]);
    expect(summary.trials.every((t) => t.outcome.state === 'complete')).toBe(true);
  });
});
