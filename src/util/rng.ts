import seedrandom from 'seedrandom';

/** A source of uniform numbers in [0, 1). Strategies get one per call; they never touch Math.random. */
export type Rng = () => number;

/** 32-bit FNV-1a over the parts' text: a stable way to derive a child seed from a root seed and labels. */
export function deriveSeed(root: number, ...parts: Array<string | number>): number {
  let h = 0x811c9dc5;
  const text = [root, ...parts].join('/');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** A seeded generator for (root seed, labels): same inputs, same stream, whatever ran before. */
export function rngFor(root: number, ...parts: Array<string | number>): Rng {
  const prng = seedrandom(String(deriveSeed(root, ...parts)));
  return () => prng.quick();
}

/** Standard normal by Box-Muller. */
export function gaussian(rng: Rng): number {
  let u = 0;
  while (u === 0) u = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** Integer in [0, n). */
export function randInt(rng: Rng, n: number): number {
  return Math.min(n - 1, Math.floor(rng() * n));
}

/** Fisher-Yates in place, with our own RNG (tf.util.shuffle would use Math.random). */
export function shuffleInPlace<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randInt(rng, i + 1);
    const t = items[i]!;
    items[i] = items[j]!;
    items[j] = t;
  }
  return items;
}

export const clamp01 = (v: number) => Math.min(1, Math.max(0, v));
