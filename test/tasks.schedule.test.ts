import { describe, expect, it } from 'vitest';
import { trainConfig } from '../src/tasks/config.js';
import { lrAt } from '../src/tasks/schedule.js';

const curve = (params: Record<string, string | number>, total: number) => {
  const { schedule } = trainConfig('t', { lr: 0.1, ...params });
  return Array.from({ length: total }, (_, step) => lrAt(schedule, step, total));
};

describe('LR schedules', () => {
  it('constant keeps lr', () => {
    expect(new Set(curve({ schedule: 'constant' }, 50))).toEqual(new Set([0.1]));
  });

  it('cosine warms up linearly to lr over the first 10%, then decays to 0', () => {
    const c = curve({ schedule: 'cosine' }, 100);
    expect(c[0]).toBeCloseTo(0.01);
    expect(c[9]).toBeCloseTo(0.1);
    expect(c[10]).toBeCloseTo(0.1);
    expect(c[99]).toBeCloseTo(0);
    for (let i = 11; i < 100; i++) expect(c[i]!).toBeLessThanOrEqual(c[i - 1]!);
  });

  it('triangular runs two cycles between the range-test bounds', () => {
    const c = curve({ schedule: 'triangular', lrMin: 0.01, lrMax: 0.5 }, 101);
    expect(c[0]).toBeCloseTo(0.01);
    expect(c[25]).toBeCloseTo(0.5);
    expect(c[50]).toBeCloseTo(0.01);
    expect(c[75]).toBeCloseTo(0.5);
    expect(Math.min(...c)).toBeGreaterThanOrEqual(0.01 - 1e-12);
    expect(Math.max(...c)).toBeLessThanOrEqual(0.5 + 1e-12);
  });

  it('one-cycle rises to lrMax, comes back, and ends far below lrMin', () => {
    const c = curve({ schedule: 'onecycle', lrMin: 0.01, lrMax: 0.5 }, 201);
    expect(c[0]).toBeCloseTo(0.01);
    expect(c[90]).toBeCloseTo(0.5);
    expect(c[180]).toBeCloseTo(0.01);
    expect(c[200]).toBeCloseTo(0.0001);
  });

  it('without lrMin/lrMax the cyclical bounds derive from lr: [lr/10, lr]', () => {
    const c = curve({ schedule: 'triangular' }, 101);
    expect(c[0]).toBeCloseTo(0.01);
    expect(c[25]).toBeCloseTo(0.1);
  });
});

describe('trainConfig', () => {
  it('gives each optimizer its own knob; one momentum gene serves as Adam beta1', () => {
    expect(trainConfig('t', { optimizer: 'adam', momentum: 0.8 }).optimizer).toEqual({ kind: 'adam', beta1: 0.8 });
    expect(trainConfig('t', { optimizer: 'adam', momentum: 0.8, beta1: 0.95 }).optimizer).toEqual({ kind: 'adam', beta1: 0.95 });
    expect(trainConfig('t', { optimizer: 'sgd' }).optimizer).toEqual({ kind: 'sgd', momentum: 0.9 });
    expect(trainConfig('t', { optimizer: 'rmsprop' }).optimizer).toEqual({ kind: 'rmsprop', momentum: 0 });
  });

  it('names the parameter and what it expected', () => {
    expect(() => trainConfig('digits', { lr: -1 })).toThrow('task digits: param "lr": expected a number > 0, got -1');
    expect(() => trainConfig('digits', { batchSize: 2.5 })).toThrow('param "batchSize": expected a whole number >= 1, got 2.5');
    expect(() => trainConfig('digits', { schedule: 'step' })).toThrow(
      'param "schedule": expected one of constant, cosine, triangular, onecycle, got "step"',
    );
    expect(() => trainConfig('digits', { schedule: 'triangular', lrMin: 0.5, lrMax: 0.1 })).toThrow('expected lrMin < lrMax, got 0.5 and 0.1');
  });
});
