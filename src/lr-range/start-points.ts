import { Space } from '../space/codec.js';
import type { Params, SpaceSpec } from '../space/spec.js';

/** Where the first population's points put the LR, in decades from the suggestion: on it and a quarter/half decade around. */
const OFFSETS = [0, -0.25, 0.25, -0.5];

/**
 * Points of the unit cube for a search's first population: the LR gene at and around the suggestion (kept inside
 * the space's LR range), every other gene at the task's default where the space can hold it, else mid-range.
 */
export function pointsAroundSuggestion(spec: SpaceSpec, lrName: string, suggestion: number, defaults: Params): number[][] {
  const space = new Space(spec);
  const base = space.names.map((name) => geneOf(spec, name, defaults[name]));
  const lrIndex = space.names.indexOf(lrName);
  return OFFSETS.map((d) => {
    const x = [...base];
    x[lrIndex] = geneOf(spec, lrName, suggestion * 10 ** d, true);
    return x;
  });
}

/** The gene of one value, or 0.5 when the value is absent or outside the parameter (clamped instead if `clamp`). */
function geneOf(spec: SpaceSpec, name: string, value: Params[string] | undefined, clamp = false): number {
  const p = spec[name]!;
  let v = value;
  if (clamp && typeof v === 'number' && p.type !== 'categorical') v = Math.min(p.high, Math.max(p.low, v));
  if (v === undefined) return 0.5;
  try {
    return new Space({ [name]: p }).encode({ [name]: v })[0]!;
  } catch {
    return 0.5; // a default the space cannot represent (another type, out of range): no better guess than mid-range
  }
}
