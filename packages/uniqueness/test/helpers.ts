import { bitCount, type CodeGeometry, IrisCode, type IrisProfile, shiftColumns } from "@zkiris/iris-code";
import { expect } from "vitest";
import {
  bruteForceSearch,
  type EnrolmentId,
  type SearchOptions,
  type UniquenessIndex,
} from "../src/index.js";

/** mulberry32: a small seeded generator, so every test case is reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random code whose mask bits are set with probability `usable`. */
export function randomCode(random: () => number, g: CodeGeometry, usable = 0.8): IrisCode {
  const n = bitCount(g);
  const bits = new Uint8Array(n);
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    bits[i] = random() < 0.5 ? 1 : 0;
    mask[i] = random() < usable ? 1 : 0;
  }
  return IrisCode.fromBits(g, bits, mask);
}

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
