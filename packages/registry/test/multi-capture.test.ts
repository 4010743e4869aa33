import { DeviceKey } from "@zkiris/device";
import { buildTemplate, DEFAULT_PROFILE, fromBinary, IrisCode, matchCodes } from "@zkiris/iris-code";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InconsistentCapturesError, Registry } from "../src/index.js";
import {
  BACKENDS,
  capturesRequest,
  enrolmentRequest,
  randomCode,
  recapture,
  sparseCode,
  type TestDatabase,
} from "./helpers.js";

const T0 = 1_760_000_000_000;

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(backend.title("multi-capture enrolment"), () => {
    let db: TestDatabase;
    let registry: Registry;
    let now: number;
    const key = DeviceKey.fromSeed("multi-capture-device");

    beforeEach(async () => {
      now = T0;
      db = backend.create();
      registry = await Registry.open({
        database: db.location,
        searchWorkers: 1,
        verifierWorkers: 1,
        challengeTtlMs: 60_000,
        now: () => now,
      });
      await registry.registerDevice(key.publicKey);
      await registry.createGroup({ id: "citizens", kind: "plain" });
    });

    afterEach(async () => {
      await registry.close();
      await db.drop();
    });

    /** Three captures of one eye: small bit noise and head tilts of -2 and +3 columns. */
    const eyeCaptures = (seed: number) => {
      const eye = randomCode(seed);
      return [
        recapture(eye, seed + 1, 0.04),
        recapture(eye, seed + 2, 0.05, -2),
        recapture(eye, seed + 3, 0.04, 3),
      ];
    };
    const request = (probes: IrisCode[], identity: bigint, options = {}) =>
      capturesRequest(registry, key, probes, identity, { timestamp: now, ...options });

    async function expectNothingStored(size: number) {
      expect(registry.group("citizens").size).toBe(size);
      expect((await registry.repository.listActiveEnrolments()).length).toBe(size);
    }

    it("enrols the majority-vote template of three captures and consumes every challenge", async () => {
      const probes = eyeCaptures(100);
      const req = await request(probes, 5001n);
      const receipt = await registry.enrolFromCaptures(req);
      expect(receipt.memberIndex).toBe(0);
      const [stored] = await registry.repository.listActiveEnrolments();
      expect(stored!.templateCommitment).toBe(String(req.templateCommitment));
      const template = fromBinary(stored!.code);
      expect(template.equals(buildTemplate(probes, DEFAULT_PROFILE).template)).toBe(true);
      expect(buildTemplate(probes, DEFAULT_PROFILE).shifts).toEqual([0, 2, -3]);
      for (const packet of req.captures) {
        expect((await registry.repository.getChallenge(String(packet.challenge)))?.usedAt).toBe(T0);
      }
      // The voted template is closer to a fresh capture of the eye than the noisy captures are.
      const fresh = recapture(randomCode(100), 7, 0.04, 1);
      expect(matchCodes(template, fresh, DEFAULT_PROFILE).rawDistance).toBeLessThan(
        matchCodes(probes[0]!, fresh, DEFAULT_PROFILE).rawDistance,
      );
    });

    it("accepts five captures and refuses two or six", async () => {
      const eye = randomCode(110);
      const five = [0, 1, 2, 3, 4].map((i) => recapture(eye, 111 + i, 0.04, i - 2));
      expect((await registry.enrolFromCaptures(await request(five, 5101n))).memberIndex).toBe(0);
      for (const count of [2, 6]) {
        const probes = Array.from({ length: count }, (_, i) => recapture(randomCode(120), 121 + i, 0.03));
        await expect(registry.enrolFromCaptures(await request(probes, 5102n))).rejects.toMatchObject({
          code: "INVALID_PARAMETER",
          field: "captures",
          message: "Parameter 'captures' must be an array of 3 to 5 signed capture packets",
        });
      }
      await expectNothingStored(1);
    });

    it("refuses captures of two different eyes, naming the pair and the distance", async () => {
      const probes = eyeCaptures(130);
      probes[2] = randomCode(999);
      const req = await request(probes, 5201n);
      const error = await registry.enrolFromCaptures(req).catch((e) => e);
      expect(error).toBeInstanceOf(InconsistentCapturesError);
      expect(error.code).toBe("INCONSISTENT_CAPTURES");
      expect(error.pair).toEqual([0, 2]);
      expect(error.field).toBe("captures[2]");
      const best = matchCodes(probes[0]!, probes[2]!, DEFAULT_PROFILE);
      expect(error.distance).toBe(best.rawDistance);
      expect(error.message).toBe(
        `Fields 'captures[0]' and 'captures[2]' are not captures of one eye: best distance ${best.rawDistance.toFixed(4)} at shift ${best.shift} is over the verification threshold 0.3200`,
      );
      await expectNothingStored(0);
      for (const packet of req.captures) {
        expect((await registry.repository.getChallenge(String(packet.challenge)))?.usedAt).toBeNull();
      }
    });

    it("refuses a capture below the enrolment floor, naming it", async () => {
      const probes = eyeCaptures(140);
      probes[1] = sparseCode(141, 2000);
      await expect(registry.enrolFromCaptures(await request(probes, 5301n))).rejects.toMatchObject({
        code: "INSUFFICIENT_USABLE_BITS",
        field: "captures[1].probe.mask",
        message:
          "Field 'captures[1].probe.mask': the captured probe has 2000 usable bits; enrolment requires at least 2152",
      });
      await expectNothingStored(0);
    });

    it("refuses a template that keeps too few usable bits, though every capture has enough", async () => {
      // Each pair of captures shares one block of 1000 bits (AB, BC, CA) and disagrees on 30% of it;
      // each capture also has 194 bits of its own. Every capture has 2194 usable bits and each pair
      // matches (0.30 over 1000 bits), but the template keeps only the 700 agreeing bits per block:
      // the others are tied 1:1, and the captures' own bits are seen by one capture of three.
      const eye = randomCode(150, 0).bitValues();
      const region = (i: number) =>
        i < 1000
          ? "AB"
          : i < 2000
            ? "BC"
            : i < 3000
              ? "CA"
              : i < 3194
                ? "A"
                : i < 3388
                  ? "B"
                  : i < 3582
                    ? "C"
                    : "";
      const probes = ["A", "B", "C"].map((who) => {
        const bits = Uint8Array.from(eye);
        const mask = new Uint8Array(eye.length);
        for (let i = 0; i < eye.length; i++) {
          const r = region(i);
          if (!r.includes(who)) continue;
          mask[i] = 1;
          const flipped = (who === "B" && r === "AB") || (who === "C" && (r === "BC" || r === "CA"));
          if (flipped && i % 10 < 3) bits[i] = 1 - bits[i]!;
        }
        return IrisCode.fromBits(DEFAULT_PROFILE.geometry, bits, mask);
      });
      expect(probes.map((p) => p.usableBitCount())).toEqual([2194, 2194, 2194]);
      expect(buildTemplate(probes, DEFAULT_PROFILE).template.usableBitCount()).toBe(2100);
      const usable = buildTemplate(probes, DEFAULT_PROFILE).template.usableBitCount();
      await expect(registry.enrolFromCaptures(await request(probes, 5401n))).rejects.toMatchObject({
        code: "INSUFFICIENT_USABLE_BITS",
        field: "captures",
        message: `Field 'captures': the template built from 3 captures has ${usable} usable bits; enrolment requires at least 2152`,
      });
    });

    it("refuses a reused challenge, a commitment to another code and a bad packet, naming the capture", async () => {
      const probes = eyeCaptures(160);
      const req = await request(probes, 5501n);
      await expect(
        registry.enrolFromCaptures({
          ...req,
          captures: [req.captures[0]!, req.captures[1]!, req.captures[0]!],
        }),
      ).rejects.toMatchObject({ code: "CHALLENGE_REPLAYED", field: "captures[2].challenge" });
      const single = (await enrolmentRequest(registry, key, probes[0]!, 1n)).templateCommitment;
      await expect(registry.enrolFromCaptures({ ...req, templateCommitment: single })).rejects.toMatchObject({
        code: "COMMITMENT_MISMATCH",
        field: "templateCommitment",
      });
      const forged = { ...req.captures[1]!, signature: { ...req.captures[1]!.signature, S: "12345" } };
      await expect(
        registry.enrolFromCaptures({ ...req, captures: [req.captures[0]!, forged, req.captures[2]!] }),
      ).rejects.toMatchObject({ code: "INVALID_CAPTURE", field: "captures[1].signature" });
      now += 60_000;
      await expect(registry.enrolFromCaptures(req)).rejects.toMatchObject({
        code: "CHALLENGE_EXPIRED",
        field: "captures[0].challenge",
      });
      await expectNothingStored(0);
    });

    it("refuses fresh captures of an enrolled eye as a new person, naming the template", async () => {
      const eye = randomCode(170);
      await registry.enrolFromCaptures(await request(eyeCaptures(170), 5601n));
      expect(registry.group("citizens").size).toBe(1);
      // Three fresh captures of the enrolled eye: the template is searched first, so it is named.
      const again = [recapture(eye, 171, 0.06, 1), recapture(eye, 172, 0.05), recapture(eye, 173, 0.05, -1)];
      const error = await registry.enrolFromCaptures(await request(again, 5602n)).catch((e) => e);
      expect(error.code).toBe("DUPLICATE_ENROLLMENT");
      expect(error.field).toBe("captures");
      await expectNothingStored(1);
    });

    it("lets a single-capture enrolment and a multi-capture one refuse each other's eye", async () => {
      const eye = randomCode(180);
      await registry.enrol(
        await enrolmentRequest(registry, key, recapture(eye, 181, 0.03), 5701n, { timestamp: now }),
      );
      const probes = [recapture(eye, 182, 0.04), recapture(eye, 183, 0.04, 2), recapture(eye, 184, 0.04, -2)];
      await expect(registry.enrolFromCaptures(await request(probes, 5702n))).rejects.toMatchObject({
        code: "DUPLICATE_ENROLLMENT",
      });
      const other = randomCode(185);
      await registry.enrolFromCaptures(
        await request(
          [recapture(other, 186, 0.04), recapture(other, 187, 0.04, 1), recapture(other, 188, 0.04)],
          5703n,
        ),
      );
      await expect(
        registry.enrol(
          await enrolmentRequest(registry, key, recapture(other, 189, 0.05, -3), 5704n, { timestamp: now }),
        ),
      ).rejects.toMatchObject({ code: "DUPLICATE_ENROLLMENT", field: "capture" });
      await expectNothingStored(2);
    });
  });
}
