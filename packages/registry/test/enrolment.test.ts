import { Group } from "@semaphore-protocol/group";
import { DeviceKey, signCapture } from "@zkiris/device";
import { DEFAULT_PROFILE, IrisCode, poseidon, templateCommitment, toBinary } from "@zkiris/iris-code";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  InsufficientUsableBitsError,
  Registry,
  type RegistryOptions,
  UndecidableComparisonError,
} from "../src/index.js";
import {
  BACKENDS,
  enrolmentRequest,
  GOOD_QUALITY,
  randomCode,
  recapture,
  sparseCode,
  type TestDatabase,
} from "./helpers.js";

const T0 = 1_760_000_000_000;

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(backend.title("enrolment"), () => {
    let db: TestDatabase;
    let registry: Registry;
    let now: number;
    const key = DeviceKey.fromSeed("registry-test-device");
    const open = (extra: Partial<RegistryOptions> = {}) =>
      Registry.open({
        database: db.location,
        searchWorkers: 1,
        verifierWorkers: 1,
        challengeTtlMs: 60_000,
        qualityGates: { focus: 0.5 },
        now: () => now,
        ...extra,
      });

    beforeEach(async () => {
      now = T0;
      db = backend.create();
      registry = await open();
      await registry.registerDevice(key.publicKey);
      await registry.createGroup({ id: "citizens", kind: "plain" });
    });

    afterEach(async () => {
      await registry.close();
      await db.drop();
    });

    const request = (probe = randomCode(1), identity = 1001n, options = {}) =>
      enrolmentRequest(registry, key, probe, identity, { timestamp: now, ...options });

    async function expectNothingStored(rootBefore: bigint, sizeBefore: number) {
      expect(registry.group("citizens").root).toBe(rootBefore);
      expect(registry.group("citizens").size).toBe(sizeBefore);
      expect((await registry.repository.listMembers("citizens")).length).toBe(sizeBefore);
      expect((await registry.repository.listActiveEnrolments()).length).toBe(sizeBefore);
    }

    it("enrols an eye into a plain group with the identity commitment as leaf", async () => {
      const req = await request();
      const receipt = await registry.enrol(req);
      const expected = new Group([1001n]);
      expect(receipt).toEqual({ groupId: "citizens", memberIndex: 0, leaf: 1001n, root: expected.root });
      expect(registry.group("citizens")).toEqual({
        id: "citizens",
        kind: "plain",
        root: expected.root,
        depth: 0,
        size: 1,
        rootExpiryMs: 3_600_000,
      });
      expect(registry.members("citizens")).toEqual([1001n]);
      const [stored] = await registry.repository.listActiveEnrolments();
      expect(stored).toMatchObject({
        memberIndex: 0,
        identityCommitment: "1001",
        templateCommitment: String(req.templateCommitment),
      });
      expect((await registry.repository.getChallenge(String(req.capture.challenge)))?.usedAt).toBe(T0);
      expect((await registry.rootHistory("citizens")).map((r) => r.root)).toEqual([
        "0",
        String(expected.root),
      ]);
    });

    it("binds the template commitment into the leaf of a biometric group", async () => {
      await registry.createGroup({ id: "bio", kind: "biometric" });
      const req = await request(randomCode(2), 2002n, { groupId: "bio" });
      const receipt = await registry.enrol(req);
      const leaf = poseidon([2002n, req.templateCommitment]);
      expect(receipt).toEqual({ groupId: "bio", memberIndex: 0, leaf, root: new Group([leaf]).root });
    });

    it("refuses a second enrolment of the same eye, naming the distance and storing nothing", async () => {
      const code = randomCode(3);
      await registry.enrol(await request(code, 1001n));
      const root = registry.group("citizens").root;
      const again = await request(recapture(code, 99, 0.05, 3), 1002n);
      const error = await registry.enrol(again).catch((e) => e);
      expect(error.name).toBe("DuplicateEnrollmentError");
      expect(error.code).toBe("DUPLICATE_ENROLLMENT");
      expect(error.field).toBe("capture");
      expect(error.distance).toBeGreaterThan(0.03);
      expect(error.distance).toBeLessThan(0.08);
      // The profile normalises below 2,000 jointly usable bits; this recapture shares about 3,200,
      // so it is decided on its raw distance.
      expect(error.normalisedDistance).toBe(error.distance);
      expect(error.message).toBe(
        `Field 'capture' matches an enrolled iris: normalised distance ${error.normalisedDistance.toFixed(4)} (raw ${error.distance.toFixed(4)}) is within the uniqueness threshold ${(DEFAULT_PROFILE.deduplication.thresholdPer10k / 10_000).toFixed(4)}`,
      );
      await expectNothingStored(root, 1);
      expect((await registry.repository.getChallenge(String(again.capture.challenge)))?.usedAt).toBeNull();
    });

    it("accepts different eyes", async () => {
      for (let i = 0; i < 4; i++) await registry.enrol(await request(randomCode(10 + i), 3000n + BigInt(i)));
      expect(registry.group("citizens").size).toBe(4);
    });

    it("lets only one of two concurrent enrolments of the same eye land", async () => {
      const code = randomCode(4);
      const a = await request(code, 4001n);
      const b = await request(recapture(code, 5, 0.02), 4002n);
      const results = await Promise.allSettled([registry.enrol(a), registry.enrol(b)]);
      expect(results.filter((r) => r.status === "fulfilled").length).toBe(1);
      const refused = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      expect(refused.reason.code).toBe("DUPLICATE_ENROLLMENT");
      expect((await registry.repository.listActiveEnrolments()).length).toBe(1);
    });

    it("refuses a forged signature and a probe altered after signing", async () => {
      const req = await request();
      const forged = { ...req.capture, signature: { ...req.capture.signature, S: "12345" } };
      await expect(registry.enrol({ ...req, capture: forged })).rejects.toMatchObject({
        code: "INVALID_CAPTURE",
        field: "capture.signature",
      });
      const other = signCapture(key, randomCode(50), BigInt(req.capture.challenge), GOOD_QUALITY, now);
      const swapped = { ...req.capture, probe: other.probe };
      await expect(registry.enrol({ ...req, capture: swapped })).rejects.toMatchObject({
        code: "INVALID_CAPTURE",
      });
      await expect(registry.enrol({ ...req, capture: "{not json" })).rejects.toMatchObject({
        code: "INVALID_CAPTURE",
      });
      await expectNothingStored(0n, 0);
    });

    it("refuses captures from unregistered and revoked devices", async () => {
      const stranger = DeviceKey.fromSeed("stranger");
      const req = await enrolmentRequest(registry, stranger, randomCode(1), 1001n, { timestamp: now });
      await expect(registry.enrol(req)).rejects.toMatchObject({
        code: "UNKNOWN_DEVICE",
        field: "capture.device.publicKey",
      });
      await registry.revokeDevice(key.deviceId);
      await expect(registry.enrol(await request())).rejects.toMatchObject({ code: "DEVICE_REVOKED" });
      await expectNothingStored(0n, 0);
    });

    it("refuses unknown, replayed and expired challenges", async () => {
      const code = randomCode(6);
      const foreign = signCapture(key, code, 424242n, GOOD_QUALITY, now);
      const salt = 77n;
      const base = {
        groupId: "citizens",
        identityCommitment: 1n,
        templateCommitment: templateCommitment(code, salt),
        salt,
      };
      await expect(registry.enrol({ ...base, capture: foreign })).rejects.toMatchObject({
        code: "UNKNOWN_CHALLENGE",
        field: "capture.challenge",
      });
      const first = await request(code, 6001n);
      await registry.enrol(first);
      await registry.removeMember("citizens", 0);
      await expect(registry.enrol({ ...first, identityCommitment: 6002n })).rejects.toMatchObject({
        code: "CHALLENGE_REPLAYED",
      });
      const late = await request(randomCode(7), 7001n);
      now += 60_000;
      await expect(registry.enrol(late)).rejects.toMatchObject({ code: "CHALLENGE_EXPIRED" });
      expect(registry.group("citizens").size).toBe(1);
    });

    it("prunes expired challenges, after which their replay is an unknown challenge", async () => {
      const stale = await request(randomCode(18), 1801n);
      const fresh = await request(randomCode(19), 1901n);
      now += 60_000;
      const live = await request(randomCode(20), 2001n);
      expect(await registry.pruneChallenges()).toBe(2);
      await expect(registry.enrol(stale)).rejects.toMatchObject({ code: "UNKNOWN_CHALLENGE" });
      await expect(registry.enrol(fresh)).rejects.toMatchObject({ code: "UNKNOWN_CHALLENGE" });
      expect((await registry.enrol(live)).memberIndex).toBe(0);
    });

    it("applies the quality gates and the usable-bit floor", async () => {
      await expect(
        registry.enrol(await request(randomCode(1), 1n, { quality: { focus: 0.2 } })),
      ).rejects.toMatchObject({
        code: "QUALITY_GATE",
        field: "capture.quality.focus",
        message: "Field 'capture.quality.focus' is 0.2, below the gate 0.5",
      });
      await expect(
        registry.enrol(await request(randomCode(1), 1n, { quality: { sharpness: 1 } })),
      ).rejects.toMatchObject({
        code: "QUALITY_GATE",
        field: "capture.quality.focus",
      });
      const floor = DEFAULT_PROFILE.deduplication.enrolmentMinUsableBits;
      const sparse = registry.enrol(await request(sparseCode(8, floor - 1), 1n));
      await expect(sparse).rejects.toBeInstanceOf(InsufficientUsableBitsError);
      await expect(sparse).rejects.toMatchObject({
        code: "INSUFFICIENT_USABLE_BITS",
        field: "capture.probe.mask",
        usableBits: 2151,
        requiredBits: 2152,
        message:
          "Field 'capture.probe.mask': the captured probe has 2151 usable bits; enrolment requires at least 2152",
      });
      expect((await registry.enrol(await request(sparseCode(8, floor), 1n))).memberIndex).toBe(0);
      await expect(
        Registry.open({ database: ":memory:", minProbeUsableBits: 1 } as never),
      ).rejects.toMatchObject({
        code: "INVALID_PARAMETER",
        field: "minProbeUsableBits",
      });
    });

    it("refuses a squinted copy of an enrolled eye, three times, as new people", async () => {
      // The attack: the exact bits of an enrolled eye with the mask cut to 720-800 usable bits.
      // Below the deduplication floor against the enrolled code, the comparison used to count as
      // "no match", so each attempt enrolled a new person.
      const eye = randomCode(30);
      await registry.enrol(await request(eye, 3001n));
      const root = registry.group("citizens").root;
      for (const [attempt, usable] of [720, 760, 800].entries()) {
        const mask = eye.maskValues();
        let kept = 0;
        for (let i = 0; i < mask.length; i++) if (mask[i] === 1 && ++kept > usable) mask[i] = 0;
        const squint = IrisCode.fromBits(eye.geometry, eye.bitValues(), mask);
        expect(squint.usableBitCount()).toBe(usable);
        const error = await registry.enrol(await request(squint, 3100n + BigInt(attempt))).catch((e) => e);
        expect(error).toBeInstanceOf(InsufficientUsableBitsError);
        expect(error).toMatchObject({
          code: "INSUFFICIENT_USABLE_BITS",
          field: "capture.probe.mask",
          usableBits: usable,
          requiredBits: 2152,
        });
      }
      await expectNothingStored(root, 1);
    });

    it("refuses a probe whose comparison with an enrolled code is undecidable, never waving it through", async () => {
      // Bypass the enrolment floor at the index level: a legacy enrolment of 760 usable bits (rows
      // 0-3 only) imported straight into storage, then loaded into the index on reopening.
      const g = DEFAULT_PROFILE.geometry;
      const rowBits = g.cols * g.bitsPerCell;
      const legacy = sparseCode(31, 760);
      const leaf = 3201n;
      await registry.repository.importEnrolments(
        "citizens",
        [
          {
            enrolment: {
              groupId: "citizens",
              memberIndex: 0,
              identityCommitment: "3201",
              templateCommitment: "1",
              deviceId: key.deviceId.toString(),
              code: toBinary(legacy),
              createdAt: now,
            },
            leaf: leaf.toString(),
          },
        ],
        new Group([leaf]).root.toString(),
        now,
      );
      await registry.close();
      registry = await open();
      // A good capture (2688 usable bits) that sees nothing of rows 0-3: at every column shift the
      // two share 0 usable bits, so the search can say neither "same eye" nor "different eye".
      const bits = randomCode(32, 0).bitValues();
      const mask = new Uint8Array(bits.length).fill(1).fill(0, 0, 4 * rowBits);
      const probe = IrisCode.fromBits(g, bits, mask);
      expect(probe.usableBitCount()).toBe(2688);
      const root = registry.group("citizens").root;
      const error = await registry.enrol(await request(probe, 3202n)).catch((e) => e);
      expect(error).toBeInstanceOf(UndecidableComparisonError);
      expect(error).toMatchObject({
        code: "UNDECIDABLE_COMPARISON",
        field: "capture",
        undecidableCount: 1,
        message:
          "Field 'capture' cannot be compared with 1 enrolled iris: no shift in -8..8 has 720 jointly usable bits; capture the eye again with more of the iris visible",
      });
      await expectNothingStored(root, 1);
      // Any ordinary eye shares at most ~690 usable bits with the legacy code: refused too, until
      // the legacy enrolment is removed (or re-enrolled with a full capture).
      await expect(registry.enrol(await request(randomCode(33), 3203n))).rejects.toMatchObject({
        code: "UNDECIDABLE_COMPARISON",
      });
      await registry.removeMember("citizens", 0);
      expect((await registry.enrol(await request(probe, 3202n))).memberIndex).toBe(1);
    });

    it("decides duplicates with the deduplication threshold, not the verification one", async () => {
      // 33.8 % of the bits flipped, and the two masks (2,200 usable bits each, the enrolment floor
      // is 2,152) overlap in 1,800 bits: a raw distance near 0.33, over the verification
      // threshold 0.32; normalised for the 1,800 bits, about 0.5 - 0.17 * sqrt(1800 / 2000) = 0.34,
      // within deduplication's 0.35: a duplicate.
      const g = DEFAULT_PROFILE.geometry;
      const band = (from: number) =>
        Uint8Array.from({ length: 3584 }, (_, i) => (i >= from && i < from + 2200 ? 1 : 0));
      const eye = IrisCode.fromBits(g, randomCode(34).bitValues(), band(0));
      const far = IrisCode.fromBits(g, recapture(eye, 2, 0.338).bitValues(), band(400));
      await registry.enrol(await request(eye, 3401n));
      const between = registry.enrol(await request(far, 3402n));
      await expect(between).rejects.toMatchObject({ code: "DUPLICATE_ENROLLMENT" });
      const error = await between.catch((e) => e);
      expect(error.distance).toBeGreaterThan(DEFAULT_PROFILE.thresholdPer10k / 10_000);
      expect(error.normalisedDistance).toBeGreaterThan(error.distance);
      expect(error.normalisedDistance).toBeLessThanOrEqual(
        DEFAULT_PROFILE.deduplication.thresholdPer10k / 10_000,
      );
      expect(error.message).toMatch(
        /^Field 'capture' matches an enrolled iris: normalised distance 0\.3[234]\d\d \(raw 0\.3[23]\d\d\) is within the uniqueness threshold 0\.3500$/,
      );
    });

    it("refuses a template commitment that is not the captured probe's", async () => {
      const req = await request(randomCode(9), 9001n);
      await expect(
        registry.enrol({ ...req, templateCommitment: templateCommitment(randomCode(10), req.salt) }),
      ).rejects.toMatchObject({
        code: "COMMITMENT_MISMATCH",
        field: "templateCommitment",
      });
      await expect(registry.enrol({ ...req, salt: req.salt + 1n })).rejects.toMatchObject({
        code: "COMMITMENT_MISMATCH",
      });
      await expectNothingStored(0n, 0);
    });

    it("refuses the commitment of a probe one bit or one mask bit away, and accepts the probe's own", async () => {
      const probe = randomCode(14);
      const req = await request(probe, 1400n);
      const flipped = (bytes: Uint8Array) => {
        const copy = bytes.slice();
        copy[17]! ^= 0x04;
        return copy;
      };
      const g = DEFAULT_PROFILE.geometry;
      for (const near of [
        IrisCode.fromPacked(g, flipped(probe.bits), probe.mask),
        IrisCode.fromPacked(g, probe.bits, flipped(probe.mask)),
      ]) {
        await expect(
          registry.enrol({ ...req, templateCommitment: templateCommitment(near, req.salt) }),
        ).rejects.toMatchObject({
          code: "COMMITMENT_MISMATCH",
          field: "templateCommitment",
          message: "Field 'templateCommitment' is not templateCommitment(probe, salt) of the captured probe",
        });
      }
      await expectNothingStored(0n, 0);
      const receipt = await registry.enrol(req);
      expect(receipt.memberIndex).toBe(0);
    });

    it("refuses an identity already in the group and malformed parameters", async () => {
      await registry.enrol(await request(randomCode(11), 1111n));
      await expect(registry.enrol(await request(randomCode(12), 1111n))).rejects.toMatchObject({
        code: "DUPLICATE_MEMBER",
        field: "identityCommitment",
      });
      const req = await request(randomCode(13), 1300n);
      await expect(registry.enrol({ ...req, groupId: "nobody" })).rejects.toMatchObject({
        code: "UNKNOWN_GROUP",
        field: "groupId",
      });
      await expect(registry.enrol({ ...req, identityCommitment: "abc" })).rejects.toMatchObject({
        code: "INVALID_PARAMETER",
        field: "identityCommitment",
      });
      await expect(registry.enrol({ ...req, identityCommitment: 0n })).rejects.toMatchObject({
        code: "INVALID_PARAMETER",
        field: "identityCommitment",
      });
      await expect(registry.enrol({ ...req, salt: -1n })).rejects.toMatchObject({
        code: "INVALID_PARAMETER",
        field: "salt",
      });
      expect(registry.group("citizens").size).toBe(1);
    });

    it("rebuilds groups and the uniqueness index when reopened", async () => {
      const code = randomCode(14);
      await registry.enrol(await request(code, 1401n));
      await registry.enrol(await request(randomCode(15), 1402n));
      const before = registry.group("citizens");
      await registry.close();
      registry = await open();
      expect(registry.group("citizens")).toEqual(before);
      await expect(registry.enrol(await request(recapture(code, 3, 0.03), 1403n))).rejects.toMatchObject({
        code: "DUPLICATE_ENROLLMENT",
      });
    });

    it("serves Merkle proofs, removes members and lets a removed eye enrol again", async () => {
      const code = randomCode(16);
      await registry.enrol(await request(code, 1601n));
      await registry.enrol(await request(randomCode(17), 1602n));
      const proof = registry.merkleProof("citizens", 1);
      expect(proof.leaf).toBe(1602n);
      expect(proof.root).toBe(registry.group("citizens").root);
      const root = await registry.removeMember("citizens", 0);
      expect(root).toBe(registry.group("citizens").root);
      expect(registry.members("citizens")).toEqual([0n, 1602n]);
      expect(() => registry.merkleProof("citizens", 0)).toThrow(
        expect.objectContaining({ code: "UNKNOWN_MEMBER" }),
      );
      expect(() => registry.merkleProof("citizens", 5)).toThrow(
        expect.objectContaining({ code: "UNKNOWN_MEMBER" }),
      );
      await expect(registry.removeMember("citizens", 0)).rejects.toMatchObject({ code: "UNKNOWN_MEMBER" });
      const receipt = await registry.enrol(await request(recapture(code, 4, 0.03), 1603n));
      expect(receipt.memberIndex).toBe(2);
      await registry.close();
      registry = await open();
      expect(registry.members("citizens")).toEqual([0n, 1602n, 1603n]);
    });

    it("registers, looks up and revokes devices with typed refusals", async () => {
      const other = DeviceKey.fromSeed("other");
      const record = await registry.registerDevice(other.publicKey);
      expect(record).toEqual({
        id: other.deviceId.toString(),
        slot: 1,
        publicKey: [other.publicKey[0].toString(), other.publicKey[1].toString()],
        registeredAt: T0,
        revokedAt: null,
      });
      await expect(registry.registerDevice(other.publicKey)).rejects.toMatchObject({
        code: "DUPLICATE_DEVICE",
      });
      await expect(registry.registerDevice([1n, 2n])).rejects.toMatchObject({
        code: "INVALID_PARAMETER",
        field: "publicKey",
      });
      now += 5;
      expect((await registry.revokeDevice(other.deviceId)).revokedAt).toBe(T0 + 5);
      await expect(registry.revokeDevice(other.deviceId)).rejects.toMatchObject({ code: "DEVICE_REVOKED" });
      await expect(registry.revokeDevice(123n)).rejects.toMatchObject({
        code: "UNKNOWN_DEVICE",
        field: "deviceId",
      });
    });

    it("refuses a second group with the same id and an unknown group kind", async () => {
      await expect(registry.createGroup({ id: "citizens", kind: "plain" })).rejects.toMatchObject({
        code: "GROUP_EXISTS",
      });
      await expect(registry.createGroup({ id: "x", kind: "other" as never })).rejects.toMatchObject({
        code: "INVALID_PARAMETER",
        field: "kind",
      });
      await expect(registry.createGroup({ id: "bad id!", kind: "plain" })).rejects.toMatchObject({
        field: "id",
      });
      expect(() => registry.group("nobody")).toThrow(expect.objectContaining({ code: "UNKNOWN_GROUP" }));
    });
  });
}
