import { errors } from '../errors.js';
import type { ParamSpec, Params, ParamValue, SpaceSpec } from './spec.js';
import { clamp01 } from '../util/rng.js';

/** Bin edges a discrete gene may have and still get them listed; with more, strategies treat it as continuous
 *  (its edges are not kept in a strategy's state): bins that narrow cannot hold a converged distribution anyway. */
export const MAX_BIN_EDGES = 1000;

/**
 * Maps parameters to and from the unit cube [0,1]^d, one gene per parameter.
 * Strategies only ever see the cube, so they know nothing of log scales, integers or choices:
 * - float: linear or log interpolation between low and high;
 * - int: the cube is cut into equal bins, one per integer (on a log scale for log ints, from low-0.5 to high+0.5);
 * - categorical: equal bins, one per choice.
 * `encode` returns the centre of an int's or a choice's bin, so decode(encode(p)) == p.
 */
export class Space {
  readonly names: readonly string[];
  readonly dim: number;
  constructor(readonly spec: SpaceSpec) {
    this.names = Object.keys(spec);
    this.dim = this.names.length;
  }

  decode(x: readonly number[]): Params {
    if (x.length !== this.dim) throw errors.internal(`decode: expected ${this.dim} genes, got ${x.length}`);
    const out: Params = {};
    this.names.forEach((name, i) => {
      out[name] = decodeOne(this.spec[name]!, clamp01(x[i]!));
    });
    return out;
  }

  /** Per gene, the sorted boundaries between its bins in [0, 1]: lets a strategy such as CMA-ES with margin keep a
   *  chance of leaving a discrete parameter's current bin. Empty for a float, and for a gene of MAX_BIN_EDGES edges
   *  or more: as good as continuous, and an int from 0 to 1e8 would otherwise cost every study gigabytes. */
  binEdges(): number[][] {
    return this.names.map((name) => {
      const p = this.spec[name]!;
      if (p.type === 'float') return [];
      const count = p.type === 'categorical' ? p.choices.length - 1 : p.high - p.low;
      if (count >= MAX_BIN_EDGES) return [];
      if (p.type === 'categorical') return Array.from({ length: count }, (_, k) => (k + 1) / p.choices.length);
      const [lo, hi] = intRange(p);
      return Array.from({ length: count }, (_, k) => {
        const edge = p.low + k + 0.5;
        return ((p.log ? Math.log(edge) : edge) - lo) / (hi - lo);
      });
    });
  }

  encode(params: Params): number[] {
    return this.names.map((name) => {
      if (!(name in params)) throw errors.space(name, 'missing from the given parameters');
      return encodeOne(name, this.spec[name]!, params[name]!);
    });
  }
}

function decodeOne(p: ParamSpec, u: number): ParamValue {
  switch (p.type) {
    case 'float': {
      const v = p.log ? Math.exp(Math.log(p.low) + u * (Math.log(p.high) - Math.log(p.low))) : p.low + u * (p.high - p.low);
      return Math.min(p.high, Math.max(p.low, v));
    }
    case 'int': {
      const [lo, hi] = intRange(p);
      const v = p.log ? Math.exp(lo + u * (hi - lo)) : lo + u * (hi - lo);
      return Math.min(p.high, Math.max(p.low, Math.round(v)));
    }
    case 'categorical':
      return p.choices[Math.min(p.choices.length - 1, Math.floor(u * p.choices.length))]!;
  }
}

function encodeOne(name: string, p: ParamSpec, v: ParamValue): number {
  switch (p.type) {
    case 'float': {
      if (typeof v !== 'number' || v < p.low || v > p.high) throw errors.space(name, `value ${String(v)} is outside [${p.low}, ${p.high}]`);
      return p.log ? (Math.log(v) - Math.log(p.low)) / (Math.log(p.high) - Math.log(p.low)) : (v - p.low) / (p.high - p.low);
    }
    case 'int': {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < p.low || v > p.high) {
        throw errors.space(name, `value ${String(v)} is not an integer in [${p.low}, ${p.high}]`);
      }
      const [lo, hi] = intRange(p);
      // Centre of v's bin: the midpoint of [v-0.5, v+0.5] in the (log) coordinates decode uses.
      const a = p.log ? Math.log(v - 0.5) : v - 0.5;
      const b = p.log ? Math.log(v + 0.5) : v + 0.5;
      return clamp01(((a + b) / 2 - lo) / (hi - lo));
    }
    case 'categorical': {
      const i = p.choices.indexOf(v);
      if (i < 0) throw errors.space(name, `value ${String(v)} is not one of the choices`);
      return (i + 0.5) / p.choices.length;
    }
  }
}

/** The continuous range an int parameter is decoded from: each integer owns [v-0.5, v+0.5]. */
function intRange(p: { low: number; high: number; log: boolean }): [number, number] {
  const lo = p.low - 0.5;
  const hi = p.high + 0.5;
  // Log ints have low >= 1 (validated), so low - 0.5 > 0.
  return p.log ? [Math.log(lo), Math.log(hi)] : [lo, hi];
}
