import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_PROFILE,
  hammingDistance,
  IrisCode,
  IrisCodeError,
  isMatchResult,
  matchCodes,
  normaliseDistance,
  PreparedProbe,
  popcount32,
  referenceHammingDistance,
  shiftColumns,
} from "../src/index.js";
import { codeArb, codePairArb, geometryArb, seededBits } from "./arbitraries.js";

describe("hammingDistance", () => {
  it("equals the bit-by-bit reference on random codes and masks", () => {
    fc.assert(
      fc.property(codePairArb, ([, a, b, k]) => {
        const fast = hammingDistance(a, b, { maxShift: k });
        const ref = referenceHammingDistance(a, b, k);
        expect(fast.comparable).toBe(ref.comparable);
        expect(fast.differingBits).toBe(ref.differingBits);
        expect(fast.usableBits).toBe(ref.usableBits);
        expect(fast.shift).toBe(ref.shift);
        expect(fast.rawDistance).toBe(ref.rawDistance);
      }),
      { numRuns: 300 },
    );
  });

  it("is symmetric, with the best shift negated", () => {
    fc.assert(
      fc.property(codePairArb, ([, a, b, k]) => {
        const ab = hammingDistance(a, b, { maxShift: k });
        const ba = hammingDistance(b, a, { maxShift: k });
        expect(ab.rawDistance).toBe(ba.rawDistance);
        expect(ab.comparable).toBe(ba.comparable);
      }),
      { numRuns: 300 },
    );
  });

  it("is zero between a code and itself", () => {
    fc.assert(
      fc.property(
        geometryArb.chain((g) => codeArb(g, 0.9)),
        (a) => {
          const r = hammingDistance(a, a, { maxShift: Math.floor((a.geometry.cols - 1) / 2) });
          if (a.usableBitCount() === 0) expect(r.comparable).toBe(false);
          else {
            expect(r.distance).toBe(0);
            expect(r.shift).toBe(0);
            expect(r.usableBits).toBe(a.usableBitCount());
          }
        },
      ),
    );
  });

  it("is invariant to shifting both codes by the same number of columns", () => {
    fc.assert(
      fc.property(codePairArb, fc.integer({ min: -40, max: 40 }), ([, a, b, k], t) => {
        const before = hammingDistance(a, b, { maxShift: k });
        const after = hammingDistance(shiftColumns(a, t), shiftColumns(b, t), { maxShift: k });
        expect(after.rawDistance).toBe(before.rawDistance);
        expect(after.usableBits).toBe(before.usableBits);
        expect(after.shift).toBe(before.shift);
      }),
      { numRuns: 200 },
    );
  });

  it("finds a probe rotated by s columns at shift s with distance zero", () => {
    const g = { rows: 3, cols: 20, bitsPerCell: 2 };
    const template = IrisCode.fromBits(g, seededBits(120, 7), seededBits(120, 8, 0.9));
    for (const s of [-4, -1, 0, 3, 4]) {
      const probe = shiftColumns(template, -s);
      const r = hammingDistance(template, probe, { maxShift: 4 });
      expect(r.distance).toBe(0);
      expect(r.shift).toBe(s);
    }
  });

  it("counts only bits usable in both masks", () => {
    const g = { rows: 1, cols: 4, bitsPerCell: 2 };
    const a = IrisCode.fromBits(g, [1, 1, 0, 0, 1, 0, 1, 0], [1, 1, 1, 1, 0, 0, 1, 1]);
    const b = IrisCode.fromBits(g, [0, 1, 0, 1, 1, 1, 0, 0], [1, 0, 1, 1, 1, 1, 1, 1]);
    // jointly usable: indices 0, 2, 3, 6, 7; differing among them: 0, 3, 6
    const r = hammingDistance(a, b);
    expect(r).toEqual({
      distance: 0.6,
      rawDistance: 0.6,
      shift: 0,
      usableBits: 5,
      differingBits: 3,
      comparable: true,
    });
  });

  it("rejects a probe with too few usable bits", () => {
    const g = { rows: 1, cols: 8, bitsPerCell: 1 };
    const a = IrisCode.fromBits(g, [1, 0, 1, 0, 1, 0, 1, 0], [1, 1, 1, 1, 1, 1, 1, 1]);
    const masked = IrisCode.fromBits(g, [1, 0, 1, 0, 1, 0, 1, 0], [1, 1, 0, 0, 0, 0, 0, 0]);
    const r = hammingDistance(a, masked, { minUsableBits: 3 });
    expect(r.comparable).toBe(false);
    expect(r.distance).toBe(1);
    const profile = { ...DEFAULT_PROFILE, geometry: g, maxShift: 0, minUsableBits: 3, thresholdPer10k: 5000 };
    expect(isMatchResult(hammingDistance(a, masked), profile)).toBe(false);
  });

  it("never matches an all-masked probe", () => {
    const g = DEFAULT_PROFILE.geometry;
    const n = g.rows * g.cols * g.bitsPerCell;
    const a = IrisCode.fullyUsable(g, seededBits(n, 3));
    const blank = IrisCode.fromBits(g, seededBits(n, 3), new Array(n).fill(0));
    const r = matchCodes(a, blank, DEFAULT_PROFILE);
    expect(r.comparable).toBe(false);
    expect(r.match).toBe(false);
  });

  it("matches exactly at the threshold and not one bit above", () => {
    const g = { rows: 1, cols: 10, bitsPerCell: 1 };
    const profile = {
      name: "t",
      geometry: g,
      maxShift: 0,
      thresholdPer10k: 3000,
      minUsableBits: 10,
      deduplication: { thresholdPer10k: 3000, minUsableBits: 10, enrolmentMinUsableBits: 10 },
    };
    const a = IrisCode.fullyUsable(g, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const three = IrisCode.fullyUsable(g, [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
    const four = IrisCode.fullyUsable(g, [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    expect(matchCodes(a, three, profile).match).toBe(true);
    expect(matchCodes(a, four, profile).match).toBe(false);
  });

  it("prefers the smallest shift among equally good ones", () => {
    const g = { rows: 1, cols: 6, bitsPerCell: 1 };
    const a = IrisCode.fullyUsable(g, [1, 0, 1, 0, 1, 0]);
    const r = hammingDistance(a, a, { maxShift: 2 });
    expect(r.shift).toBe(0); // shifts 0 and +-2 all give 0
  });

  it("applies Daugman's normalisation when asked", () => {
    const g = { rows: 1, cols: 4, bitsPerCell: 2 };
    const a = IrisCode.fullyUsable(g, [1, 1, 0, 0, 1, 0, 1, 0]);
    const b = IrisCode.fullyUsable(g, [0, 1, 0, 1, 1, 1, 0, 0]);
    const r = hammingDistance(a, b, { normalise: { referenceBits: 911 } });
    expect(r.rawDistance).toBe(0.5);
    expect(r.distance).toBeCloseTo(normaliseDistance(0.5, 8, 911), 15);
    expect(normaliseDistance(0.2, 911, 911)).toBeCloseTo(0.2, 15);
    expect(normaliseDistance(0.2, 100, 911)).toBeCloseTo(0.5 - 0.3 * Math.sqrt(100 / 911), 15);
  });

  it("refuses codes of different geometries", () => {
    const a = IrisCode.fullyUsable({ rows: 1, cols: 8, bitsPerCell: 1 }, new Array(8).fill(0));
    const b = IrisCode.fullyUsable({ rows: 2, cols: 4, bitsPerCell: 1 }, new Array(8).fill(0));
    expect(() => hammingDistance(a, b)).toThrow(
      expect.objectContaining({ code: "GEOMETRY_MISMATCH", field: "probe.geometry" }),
    );
  });

  it("refuses a shift range that is negative, fractional or wraps around", () => {
    const a = IrisCode.fullyUsable({ rows: 1, cols: 8, bitsPerCell: 1 }, new Array(8).fill(0));
    for (const maxShift of [-1, 1.5, 4]) {
      expect(() => hammingDistance(a, a, { maxShift })).toThrow(IrisCodeError);
      expect(() => new PreparedProbe(a, maxShift)).toThrow(
        expect.objectContaining({ code: "INVALID_PARAMETER", field: "maxShift" }),
      );
    }
  });
});

describe("shiftColumns", () => {
  it("moves column c + s to column c, cyclically", () => {
    const g = { rows: 2, cols: 3, bitsPerCell: 2 };
    const code = IrisCode.fromBits(
      g,
      [1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 0, 1],
      [1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1],
    );
    const s = shiftColumns(code, 1);
    expect(Array.from(s.bitValues())).toEqual([0, 1, 1, 1, 1, 0, 1, 0, 0, 1, 0, 0]);
    expect(Array.from(s.maskValues())).toEqual([1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1]);
    expect(shiftColumns(shiftColumns(code, 2), -2).equals(code)).toBe(true);
    expect(shiftColumns(code, 3).equals(code)).toBe(true);
  });
});

describe("popcount32", () => {
  it("counts bits of any 32-bit word", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (x) => {
        expect(popcount32(x)).toBe(x.toString(2).split("1").length - 1);
      }),
    );
  });
});
