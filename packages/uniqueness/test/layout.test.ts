import { DEFAULT_PROFILE, type IrisCode, OPEN_IRIS_GEOMETRY, shiftColumns } from "@zkiris/iris-code";
import { describe, expect, it } from "vitest";
import { codeLayout, codeWords, defaultCheckpoints, prepareProbeWords, shiftOrder } from "../src/index.js";
import { randomCode, rng } from "./helpers.js";

const GEOMETRIES = [
  DEFAULT_PROFILE.geometry, // 224-bit rows, 3,584 bits: 56 whole words, byte-aligned rows
  OPEN_IRIS_GEOMETRY, // 1024-bit rows: whole words
  { rows: 3, cols: 9, bitsPerCell: 3 }, // 27-bit rows: not byte-aligned, generic path
  { rows: 2, cols: 40, bitsPerCell: 2 }, // 80-bit rows: byte-aligned, 160 bits padded to 192
];

/** The arena slot of a code, built independently: packed bits, zero-padded, then packed mask. */
function expectedSlot(code: IrisCode, halfWords: number): Uint8Array {
  const out = new Uint8Array(halfWords * 16);
  out.set(code.packedBitsView(), 0);
  out.set(code.packedMaskView(), halfWords * 8);
  return out;
}

function popcount(bytes: Uint8Array): number {
  let n = 0;
  for (const b of bytes) for (let v = b; v !== 0; v >>= 1) n += v & 1;
  return n;
}

describe("code layout", () => {
  it("packs bits then mask, each padded to whole 64-bit words only at its end", () => {
    expect(codeLayout(DEFAULT_PROFILE.geometry)).toEqual({
      geometry: DEFAULT_PROFILE.geometry,
      halfBytes: 448,
      halfWords: 56,
      codeBytes: 896,
      codeWords32: 224,
      checkpoints: [44],
    });
    expect(codeLayout(OPEN_IRIS_GEOMETRY).codeBytes).toBe(4096);
    expect(codeLayout(OPEN_IRIS_GEOMETRY).checkpoints).toEqual([224]);
    expect(codeLayout({ rows: 3, cols: 9, bitsPerCell: 3 }).halfWords).toBe(2);
    expect(codeLayout({ rows: 2, cols: 40, bitsPerCell: 2 }).halfBytes).toBe(20);
    expect(defaultCheckpoints(1)).toEqual([]);
    expect(defaultCheckpoints(2)).toEqual([1]);
  });

  for (const g of GEOMETRIES) {
    it(`stores a ${g.rows}x${g.cols}x${g.bitsPerCell} code as its packed bits and mask`, () => {
      const code = randomCode(rng(g.cols), g, 0.7);
      const layout = codeLayout(g);
      const words = codeWords(layout, code);
      expect(new Uint8Array(words.buffer)).toEqual(expectedSlot(code, layout.halfWords));
    });

    it(`pre-shifts a ${g.rows}x${g.cols}x${g.bitsPerCell} probe in the order 0, -1, 1, ... with its pruning bounds`, () => {
      const code = randomCode(rng(g.rows), g, 0.6);
      const layout = codeLayout(g);
      const maxShift = Math.min(3, Math.floor((g.cols - 1) / 2));
      const words = prepareProbeWords(layout, code, maxShift);
      const shifts = shiftOrder(maxShift);
      const nCheck = layout.checkpoints.length;
      expect(words.length).toBe(shifts.length * (layout.codeWords32 + nCheck));
      const bytes = new Uint8Array(words.buffer);
      shifts.forEach((s, k) => {
        // shiftColumns: column c of the result is column (c + s) of the input, as PreparedProbe.
        const shifted = shiftColumns(code, s);
        const at = bytes.subarray(k * layout.codeBytes, (k + 1) * layout.codeBytes);
        expect(at).toEqual(expectedSlot(shifted, layout.halfWords));
        layout.checkpoints.forEach((c, j) => {
          const rest = popcount(shifted.packedMaskView().subarray(c * 8) as Uint8Array);
          expect(words[shifts.length * layout.codeWords32 + k * nCheck + j]).toBe(rest);
        });
      });
    });
  }

  it("orders shifts so that ties resolve to the smallest |shift|", () => {
    expect(shiftOrder(0)).toEqual([0]);
    expect(shiftOrder(3)).toEqual([0, -1, 1, -2, 2, -3, 3]);
  });
});
