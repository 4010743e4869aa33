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
 *   With pruning (see {@link emitKernelModule}), a code whose decidability pruning left open gets
 *   (code index, -2, 0, 0) instead; {@link scanChunk} decides it again with `scanExact`.
 * - `scanExact(...)`: the same as `scan` without pruning.
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
  i64Load32U: 0x35,
  select: 0x1b,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32Ne: 0x47,
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
  i32Mul: 0x6c,
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

/**
 * Word indices at which the kernel tests its exact pruning bound (see {@link emitKernelModule}):
 * one, at 0.79 of a half (rounded down; rounded up to a block boundary when the word loop is
 * blocked: word 44 of 56 for the default profile, 224 of 256 for open-iris). On random default
 * codes (bench/uniqueness/refutation.ts), the bound first refutes an impostor's shift between words 39 and 44 (0.70-0.79)
 * with 87.5% of the mask usable and between 40 and 46 (0.71-0.82) with 75%; at word 44, 100% and
 * 96% of the shifts are refuted, so the test's branch is almost always taken; a test where only part of the shifts are refutable mispredicts as often as it fires
 * (measured: a second, earlier checkpoint was no faster).
 */
export function defaultCheckpoints(halfWords: number): number[] {
  const unroll = defaultUnroll(halfWords);
  const c =
    unroll < halfWords ? Math.ceil((halfWords * 0.79) / unroll) * unroll : Math.floor(halfWords * 0.79);
  return c > 0 && c < halfWords ? [c] : [];
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
  /** `scan` without pruning: every shift of every code in full; never a shift index -2. */
  scanExact(
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

/** Shift index of a record by which the pruned `scan` leaves a code to `scanExact`. */
export const RECHECK = -2;

/**
 * Scans `count` codes at `codesPtr` with the pruned `scan`, then decides each code it left open
 * (shift index {@link RECHECK}) with `scanExact`, so the records at `outPtr` are exactly those of
 * `scanExact` over the same codes: (code index, shift index, differing, usable) for each match, and
 * (code index, -1, 0, 0) for each undecidable code. Returns the number of records. The worker
 * source repeats this loop (it cannot import this module).
 */
export function scanChunk(
  kernel: WasmKernel,
  memory: WebAssembly.Memory,
  probePtr: number,
  nShifts: number,
  codesPtr: number,
  codeBytes: number,
  count: number,
  minUsable: number,
  thresholdPer10k: number,
  outPtr: number,
): number {
  const found = kernel.scan(probePtr, nShifts, codesPtr, count, minUsable, thresholdPer10k, outPtr);
  const out = new Int32Array(memory.buffer, outPtr, found * 4);
  let kept = 0;
  for (let j = 0; j < found; j++) {
    const i = out[j * 4]!;
    if (out[j * 4 + 1] === RECHECK) {
      // scanExact writes at most one record, for code index 0, over a record already read.
      const at = outPtr + kept * 16;
      if (
        kernel.scanExact(probePtr, nShifts, codesPtr + i * codeBytes, 1, minUsable, thresholdPer10k, at) === 0
      )
        continue;
      out[kept * 4] = i;
    } else if (kept !== j) {
      out.copyWithin(kept * 4, j * 4, j * 4 + 4);
    }
    kept++;
  }
  return kept;
}

/** Largest number of 64-bit words per code half the emitter accepts (memarg offsets stay small). */
export const MAX_KERNEL_WORDS = 1 << 16;

/**
 * Emits the kernel module for codes of `halfWords` 64-bit words of bits followed by as many of
 * mask. The module imports a shared memory `env.memory` with limits `minPages..maxPages`.
 *
 * Exact pruning: at each word index `c` of `checkpoints` (increasing, each a multiple of `unroll`
 * when the word loop is blocked), a shift whose partial counts `d, u` over words `0..c-1` satisfy
 * `d * 10000 > threshold * (u + rest)` is abandoned, where `rest = min(popcount of the code's mask
 * words c.., popcount of the shifted probe's mask words c..)` bounds the usable bits still to come.
 * The final counts are `D >= d` and `U <= u + rest`, so `D * 10000 > threshold * U`: the shift
 * cannot match, and having a ratio above the threshold it can never be the best shift of a code
 * that matches. The probe's bounds are read at `probePtr + nShifts * codeBytes`: one u32 per shift
 * and checkpoint (`k * checkpoints.length + j`), written by `prepareProbeWords`. A code none of
 * whose shifts is computed in full with `minUsable` usable bits, and one of whose shifts was
 * abandoned before proving `minUsable` usable bits, gets the record (code index, -2, 0, 0): the
 * caller decides it with `scanExact` ({@link scanChunk}), so an undecidable code is reported
 * exactly as without pruning. With no checkpoints, every shift is computed in full.
 *
 * Measured shapes that V8's optimising tier compiles worse, and which are therefore not used: a
 * retry loop around a code's shifts (for the recheck; the word loop ran ~15% slower), and two
 * shifts per pass sharing the code's loads (~20% slower than one shift at a time).
 */
export function emitKernelModule(
  halfWords: number,
  minPages: number,
  maxPages: number,
  unroll = defaultUnroll(halfWords),
  checkpoints: readonly number[] = defaultCheckpoints(halfWords),
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
  const blocked = unroll < halfWords;
  checkpoints.forEach((c, j) => {
    const step = blocked ? unroll : 1;
    if (
      !Number.isInteger(c) ||
      c <= (j === 0 ? 0 : checkpoints[j - 1]!) ||
      c >= halfWords ||
      c % step !== 0
    ) {
      throw new UniquenessError(
        "INVALID_PARAMETER",
        `Parameter 'checkpoints' must be increasing word indices in 1..${halfWords - 1}${blocked ? ` that are multiples of ${unroll}` : ""}, received ${checkpoints.join(",")}`,
        { field: "checkpoints" },
      );
    }
  });
  const get = (l: number) => [OP.localGet, ...uleb(l)];
  const set = (l: number) => [OP.localSet, ...uleb(l)];
  const load64 = (base: number, offset: number) => [...get(base), OP.i64Load, 3, ...uleb(offset)];
  const i64c = (v: number) => [OP.i64Const, ...sleb(v)];
  const i32c = (v: number) => [OP.i32Const, ...sleb(v)];
  /** The body of a scan function testing the bound at `checkpoints` (none: every shift in full). */
  const scanFunction = (checkpoints: readonly number[]): number[] => {
    const nCheck = checkpoints.length;

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
    const L_CW = 12;
    const L_PW = 13;
    const L_CEND = 14;
    const L_ELIG = 15;
    const L_PRUNED = 16;
    const L_PB = 17;
    const L_REFUTED = 18;
    const N_I32 = 12;
    // i64 locals
    const L_U = 19;
    const L_D = 20;
    const L_BU = 21;
    const L_BD = 22;
    const L_M = 23;
    const L_MINU64 = 24;
    const L_THR64 = 25;
    const L_REM = 26; // one per checkpoint
    const N_I64 = 7 + nCheck;

    const cBase = blocked ? L_CW : P_CODES;
    const pBase = blocked ? L_PW : L_PP;
    /** Words `from..to-1` (constant offsets from the code and probe bases, or the block pointers). */
    const wordRun = (from: number, to: number): number[] => {
      const out: number[] = [];
      for (let w = from; w < to; w++) {
        const at = blocked ? w - from : w;
        out.push(
          // m = tm & pm; u += popcnt(m)
          ...load64(cBase, maskOffset + at * 8),
          ...load64(pBase, maskOffset + at * 8),
          OP.i64And,
          OP.localTee,
          ...uleb(L_M),
          OP.i64Popcnt,
          ...get(L_U),
          OP.i64Add,
          ...set(L_U),
          // d += popcnt((t ^ p) & m)
          ...load64(cBase, at * 8),
          ...load64(pBase, at * 8),
          OP.i64Xor,
          ...get(L_M),
          OP.i64And,
          OP.i64Popcnt,
          ...get(L_D),
          OP.i64Add,
          ...set(L_D),
        );
      }
      return out;
    };
    /** Words `from..to-1`: unrolled, or (blocked) a loop over blocks of `unroll` words. */
    const segment = (from: number, to: number): number[] => {
      if (!blocked) return wordRun(from, to);
      return [
        ...get(P_CODES),
        ...i32c(to * 8),
        OP.i32Add,
        ...set(L_CEND),
        OP.loop,
        VOID,
        ...wordRun(0, unroll),
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
      ];
    };
    // The words of one shift, inside a block that a refuted checkpoint leaves.
    const shiftWords: number[] = [];
    if (blocked) shiftWords.push(...get(P_CODES), ...set(L_CW), ...get(L_PP), ...set(L_PW));
    let from = 0;
    checkpoints.forEach((c, j) => {
      shiftWords.push(
        ...segment(from, c),
        // rest = min(code mask popcount from c, probe mask popcount from c at this shift)
        ...get(L_REM + j),
        ...get(L_PB),
        OP.i64Load32U,
        2,
        ...uleb(j * 4),
        OP.localTee,
        ...uleb(L_M),
        ...get(L_REM + j),
        ...get(L_M),
        OP.i64LtU,
        OP.select,
        ...get(L_U),
        OP.i64Add,
        ...get(L_THR64),
        OP.i64Mul,
        ...get(L_D),
        ...i64c(10000),
        OP.i64Mul,
        OP.i64LtU,
        // refuted: pruned |= r; elig |= r & (u >= minU); leave the shift if r
        OP.localTee,
        ...uleb(L_REFUTED),
        ...get(L_PRUNED),
        OP.i32Or,
        ...set(L_PRUNED),
        ...get(L_U),
        ...get(L_MINU64),
        OP.i64GeU,
        ...get(L_REFUTED),
        OP.i32And,
        ...get(L_ELIG),
        OP.i32Or,
        ...set(L_ELIG),
        ...get(L_REFUTED),
        OP.brIf,
        0,
      );
      from = c;
    });
    shiftWords.push(
      ...segment(from, halfWords),
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
    );

    // Per code: the popcount of its mask words from each checkpoint on (last checkpoint first).
    const codeRests: number[] = [];
    for (let j = nCheck - 1; j >= 0; j--) {
      const end = j === nCheck - 1 ? halfWords : checkpoints[j + 1]!;
      codeRests.push(...(j === nCheck - 1 ? i64c(0) : get(L_REM + j + 1)));
      for (let w = checkpoints[j]!; w < end; w++) {
        codeRests.push(...load64(P_CODES, maskOffset + w * 8), OP.i64Popcnt, OP.i64Add);
      }
      codeRests.push(...set(L_REM + j));
    }

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
      ...codeRests,
      ...i64c(0),
      ...set(L_BU),
      ...i64c(0),
      ...set(L_BD),
      ...i32c(-1),
      ...set(L_BESTK),
      ...i32c(0),
      ...set(L_K),
      ...i32c(0),
      ...set(L_ELIG),
      ...i32c(0),
      ...set(L_PRUNED),
      ...get(P_PROBE),
      ...set(L_PP),
      ...get(P_PROBE),
      ...get(P_NSHIFTS),
      ...i32c(codeBytes),
      OP.i32Mul,
      OP.i32Add,
      ...set(L_PB),
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
      OP.block,
      VOID,
      ...shiftWords,
      OP.end,
      ...get(L_K),
      ...i32c(1),
      OP.i32Add,
      ...set(L_K),
      ...get(L_PP),
      ...i32c(codeBytes),
      OP.i32Add,
      ...set(L_PP),
      ...get(L_PB),
      ...i32c(nCheck * 4),
      OP.i32Add,
      ...set(L_PB),
      OP.br,
      0,
      OP.end,
      OP.end,
      // Record a code whose best shift matches (bd * 10000 <= thr * bu), and one with no shift
      // computed in full reaching minUsable and none proving it while pruned: undecidable (shift
      // index -1) if no shift was pruned, else to be decided again without pruning (shift index -2).
      ...get(L_BESTK),
      ...i32c(-1),
      OP.i32Ne,
      ...get(L_BD),
      ...i64c(10000),
      OP.i64Mul,
      ...get(L_THR64),
      ...get(L_BU),
      OP.i64Mul,
      OP.i64LeU,
      OP.i32And,
      ...get(L_BESTK),
      ...i32c(-1),
      OP.i32Eq,
      ...get(L_ELIG),
      OP.i32Eqz,
      OP.i32And,
      OP.i32Or,
      OP.if,
      VOID,
      ...get(P_OUT),
      ...get(L_I),
      OP.i32Store,
      2,
      0,
      ...get(P_OUT),
      ...i32c(-2),
      ...get(L_BESTK),
      ...get(L_PRUNED),
      ...get(L_BESTK),
      ...i32c(-1),
      OP.i32Eq,
      OP.i32And,
      OP.select,
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
    return [
      ...vector([
        [...uleb(N_I32), I32],
        [...uleb(N_I64), I64],
      ]),
      ...scanBody,
    ];
  };
  const codeBytes = halfWords * 16;
  const maskOffset = halfWords * 8;

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
  const scanFunc = scanFunction(checkpoints);
  const scanExactFunc = scanFunction([]);
  const functions = vector([[0], [0], [1]]);
  const exports = vector([
    [...name("scan"), 0x00, 0],
    [...name("scanExact"), 0x00, 1],
    [...name("readSweep"), 0x00, 2],
  ]);
  const code = vector([
    [...uleb(scanFunc.length), ...scanFunc],
    [...uleb(scanExactFunc.length), ...scanExactFunc],
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
