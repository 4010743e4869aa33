import { describe, expect, it } from "vitest";
import { canonicalSeed, SeededRandom } from "../src/index.js";

describe("SeededRandom", () => {
  it("matches the xoshiro128** reference output for state 1, 2, 3, 4", () => {
    const rng = SeededRandom.fromState([1, 2, 3, 4]);
    const out = Array.from({ length: 6 }, () => rng.nextUint32());
    expect(out).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it("derives the same stream from the same text and a different one from other text", () => {
    const a = new SeededRandom("zkiris");
    const b = new SeededRandom("zkiris");
    const c = new SeededRandom("zkiriS");
    const xs = Array.from({ length: 4 }, () => a.nextUint32());
    expect(Array.from({ length: 4 }, () => b.nextUint32())).toEqual(xs);
    expect(Array.from({ length: 4 }, () => c.nextUint32())).not.toEqual(xs);
  });

  it("draws uniforms in [0, 1) and unit-variance normals", () => {
    const rng = new SeededRandom("stats");
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < 20_000; i++) {
      const u = rng.next();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      const z = rng.normal();
      sum += z;
      sq += z * z;
    }
    expect(Math.abs(sum / 20_000)).toBeLessThan(0.03);
    expect(Math.abs(sq / 20_000 - 1)).toBeLessThan(0.05);
  });

  it("canonicalises a number seed to its decimal text", () => {
    expect(canonicalSeed(42, "seed")).toBe("42");
    expect(canonicalSeed("42", "seed")).toBe("42");
  });
});
