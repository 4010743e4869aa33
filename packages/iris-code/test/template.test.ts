import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildTemplate, type CodeGeometry, IrisCode, type IrisProfile } from "../src/index.js";
import { codeArb, geometryArb } from "./arbitraries.js";

function profileFor(g: CodeGeometry, maxShift: number, minUsableBits = 1): IrisProfile {
  const n = g.rows * g.cols * g.bitsPerCell;
  return {
    name: "t",
    geometry: g,
    maxShift,
    thresholdPer10k: 3500,
    minUsableBits,
    deduplication: {
      thresholdPer10k: 3500,
      minUsableBits: 1,
      enrolmentMinUsableBits: Math.ceil((n + 1) / 2),
    },
  };
}

interface Plain {
  bits: number[];
  mask: number[];
}

/** Independent plain implementation over arrays of numbers, straight from the documented rule. */
function plainTemplate(captures: Plain[], g: CodeGeometry, maxShift: number, minUsable: number) {
  const at = (r: number, col: number, b: number) =>
    (r * g.cols + (((col % g.cols) + g.cols) % g.cols)) * g.bitsPerCell + b;
  const first = captures[0]!;
  const shifts = captures.map((capture, i) => {
    if (i === 0) return 0;
    let best: { s: number; d: number; u: number } | undefined;
    for (const s of [0, ...Array.from({ length: maxShift }, (_, k) => [-(k + 1), k + 1]).flat()]) {
      let u = 0;
      let d = 0;
      for (let r = 0; r < g.rows; r++)
        for (let col = 0; col < g.cols; col++)
          for (let b = 0; b < g.bitsPerCell; b++) {
            const t = at(r, col, b);
            const p = at(r, col + s, b);
            if (first.mask[t] && capture.mask[p]) {
              u++;
              if (first.bits[t] !== capture.bits[p]) d++;
            }
          }
      if (u < minUsable || u === 0) continue;
      if (best === undefined || d * best.u < best.d * u) best = { s, d, u };
    }
    return best!.s;
  });
  const n = g.rows * g.cols * g.bitsPerCell;
  const bits: number[] = new Array(n).fill(0);
  const mask: number[] = new Array(n).fill(0);
  for (let r = 0; r < g.rows; r++)
    for (let col = 0; col < g.cols; col++)
      for (let b = 0; b < g.bitsPerCell; b++) {
        const j = at(r, col, b);
        let ones = 0;
        let zeros = 0;
        captures.forEach((capture, i) => {
          const k = at(r, col + shifts[i]!, b);
          if (capture.mask[k]) {
            if (capture.bits[k]) ones++;
            else zeros++;
          }
        });
        if (ones + zeros > captures.length / 2 && ones !== zeros) {
          mask[j] = 1;
          bits[j] = ones > zeros ? 1 : 0;
        }
      }
  return { bits, mask, shifts };
}

const plain = (code: IrisCode): Plain => ({ bits: [...code.bitValues()], mask: [...code.maskValues()] });

describe("buildTemplate", () => {
  it("votes bit by bit over aligned captures, masking minority-usable and tied bits", () => {
    const g = { rows: 1, cols: 6, bitsPerCell: 1 };
    const a = IrisCode.fromBits(g, [1, 1, 0, 0, 1, 0], [1, 1, 1, 1, 1, 0]);
    // b is a rotated by one column (b[c] = a[c + 1]) with bit 2 of a flipped (now at column 1).
    const b = IrisCode.fromBits(g, [1, 1, 0, 1, 0, 1], [1, 1, 1, 1, 0, 1]);
    // c agrees with a wherever both are usable at shift 0, and alone sees column 5.
    const c = IrisCode.fromBits(g, [1, 1, 0, 0, 0, 1], [1, 1, 0, 1, 0, 1]);
    const { template, shifts } = buildTemplate([a, b, c], profileFor(g, 2));
    expect(shifts).toEqual([0, -1, 0]);
    // column 0 votes 1,1,1 -> 1; 1: 1,1,1 -> 1; 2: 0,1 (c masked) -> tie, masked; 3: 0,0,0 -> 0;
    // 4: 1,1 (c masked) -> 2 of 3 usable -> 1; 5: only c sees it -> 1 of 3 usable, masked.
    expect([...template.bitValues()]).toEqual([1, 1, 0, 0, 1, 0]);
    expect([...template.maskValues()]).toEqual([1, 1, 0, 1, 1, 0]);
  });

  it("returns a capture with its masked bits cleared when given one capture", () => {
    const g = { rows: 1, cols: 4, bitsPerCell: 2 };
    const a = IrisCode.fromBits(g, [1, 1, 0, 1, 1, 0, 1, 1], [1, 0, 1, 1, 0, 1, 1, 1]);
    const { template, shifts } = buildTemplate([a], profileFor(g, 1));
    expect(shifts).toEqual([0]);
    expect([...template.bitValues()]).toEqual([1, 0, 0, 1, 0, 0, 1, 1]);
    expect([...template.maskValues()]).toEqual([1, 0, 1, 1, 0, 1, 1, 1]);
  });

  it("agrees with an independent plain implementation on random captures", () => {
    const arb = geometryArb.chain((g) =>
      fc.tuple(
        fc.constant(g),
        fc.array(codeArb(g, 0.85), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 0, max: Math.floor((g.cols - 1) / 2) }),
      ),
    );
    fc.assert(
      fc.property(arb, ([g, captures, maxShift]) => {
        const n = g.rows * g.cols * g.bitsPerCell;
        const minUsable = Math.max(1, Math.floor(n / 4));
        const expected = (() => {
          try {
            return plainTemplate(captures.map(plain), g, maxShift, minUsable);
          } catch {
            return undefined; // some capture is not comparable with the first
          }
        })();
        if (expected === undefined) {
          expect(() => buildTemplate(captures, profileFor(g, maxShift, minUsable))).toThrow(
            expect.objectContaining({ code: "INCOMPARABLE_CAPTURES" }),
          );
          return;
        }
        const { template, shifts } = buildTemplate(captures, profileFor(g, maxShift, minUsable));
        expect(shifts).toEqual(expected.shifts);
        expect([...template.bitValues()]).toEqual(expected.bits);
        expect([...template.maskValues()]).toEqual(expected.mask);
      }),
      { numRuns: 200 },
    );
  });

  it("does not change its inputs", () => {
    const g = { rows: 2, cols: 5, bitsPerCell: 1 };
    const a = IrisCode.fromBits(g, [1, 0, 1, 0, 1, 0, 1, 0, 1, 0], new Array(10).fill(1));
    const b = IrisCode.fromBits(g, [0, 1, 0, 1, 1, 1, 0, 1, 0, 1], new Array(10).fill(1));
    const before = [a.bits, a.mask, b.bits, b.mask];
    buildTemplate([a, b], profileFor(g, 1));
    expect([a.bits, a.mask, b.bits, b.mask]).toEqual(before);
  });

  it("refuses an empty list, a non-code, a capture of another geometry and an incomparable capture", () => {
    const g = { rows: 1, cols: 4, bitsPerCell: 1 };
    const p = profileFor(g, 1, 3);
    const a = IrisCode.fromBits(g, [1, 0, 1, 0], [1, 1, 1, 1]);
    expect(() => buildTemplate([], p)).toThrow(
      expect.objectContaining({
        code: "INVALID_PARAMETER",
        field: "captures",
        message: "Parameter 'captures' must be a non-empty array of IrisCode",
      }),
    );
    expect(() => buildTemplate([a, "x" as never], p)).toThrow(
      expect.objectContaining({
        code: "INVALID_PARAMETER",
        field: "captures[1]",
        message: "Parameter 'captures[1]' is not an IrisCode",
      }),
    );
    const wide = IrisCode.fullyUsable({ rows: 1, cols: 5, bitsPerCell: 1 }, [0, 0, 0, 0, 0]);
    expect(() => buildTemplate([a, wide], p)).toThrow(
      expect.objectContaining({ code: "GEOMETRY_MISMATCH", field: "captures[1].geometry" }),
    );
    const sparse = IrisCode.fromBits(g, [1, 0, 1, 0], [1, 1, 0, 0]);
    expect(() => buildTemplate([a, a, sparse], p)).toThrow(
      expect.objectContaining({
        code: "INCOMPARABLE_CAPTURES",
        field: "captures[2]",
        message: "Captures 0 and 2 share fewer than 3 usable bits at every shift in -1..1",
      }),
    );
  });
});
