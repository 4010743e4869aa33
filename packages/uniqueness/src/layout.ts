import {
  bitCount,
  type CodeGeometry,
  type IrisCode,
  POPCOUNT8,
  packedByteLength,
  rowBitCount,
  unpackBits,
} from "@zkiris/iris-code";
import { defaultCheckpoints } from "./wasm-kernel.js";

/**
 * Memory layout of one code in the arena: the packed bits (iris-code's own byte layout, rows one
 * after the other with no padding between them) zero-padded to whole 64-bit words, then the packed
 * mask likewise. The kernel compares words position by position, and a probe is pre-shifted into
 * the same layout, so no padding is scanned but the last word's (a default code is 56 + 56 words,
 * 896 bytes; rows padded to whole words would be 64 + 64).
 */
export interface CodeLayout {
  readonly geometry: CodeGeometry;
  /** Bytes of one packed half (bits or mask) before padding. */
  readonly halfBytes: number;
  /** 64-bit words of one half (bits or mask) of a code. */
  readonly halfWords: number;
  /** Bytes of one code (bits and mask). */
  readonly codeBytes: number;
  /** 32-bit words of one code. */
  readonly codeWords32: number;
  /** Word indices where the kernel tests its exact pruning bound (see `emitKernelModule`). */
  readonly checkpoints: readonly number[];
}

/** The arena layout of codes of a geometry. */
export function codeLayout(geometry: CodeGeometry): CodeLayout {
  const halfBytes = packedByteLength(geometry);
  const halfWords = Math.ceil(halfBytes / 8);
  return Object.freeze({
    geometry,
    halfBytes,
    halfWords,
    codeBytes: halfWords * 16,
    codeWords32: halfWords * 4,
    checkpoints: Object.freeze(defaultCheckpoints(halfWords)),
  });
}

/**
 * Writes a code's packed bits and packed mask (iris-code's byte layout) as one arena slot at byte
 * `offset` of `target`, zeroing the padding. The caller checked the lengths.
 */
export function writePackedHalves(
  layout: CodeLayout,
  bits: Readonly<Uint8Array>,
  mask: Readonly<Uint8Array>,
  target: Uint8Array,
  offset: number,
): void {
  const half = layout.halfWords * 8;
  target.set(bits, offset);
  target.fill(0, offset + layout.halfBytes, offset + half);
  target.set(mask, offset + half);
  target.fill(0, offset + half + layout.halfBytes, offset + 2 * half);
}

/** Writes a code (bits half, then mask half) at `target[offset32..]`. The caller checked the geometry. */
export function writeCodeWords(
  layout: CodeLayout,
  code: IrisCode,
  target: Uint32Array,
  offset32: number,
): void {
  const bytes = new Uint8Array(target.buffer, target.byteOffset, target.byteLength);
  writePackedHalves(layout, code.packedBitsView(), code.packedMaskView(), bytes, offset32 * 4);
}

/** A code's arena words as a fresh array (for tests and the brute-force check of the layout). */
export function codeWords(layout: CodeLayout, code: IrisCode): Uint32Array {
  const out = new Uint32Array(layout.codeWords32);
  writeCodeWords(layout, code, out, 0);
  return out;
}

/**
 * Writes `values` (one 0/1 per bit, iris-code's layout order) shifted by `shift` columns, packed,
 * at `out[at..]`: column c of the result is column (c + shift) mod cols of the input, as in
 * iris-code's `shiftColumns` and `rowWords`.
 */
function packShifted(
  geometry: CodeGeometry,
  values: Uint8Array,
  shift: number,
  out: Uint8Array,
  at: number,
): void {
  const rowBits = rowBitCount(geometry);
  const offset = ((((shift * geometry.bitsPerCell) % rowBits) + rowBits) % rowBits) | 0;
  for (let r = 0; r < geometry.rows; r++) {
    const row = r * rowBits;
    for (let j = 0; j < rowBits; j++) {
      const src = j + offset < rowBits ? j + offset : j + offset - rowBits;
      if (values[row + src] === 1) out[at + ((row + j) >> 3)]! |= 0x80 >> ((row + j) & 7);
    }
  }
}

/** Shift order of iris-code's `PreparedProbe`: 0, -1, 1, -2, 2, ... (ties go to the smallest |shift|). */
export function shiftOrder(maxShift: number): number[] {
  const shifts = [0];
  for (let s = 1; s <= maxShift; s++) shifts.push(-s, s);
  return shifts;
}

/**
 * The probe pre-shifted to every shift of {@link shiftOrder}, in the arena layout: shift index k
 * occupies one code's worth of words at `k * codeWords32`, and its column c holds probe column
 * (c + s) mod cols. After the shifts, the kernel's pruning bounds: for shift index k and checkpoint
 * j of `layout.checkpoints`, at `shifts * codeWords32 + k * checkpoints.length + j`, the number of
 * usable bits of the shifted probe's mask words from that checkpoint on.
 */
export function prepareProbeWords(layout: CodeLayout, probe: IrisCode, maxShift: number): Uint32Array {
  const shifts = shiftOrder(maxShift);
  const g = layout.geometry;
  const nCheck = layout.checkpoints.length;
  const out = new Uint32Array(shifts.length * (layout.codeWords32 + nCheck));
  const bytes = new Uint8Array(out.buffer);
  const count = bitCount(g);
  const bits = unpackBits(probe.packedBitsView() as Uint8Array, count);
  const mask = unpackBits(probe.packedMaskView() as Uint8Array, count);
  const half = layout.halfWords * 8;
  const bounds = shifts.length * layout.codeWords32;
  for (let k = 0; k < shifts.length; k++) {
    const base = k * layout.codeBytes;
    packShifted(g, bits, shifts[k]!, bytes, base);
    packShifted(g, mask, shifts[k]!, bytes, base + half);
    let rest = 0;
    let from = layout.halfBytes;
    for (let j = nCheck - 1; j >= 0; j--) {
      const to = from;
      from = layout.checkpoints[j]! * 8;
      for (let b = from; b < to; b++) rest += POPCOUNT8[bytes[base + half + b]!]!;
      out[bounds + k * nCheck + j] = rest;
    }
  }
  return out;
}
