import { DEFAULT_PROFILE, type IrisCode, type IrisProfile } from "@zkiris/iris-code";
import { describe, expect, it } from "vitest";
import { bruteForceSearch, type EnrolmentId, UniquenessIndex } from "../src/index.js";
import { expectSameAsBruteForce, plantedCode, randomCode, rng } from "./helpers.js";

/** The default geometry with a pinned normalised decision: 0.35 at 2,000 reference bits. */
const NORMALISED: IrisProfile = {
  ...DEFAULT_PROFILE,
  name: "test-normalised-16x112x2",
  deduplication: {
    thresholdPer10k: 3500,
    referenceBits: 2000,
    minUsableBits: 720,
    enrolmentMinUsableBits: 2152,
  },
};
const g = NORMALISED.geometry;

/** Daugman's normalisation below 2,000 usable bits, the raw distance from 2,000 on. */
function normalised(d: number, u: number): number {
  return u >= 2000 ? d / u : 0.5 - (0.5 - d / u) * Math.sqrt(u / 2000);
}

describe("a search under Daugman's normalised distance", () => {
  it("refuses a raw-looking match on few bits and decides one on many bits on its raw distance, as brute force does", async () => {
    const random = rng(99);
    const probe = randomCode(random, g, 0.95);
    // 272 of 800 bits (raw 0.34, under a raw 0.35): normalised 0.399, not a duplicate.
    const fewBits = plantedCode(random, probe, 800, 272, 2);
    // 1,100 of 3,200 bits (raw 0.34375): more bits than the reference, so decided on the raw
    // distance: a duplicate under both rules.
    const manyBits = plantedCode(random, probe, 3200, 1100, -5);
    // 1,152 of 3,200 bits (raw 0.36): no reward for the many bits (Daugman's uncapped form would
    // give 0.323): not a duplicate.
    const notRewarded = plantedCode(random, probe, 3200, 1152, 4);
    const entries: Array<[EnrolmentId, IrisCode]> = [
      ["few-bits", fewBits],
      ["many-bits", manyBits],
      ["not-rewarded", notRewarded],
    ];
    for (let i = 0; i < 3000; i++) entries.push([`other-${i}`, randomCode(random, g, 0.75)]);
    for (const workers of [0, 1, 2]) {
      const index = await UniquenessIndex.create({ profile: NORMALISED, workers });
      try {
        for (const [id, code] of entries) index.add(id, code);
        const result = await index.search(probe);
        expect(result.matchCount).toBe(1);
        expect(result.best).toEqual({
          id: "many-bits",
          distance: 1100 / 3200,
          decisionDistance: 1100 / 3200,
          differingBits: 1100,
          usableBits: 3200,
          shift: -5,
        });
        // The same threshold on the raw distance also takes the few-bits code.
        const raw = await index.search(probe, { referenceBits: null });
        expect(raw.matches.map((m) => m.id)).toEqual(["few-bits", "many-bits"]);
        await expectSameAsBruteForce(index, entries, probe, NORMALISED);
        await expectSameAsBruteForce(index, entries, probe, NORMALISED, { referenceBits: null });
      } finally {
        await index.close();
      }
    }
  });

  it("agrees with brute force on planted duplicates around the threshold at every usable-bit count", async () => {
    const random = rng(2024);
    const probe = randomCode(random, g, 0.9);
    const entries: Array<[EnrolmentId, IrisCode]> = [];
    // At each usable count, the differing counts just inside and just outside the normalised
    // threshold (0.5 - 0.15 sqrt(2000 / u) of the bits below 2,000 bits, 0.35 from there on).
    for (const u of [720, 900, 1400, 1999, 2000, 2600, 3100]) {
      const edge = Math.floor(u >= 2000 ? 0.35 * u : u * (0.5 - 0.15 * Math.sqrt(2000 / u)));
      for (const d of [edge - 1, edge, edge + 1, edge + 2]) {
        if (d >= 0) entries.push([`u${u}-d${d}`, plantedCode(random, probe, u, d, ((u + d) % 9) - 4)]);
      }
    }
    for (let i = 0; i < 500; i++) entries.push([`other-${i}`, randomCode(random, g, 0.7)]);
    const index = await UniquenessIndex.create({ profile: NORMALISED, workers: 2 });
    try {
      for (const [id, code] of entries) index.add(id, code);
      const count = await expectSameAsBruteForce(index, entries, probe, NORMALISED);
      const brute = bruteForceSearch(entries, probe, { profile: NORMALISED });
      // Every match is a planted code within the threshold and every planted code within it matched.
      for (const m of brute.matches) expect(m.decisionDistance).toBeLessThanOrEqual(0.35);
      const expected = entries.filter(([id]) => {
        const m = /^u(\d+)-d(\d+)$/.exec(String(id));
        return m !== null && normalised(Number(m[2]), Number(m[1])) <= 0.35;
      });
      expect(count).toBe(expected.length);
      expect(count).toBeGreaterThan(6);
    } finally {
      await index.close();
    }
  });

  it("refuses reference bits outside 1..bits and a threshold of 0.5 or more with them", async () => {
    const index = await UniquenessIndex.create({ profile: NORMALISED, workers: 0 });
    try {
      const probe = randomCode(rng(1), g, 0.9);
      for (const [options, field, message] of [
        [
          { referenceBits: 0 },
          "options.referenceBits",
          "must be an integer between 1 and 3584, received number 0",
        ],
        [
          { referenceBits: 3585 },
          "options.referenceBits",
          "must be an integer between 1 and 3584, received number 3585",
        ],
        [
          { referenceBits: 2000, thresholdPer10k: 5000 },
          "options.thresholdPer10k",
          "must be below 5000 with a normalised distance (referenceBits), received 5000",
        ],
      ] as const) {
        await expect(index.search(probe, options)).rejects.toMatchObject({
          code: "INVALID_PARAMETER",
          field,
          message: `Parameter '${field}' ${message}`,
        });
      }
    } finally {
      await index.close();
    }
  });
});
