import { DEFAULT_PROFILE, IrisCode } from "@zkiris/iris-code";
import { describe, expect, it } from "vitest";
import {
  EncoderError,
  type EnrolmentProtocolReport,
  enrolmentSubsets,
  measureEnrolmentProtocol,
  protocolTemplate,
} from "../src/index.js";

// DEFAULT_PROFILE: 3584 bits, verification 0.32 on 720 bits, deduplication normalised 0.35 at
// 2000 reference bits, enrolment floor 2152 usable bits. With every bit usable (3584 >= 2000) the
// deduplication decision is the raw rule: a duplicate at <= 1254 differing bits (1254.4 = 0.35 *
// 3584); two captures are consistent at <= 1146 differing bits (1146.88 = 0.32 * 3584).
const P = DEFAULT_PROFILE;
const N = 3584;

/** Random bits from a small seeded generator (mulberry32): codes of different eyes differ at ~0.5. */
function randomBits(seed: number): Uint8Array {
  let a = seed >>> 0;
  const bits = new Uint8Array(N);
  for (let i = 0; i < N; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    bits[i] = ((t ^ (t >>> 14)) >>> 0) & 1;
  }
  return bits;
}

/** `bits` with the bits of each `[start, count]` range flipped. */
function flipped(bits: Uint8Array, ...ranges: [number, number][]): Uint8Array {
  const out = Uint8Array.from(bits);
  for (const [start, count] of ranges) for (let i = start; i < start + count; i++) out[i] = out[i]! ^ 1;
  return out;
}

/** A code of `bits`, usable on bits `0..usable-1` (default all). */
function code(bits: Uint8Array, usable = N): IrisCode {
  const mask = new Uint8Array(N);
  mask.fill(1, 0, usable);
  return IrisCode.fromBits(P.geometry, bits, mask);
}

const BA = randomBits(1);
const BB = randomBits(2);
const BD = randomBits(3);
const BE = randomBits(4);
// Eye C is eye A with 1000 bits changed: a duplicate under two labels.
const BC = flipped(BA, [2000, 1000]);

/** Eye A: three captures 100 bits from the eye, a fourth 1255 bits from it (inconsistent, and a miss). */
const eyeA = [
  code(flipped(BA, [0, 100])),
  code(flipped(BA, [100, 100])),
  code(flipped(BA, [200, 100])),
  code(flipped(BA, [300, 1255])),
];
/** Eye B: four captures 100 bits from the eye and one with 2151 usable bits, under the floor. */
const eyeB = [...[0, 1, 2, 3].map((k) => code(flipped(BB, [100 * k, 100]))), code(BB, 2151)];
/** Eye C: six captures 70 bits from the eye (1000 bits from eye A). */
const eyeC = [0, 1, 2, 3, 4, 5].map((k) => code(flipped(BC, [1560 + 70 * k, 70])));
/** Eye D: three captures, too few to be measured. */
const eyeD = [0, 1, 2].map((k) => code(flipped(BD, [100 * k, 100])));

const eyes = new Map([
  ["A", eyeA],
  ["B", eyeB],
  ["C", eyeC],
  ["D", eyeD],
]);

describe("protocolTemplate", () => {
  const small = [0, 1, 2].map((k) => code(flipped(BA, [100 * k, 100])));

  it("builds the majority template of consistent captures over the floor", () => {
    const out = protocolTemplate(small, P);
    expect("template" in out && out.template.equals(code(BA))).toBe(true);
  });

  it("refuses a capture one bit under the enrolment floor, and takes one at it", () => {
    expect(protocolTemplate([...small.slice(0, 2), code(BA, 2151)], P)).toEqual({
      refused: "captureUsableBits",
    });
    expect("template" in protocolTemplate([...small.slice(0, 2), code(BA, 2152)], P)).toBe(true);
  });

  it("refuses a pair one bit over the verification threshold, and takes one at it", () => {
    const at = [code(flipped(BA, [0, 573])), code(flipped(BA, [573, 573])), code(BA)];
    expect("template" in protocolTemplate(at, P)).toBe(true);
    const over = [code(flipped(BA, [0, 574])), code(flipped(BA, [574, 573])), code(BA)];
    expect(protocolTemplate(over, P)).toEqual({ refused: "inconsistentCaptures" });
  });

  it("checks the capture floor before consistency, as the registry does", () => {
    const both = [code(flipped(BA, [0, 574])), code(flipped(BA, [574, 573])), code(BA, 2151)];
    expect(protocolTemplate(both, P)).toEqual({ refused: "captureUsableBits" });
  });

  /**
   * Three captures of 2200 usable bits: each pair shares one of three regions (1005, 1005 and
   * 1006 bits), 568 bits are usable in one capture only. A template bit is usable in two of
   * three captures; `ties` of each pair's region disagree (tied votes, masked), so the template
   * has 3016 - sum(ties) usable bits.
   */
  function tiedCaptures(ties: [number, number, number]): IrisCode[] {
    const masks = [new Uint8Array(N), new Uint8Array(N), new Uint8Array(N)];
    masks[0]!.fill(1, 0, 2010).fill(1, 3016, 3206); // regions 01 and 02, 190 own bits
    masks[1]!.fill(1, 0, 1005).fill(1, 2010, 3016).fill(1, 3206, 3395); // regions 01 and 12, 189
    masks[2]!.fill(1, 1005, 3016).fill(1, 3395, 3584); // regions 02 and 12, 189
    const bits = [BA, flipped(BA, [0, ties[0]]), flipped(BA, [1005, ties[1]], [2010, ties[2]])];
    return bits.map((b, i) => IrisCode.fromBits(P.geometry, b, masks[i]!));
  }

  it("refuses a template one bit under the floor, and takes one at it", () => {
    const at = protocolTemplate(tiedCaptures([288, 288, 288]), P);
    expect("template" in at && at.template.usableBitCount()).toBe(2152);
    expect(protocolTemplate(tiedCaptures([289, 288, 288]), P)).toEqual({ refused: "templateUsableBits" });
  });
});

describe("enrolmentSubsets", () => {
  it("lists every 3-subset in order, or as many as allowed spread evenly", () => {
    expect(enrolmentSubsets(4, 10)).toEqual([
      [0, 1, 2],
      [0, 1, 3],
      [0, 2, 3],
      [1, 2, 3],
    ]);
    expect(enrolmentSubsets(3, 10)).toEqual([[0, 1, 2]]);
    expect(enrolmentSubsets(2, 10)).toEqual([]);
    // C(6,3) = 20 subsets; every second one.
    expect(enrolmentSubsets(6, 10)).toEqual([
      [0, 1, 2],
      [0, 1, 4],
      [0, 2, 3],
      [0, 2, 5],
      [0, 3, 5],
      [1, 2, 3],
      [1, 2, 5],
      [1, 3, 5],
      [2, 3, 4],
      [2, 4, 5],
    ]);
  });
});

describe("measureEnrolmentProtocol", () => {
  // A: 4 subsets, the 3 with its far capture inconsistent; the one left misses that capture.
  // B: 10 subsets, the 6 with the capture under the floor refused; 4 attempts of one capture, hits.
  // C: 10 of 20 subsets, all accepted; 10 attempts of 3 captures (their template too), hits.
  // D: too few codes. Impostors: 15 templates; A's (1) against 4 + 6 + 3 codes, B's (4) against
  // 4 + 6 + 3, C's (10) against 4 + 4 + 3; A's template matches C's 6 codes (1070 bits at the
  // closest), each C template A's 3 near captures (1100 bits).
  const expected: EnrolmentProtocolReport = {
    capturesPerEnrolment: 3,
    eyes: 3,
    eyesWithTooFewCodes: 1,
    codesUnderFloor: 1,
    enrolments: {
      formed: 24,
      accepted: 15,
      refused: { captureUsableBits: 6, inconsistentCaptures: 3, templateUsableBits: 0 },
      failureToEnrol: 9 / 24,
    },
    secondEnrolment: {
      attempts: 15,
      withTemplate: 10,
      capturesOnly: 5,
      refusedBeforeSearch: { inconsistentCaptures: 0, templateUsableBits: 0 },
      noFreshCaptures: 0,
      misses: 1,
      fnmr: 1 / 15,
      gfnmr: 9 / 24 + (15 / 24) * (1 / 15),
      perCapture: { comparisons: 35, misses: 1, fnmr: 1 / 35 },
    },
    templateImpostors: {
      templates: 15,
      comparisons: 13 + 4 * 13 + 10 * 11,
      matches: 6 + 10 * 3,
      undecidable: 0,
      fmr: 36 / 175,
      closest: 1070 / N,
      closeEyes: {
        total: 2,
        listed: [
          { eyes: ["C", "A"], matches: 30, comparisons: 40, closest: 1100 / N },
          { eyes: ["A", "C"], matches: 6, comparisons: 6, closest: 1070 / N },
        ],
      },
    },
  };

  it("replays the registry's protocol and counts every refusal, attempt, miss and impostor match", () => {
    const progress: [number, number][] = [];
    const { pooled, byGroup } = measureEnrolmentProtocol(
      eyes,
      P,
      () => "one",
      {},
      (d, t) => progress.push([d, t]),
    );
    expect(pooled).toEqual(expected);
    expect(byGroup.get("one")).toBe(pooled);
    expect(progress).toEqual([
      [1, 4],
      [2, 4],
      [3, 4],
      [4, 4],
    ]);
  });

  it("keeps each group's impostors inside the group and pools them across groups", () => {
    const group = (eye: string) => (eye === "A" || eye === "B" ? "x" : "y");
    const { pooled, byGroup } = measureEnrolmentProtocol(eyes, P, group);
    expect(pooled).toEqual(expected);
    const x = byGroup.get("x")!;
    const y = byGroup.get("y")!;
    expect(x.eyes).toBe(2);
    expect(x.enrolments).toEqual({
      formed: 14,
      accepted: 5,
      refused: { captureUsableBits: 6, inconsistentCaptures: 3, templateUsableBits: 0 },
      failureToEnrol: 9 / 14,
    });
    expect(x.secondEnrolment.misses).toBe(1);
    expect(x.secondEnrolment.attempts).toBe(5);
    // A's template against B's 4 codes, B's 4 templates against A's 4: random eyes, no match.
    expect(x.templateImpostors.comparisons).toBe(20);
    expect(x.templateImpostors.matches).toBe(0);
    expect(x.templateImpostors.closeEyes).toEqual({ total: 0, listed: [] });
    expect(x.templateImpostors.closest).toBeGreaterThan(0.4);
    expect(x.templateImpostors.closest).toBeLessThan(0.5);
    expect(y.eyes).toBe(1);
    expect(y.eyesWithTooFewCodes).toBe(1);
    expect(y.codesUnderFloor).toBe(0);
    expect(y.secondEnrolment.attempts).toBe(10);
    expect(y.secondEnrolment.withTemplate).toBe(10);
    expect(y.templateImpostors).toMatchObject({ templates: 10, comparisons: 30, matches: 0 });
  });

  it("counts a second enrolment the registry refuses before its search apart from the attempts", () => {
    // E: three captures 100 bits from the eye, three 600 bits from it (1200 from each other:
    // inconsistent with each other, consistent with the first three). The sampled subsets with
    // two far captures are refused; each of the 6 accepted leaves a fresh set with two far ones.
    const eyeE = [
      ...[0, 1, 2].map((k) => code(flipped(BE, [100 * k, 100]))),
      ...[0, 1, 2].map((k) => code(flipped(BE, [300 + 600 * k, 600]))),
    ];
    const { pooled } = measureEnrolmentProtocol(new Map([["E", eyeE]]), P, () => "");
    expect(pooled.enrolments).toEqual({
      formed: 10,
      accepted: 6,
      refused: { captureUsableBits: 0, inconsistentCaptures: 4, templateUsableBits: 0 },
      failureToEnrol: 0.4,
    });
    expect(pooled.secondEnrolment).toEqual({
      attempts: 0,
      withTemplate: 0,
      capturesOnly: 0,
      refusedBeforeSearch: { inconsistentCaptures: 6, templateUsableBits: 0 },
      noFreshCaptures: 0,
      misses: 0,
      fnmr: null,
      gfnmr: null,
      perCapture: { comparisons: 18, misses: 0, fnmr: 0 },
    });
    expect(pooled.templateImpostors).toEqual({
      templates: 6,
      comparisons: 0,
      matches: 0,
      undecidable: 0,
      fmr: null,
      closest: null,
      closeEyes: { total: 0, listed: [] },
    });
  });

  it("has no attempt for a template whose eye has no other capture over the floor", () => {
    const eye = [...[0, 1, 2].map((k) => code(flipped(BB, [100 * k, 100]))), code(BB, 2151)];
    const { pooled } = measureEnrolmentProtocol(new Map([["B", eye]]), P, () => "");
    expect(pooled.enrolments.accepted).toBe(1);
    expect(pooled.enrolments.refused.captureUsableBits).toBe(3);
    expect(pooled.secondEnrolment.noFreshCaptures).toBe(1);
    expect(pooled.secondEnrolment.attempts).toBe(0);
    expect(pooled.secondEnrolment.perCapture.comparisons).toBe(0);
  });

  it("measures nothing without codes", () => {
    const { pooled, byGroup } = measureEnrolmentProtocol(new Map(), P, () => "");
    expect(byGroup.size).toBe(0);
    expect(pooled.eyes).toBe(0);
    expect(pooled.enrolments.failureToEnrol).toBeNull();
    expect(pooled.secondEnrolment.fnmr).toBeNull();
  });

  it("refuses options out of range and a code of another geometry", () => {
    const cases: [() => unknown, string][] = [
      () => measureEnrolmentProtocol(eyes, P, () => "", { minCodesPerEye: 3 }),
      () => measureEnrolmentProtocol(eyes, P, () => "", { maxEnrolmentsPerEye: 0 }),
      () =>
        measureEnrolmentProtocol(
          new Map([
            [
              "A",
              [
                IrisCode.fromBits(
                  { rows: 8, cols: 112, bitsPerCell: 2 },
                  new Uint8Array(1792),
                  new Uint8Array(1792).fill(1),
                ),
              ],
            ],
          ]),
          P,
          () => "",
        ),
    ].map((f, i) => [f, ["minCodesPerEye", "maxEnrolmentsPerEye", "codesByEye"][i]!]);
    for (const [f, field] of cases)
      expect(f).toThrow(
        expect.objectContaining({ constructor: EncoderError, code: "INVALID_PARAMETER", field }),
      );
  });
});
