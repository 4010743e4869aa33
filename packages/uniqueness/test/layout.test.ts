import { DEFAULT_PROFILE, OPEN_IRIS_GEOMETRY, rowWords, wordsPerRow } from "@zkiris/iris-code";
import { describe, expect, it } from "vitest";
import { codeLayout, codeWords, prepareProbeWords, shiftOrder } from "../src/index.js";
import { randomCode, rng } from "./helpers.js";

const GEOMETRIES = [
  DEFAULT_PROFILE.geometry, // 224-bit rows: 3.5 words of 64 bits, byte-aligned fast path
  OPEN_IRIS_GEOMETRY, // 1024-bit rows: whole words
  { rows: 3, cols: 9, bitsPerCell: 3 }, // 27-bit rows: not byte-aligned, generic path
  { rows: 2, cols: 40, bitsPerCell: 2 }, // 80-bit rows: byte-aligned, crosses a 64-bit word
];

/** iris-code's row words with every row padded to an even number of 32-bit words. */
function expectedWords(packed: Uint8Array, g: (typeof GEOMETRIES)[number], shift: number): number[] {
  const words = rowWords(packed, g, shift);
  const w32 = wordsPerRow(g);
  const padded = Math.ceil(w32 / 2) * 2;
  const out: number[] = [];
  for (let r = 0; r < g.rows; r++) {
    for (let j = 0; j < padded; j++) out.push(j < w32 ? words[r * w32 + j]! : 0);
  }
  return out;
}

describe("code layout", () => {
  it("has whole 64-bit words per row and bits followed by mask", () => {
    expect(codeLayout(DEFAULT_PROFILE.geometry)).toEqual({
      geometry: DEFAULT_PROFILE.geometry,
      wordsPerRow: 4,
      halfWords: 64,
      codeBytes: 1024,
      codeWords32: 256,
    });
    expect(codeLayout(OPEN_IRIS_GEOMETRY).codeBytes).toBe(4096);
    expect(codeLayout({ rows: 3, cols: 9, bitsPerCell: 3 }).halfWords).toBe(3);
  });

  for (const g of GEOMETRIES) {
    it(`stores a ${g.rows}x${g.cols}x${g.bitsPerCell} code as iris-code's row words, padded`, () => {
      const code = randomCode(rng(g.cols), g, 0.7);
      const layout = codeLayout(g);
      const words = [...codeWords(layout, code)];
      expect(words.slice(0, layout.halfWords * 2)).toEqual(expectedWords(code.bits, g, 0));
      expect(words.slice(layout.halfWords * 2)).toEqual(expectedWords(code.mask, g, 0));
    });

    it(`pre-shifts a ${g.rows}x${g.cols}x${g.bitsPerCell} probe in the order 0, -1, 1, ...`, () => {
      const code = randomCode(rng(g.rows), g, 0.6);
      const layout = codeLayout(g);
      const maxShift = Math.min(3, Math.floor((g.cols - 1) / 2));
      const words = prepareProbeWords(layout, code, maxShift);
      const shifts = shiftOrder(maxShift);
      expect(words.length).toBe(shifts.length * layout.codeWords32);
      shifts.forEach((s, k) => {
        const at = [...words.subarray(k * layout.codeWords32, (k + 1) * layout.codeWords32)];
        expect(at.slice(0, layout.halfWords * 2)).toEqual(expectedWords(code.bits, g, s));
        expect(at.slice(layout.halfWords * 2)).toEqual(expectedWords(code.mask, g, s));
      });
    });
  }

  it("orders shifts so that ties resolve to the smallest |shift|", () => {
    expect(shiftOrder(0)).toEqual([0]);
    expect(shiftOrder(3)).toEqual([0, -1, 1, -2, 2, -3, 3]);
  });
});
