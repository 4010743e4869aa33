import {
  bitCount,
  type CodeGeometry,
  DEFAULT_PROFILE,
  IrisCode,
  type IrisProfile,
  shiftColumns,
} from "@zkiris/iris-code";
import { randomCode } from "@zkiris/test-kit";
import { expect } from "vitest";
import {
  bruteForceSearch,
  type EnrolmentId,
  type SearchOptions,
  type UniquenessIndex,
} from "../src/index.js";

export { mulberry32 as rng, randomCode } from "@zkiris/test-kit";

/**
 * The default geometry with a pinned decision policy, so planted distances (900 of 2,500 bits is
 * exactly 0.36) keep their meaning when the default profile's policy is re-tuned.
 */
export const PINNED_PROFILE: IrisProfile = {
  ...DEFAULT_PROFILE,
  name: "test-16x112x2",
  thresholdPer10k: 3600,
  minUsableBits: 1200,
  // The index searches with the deduplication decision; ceil((3584 + 1200) / 2) = 2392.
  deduplication: { thresholdPer10k: 3600, minUsableBits: 1200, enrolmentMinUsableBits: 2392 },
};

/** Distinct indices in 0..n-1 chosen at random. */
export function pick(random: () => number, n: number, count: number): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (n - i));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, count);
}

/**
 * A code built from `probe` with a mask of exactly `usable` set bits (chosen among the probe's
 * usable bits) and exactly `differing` of those bits flipped, then shifted so that it is seen at
 * probe shift `shift`. Bits outside the mask are randomised. With a fully usable probe, the
 * comparison at that shift has exactly these counts.
 */
export function plantedCode(
  random: () => number,
  probe: IrisCode,
  usable: number,
  differing: number,
  shift = 0,
): IrisCode {
  const g = probe.geometry;
  const n = bitCount(g);
  const bits = probe.bitValues();
  const probeMask = probe.maskValues();
  const candidates: number[] = [];
  for (let i = 0; i < n; i++) if (probeMask[i] === 1) candidates.push(i);
  const chosen = pick(random, candidates.length, usable).map((i) => candidates[i]!);
  const mask = new Uint8Array(n);
  for (const i of chosen) mask[i] = 1;
  for (const i of pick(random, chosen.length, differing)) bits[chosen[i]!]! ^= 1;
  for (let i = 0; i < n; i++) if (mask[i] === 0) bits[i] = random() < 0.5 ? 1 : 0;
  return shiftColumns(IrisCode.fromBits(g, bits, mask), shift);
}

/** A code with no usable bit. */
export function allMasked(random: () => number, g: CodeGeometry): IrisCode {
  return randomCode(random, g, 0);
}

/** Asserts that the index returns exactly what brute force returns, matches and undecidable codes (timings aside). */
export async function expectSameAsBruteForce(
  index: UniquenessIndex,
  entries: Iterable<readonly [EnrolmentId, IrisCode]>,
  probe: IrisCode,
  profile: IrisProfile,
  options: SearchOptions = {},
): Promise<number> {
  const got = await index.search(probe, options);
  const want = bruteForceSearch(entries, probe, { ...options, profile });
  expect(got.matches).toEqual(want.matches);
  expect(got.best).toEqual(want.best);
  expect(got.matchCount).toBe(want.matchCount);
  expect(got.undecidable).toEqual(want.undecidable);
  expect(got.undecidableCount).toBe(want.undecidableCount);
  expect(got.compared).toBe(want.compared);
  return got.matchCount;
}
