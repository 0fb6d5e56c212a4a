import type { Rng } from '../src/util/rng.js';

/** The largest domain `permute` handles: indices stay exact integers and the Feistel halves fit in 26 bits. */
export const MAX_PERMUTATION_SIZE = 2 ** 52;

/**
 * A pseudo-random bijection of [0, size), stored as a few numbers rather than a list: a 4-round Feistel network
 * on the smallest even number of bits covering `size`, with cycle walking to stay inside [0, size).
 * It lets the grid visit millions of points in shuffled order while its state stays tiny.
 */
export interface Permutation {
  size: number;
  halfBits: number;
  keys: number[];
}

export function randomPermutation(size: number, rng: Rng): Permutation {
  let bits = 2;
  while (2 ** bits < size) bits++;
  const keys = Array.from({ length: 4 }, () => Math.floor(rng() * 2 ** 32));
  return { size, halfBits: Math.ceil(bits / 2), keys };
}

/** Image of `index` (in [0, size)); a cycle through [0, 2^2h) that starts inside [0, size) always returns to it. */
export function permute(index: number, p: Permutation): number {
  let x = index;
  do x = feistel(x, p);
  while (x >= p.size);
  return x;
}

function feistel(x: number, p: Permutation): number {
  const half = 2 ** p.halfBits;
  const mask = half - 1;
  let left = Math.floor(x / half);
  let right = x % half;
  for (const key of p.keys) {
    const next = (left ^ mix(right ^ key)) & mask;
    left = right;
    right = next;
  }
  return left * half + right;
}

/** The murmur3 finaliser: a cheap 32-bit hash with good avalanche. */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
