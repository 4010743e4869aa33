/**
 * A tiny WebAssembly assembler for the uniqueness kernel. No wasm toolchain is needed: the module
 * bytes are emitted here, specialised for the number of 64-bit words of one half (bits or mask) of
 * a code, so the word loop is fully unrolled with constant load offsets.
 *
 * Exports:
 * - `scan(probePtr, nShifts, codesPtr, count, minUsable, thresholdPer10k, outPtr) -> i32`: for each
 *   of `count` codes at `codesPtr` (bits words then mask words), compares every pre-shifted probe
 *   (shift k at `probePtr + k * codeBytes`, same layout), keeps the best shift by
 *   `differing / usable` among shifts with `usable >= minUsable` (the first in shift order wins a
 *   tie), and for each code that matches (`differing * 10000 <= threshold * usable`) writes four
 *   i32 (code index, shift index, differing, usable) at `outPtr`. A code for which no shift has
 *   `minUsable` usable bits is undecidable and gets the record (code index, -1, 0, 0). Returns the
 *   number of records.
 * - `readSweep(ptr, bytes) -> i32`: XOR of every 64-bit word in a range, folded to 32 bits; a
 *   sequential-read bandwidth probe for benchmarks.
 */

import { UniquenessError } from "./errors.js";

const OP = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i64Load: 0x29,
  i32Store: 0x36,
  i32Const: 0x41,
  i64Const: 0x42,
  i32LtU: 0x49,
  i32GeU: 0x4f,
  i64Eqz: 0x50,
  i64LtU: 0x54,
  i64LeU: 0x58,
  i64GeU: 0x5a,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32And: 0x71,
  i32Or: 0x72,
  i64Popcnt: 0x7b,
  i64Add: 0x7c,
  i64Mul: 0x7e,
  i64And: 0x83,
  i64Xor: 0x85,
  i64ShrU: 0x88,
  i32WrapI64: 0xa7,
  i64ExtendI32U: 0xad,
} as const;
const VOID = 0x40;
const I32 = 0x7f;
const I64 = 0x7e;

function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function vector(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...uleb(bytes.length), ...bytes];
}

/** Unroll factor of the word loop: all of it up to 64 words, else the largest divisor up to 32. */
export function defaultUnroll(halfWords: number): number {
  if (halfWords <= 64) return halfWords;
  for (let u = 32; u > 1; u--) if (halfWords % u === 0) return u;
  return 1;
}

/** The exports of an instantiated kernel module (see the module comment for their contracts). */
export interface WasmKernel {
  scan(
    probePtr: number,
    nShifts: number,
    codesPtr: number,
    count: number,
    minUsable: number,
    thresholdPer10k: number,
    outPtr: number,
  ): number;
  readSweep(ptr: number, bytes: number): number;
}

/** Largest number of 64-bit words per code half the emitter accepts (memarg offsets stay small). */
export const MAX_KERNEL_WORDS = 1 << 16;

/**
 * Emits the kernel module for codes of `halfWords` 64-bit words of bits followed by as many of
 * mask. The module imports a shared memory `env.memory` with limits `minPages..maxPages`.
 */
export function emitKernelModule(
  halfWords: number,
  minPages: number,
  maxPages: number,
  unroll = defaultUnroll(halfWords),
): Uint8Array<ArrayBuffer> {
  if (!Number.isInteger(halfWords) || halfWords < 1 || halfWords > MAX_KERNEL_WORDS) {
    throw new UniquenessError(
      "INVALID_PARAMETER",
      `Parameter 'halfWords' must be an integer between 1 and ${MAX_KERNEL_WORDS}, received ${halfWords}`,
      { field: "halfWords" },
    );
  }
  if (!Number.isInteger(unroll) || unroll < 1 || halfWords % unroll !== 0) {
    throw new UniquenessError(
      "INVALID_PARAMETER",
      `Parameter 'unroll' must be a positive divisor of halfWords (${halfWords}), received ${unroll}`,
      { field: "unroll" },
    );
  }
  const codeBytes = halfWords * 16;
  const maskOffset = halfWords * 8;

  // scan: params 0 probePtr, 1 nShifts, 2 codesPtr, 3 count, 4 minUsable, 5 threshold, 6 outPtr
  const P_PROBE = 0;
  const P_NSHIFTS = 1;
  const P_CODES = 2;
  const P_COUNT = 3;
  const P_MINU = 4;
  const P_THR = 5;
  const P_OUT = 6;
  // i32 locals
  const L_I = 7;
  const L_K = 8;
  const L_PP = 9;
  const L_NOUT = 10;
  const L_BESTK = 11;
  // i64 locals
  const L_U = 12;
  const L_D = 13;
  const L_BU = 14;
  const L_BD = 15;
  const L_M = 16;
  const L_MINU64 = 17;
  const L_THR64 = 18;
  // i32 locals of the blocked word loop
  const L_CW = 19;
  const L_PW = 20;
  const L_CEND = 21;

  const get = (l: number) => [OP.localGet, ...uleb(l)];
  const set = (l: number) => [OP.localSet, ...uleb(l)];
  const load64 = (base: number, offset: number) => [...get(base), OP.i64Load, 3, ...uleb(offset)];
  const i64c = (v: number) => [OP.i64Const, ...sleb(v)];
  const i32c = (v: number) => [OP.i32Const, ...sleb(v)];

  const blocked = unroll < halfWords;
  const cBase = blocked ? L_CW : P_CODES;
  const pBase = blocked ? L_PW : L_PP;
  const block: number[] = [];
  for (let w = 0; w < unroll; w++) {
    // m = tm & pm
    block.push(
      ...load64(cBase, maskOffset + w * 8),
      ...load64(pBase, maskOffset + w * 8),
      OP.i64And,
      OP.localTee,
      ...uleb(L_M),
      OP.i64Popcnt,
      ...get(L_U),
      OP.i64Add,
      ...set(L_U),
      // d += popcnt((t ^ p) & m)
      ...load64(cBase, w * 8),
      ...load64(pBase, w * 8),
      OP.i64Xor,
      ...get(L_M),
      OP.i64And,
      OP.i64Popcnt,
      ...get(L_D),
      OP.i64Add,
      ...set(L_D),
    );
  }
  // Fully unrolled for small codes; for large ones a loop over blocks of `unroll` words (V8's
  // optimising tier handles a very long straight-line body worse than a loop).
  const wordsBody: number[] = blocked
    ? [
        ...get(P_CODES),
        ...set(L_CW),
        ...get(L_PP),
        ...set(L_PW),
        ...get(P_CODES),
        ...i32c(maskOffset),
        OP.i32Add,
        ...set(L_CEND),
        OP.loop,
        VOID,
        ...block,
        ...get(L_CW),
        ...i32c(unroll * 8),
        OP.i32Add,
        OP.localTee,
        ...uleb(L_CW),
        ...get(L_PW),
        ...i32c(unroll * 8),
        OP.i32Add,
        ...set(L_PW),
        ...get(L_CEND),
        OP.i32LtU,
        OP.brIf,
        0,
        OP.end,
      ]
    : block;

  const scanBody: number[] = [
    ...get(P_MINU),
    OP.i64ExtendI32U,
    ...set(L_MINU64),
    ...get(P_THR),
    OP.i64ExtendI32U,
    ...set(L_THR64),
    OP.block,
    VOID,
    OP.loop,
    VOID,
    // if i >= count: break
    ...get(L_I),
    ...get(P_COUNT),
    OP.i32GeU,
    OP.brIf,
    1,
    ...i64c(0),
    ...set(L_BU),
    ...i64c(0),
    ...set(L_BD),
    ...i32c(-1),
    ...set(L_BESTK),
    ...i32c(0),
    ...set(L_K),
    ...get(P_PROBE),
    ...set(L_PP),
    OP.block,
    VOID,
    OP.loop,
    VOID,
    ...get(L_K),
    ...get(P_NSHIFTS),
    OP.i32GeU,
    OP.brIf,
    1,
    ...i64c(0),
    ...set(L_U),
    ...i64c(0),
    ...set(L_D),
    ...wordsBody,
    // if (u >= minU) & ((bu == 0) | (d * bu < bd * u)) { bu = u; bd = d; bestK = k }
    ...get(L_U),
    ...get(L_MINU64),
    OP.i64GeU,
    ...get(L_BU),
    OP.i64Eqz,
    ...get(L_D),
    ...get(L_BU),
    OP.i64Mul,
    ...get(L_BD),
    ...get(L_U),
    OP.i64Mul,
    OP.i64LtU,
    OP.i32Or,
    OP.i32And,
    OP.if,
    VOID,
    ...get(L_U),
    ...set(L_BU),
    ...get(L_D),
    ...set(L_BD),
    ...get(L_K),
    ...set(L_BESTK),
    OP.end,
    ...get(L_K),
    ...i32c(1),
    OP.i32Add,
    ...set(L_K),
    ...get(L_PP),
    ...i32c(codeBytes),
    OP.i32Add,
    ...set(L_PP),
    OP.br,
    0,
    OP.end,
    OP.end,
    // if bd * 10000 <= thr * bu: record. Also true for an undecidable code (no shift reached
    // minUsable: bu = bd = 0, bestK = -1), which is reported rather than passed over as unique.
    ...get(L_BD),
    ...i64c(10000),
    OP.i64Mul,
    ...get(L_THR64),
    ...get(L_BU),
    OP.i64Mul,
    OP.i64LeU,
    OP.if,
    VOID,
    ...get(P_OUT),
    ...get(L_I),
    OP.i32Store,
    2,
    0,
    ...get(P_OUT),
    ...get(L_BESTK),
    OP.i32Store,
    2,
    4,
    ...get(P_OUT),
    ...get(L_BD),
    OP.i32WrapI64,
    OP.i32Store,
    2,
    8,
    ...get(P_OUT),
    ...get(L_BU),
    OP.i32WrapI64,
    OP.i32Store,
    2,
    12,
    ...get(P_OUT),
    ...i32c(16),
    OP.i32Add,
    ...set(P_OUT),
    ...get(L_NOUT),
    ...i32c(1),
    OP.i32Add,
    ...set(L_NOUT),
    OP.end,
    ...get(L_I),
    ...i32c(1),
    OP.i32Add,
    ...set(L_I),
    ...get(P_CODES),
    ...i32c(codeBytes),
    OP.i32Add,
    ...set(P_CODES),
    OP.br,
    0,
    OP.end,
    OP.end,
    ...get(L_NOUT),
    OP.end,
  ];
  const scanFunc = [
    ...vector([
      [...uleb(5), I32],
      [...uleb(7), I64],
      [...uleb(3), I32],
    ]),
    ...scanBody,
  ];

  // readSweep: params 0 ptr, 1 bytes; local 2 end (i32), 3 acc (i64)
  const sweepBody: number[] = [
    ...get(0),
    ...get(1),
    OP.i32Add,
    ...set(2),
    OP.block,
    VOID,
    OP.loop,
    VOID,
    ...get(0),
    ...get(2),
    OP.i32GeU,
    OP.brIf,
    1,
  ];
  for (let w = 0; w < 8; w++) sweepBody.push(...load64(0, w * 8), ...get(3), OP.i64Xor, ...set(3));
  sweepBody.push(
    ...get(0),
    ...i32c(64),
    OP.i32Add,
    ...set(0),
    OP.br,
    0,
    OP.end,
    OP.end,
    ...get(3),
    ...get(3),
    ...i64c(32),
    OP.i64ShrU,
    OP.i64Xor,
    OP.i32WrapI64,
    OP.end,
  );
  const sweepFunc = [
    ...vector([
      [1, I32],
      [1, I64],
    ]),
    ...sweepBody,
  ];

  const types = vector([
    [0x60, ...uleb(7), I32, I32, I32, I32, I32, I32, I32, 1, I32],
    [0x60, 2, I32, I32, 1, I32],
  ]);
  const imports = vector([
    [...name("env"), ...name("memory"), 0x02, 0x03, ...uleb(minPages), ...uleb(maxPages)],
  ]);
  const functions = vector([[0], [1]]);
  const exports = vector([
    [...name("scan"), 0x00, 0],
    [...name("readSweep"), 0x00, 1],
  ]);
  const code = vector([
    [...uleb(scanFunc.length), ...scanFunc],
    [...uleb(sweepFunc.length), ...sweepFunc],
  ]);
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, types),
    ...section(2, imports),
    ...section(3, functions),
    ...section(7, exports),
    ...section(10, code),
  ]);
}
