import { type CodeGeometry, type IrisCode, rowBitCount, rowWords } from "@zkiris/iris-code";

/**
 * Memory layout of one code in the arena: the bits rows, then the mask rows, each row padded to
 * whole 64-bit words (the layout of iris-code's `rowWords`, widened to 64 bits). Within a 64-bit
 * word the low half is the first 32-bit row word, so a code's words are exactly iris-code's row
 * words with each row padded to an even count; popcounts do not depend on bit order.
 */
export interface CodeLayout {
  readonly geometry: CodeGeometry;
  /** 64-bit words per row. */
  readonly wordsPerRow: number;
  /** 64-bit words of one half (bits or mask) of a code. */
  readonly halfWords: number;
  /** Bytes of one code (bits and mask). */
  readonly codeBytes: number;
  /** 32-bit words of one code. */
  readonly codeWords32: number;
}

/** The arena layout of codes of a geometry. */
export function codeLayout(geometry: CodeGeometry): CodeLayout {
  const wordsPerRow = Math.ceil(rowBitCount(geometry) / 64);
  const halfWords = geometry.rows * wordsPerRow;
  return Object.freeze({
    geometry,
    wordsPerRow,
    halfWords,
    codeBytes: halfWords * 16,
    codeWords32: halfWords * 4,
  });
}

/** Writes one packed array (bits or mask) as padded row words at `target[offset32..]`. */
function writeHalf(
  layout: CodeLayout,
  packed: Readonly<Uint8Array>,
  target: Uint32Array,
  offset32: number,
): void {
  const g = layout.geometry;
  const rowBits = rowBitCount(g);
  const rowU32 = layout.wordsPerRow * 2;
  if (rowBits % 8 === 0) {
    // Rows start on byte boundaries: assemble big-endian 32-bit words straight from the bytes,
    // which gives exactly rowWords(packed, geometry) without walking single bits.
    const rowBytes = rowBits / 8;
    for (let r = 0; r < g.rows; r++) {
      const src = r * rowBytes;
      const dst = offset32 + r * rowU32;
      for (let j = 0; j < rowU32; j++) {
        const b = src + j * 4;
        const end = src + rowBytes;
        const b0 = b < end ? packed[b]! : 0;
        const b1 = b + 1 < end ? packed[b + 1]! : 0;
        const b2 = b + 2 < end ? packed[b + 2]! : 0;
        const b3 = b + 3 < end ? packed[b + 3]! : 0;
        target[dst + j] = ((b0 << 24) | (b1 << 16) | (b2 << 8) | b3) >>> 0;
      }
    }
    return;
  }
  copyRowWords(layout, rowWords(packed as Uint8Array, g), target, offset32);
}

/** Copies iris-code row words (rows of `wordsPerRow(geometry)` 32-bit words) into padded rows. */
function copyRowWords(layout: CodeLayout, words: Uint32Array, target: Uint32Array, offset32: number): void {
  const g = layout.geometry;
  const srcRow = Math.ceil(rowBitCount(g) / 32);
  const rowU32 = layout.wordsPerRow * 2;
  for (let r = 0; r < g.rows; r++) {
    const dst = offset32 + r * rowU32;
    for (let j = 0; j < rowU32; j++) target[dst + j] = j < srcRow ? words[r * srcRow + j]! : 0;
  }
}

/** Writes a code (bits half, then mask half) at `target[offset32..]`. The caller checked the geometry. */
export function writeCodeWords(
  layout: CodeLayout,
  code: IrisCode,
  target: Uint32Array,
  offset32: number,
): void {
  writeHalf(layout, code.packedBitsView(), target, offset32);
  writeHalf(layout, code.packedMaskView(), target, offset32 + layout.halfWords * 2);
}

/** A code's arena words as a fresh array (for tests and the brute-force check of the layout). */
export function codeWords(layout: CodeLayout, code: IrisCode): Uint32Array {
  const out = new Uint32Array(layout.codeWords32);
  writeCodeWords(layout, code, out, 0);
  return out;
}

/** Shift order of iris-code's `PreparedProbe`: 0, -1, 1, -2, 2, ... (ties go to the smallest |shift|). */
export function shiftOrder(maxShift: number): number[] {
  const shifts = [0];
  for (let s = 1; s <= maxShift; s++) shifts.push(-s, s);
  return shifts;
}

/**
 * The probe pre-shifted to every shift of {@link shiftOrder}: shift index k occupies one code's
 * worth of words at `k * codeWords32`, and its column c holds probe column (c + s) mod cols.
 */
export function prepareProbeWords(layout: CodeLayout, probe: IrisCode, maxShift: number): Uint32Array {
  const shifts = shiftOrder(maxShift);
  const out = new Uint32Array(shifts.length * layout.codeWords32);
  const bits = probe.packedBitsView() as Uint8Array;
  const mask = probe.packedMaskView() as Uint8Array;
  for (let k = 0; k < shifts.length; k++) {
    const base = k * layout.codeWords32;
    copyRowWords(layout, rowWords(bits, layout.geometry, shifts[k]), out, base);
    copyRowWords(layout, rowWords(mask, layout.geometry, shifts[k]), out, base + layout.halfWords * 2);
  }
  return out;
}
