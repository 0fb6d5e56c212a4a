import { describe, expect, it } from 'vitest';
import { Space, parseSpace } from '../src/space/index.js';

const space = new Space(
  parseSpace({
    lr: { type: 'float', low: 1e-4, high: 1, log: true },
    units: { type: 'int', low: 8, high: 64, log: true },
    layers: { type: 'int', low: 1, high: 4 },
    opt: { type: 'categorical', choices: ['adam', 'sgd', 'rmsprop'] },
  }),
);

describe('Space.binEdges', () => {
  it('gives no edges for floats and one fewer edge than values for discrete parameters', () => {
    const edges = space.binEdges();
    expect(edges.map((e) => e.length)).toEqual([0, 56, 3, 2]);
    for (const e of edges) expect([...e].sort((a, b) => a - b)).toEqual(e);
  });

  it('places each edge exactly where the decoded value changes', () => {
    const edges = space.binEdges();
    edges.forEach((geneEdges, g) => {
      for (const edge of geneEdges) {
        const below = Array(space.dim).fill(0.5);
        const above = Array(space.dim).fill(0.5);
        below[g] = edge - 1e-9;
        above[g] = edge + 1e-9;
        const name = space.names[g]!;
        expect(space.decode(below)[name]).not.toEqual(space.decode(above)[name]);
      }
    });
  });
});
