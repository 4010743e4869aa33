import {
  DEFAULT_PROFILE,
  IrisCode,
  type IrisProfile,
  OPEN_IRIS_PROFILE,
  shiftColumns,
} from "@zkiris/iris-code";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bruteForceSearch, type EnrolmentId, UniquenessIndex } from "../src/index.js";
import {
  allMasked,
  expectSameAsBruteForce,
  PINNED_PROFILE,
  pick,
  plantedCode,
  randomCode,
  rng,
} from "./helpers.js";

/** The default geometry with a pinned decision policy (threshold 0.36, 1200 usable bits). */
const profile: IrisProfile = PINNED_PROFILE;
const g = profile.geometry;

/**
 * The adversarial population for a probe with every bit usable: exact-threshold ties, one bit
 * either side of the threshold, codes differing only under the mask, all-masked codes, best
 * shift at +-K, usable bits one either side of the minimum, among random codes.
 */
function population(
  seed: number,
  randomCount: number,
): { probe: IrisCode; entries: Array<[EnrolmentId, IrisCode]> } {
  const random = rng(seed);
  const probe = randomCode(random, g, 1);
  const entries: Array<[EnrolmentId, IrisCode]> = [];
  for (let i = 0; i < randomCount; i++)
    entries.push([`random-${i}`, randomCode(random, g, 0.5 + 0.4 * random())]);
  const K = profile.maxShift;
  // 3600/10000 of 2500 usable bits is exactly 900 differing bits.
  entries.push(["tie-exact", plantedCode(random, probe, 2500, 900, 3)]);
  entries.push(["tie-over", plantedCode(random, probe, 2500, 901, -2)]);
  entries.push(["tie-under", plantedCode(random, probe, 2500, 899, 0)]);
  entries.push(["tie-exact-again", plantedCode(random, probe, 2500, 900, 0)]);
  entries.push(["only-under-mask", plantedCode(random, probe, 3000, 0, 1)]);
  entries.push(["all-masked", allMasked(random, g)]);
  entries.push(["best-at-plus-K", plantedCode(random, probe, 3000, 300, K)]);
  entries.push(["best-at-minus-K", plantedCode(random, probe, 3000, 300, -K)]);
  entries.push(["usable-one-below-minimum", plantedCode(random, probe, profile.minUsableBits - 1, 0, 2)]);
  entries.push(["usable-at-minimum", plantedCode(random, probe, profile.minUsableBits, 0, -5)]);
  entries.push([12345678901234567890n, plantedCode(random, probe, 2000, 100, 4)]);
  // Shuffle so planted codes land in every partition.
  const order = pick(random, entries.length, entries.length);
  return { probe, entries: order.map((i) => entries[i]!) };
}

describe.each([0, 1, 2, 3])("with %i workers", (workers) => {
  let index: UniquenessIndex;
  const { probe, entries } = population(1000 + workers, 2000);

  beforeAll(async () => {
    index = await UniquenessIndex.create({ profile, workers, initialCapacity: 7 });
    for (const [id, code] of entries) index.add(id, code);
  });
  afterAll(() => index.close());

  it("finds exactly the adversarial matches brute force finds", async () => {
    expect(index.size).toBe(entries.length);
    const result = await index.search(probe);
    expect(result.matches.map((m) => [m.id, m.differingBits, m.usableBits, m.shift])).toEqual([
      ["only-under-mask", 0, 3000, 1],
      ["usable-at-minimum", 0, 1200, -5],
      [12345678901234567890n, 100, 2000, 4],
      ["best-at-minus-K", 300, 3000, -8],
      ["best-at-plus-K", 300, 3000, 8],
      ["tie-under", 899, 2500, 0],
      ["tie-exact", 900, 2500, 3],
      ["tie-exact-again", 900, 2500, 0],
    ]);
    expect(result.undecidable).toEqual(["all-masked", "usable-one-below-minimum"]);
    expect(result.undecidableCount).toBe(2);
    await expectSameAsBruteForce(index, entries, probe, profile);
  });

  it("agrees with brute force at thresholds from 0 to 10000 and every shift range", async () => {
    for (const thresholdPer10k of [0, 899, 3599, 3600, 3601, 4700, 5000, 10000]) {
      await expectSameAsBruteForce(index, entries, probe, profile, { thresholdPer10k });
    }
    for (const maxShift of [0, 1, 7, 55]) {
      await expectSameAsBruteForce(index, entries, probe, profile, { maxShift, thresholdPer10k: 4800 });
    }
    for (const minUsableBits of [1, 1199, 1200, 1201, 2500, 3584]) {
      await expectSameAsBruteForce(index, entries, probe, profile, { minUsableBits });
    }
  });

  it("agrees with brute force for random probes and enrolled codes as probes", async () => {
    const random = rng(workers);
    for (let t = 0; t < 3; t++) {
      await expectSameAsBruteForce(index, entries, randomCode(random, g, 0.8), profile, {
        thresholdPer10k: 4900,
      });
      const [, enrolled] = entries[Math.floor(random() * entries.length)]!;
      await expectSameAsBruteForce(index, entries, enrolled, profile);
    }
  });

  it("never matches an all-masked probe, even at threshold 10000, and reports every code undecidable", async () => {
    const result = await index.search(allMasked(rng(5), g), {
      thresholdPer10k: 10000,
      minUsableBits: 1,
      limit: 3,
    });
    expect(result.matchCount).toBe(0);
    expect(result.best).toBeNull();
    expect(result.compared).toBe(entries.length);
    expect(result.undecidableCount).toBe(entries.length);
    expect(result.undecidable).toEqual([12345678901234567890n, "all-masked", "best-at-minus-K"]);
  });

  it("stays exact after removals, re-additions and compaction", async () => {
    const random = rng(77 + workers);
    const live = new Map(entries);
    for (const i of pick(random, entries.length, 700)) {
      const [id] = entries[i]!;
      expect(index.remove(id)).toBe(true);
      live.delete(id);
    }
    expect(index.remove("tie-exact")).toBe(live.has("tie-exact"));
    live.delete("tie-exact");
    expect(index.size).toBe(live.size);
    await expectSameAsBruteForce(index, live, probe, profile);
    await expectSameAsBruteForce(index, live, probe, profile, { thresholdPer10k: 4800 });
    index.add("tie-exact", entries.find(([id]) => id === "tie-exact")![1]);
    live.set("tie-exact", entries.find(([id]) => id === "tie-exact")![1]);
    for (let i = 0; i < 300; i++) {
      const code = randomCode(random, g, 0.8);
      index.add(`late-${i}`, code);
      live.set(`late-${i}`, code);
    }
    await expectSameAsBruteForce(index, live, probe, profile);
    await expectSameAsBruteForce(index, live, probe, profile, { thresholdPer10k: 4800 });
  });
});

describe("a duplicate planted among thousands", () => {
  it("is found by every worker count, at its shift, and nothing else matches", async () => {
    const random = rng(42);
    const entries: Array<[EnrolmentId, IrisCode]> = [];
    for (let i = 0; i < 6000; i++) entries.push([`person-${i}`, randomCode(random, g, 0.75)]);
    const probe = randomCode(random, g, 0.8);
    // The same eye: 12% of the jointly usable bits flipped, seen at shift -6.
    const at = 4321;
    entries[at] = ["person-4321", plantedCode(random, probe, 2600, 312, -6)];
    for (const workers of [1, 2, 3]) {
      const index = await UniquenessIndex.create({ profile, workers });
      try {
        for (const [id, code] of entries) index.add(id, code);
        const result = await index.search(probe);
        expect(result.matchCount).toBe(1);
        expect(result.best).toEqual({
          id: "person-4321",
          distance: 0.12,
          decisionDistance: 0.12,
          differingBits: 312,
          usableBits: 2600,
          shift: -6,
        });
        expect(result.compared).toBe(6000);
        await expectSameAsBruteForce(index, entries, probe, profile);
      } finally {
        await index.close();
      }
    }
  });
});

describe("a code whose closest shift has too few usable bits", () => {
  it("is judged at its best eligible shift, exactly as brute force judges it", async () => {
    const random = rng(555);
    // Probe: usable in columns 0..99 only. Enrolled code: the probe's own bits (distance 0 when
    // aligned) but usable in columns 92..111 only, planted at shift 3. Aligned, only columns
    // 92..99 are jointly usable: 8 columns x 16 rows x 2 bits = 256 bits. Two or more columns
    // away, more of its usable columns overlap the probe's, but the bits no longer agree.
    const bits = randomCode(random, g, 1).bitValues();
    const probeMask = new Uint8Array(bits.length);
    const codeMask = new Uint8Array(bits.length);
    for (let r = 0; r < g.rows; r++) {
      for (let c = 0; c < g.cols; c++) {
        for (let b = 0; b < g.bitsPerCell; b++) {
          const i = (r * g.cols + c) * g.bitsPerCell + b;
          probeMask[i] = c < 100 ? 1 : 0;
          codeMask[i] = c >= 92 ? 1 : 0;
        }
      }
    }
    const probe = IrisCode.fromBits(g, bits, probeMask);
    const planted = shiftColumns(IrisCode.fromBits(g, bits, codeMask), 3);
    const entries: Array<[EnrolmentId, IrisCode]> = [["planted", planted]];
    for (let i = 0; i < 500; i++) entries.push([`other-${i}`, randomCode(random, g, 0.8)]);
    const index = await UniquenessIndex.create({ profile, workers: 2 });
    try {
      for (const [id, code] of entries) index.add(id, code);
      const aligned = await index.search(probe, { minUsableBits: 256, thresholdPer10k: 0 });
      expect(aligned.matches).toEqual([
        { id: "planted", distance: 0, decisionDistance: 0, differingBits: 0, usableBits: 256, shift: 3 },
      ]);
      // One more usable bit required: the aligned shift is no longer eligible; the code is
      // compared at another shift, where it is an impostor.
      const strict = await index.search(probe, { minUsableBits: 257, thresholdPer10k: 10000 });
      const at = strict.matches.find((m) => m.id === "planted")!;
      expect(at.shift).not.toBe(3);
      expect(at.usableBits).toBeGreaterThanOrEqual(257);
      expect(at.distance).toBeGreaterThan(0.3);
      for (const options of [
        { minUsableBits: 256 },
        { minUsableBits: 257 },
        { minUsableBits: 257, thresholdPer10k: 10000 },
        { minUsableBits: 320, thresholdPer10k: 6000 },
      ]) {
        await expectSameAsBruteForce(index, entries, probe, profile, options);
      }
      expect(
        (await index.search(probe, { minUsableBits: 257 })).matches.some((m) => m.id === "planted"),
      ).toBe(false);
    } finally {
      await index.close();
    }
  });
});

describe("a squinted copy of an enrolled eye", () => {
  it("is reported undecidable against the eye, never passed over as a different eye", async () => {
    // The attack: the exact bits of an enrolled eye, with the mask cut to 760 usable bits, of
    // which only 700 are usable in the enrolled code too. Below the deduplication floor (720) at
    // every shift, the comparison says nothing; before, it counted as "no match", hence unique.
    const p = DEFAULT_PROFILE;
    const random = rng(8);
    const eye = randomCode(random, g, 0.85);
    const eyeMask = eye.maskValues();
    const usable: number[] = [];
    const masked: number[] = [];
    for (const [i, m] of eyeMask.entries()) (m === 1 ? usable : masked).push(i);
    const squintMask = new Uint8Array(eyeMask.length);
    for (const i of pick(random, usable.length, 700)) squintMask[usable[i]!] = 1;
    for (const i of pick(random, masked.length, 60)) squintMask[masked[i]!] = 1;
    const squint = IrisCode.fromBits(g, eye.bitValues(), squintMask);
    expect(squint.usableBitCount()).toBe(760);
    const entries: Array<[EnrolmentId, IrisCode]> = [["eye", eye]];
    for (let i = 0; i < 40; i++) entries.push([`other-${i}`, randomCode(random, g, 0.85)]);
    for (const workers of [0, 2]) {
      const index = await UniquenessIndex.create({ profile: p, workers });
      try {
        for (const [id, code] of entries) index.add(id, code);
        const result = await index.search(squint);
        expect(result.matchCount).toBe(0);
        expect(result.undecidable).toContain("eye");
        expect(result.undecidableCount).toBe(
          bruteForceSearch(entries, squint, { profile: p }).undecidableCount,
        );
        await expectSameAsBruteForce(index, entries, squint, p);
        await expectSameAsBruteForce(index, entries, squint, p, { minUsableBits: 600 });
        // The eye itself is decided: a match at distance 0, nothing undecidable.
        const honest = await index.search(eye);
        expect(honest.best).toMatchObject({ id: "eye", distance: 0, shift: 0 });
        expect(honest.undecidableCount).toBe(0);
      } finally {
        await index.close();
      }
    }
  });
});

describe("open-iris geometry", () => {
  it("agrees with brute force on 16x256x4 codes with 31 shifts", async () => {
    // Pinned policy: 2800 of 8000 bits is exactly the 0.35 threshold.
    const p: IrisProfile = {
      ...OPEN_IRIS_PROFILE,
      name: "test-open-iris",
      thresholdPer10k: 3500,
      minUsableBits: 4000,
      deduplication: { thresholdPer10k: 3500, minUsableBits: 4000, enrolmentMinUsableBits: 10192 },
    };
    const random = rng(9);
    const probe = randomCode(random, p.geometry, 1);
    const entries: Array<[EnrolmentId, IrisCode]> = [];
    for (let i = 0; i < 300; i++) entries.push([`oi-${i}`, randomCode(random, p.geometry, 0.7)]);
    entries.push(["oi-dup", plantedCode(random, probe, 9000, 2000, 15)]);
    entries.push(["oi-tie", plantedCode(random, probe, 8000, 2800, -15)]);
    const index = await UniquenessIndex.create({ profile: p, workers: 2 });
    try {
      for (const [id, code] of entries) index.add(id, code);
      const result = await index.search(probe);
      expect(result.matches.map((m) => [m.id, m.shift])).toEqual([
        ["oi-dup", 15],
        ["oi-tie", -15],
      ]);
      await expectSameAsBruteForce(index, entries, probe, p);
      await expectSameAsBruteForce(index, entries, probe, p, { thresholdPer10k: 4900 });
    } finally {
      await index.close();
    }
  });
});

describe("property: index equals the bit-by-bit reference", () => {
  const small: IrisProfile = {
    name: "small-3x11x3",
    geometry: { rows: 3, cols: 11, bitsPerCell: 3 },
    maxShift: 5,
    thresholdPer10k: 3600,
    minUsableBits: 10,
    deduplication: { thresholdPer10k: 3600, minUsableBits: 10, enrolmentMinUsableBits: 55 },
  };
  const codeArb = fc
    .tuple(
      fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 99, maxLength: 99 }),
      fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 99, maxLength: 99 }),
    )
    .map(([bits, mask]) => ({ bits, mask }));
  let pool: UniquenessIndex;
  beforeAll(async () => {
    pool = await UniquenessIndex.create({ profile: small, workers: 2, initialCapacity: 1 });
  });
  afterAll(() => pool.close());

  it("returns the reference's matches for random codes, probes, options and removals", async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(codeArb, { minLength: 0, maxLength: 40 }),
        codeArb,
        fc.integer({ min: 0, max: 10000 }),
        fc.integer({ min: 1, max: 99 }),
        fc.integer({ min: 0, max: 5 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        async (raw, rawProbe, thresholdPer10k, minUsableBits, maxShift, removals) => {
          round++;
          const codes = raw.map((c) => IrisCode.fromBits(small.geometry, c.bits, c.mask));
          // A near-copy of the probe joins the population so matches are not all by chance.
          const probe = IrisCode.fromBits(small.geometry, rawProbe.bits, rawProbe.mask);
          const live = new Map<EnrolmentId, IrisCode>();
          for (const [i, code] of codes.entries()) live.set(`r${round}-${i}`, code);
          live.set(`r${round}-probe`, probe);
          for (const [id, code] of live) pool.add(id, code);
          for (const r of removals) {
            const ids = [...live.keys()];
            if (ids.length === 0) break;
            const id = ids[r % ids.length]!;
            expect(pool.remove(id)).toBe(true);
            live.delete(id);
          }
          const options = { thresholdPer10k, minUsableBits, maxShift };
          const got = await pool.search(probe, options);
          const want = bruteForceSearch(live, probe, { ...options, profile: small, reference: true });
          expect(got.matches).toEqual(want.matches);
          expect(got.undecidable).toEqual(want.undecidable);
          expect(got.compared).toBe(live.size);
          const inline = await UniquenessIndex.create({ profile: small, workers: 0 });
          for (const [id, code] of live) inline.add(id, code);
          const inlineResult = await inline.search(probe, options);
          expect(inlineResult.matches).toEqual(want.matches);
          expect(inlineResult.undecidable).toEqual(want.undecidable);
          await inline.close();
          for (const id of live.keys()) pool.remove(id);
          expect(pool.size).toBe(0);
        },
      ),
      { numRuns: 150, seed: 20261125 },
    );
  });
});
