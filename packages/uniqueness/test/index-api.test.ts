import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { crc32 } from "node:zlib";
import {
  fromBinary,
  type IrisCode,
  IrisCodeError,
  type IrisProfile,
  OPEN_IRIS_GEOMETRY,
  toBinary,
} from "@zkiris/iris-code";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EnrolmentId, UniquenessError, UniquenessIndex } from "../src/index.js";
import { expectSameAsBruteForce, PINNED_PROFILE, plantedCode, randomCode, rng } from "./helpers.js";

/** The default geometry with a pinned decision policy (threshold 0.36, 1200 usable bits). */
const profile: IrisProfile = PINNED_PROFILE;
const g = profile.geometry;

function refusal(code: string, field?: string) {
  return expect.objectContaining(field === undefined ? { code } : { code, field });
}

describe("UniquenessIndex.create", () => {
  it("refuses bad options, naming the field", async () => {
    await expect(UniquenessIndex.create(null as never)).rejects.toThrowError(
      refusal("INVALID_PARAMETER", "options"),
    );
    for (const workers of [-1, 1.5, "2", 257]) {
      await expect(UniquenessIndex.create({ profile, workers: workers as number })).rejects.toThrowError(
        refusal("INVALID_PARAMETER", "options.workers"),
      );
    }
    await expect(UniquenessIndex.create({ profile, initialCapacity: 0 })).rejects.toThrowError(
      refusal("INVALID_PARAMETER", "options.initialCapacity"),
    );
    await expect(UniquenessIndex.create({ profile, maxArenaBytes: 1000 })).rejects.toThrowError(
      refusal("INVALID_PARAMETER", "options.maxArenaBytes"),
    );
    // One 64 KiB page cannot hold the 165,440-byte scratch area of this profile.
    await expect(UniquenessIndex.create({ profile, workers: 0, maxArenaBytes: 65536 })).rejects.toThrowError(
      refusal("INVALID_PARAMETER", "options.maxArenaBytes"),
    );
  });

  it("refuses a malformed profile with iris-code's error", async () => {
    const bad = { ...profile, maxShift: 56 };
    await expect(UniquenessIndex.create({ profile: bad, workers: 0 })).rejects.toThrow(IrisCodeError);
    await expect(UniquenessIndex.create({ profile: bad, workers: 0 })).rejects.toThrowError(
      refusal("INVALID_PARAMETER", "profile.maxShift"),
    );
  });
});

describe("UniquenessIndex", () => {
  let index: UniquenessIndex;
  const random = rng(3);
  const a = randomCode(random, g, 1);
  const b = randomCode(random, g);

  beforeAll(async () => {
    index = await UniquenessIndex.create({ profile, workers: 2, initialCapacity: 1 });
  });
  afterAll(() => index.close());

  it("starts empty and searches to no match", async () => {
    expect(index.size).toBe(0);
    expect(index.workerCount).toBe(2);
    const result = await index.search(a);
    expect(result).toEqual({
      matches: [],
      best: null,
      matchCount: 0,
      undecidable: [],
      undecidableCount: 0,
      compared: 0,
      elapsedMs: expect.any(Number),
    });
    // expect.any(Number) also accepts NaN.
    expect(Number.isFinite(result.elapsedMs)).toBe(true);
  });

  it("keeps string and bigint ids apart and refuses duplicates", () => {
    index.add("1", a);
    index.add(1n, b);
    expect(index.size).toBe(2);
    expect(index.has("1")).toBe(true);
    expect(index.has(1n)).toBe(true);
    expect(index.has("2")).toBe(false);
    expect(() => index.add("1", b)).toThrowError(refusal("DUPLICATE_ID", "id"));
    expect(() => index.add(1n, a)).toThrowError(refusal("DUPLICATE_ID", "id"));
    expect(index.size).toBe(2);
  });

  it("refuses malformed ids and codes on add, leaving the index unchanged", () => {
    for (const id of ["", 5, null, undefined, {}]) {
      expect(() => index.add(id as EnrolmentId, a)).toThrowError(refusal("INVALID_ID", "id"));
      expect(() => index.add(id as EnrolmentId, a)).toThrow(UniquenessError);
    }
    expect(() => index.add("x", { geometry: g } as IrisCode)).toThrowError(
      refusal("INVALID_PARAMETER", "code"),
    );
    expect(() => index.add("x", randomCode(random, OPEN_IRIS_GEOMETRY))).toThrowError(
      refusal("GEOMETRY_MISMATCH", "code.geometry"),
    );
    expect(index.size).toBe(2);
    expect(index.has("x")).toBe(false);
  });

  it("removes by id once and refuses malformed ids", () => {
    expect(index.remove("nobody")).toBe(false);
    expect(() => index.remove("" as EnrolmentId)).toThrowError(refusal("INVALID_ID", "id"));
    expect(() => index.remove(7 as unknown as EnrolmentId)).toThrowError(refusal("INVALID_ID", "id"));
    expect(index.remove(1n)).toBe(true);
    expect(index.remove(1n)).toBe(false);
    expect(index.size).toBe(1);
    index.add(1n, b);
  });

  it("refuses a bad probe or option, naming it", async () => {
    await expect(index.search({} as IrisCode)).rejects.toThrowError(refusal("INVALID_PARAMETER", "probe"));
    await expect(index.search(randomCode(random, OPEN_IRIS_GEOMETRY))).rejects.toThrowError(
      refusal("GEOMETRY_MISMATCH", "probe.geometry"),
    );
    await expect(index.search(a, null as never)).rejects.toThrowError(
      refusal("INVALID_PARAMETER", "options"),
    );
    const bad: Array<[string, number]> = [
      ["thresholdPer10k", -1],
      ["thresholdPer10k", 10001],
      ["thresholdPer10k", 0.5],
      ["minUsableBits", 0],
      ["minUsableBits", 3585],
      ["maxShift", -1],
      ["maxShift", 56],
      ["maxShift", 2.5],
      ["limit", -1],
      ["limit", 1.5],
    ];
    for (const [field, value] of bad) {
      await expect(index.search(a, { [field]: value })).rejects.toThrowError(
        refusal("INVALID_PARAMETER", `options.${field}`),
      );
    }
  });

  it("returns the closest matches up to the limit, with the full count and the best", async () => {
    const r = rng(11);
    const entries: Array<[EnrolmentId, IrisCode]> = [
      ["1", a],
      [1n, b],
    ];
    for (const [id, d] of [
      ["near-100", 100],
      ["near-200", 200],
      ["near-300", 300],
    ] as const) {
      const code = plantedCode(r, a, 2000, d, 1);
      index.add(id, code);
      entries.push([id, code]);
    }
    const all = await index.search(a);
    expect(all.matches.map((m) => m.id)).toEqual(["1", "near-100", "near-200", "near-300"]);
    expect(all.best).toEqual({
      id: "1",
      distance: 0,
      decisionDistance: 0,
      differingBits: 0,
      usableBits: 3584,
      shift: 0,
    });
    const two = await index.search(a, { limit: 2 });
    expect(two.matches).toEqual(all.matches.slice(0, 2));
    expect(two.matchCount).toBe(4);
    const none = await index.search(a, { limit: 0 });
    expect(none.matches).toEqual([]);
    expect(none.best).toEqual(all.best);
    expect(none.matchCount).toBe(4);
    await expectSameAsBruteForce(index, entries, a, profile, { limit: 3 });
  });

  it("reports undecidable codes by id, up to the limit, with the full count", async () => {
    const r = rng(13);
    const sparse: Array<[EnrolmentId, IrisCode]> = [
      ["sparse-b", plantedCode(r, a, 1199, 0, 0)],
      ["sparse-a", plantedCode(r, a, 500, 0, 0)],
      [7n, plantedCode(r, a, 1000, 0, 0)],
    ];
    for (const [id, code] of sparse) index.add(id, code);
    try {
      const all = await index.search(a);
      expect(all.undecidable).toEqual([7n, "sparse-a", "sparse-b"]);
      expect(all.undecidableCount).toBe(3);
      const one = await index.search(a, { limit: 1 });
      expect(one.undecidable).toEqual([7n]);
      expect(one.undecidableCount).toBe(3);
      // A lower floor makes them decidable: identical bits, so they match.
      const low = await index.search(a, { minUsableBits: 500 });
      expect(low.undecidableCount).toBe(0);
      expect(low.matches.map((m) => m.id)).toEqual(expect.arrayContaining([7n, "sparse-a", "sparse-b"]));
    } finally {
      for (const [id] of sparse) index.remove(id);
    }
  });

  it("grows its arena as codes arrive", async () => {
    const before = index.arenaBytes;
    const r = rng(12);
    for (let i = 0; i < 3000; i++) index.add(`grow-${i}`, randomCode(r, g));
    expect(index.capacity).toBeGreaterThanOrEqual(index.size);
    expect(index.arenaBytes).toBeGreaterThan(before);
    expect((await index.search(a)).compared).toBe(index.size);
  });
});

describe("addBinary", () => {
  it("adds a stored toBinary row exactly as add(id, fromBinary(row)) does", async () => {
    const random = rng(41);
    const probe = randomCode(random, g, 0.9);
    const entries: Array<[EnrolmentId, IrisCode]> = [];
    for (let i = 0; i < 40; i++) entries.push([BigInt(i + 1), randomCode(random, g, 0.3 + 0.6 * random())]);
    entries.push([100n, plantedCode(random, probe, 2000, 700, 3)]);
    entries.push([101n, plantedCode(random, probe, 1199, 0, -2)]);
    const viaBinary = await UniquenessIndex.create({ profile, workers: 1, initialCapacity: 1 });
    const viaCode = await UniquenessIndex.create({ profile, workers: 0, initialCapacity: 1 });
    for (const [id, code] of entries) {
      viaBinary.addBinary(id, toBinary(code));
      viaCode.add(id, fromBinary(toBinary(code)));
    }
    expect(viaBinary.size).toBe(entries.length);
    for (const thresholdPer10k of [3600, 5000]) {
      const a = await viaBinary.search(probe, { thresholdPer10k });
      const b = await viaCode.search(probe, { thresholdPer10k });
      expect({ ...a, elapsedMs: 0 }).toEqual({ ...b, elapsedMs: 0 });
      await expectSameAsBruteForce(viaBinary, entries, probe, profile, { thresholdPer10k });
    }
    expect((await viaBinary.search(probe)).undecidable).toContain(101n);
    await viaBinary.close();
    await viaCode.close();
  });

  for (const geometry of [
    { rows: 2, cols: 40, bitsPerCell: 2 }, // 20-byte halves, padded to 24 in the arena
    { rows: 3, cols: 11, bitsPerCell: 3 }, // 99 bits: not whole bytes, parsed by fromBinary
  ]) {
    it(`adds ${geometry.rows}x${geometry.cols}x${geometry.bitsPerCell} rows as add(id, fromBinary(row)) does`, async () => {
      const small: IrisProfile = {
        name: "small",
        geometry,
        maxShift: 4,
        thresholdPer10k: 4000,
        minUsableBits: 8,
        deduplication: { thresholdPer10k: 4000, minUsableBits: 8, enrolmentMinUsableBits: 84 },
      };
      const random = rng(44);
      const probe = randomCode(random, geometry, 0.9);
      const entries: Array<[EnrolmentId, IrisCode]> = [];
      for (let i = 0; i < 60; i++)
        entries.push([`e${i}`, randomCode(random, geometry, 0.2 + 0.7 * random())]);
      const index = await UniquenessIndex.create({ profile: small, workers: 0, initialCapacity: 1 });
      for (const [id, code] of entries) index.addBinary(id, toBinary(code));
      for (const thresholdPer10k of [2000, 4000, 6000])
        await expectSameAsBruteForce(index, entries, probe, small, { thresholdPer10k, referenceBits: null });
      await index.close();
    });
  }

  it("refuses what fromBinary or add refuses, with the same error, leaving the index unchanged", async () => {
    const index = await UniquenessIndex.create({ profile, workers: 0 });
    const row = toBinary(randomCode(rng(42), g, 0.8));
    index.addBinary("a", row);
    const corrupt = row.slice();
    corrupt[20]! ^= 1;
    const badMagic = row.slice();
    badMagic[0] = 0;
    const badVersion = row.slice();
    badVersion[4] = 9;
    const cases: Array<[unknown, string, string]> = [
      ["not bytes", "INVALID_PARAMETER", "bytes"],
      [row.subarray(0, 5), "WRONG_LENGTH", "bytes"],
      [row.subarray(0, row.length - 1), "WRONG_LENGTH", "bytes"],
      [badMagic, "BAD_MAGIC", "magic"],
      [badVersion, "UNSUPPORTED_VERSION", "version"],
      [corrupt, "CHECKSUM_MISMATCH", "crc32"],
    ];
    for (const [bytes, code, field] of cases) {
      expect(() => fromBinary(bytes)).toThrowError(refusal(code, field));
      expect(() => index.addBinary("b", bytes as Uint8Array)).toThrowError(refusal(code, field));
      expect(() => index.addBinary("b", bytes as Uint8Array)).toThrow(IrisCodeError);
    }
    const other = toBinary(randomCode(rng(43), OPEN_IRIS_GEOMETRY, 0.8));
    expect(() => index.addBinary("b", other)).toThrowError(refusal("GEOMETRY_MISMATCH", "code.geometry"));
    expect(() => index.addBinary("a", row)).toThrowError(refusal("DUPLICATE_ID", "id"));
    expect(() => index.addBinary("", row)).toThrowError(refusal("INVALID_ID", "id"));
    expect(index.size).toBe(1);
    expect(index.has("b")).toBe(false);
    await index.close();
    expect(() => index.addBinary("b", row)).toThrowError(refusal("INDEX_CLOSED"));
  });
});

describe("snapshot and loadSnapshot", () => {
  const small = (geometry: IrisProfile["geometry"]): IrisProfile => ({
    name: "small",
    geometry,
    maxShift: 4,
    thresholdPer10k: 4000,
    minUsableBits: 8,
    deduplication: { thresholdPer10k: 4000, minUsableBits: 8, enrolmentMinUsableBits: 84 },
  });
  /** `bytes` with its CRC-32 trailer recomputed (to reach the checks behind it). */
  function withCrc(bytes: Uint8Array): Uint8Array {
    const out = bytes.slice();
    new DataView(out.buffer).setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)));
    return out;
  }

  for (const p of [
    profile,
    small({ rows: 2, cols: 40, bitsPerCell: 2 }),
    small({ rows: 3, cols: 11, bitsPerCell: 3 }),
  ]) {
    const geo = p.geometry;
    it(`restores ${geo.rows}x${geo.cols}x${geo.bitsPerCell} codes and ids that search exactly as the original`, async () => {
      const random = rng(geo.cols + 50);
      const probe = randomCode(random, geo, 0.9);
      const entries = new Map<EnrolmentId, IrisCode>();
      const original = await UniquenessIndex.create({ profile: p, workers: 0, initialCapacity: 1 });
      for (let i = 0; i < 50; i++) {
        const id: EnrolmentId = i % 3 === 0 ? `member-${i}` : BigInt(i * 1000 + 7);
        const code = randomCode(random, geo, 0.3 + 0.6 * random());
        original.add(id, code);
        entries.set(id, code);
      }
      // Negative and 22-digit bigints, and a string that reads as a number, keep their kind.
      for (const id of [-5n, 2n ** 70n, "1234"]) {
        const code = randomCode(random, geo, 0.8);
        original.add(id, code);
        entries.set(id, code);
      }
      for (const id of ["member-3", 8007n, "member-48"]) {
        original.remove(id);
        entries.delete(id);
      }
      const restored = await UniquenessIndex.create({ profile: p, workers: 1, initialCapacity: 1 });
      restored.loadSnapshot(original.snapshot());
      expect(restored.size).toBe(50);
      expect(restored.has("member-3")).toBe(false);
      for (const id of [-5n, 2n ** 70n, "1234"]) expect(restored.has(id)).toBe(true);
      expect(restored.has(1234n)).toBe(false);
      expect(restored.has(1007n)).toBe(true);
      expect(restored.has("1007")).toBe(false);
      for (const thresholdPer10k of [2000, 4000, 6000]) {
        const o = { thresholdPer10k, referenceBits: null };
        expect({ ...(await restored.search(probe, o)), elapsedMs: 0 }).toEqual({
          ...(await original.search(probe, o)),
          elapsedMs: 0,
        });
        await expectSameAsBruteForce(restored, entries, probe, p, o);
      }
      // The restored index is an ordinary one: it takes codes and removals after the snapshot.
      restored.add("later", probe);
      expect((await restored.search(probe, { thresholdPer10k: 0 })).best?.id).toBe("later");
      expect(restored.snapshot()).not.toEqual(original.snapshot());
      await original.close();
      await restored.close();
    });
  }

  it("leaves out a code removed while a search runs", async () => {
    const random = rng(60);
    const index = await UniquenessIndex.create({ profile, workers: 1 });
    for (let i = 0; i < 200; i++) index.add(`m${i}`, randomCode(random, g, 0.8));
    const running = index.search(randomCode(random, g, 0.8));
    index.remove("m5");
    const snapshot = index.snapshot();
    await running;
    const restored = await UniquenessIndex.create({ profile, workers: 0 });
    restored.loadSnapshot(snapshot);
    expect(restored.size).toBe(199);
    expect(restored.has("m5")).toBe(false);
    expect(restored.has("m199")).toBe(true);
    await index.close();
    await restored.close();
  });

  it("refuses a buffer that is not a snapshot of this geometry, leaving the index empty", async () => {
    const random = rng(61);
    const source = await UniquenessIndex.create({ profile, workers: 0 });
    source.add(1n, randomCode(random, g, 0.8));
    source.add("two", randomCode(random, g, 0.8));
    const good = source.snapshot();
    const padded = small({ rows: 2, cols: 40, bitsPerCell: 2 });
    const paddedSource = await UniquenessIndex.create({ profile: padded, workers: 0 });
    paddedSource.add(1n, randomCode(random, padded.geometry, 0.8));
    const paddedGood = paddedSource.snapshot();
    const index = await UniquenessIndex.create({ profile, workers: 0 });
    const header = 18;
    const edit = (bytes: Uint8Array, at: number, value: number) => {
      const out = bytes.slice();
      out[at] = value;
      return out;
    };
    const cases: Array<[unknown, RegExp]> = [
      ["not bytes", /not a Uint8Array/],
      [good.subarray(0, 10), /shorter than its header/],
      [edit(good, 0, 0), /magic/],
      [edit(good, 4, 2), /version 2/],
      [paddedGood, /geometry is 2x40x2/],
      [good.subarray(0, good.length - 1), /needs/],
      [edit(good, good.length - 10, good[good.length - 10]! ^ 1), /CRC-32/],
      [withCrc(edit(good, header, 7)), /id 0 is neither/],
      [withCrc(edit(good, header + 3, "x".charCodeAt(0))), /id 0 is neither/],
    ];
    for (const [bytes, message] of cases) {
      expect(() => index.loadSnapshot(bytes as Uint8Array)).toThrowError(
        refusal("INVALID_SNAPSHOT", "snapshot"),
      );
      expect(() => index.loadSnapshot(bytes as Uint8Array)).toThrowError(message);
      expect(index.size).toBe(0);
    }
    // Two ids that are the same bigint.
    const twice = await UniquenessIndex.create({ profile, workers: 0 });
    twice.add("1", randomCode(random, g, 0.8));
    twice.add("3", randomCode(random, g, 0.8));
    const same = twice.snapshot().slice();
    same[header] = 0; // "1" as a bigint
    same[header + 4] = 0; // "3" as a bigint ...
    same[header + 7] = "1".charCodeAt(0); // ... that is 1 as well
    expect(() => index.loadSnapshot(withCrc(same))).toThrowError(/id 1 appears twice/);
    // A set padding bit in the padded geometry (20 bytes of a 24-byte mask half).
    const paddedIndex = await UniquenessIndex.create({ profile: padded, workers: 0 });
    const codesAt = paddedGood.length - 4 - 48;
    expect(() => paddedIndex.loadSnapshot(withCrc(edit(paddedGood, codesAt + 24 + 21, 1)))).toThrowError(
      /code 0 has non-zero padding/,
    );
    expect(paddedIndex.size).toBe(0);
    paddedIndex.loadSnapshot(paddedGood);
    expect(paddedIndex.size).toBe(1);
    // Only into an empty index, and not after close.
    index.loadSnapshot(good);
    expect(index.size).toBe(2);
    expect(() => index.loadSnapshot(good)).toThrowError(refusal("INVALID_PARAMETER", "snapshot"));
    await index.close();
    expect(() => index.loadSnapshot(good)).toThrowError(refusal("INDEX_CLOSED"));
    expect(() => index.snapshot()).toThrowError(refusal("INDEX_CLOSED"));
    for (const x of [source, paddedSource, twice, paddedIndex]) await x.close();
  });
});

describe("the default decision", () => {
  it("is the profile's deduplication decision, not its verification decision", async () => {
    const random = rng(31);
    const probe = randomCode(random, g, 1);
    // Verification: 0.30 over 1200 bits; deduplication: 0.40 over 2000 bits.
    const split: IrisProfile = {
      ...profile,
      thresholdPer10k: 3000,
      minUsableBits: 1200,
      deduplication: { thresholdPer10k: 4000, minUsableBits: 2000, enrolmentMinUsableBits: 2792 },
    };
    const index = await UniquenessIndex.create({ profile: split, workers: 0 });
    try {
      index.add("at-0.35", plantedCode(random, probe, 2400, 840, 0));
      index.add("1500-usable", plantedCode(random, probe, 1500, 0, 0));
      const result = await index.search(probe);
      expect(result.matches.map((m) => m.id)).toEqual(["at-0.35"]);
      expect(result.undecidable).toEqual(["1500-usable"]);
      const verification = await index.search(probe, { thresholdPer10k: 3000, minUsableBits: 1200 });
      expect(verification.matches.map((m) => m.id)).toEqual(["1500-usable"]);
      expect(verification.undecidable).toEqual([]);
    } finally {
      await index.close();
    }
  });
});

describe("concurrent searches and mutations", () => {
  it("answers for the codes present at the call; removals and additions apply to later searches", async () => {
    const random = rng(21);
    const probe = randomCode(random, g, 1);
    const index = await UniquenessIndex.create({ profile, workers: 2 });
    try {
      const live = new Map<EnrolmentId, IrisCode>();
      for (let i = 0; i < 5000; i++) live.set(`p${i}`, randomCode(random, g));
      live.set("twin", plantedCode(random, probe, 3000, 100, 2));
      live.set("victim", plantedCode(random, probe, 3000, 200, -1));
      for (const [id, code] of live) index.add(id, code);
      const first = index.search(probe);
      expect(index.remove("twin")).toBe(true);
      live.delete("twin");
      const newcomer = plantedCode(random, probe, 3000, 50, 0);
      index.add("newcomer", newcomer);
      live.set("newcomer", newcomer);
      expect(index.size).toBe(5002);
      const second = index.search(probe);
      expect((await first).matches.map((m) => m.id)).toEqual(["twin", "victim"]);
      expect((await first).compared).toBe(5002);
      const s = await second;
      expect(s.matches.map((m) => m.id)).toEqual(["newcomer", "victim"]);
      expect(s.compared).toBe(5002);
      // The removal's compaction has run: the index equals brute force over the live set.
      await expectSameAsBruteForce(index, live, probe, profile);
      expect(index.remove("victim")).toBe(true);
      live.delete("victim");
      await expectSameAsBruteForce(index, live, probe, profile);
    } finally {
      await index.close();
    }
  });
});

describe("capacity and closing", () => {
  it("refuses a code beyond the arena's maximum", async () => {
    // 4 pages minus 165,440 bytes of scratch hold 107 codes of 896 bytes (and 832 bytes to spare).
    const index = await UniquenessIndex.create({
      profile,
      workers: 0,
      initialCapacity: 1,
      maxArenaBytes: 4 * 65536,
    });
    const random = rng(31);
    for (let i = 0; i < 107; i++) index.add(i.toString(), randomCode(random, g));
    expect(() => index.add("107", randomCode(random, g))).toThrowError(refusal("CAPACITY_EXCEEDED", "code"));
    expect(index.size).toBe(107);
    expect(index.capacity).toBe(107);
    expect(index.remove("0")).toBe(true);
    index.add("107", randomCode(random, g));
    expect(index.size).toBe(107);
    await index.close();
  });

  it("refuses every call after close, and close is idempotent", async () => {
    const index = await UniquenessIndex.create({ profile, workers: 1 });
    const code = randomCode(rng(1), g);
    index.add("a", code);
    await index.close();
    await index.close();
    expect(() => index.add("b", code)).toThrowError(refusal("INDEX_CLOSED"));
    expect(() => index.remove("a")).toThrowError(refusal("INDEX_CLOSED"));
    await expect(index.search(code)).rejects.toThrowError(refusal("INDEX_CLOSED"));
  });

  it("rejects a search that is still running when the index closes", async () => {
    const index = await UniquenessIndex.create({ profile, workers: 1 });
    const random = rng(2);
    for (let i = 0; i < 100; i++) index.add(`c${i}`, randomCode(random, g));
    const running = expect(index.search(randomCode(random, g))).rejects.toThrowError(refusal("INDEX_CLOSED"));
    await index.close();
    await running;
  });

  it("does not keep a process alive when idle workers were never closed", () => {
    const script = `
      import { DEFAULT_PROFILE, IrisCode } from "@zkiris/iris-code";
      import { UniquenessIndex } from "@zkiris/uniqueness";
      const index = await UniquenessIndex.create({ profile: DEFAULT_PROFILE, workers: 2 });
      const code = IrisCode.fullyUsable(DEFAULT_PROFILE.geometry, new Uint8Array(3584));
      index.add("a", code);
      const result = await index.search(code);
      console.log(result.matchCount);
    `;
    const cwd = fileURLToPath(new URL("..", import.meta.url));
    const out = execFileSync(
      process.execPath,
      ["--import", "tsx", "--conditions=zkiris-source", "--input-type=module", "-e", script],
      {
        cwd,
        timeout: 30_000,
        encoding: "utf8",
      },
    );
    expect(out.trim()).toBe("1");
  });
});
