/**
 * Just enough of the WebAssembly binary format to write a module of a few functions that import one memory: the
 * type, import, function, export and code sections, LEB128 numbers, and the opcodes simd-update.ts emits. Writing
 * the bytes here (rather than committing a compiled .wasm) keeps the kernel's source the TypeScript that generates it,
 * with no toolchain and nothing downloaded: the spec's section and opcode numbers are the only facts it relies on
 * (https://webassembly.github.io/spec/core/binary/, and the SIMD proposal's opcode table).
 */

export const ValType = { i32: 0x7f, f32: 0x7d, v128: 0x7b } as const;
export type ValType = (typeof ValType)[keyof typeof ValType];

/** The opcodes used, as byte sequences (SIMD ones carry the 0xfd prefix and a LEB128 index). */
export const Op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Const: 0x41,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32And: 0x71,
  i32Shl: 0x74,
  f32Load: 0x2a,
  f32Store: 0x38,
  f32Sqrt: 0x91,
  f32Add: 0x92,
  f32Sub: 0x93,
  f32Mul: 0x94,
  f32Div: 0x95,
  v128Load: simd(0x00),
  v128Store: simd(0x0b),
  f32x4Splat: simd(0x13),
  f32x4Sqrt: simd(0xe3),
  f32x4Add: simd(0xe4),
  f32x4Sub: simd(0xe5),
  f32x4Mul: simd(0xe6),
  f32x4Div: simd(0xe7),
} as const;

function simd(index: number): number[] {
  return [0xfd, ...uleb(index)];
}

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

const vec = (items: readonly number[][]): number[] => [...uleb(items.length), ...items.flat()];
const name = (s: string): number[] => vec([...Buffer.from(s, 'utf8')].map((b) => [b]));
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

export interface FunctionSpec {
  readonly name: string;
  readonly params: readonly ValType[];
  /** Locals after the parameters, in index order. */
  readonly locals: readonly ValType[];
  /** The instructions, without the final `end`. */
  readonly body: readonly number[];
}

/** A module importing `env.memory` (any size, not shared) and exporting each function under its name. */
export function encodeModule(functions: readonly FunctionSpec[]): Uint8Array<ArrayBuffer> {
  const types = section(1, vec(functions.map((f) => [0x60, ...vec(f.params.map((p) => [p])), 0])));
  const imports = section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, ...uleb(0)]]));
  const funcs = section(3, vec(functions.map((_, i) => uleb(i))));
  const exports = section(7, vec(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)])));
  const code = section(
    10,
    vec(
      functions.map((f) => {
        // Locals as runs of one type, as the format groups them.
        const runs: number[][] = [];
        f.locals.forEach((t, i) => {
          if (i > 0 && f.locals[i - 1] === t) runs[runs.length - 1]![0]!++;
          else runs.push([1, t]);
        });
        const body = [...vec(runs.map(([count, t]) => [...uleb(count!), t!])), ...f.body, Op.end];
        return [...uleb(body.length), ...body];
      }),
    ),
  );
  return Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...types, ...imports, ...funcs, ...exports, ...code]);
}
