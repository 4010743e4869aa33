import { fromBase64, SNARK_FIELD_ORDER, toBase64 } from "@zkiris/iris-code";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DeviceError, DeviceKey, serializeCapturePacket, signCapture, verifyCapture } from "../src/index.js";
import { makeProbe, withField } from "./helpers.js";

// Each run signs and verifies (about 0.2 s on a quiet core), so the run counts are small.
const key = DeviceKey.fromSeed("property-device");
const challengeArb = fc.bigInt({ min: 0n, max: SNARK_FIELD_ORDER - 1n });

describe("capture packet properties", () => {
  it("verifies every honestly signed packet after a serialise/parse round trip", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 }), challengeArb, (seed, challenge) => {
        const packet = signCapture(key, makeProbe(seed), challenge, { q: seed }, 1_764_000_000_000);
        const v = verifyCapture(serializeCapturePacket(packet), { expectedChallenge: challenge });
        expect(v.probe.equals(makeProbe(seed))).toBe(true);
      }),
      { numRuns: 6 },
    );
  });

  it("refuses a packet in which any single probe or mask bit was flipped", () => {
    const packet = signCapture(key, makeProbe(99), 77n, {}, 1_764_000_000_000);
    fc.assert(
      fc.property(fc.constantFrom("bits", "mask"), fc.integer({ min: 0, max: 3583 }), (part, bit) => {
        const bytes = fromBase64(packet.probe[part]);
        bytes[bit >> 3]! ^= 0x80 >> (bit & 7);
        const tampered = withField(packet, `probe.${part}`, toBase64(bytes));
        try {
          verifyCapture(tampered, { expectedChallenge: 77n });
        } catch (error) {
          expect(error).toBeInstanceOf(DeviceError);
          expect((error as DeviceError).code).toBe("INVALID_SIGNATURE");
          return;
        }
        throw new Error(`flipping ${part} bit ${bit} was not detected`);
      }),
      { numRuns: 8 },
    );
  });

  it("refuses a packet whose challenge was replaced by any other field element", () => {
    const packet = signCapture(key, makeProbe(7), 5n, {}, 1_764_000_000_000);
    fc.assert(
      fc.property(
        challengeArb.filter((c) => c !== 5n),
        (challenge) => {
          const tampered = withField(packet, "challenge", challenge.toString());
          expect(() => verifyCapture(tampered, { expectedChallenge: challenge })).toThrow(
            "Field 'signature' is not a valid signature by this device over the probe and challenge",
          );
        },
      ),
      { numRuns: 6 },
    );
  });
});
