import { crc32 } from 'node:zlib';
import type { Checkpoint } from './types.js';

/**
 * A checkpoint as bytes (on disk, and through Redis): `EVOCKPT1`, the header's byte length (uint32 LE), a JSON header, then the raw bytes of every
 * typed array, then a CRC-32 of everything before it. The header is the checkpoint with each Float32Array /
 * Float64Array / Int32Array replaced by {"$a": type, "at": byte offset, "n": length}, so any plain object of
 * numbers, strings and typed arrays a fitness returns round-trips, and a truncated or damaged file is detected.
 */
const MAGIC = Buffer.from('EVOCKPT1');
const ARRAYS = { f32: Float32Array, f64: Float64Array, i32: Int32Array } as const;
type ArrayKind = keyof typeof ARRAYS;
type Typed = Float32Array | Float64Array | Int32Array;

const kindOf = (v: unknown): ArrayKind | undefined =>
  v instanceof Float32Array ? 'f32' : v instanceof Float64Array ? 'f64' : v instanceof Int32Array ? 'i32' : undefined;

export function encodeCheckpoint(c: Checkpoint): Buffer {
  const chunks: Buffer[] = [];
  let at = 0;
  const walk = (v: unknown): unknown => {
    const kind = kindOf(v);
    if (kind) {
      const a = v as Typed;
      const bytes = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
      chunks.push(bytes);
      const ref = { $a: kind, at, n: a.length };
      at += bytes.length;
      return ref;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    if (typeof v === 'number' && !Number.isFinite(v)) return { $n: String(v) };
    return v;
  };
  const header = Buffer.from(JSON.stringify(walk(c)));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  const body = Buffer.concat([MAGIC, len, header, ...chunks]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(body));
  return Buffer.concat([body, crc]);
}

/** `bad` makes the error for a damaged encoding, named for where it came from (a file, a Redis job). */
export function decodeCheckpoint(buf: Buffer, bad: (problem: string) => Error): Checkpoint {
  if (buf.length < MAGIC.length + 8 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) throw bad('is not an evotune checkpoint (or is truncated)');
  const body = buf.subarray(0, buf.length - 4);
  if (crc32(body) !== buf.readUInt32LE(buf.length - 4)) throw bad('is truncated or damaged (checksum mismatch)');
  const hlen = body.readUInt32LE(MAGIC.length);
  const start = MAGIC.length + 4;
  if (start + hlen > body.length) throw bad('is truncated (header)');
  const data = body.subarray(start + hlen);
  let header: unknown;
  try {
    header = JSON.parse(body.subarray(start, start + hlen).toString('utf8'));
  } catch {
    throw bad('has a damaged header');
  }
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.$a === 'string' && o.$a in ARRAYS) {
        const Ctor = ARRAYS[o.$a as ArrayKind];
        const at = Number(o.at);
        const n = Number(o.n);
        const bytes = n * Ctor.BYTES_PER_ELEMENT;
        if (!Number.isInteger(at) || !Number.isInteger(n) || at < 0 || n < 0 || at + bytes > data.length) throw bad('is truncated (array data)');
        // Copied out: the file's buffer is not aligned for every array type, and the checkpoint owns its memory.
        return new Ctor(new Uint8Array(data.subarray(at, at + bytes)).buffer);
      }
      if (typeof o.$n === 'string') return Number(o.$n);
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  const c = walk(header);
  if (c === null || typeof c !== 'object' || Array.isArray(c)) throw bad('does not hold an object');
  return c as Checkpoint;
}
