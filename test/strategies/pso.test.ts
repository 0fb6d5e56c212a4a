/** Particle swarm: what a user sees beyond the shared contract (test/strategies.conformance.test.ts). */
import { describe, expect, it } from 'vitest';
import { pso } from '../../strategies/pso.js';
import { batches, drain, session } from '../helpers/strategy-session.js';

const sphere = (x: readonly number[]) => x.reduce((s, v) => s + v * v, 0);

/** The largest move of any particle along any gene between two consecutive generations (batches are in swarm order). */
function largestStep(raw: object): number {
  const gens = batches(session(pso, 4, { swarmSize: 8, ...raw }), (x) => sphere(x.map((v) => v - 0.9)), 15);
  let largest = 0;
  for (let g = 1; g < gens.length; g++) {
    gens[g]!.forEach((x, i) => x.forEach((v, d) => (largest = Math.max(largest, Math.abs(v - gens[g - 1]![i]![d]!)))));
  }
  return largest;
}

describe('pso', () => {
  it('asks the whole swarm every generation', () => {
    expect(batches(session(pso, 3, { swarmSize: 7 }), sphere, 5).map((b) => b.length)).toEqual([7, 7, 7, 7, 7]);
  });

  it('clamps the velocity: no particle moves more than vmax along a gene in one generation', () => {
    // Strong pulls that would take far larger steps without the clamp.
    const pulls = { c1: 3, c2: 3, w: 1 };
    expect(largestStep({ ...pulls, vmax: 0.05 })).toBeLessThanOrEqual(0.05 + 1e-12);
    expect(largestStep({ ...pulls, vmax: 1 })).toBeGreaterThan(0.2);
  });

  it.each(['reflect', 'clip', 'random'])('with boundary "%s", keeps fast particles inside the cube', (boundary) => {
    for (const topology of ['global', 'ring']) {
      const points = drain(session(pso, 5, { boundary, topology, vmax: 1, w: 1, c1: 3, c2: 3 }), (x) => (x[0]! - 1) ** 2, 20);
      for (const v of points.flat()) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
    }
  });

  it('treats a ring that reaches round the whole swarm as the global topology', () => {
    const run = (raw: object) => drain(session(pso, 3, { swarmSize: 6, ...raw }), sphere, 5);
    expect(run({ topology: 'ring', neighbours: 4 })).toEqual(run({ topology: 'global' }));
    expect(run({ topology: 'ring', neighbours: 1 })).not.toEqual(run({ topology: 'global' }));
  });
});
