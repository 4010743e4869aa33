import { mulberry32, randomCode, recapture } from "@zkiris/test-kit";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compareForDeduplication,
  DEFAULT_PROFILE,
  type DeduplicationDecision,
  deduplicationDistance,
  deduplicationMatches,
  normalisedMatch,
  PreparedProbe,
  rowWords,
} from "../src/index.js";

const NORMALISED: DeduplicationDecision = {
  thresholdPer10k: 3500,
  referenceBits: 2000,
  minUsableBits: 720,
  enrolmentMinUsableBits: 2152,
};
const RAW: DeduplicationDecision = {
  thresholdPer10k: 3400,
  minUsableBits: 720,
  enrolmentMinUsableBits: 2152,
};

/**
 * The normalised rule evaluated with exact rationals: 0.5 - (0.5 - d/u) sqrt(min(u, R)/R) <= t/10^4,
 * that is the raw rule d/u <= t/10^4 from R bits on.
 */
function exactlyMatches(d: number, u: number, t: number, r: number): boolean {
  if (u >= r) return BigInt(d) * 10_000n <= BigInt(t) * BigInt(u);
  // (u - 2d) sqrt(u) * 5000 >= (5000 - t) u sqrt(R), with both sides' signs handled before squaring.
  const a = BigInt(u - 2 * d);
  if (a <= 0n) return false;
  return a * a * 25_000_000n >= BigInt(5000 - t) ** 2n * BigInt(r) * BigInt(u);
}

describe("normalisedMatch", () => {
  it("is the raw rule when the usable bits equal the reference bits, including the boundary", () => {
    // u = R: normalised = raw, so 35 of 100 differing is exactly 0.35.
    expect(normalisedMatch(35, 100, 3500, 100)).toBe(true);
    expect(normalisedMatch(36, 100, 3500, 100)).toBe(false);
    expect(normalisedMatch(35, 100, 3499, 100)).toBe(false);
  });

  it("pulls a distance from few bits towards 0.5 and decides one on the reference bits or more on its raw value", () => {
    // raw 0.34 on 800 bits: 0.5 - 0.16 * sqrt(0.4) = 0.3988 > 0.35.
    expect(normalisedMatch(272, 800, 3500, 2000)).toBe(false);
    expect(deduplicationDistance(272, 800, NORMALISED)).toBe(0.5 - (0.5 - 272 / 800) * Math.sqrt(800 / 2000));
    // raw 0.36 on 3200 bits stays 0.36 (Daugman's uncapped form would give 0.3229): not a duplicate.
    expect(normalisedMatch(1152, 3200, 3500, 2000)).toBe(false);
    expect(deduplicationDistance(1152, 3200, NORMALISED)).toBe(0.36);
    // raw 0.35 on 3200 bits: exactly at the threshold.
    expect(normalisedMatch(1120, 3200, 3500, 2000)).toBe(true);
  });

  it("is never below a raw distance up to 0.5, so a normalised duplicate is always a raw one at the same threshold", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 4999 }),
        fc.integer({ min: 1, max: 4000 }),
        (u, f, t, r) => {
          const d = Math.floor(f * u);
          const decision = {
            thresholdPer10k: t,
            referenceBits: r,
            minUsableBits: 1,
            enrolmentMinUsableBits: 4000,
          };
          if (2 * d <= u) expect(deduplicationDistance(d, u, decision)).toBeGreaterThanOrEqual(d / u - 1e-15);
          if (normalisedMatch(d, u, t, r)) expect(d * 10_000).toBeLessThanOrEqual(t * u);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("never matches at or above half the bits differing, nor on zero bits", () => {
    expect(normalisedMatch(50, 100, 4999, 100)).toBe(false);
    expect(normalisedMatch(60, 100, 4999, 1)).toBe(false);
    expect(normalisedMatch(0, 0, 3500, 2000)).toBe(false);
  });

  it("agrees with exact rational arithmetic on random counts, also past 2^53", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 4999 }),
        fc.integer({ min: 1, max: 20_000 }),
        (u, f, t, r) => {
          const d = Math.floor(f * u);
          expect(normalisedMatch(d, u, t, r)).toBe(exactlyMatches(d, u, t, r));
        },
      ),
      { numRuns: 5000 },
    );
    // Large enough that both sides exceed Number.MAX_SAFE_INTEGER (the BigInt path).
    expect(normalisedMatch(8_000_000, 20_000_000, 3000, 30_000_000)).toBe(
      exactlyMatches(8_000_000, 20_000_000, 3000, 30_000_000),
    );
  });

  it("refuses counts that are not bit counts", () => {
    for (const [d, u] of [
      [5, 4],
      [-1, 4],
      [1.5, 4],
      [1, Number.NaN],
    ]) {
      expect(() => normalisedMatch(d!, u!, 3500, 2000)).toThrowError(
        `Bit counts must be integers with 0 <= differing <= usable, received differing ${d}, usable ${u}`,
      );
    }
  });
});

describe("deduplicationMatches and deduplicationDistance", () => {
  it("use the raw rule without reference bits", () => {
    expect(deduplicationMatches(34, 100, RAW)).toBe(true);
    expect(deduplicationMatches(35, 100, RAW)).toBe(false);
    expect(deduplicationMatches(0, 0, RAW)).toBe(false);
    expect(deduplicationDistance(34, 100, RAW)).toBe(0.34);
    expect(deduplicationDistance(0, 0, RAW)).toBe(1);
  });

  it("use the normalised rule with reference bits", () => {
    expect(deduplicationMatches(272, 800, NORMALISED)).toBe(false);
    expect(deduplicationMatches(1120, 3200, NORMALISED)).toBe(true);
    expect(deduplicationMatches(1121, 3200, NORMALISED)).toBe(false);
  });
});

describe("compareForDeduplication", () => {
  const g = DEFAULT_PROFILE.geometry;
  const K = DEFAULT_PROFILE.maxShift;
  /**
   * Plain reference over bit arrays: at shift s, probe column c meets template column c - s; the
   * capped normalised distance of each shift with the floor, the smallest one, and whether any
   * shift is a duplicate by exact rationals.
   */
  function bruteForce(probe: ReturnType<typeof randomCode>, template: ReturnType<typeof randomCode>) {
    const pb = probe.bitValues();
    const pm = probe.maskValues();
    const tb = template.bitValues();
    const tm = template.maskValues();
    let best: { distance: number; usable: number; differing: number } | undefined;
    let duplicate = false;
    for (let s = -K; s <= K; s++) {
      let usable = 0;
      let differing = 0;
      for (let r = 0; r < g.rows; r++)
        for (let c = 0; c < g.cols; c++)
          for (let p = 0; p < g.bitsPerCell; p++) {
            const i = (r * g.cols + c) * g.bitsPerCell + p;
            const j = (r * g.cols + ((((c - s) % g.cols) + g.cols) % g.cols)) * g.bitsPerCell + p;
            if (pm[i] && tm[j]) {
              usable++;
              if (pb[i] !== tb[j]) differing++;
            }
          }
      if (usable < NORMALISED.minUsableBits) continue;
      const raw = differing / usable;
      const distance = usable >= 2000 ? raw : 0.5 - (0.5 - raw) * Math.sqrt(usable / 2000);
      if (exactlyMatches(differing, usable, 3500, 2000)) duplicate = true;
      if (best === undefined || distance < best.distance) best = { distance, usable, differing };
    }
    return best === undefined
      ? { decidable: false as const }
      : { decidable: true as const, duplicate, ...best };
  }

  it("decides as the brute-force minimum of the normalised distance over the shifts", () => {
    const next = mulberry32(7);
    const outcomes = { duplicate: 0, distinct: 0 };
    for (let trial = 0; trial < 40; trial++) {
      const a = randomCode(next, g, 0.3 + 0.6 * next());
      // Half the pairs are a noisy copy of a, so that duplicates occur.
      const b =
        trial % 2 === 0
          ? randomCode(next, g, 0.3 + 0.6 * next())
          : recapture(next, a, { flip: 0.25, drop: 0.2, shift: (trial % 7) - 3 });
      const probe = new PreparedProbe(a, DEFAULT_PROFILE.maxShift);
      const got = compareForDeduplication(
        probe,
        rowWords(b.packedBitsView() as Uint8Array, g),
        rowWords(b.packedMaskView() as Uint8Array, g),
        NORMALISED,
      );
      const expected = bruteForce(a, b);
      expect(got.decidable).toBe(expected.decidable);
      if (!expected.decidable) continue;
      expect(got.distance).toBeCloseTo(expected.distance, 12);
      expect([got.usableBits, got.differingBits]).toEqual([expected.usable, expected.differing]);
      expect(got.duplicate).toBe(expected.duplicate);
      outcomes[got.duplicate ? "duplicate" : "distinct"]++;
    }
    // Both outcomes occur, so the decision was exercised both ways.
    expect(outcomes.duplicate).toBeGreaterThan(5);
    expect(outcomes.distinct).toBeGreaterThan(5);
  });

  it("is undecidable when no shift has the usable-bit floor", () => {
    const next = mulberry32(3);
    const a = randomCode(next, g, 0.1);
    const probe = new PreparedProbe(a, DEFAULT_PROFILE.maxShift);
    const got = compareForDeduplication(
      probe,
      rowWords(a.packedBitsView() as Uint8Array, g),
      rowWords(a.packedMaskView() as Uint8Array, g),
      NORMALISED,
    );
    expect(got).toEqual({
      duplicate: false,
      decidable: false,
      distance: 1,
      differingBits: 0,
      usableBits: 0,
      shift: 0,
    });
  });
});
