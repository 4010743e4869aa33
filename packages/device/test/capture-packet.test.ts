import { addPoint, Base8, mulPointEscalar, subOrder } from "@zk-kit/baby-jubjub";
import { verifySignature } from "@zk-kit/eddsa-poseidon";
import {
  captureMessage,
  DEFAULT_PROFILE,
  fromBase64,
  IrisCodeError,
  poseidon,
  probeCommitment,
  SNARK_FIELD_ORDER,
  toBase64,
} from "@zkiris/iris-code";
import { poseidon2 } from "poseidon-lite";
import { beforeAll, describe, expect, it } from "vitest";
import {
  CAPTURE_ENVELOPE_TAG,
  type CapturePacketJson,
  DeviceError,
  DeviceKey,
  DeviceRegistryTree,
  MAX_CAPTURE_PACKET_BYTES,
  parseCapturePacket,
  serializeCapturePacket,
  signCapture,
  verifyCapture,
} from "../src/index.js";
import { clonePacket, makeProbe, withField } from "./helpers.js";

const CHALLENGE = 987654321987654321987654321n;
const TIMESTAMP = 1_764_000_000_000;
const QUALITY = { usableFraction: 0.9, sharpness: 41.5, pupilIrisRatio: 0.38 };

let key: DeviceKey;
let other: DeviceKey;
let packet: CapturePacketJson;

beforeAll(() => {
  key = DeviceKey.fromSeed("capture-test-device");
  other = DeviceKey.fromSeed("capture-test-other-device");
  packet = signCapture(key, makeProbe(1), CHALLENGE, QUALITY, TIMESTAMP);
});

/** Runs `fn`, expects it to throw an error of `type`, and returns it. */
function refusal<E extends Error>(
  fn: () => unknown,
  type: new (...args: never[]) => E = DeviceError as never,
): E {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    return error as E;
  }
  throw new Error("expected a refusal, but nothing was thrown");
}

function expectRefusal(fn: () => unknown, code: string, field: string | undefined): DeviceError {
  const e = refusal(fn, DeviceError);
  expect({ code: e.code, field: e.field }).toEqual({ code, field });
  return e;
}

describe("signCapture", () => {
  it("produces the documented wire packet, fields in order", () => {
    expect(Object.keys(packet)).toEqual([
      "version",
      "type",
      "probe",
      "quality",
      "challenge",
      "timestamp",
      "device",
      "signature",
      "envelopeSignature",
    ]);
    expect(packet.version).toBe(1);
    expect(packet.type).toBe("zkiris.capture");
    expect(packet.challenge).toBe("987654321987654321987654321");
    expect(packet.timestamp).toBe(TIMESTAMP);
    expect(packet.quality).toEqual(QUALITY);
    expect(packet.device.publicKey).toEqual([key.publicKey[0].toString(), key.publicKey[1].toString()]);
    expect(packet.probe.geometry).toEqual({ rows: 16, cols: 112, bitsPerCell: 2 });
    expect(fromBase64(packet.probe.bits)).toEqual(makeProbe(1).bits);
    expect(fromBase64(packet.probe.mask)).toEqual(makeProbe(1).mask);
  });

  it("signs M = Poseidon2(probeCommitment(probe), challenge), checked with @zk-kit/eddsa-poseidon directly", () => {
    const m = poseidon2([probeCommitment(makeProbe(1)), CHALLENGE]);
    expect(m).toBe(captureMessage(probeCommitment(makeProbe(1)), CHALLENGE));
    const sig = { R8: packet.signature.R8.map(BigInt) as [bigint, bigint], S: BigInt(packet.signature.S) };
    expect(verifySignature(m, sig, [key.publicKey[0], key.publicKey[1]])).toBe(true);
    expect(sig).toEqual(key.sign(m));
  });

  it("signs the envelope Poseidon3(CAPTURE_ENVELOPE_TAG, M, timestamp)", () => {
    const m = poseidon2([probeCommitment(makeProbe(1)), CHALLENGE]);
    const tag = BigInt(`0x${Buffer.from("zkiris.capture.envelope.v1").toString("hex")}`);
    expect(CAPTURE_ENVELOPE_TAG).toBe(tag);
    const e = poseidon([tag, m, BigInt(TIMESTAMP)]);
    const sig = {
      R8: packet.envelopeSignature.R8.map(BigInt) as [bigint, bigint],
      S: BigInt(packet.envelopeSignature.S),
    };
    expect(verifySignature(e, sig, [key.publicKey[0], key.publicKey[1]])).toBe(true);
  });

  it("defaults the timestamp to the current time", () => {
    const before = Date.now();
    const p = signCapture(key, makeProbe(2), 1n, {});
    expect(p.timestamp).toBeGreaterThanOrEqual(before);
    expect(p.timestamp).toBeLessThanOrEqual(Date.now());
  });

  it("refuses bad parameters, naming each", () => {
    const probe = makeProbe(1);
    expectRefusal(() => signCapture({} as DeviceKey, probe, 1n, {}), "INVALID_PARAMETER", "key");
    expectRefusal(() => signCapture(key, packet.probe as never, 1n, {}), "INVALID_PARAMETER", "probe");
    expectRefusal(() => signCapture(key, probe, SNARK_FIELD_ORDER, {}), "INVALID_PARAMETER", "challenge");
    expectRefusal(() => signCapture(key, probe, -1n, {}), "INVALID_PARAMETER", "challenge");
    expectRefusal(() => signCapture(key, probe, 1 as never, {}), "INVALID_PARAMETER", "challenge");
    expectRefusal(
      () => signCapture(key, probe, 1n, { sharpness: Number.NaN }),
      "INVALID_PARAMETER",
      "quality.sharpness",
    );
    expectRefusal(
      () => signCapture(key, probe, 1n, { "bad name": 1 }),
      "INVALID_PARAMETER",
      "quality.bad name",
    );
    expectRefusal(() => signCapture(key, probe, 1n, [] as never), "INVALID_PARAMETER", "quality");
    expectRefusal(() => signCapture(key, probe, 1n, {}, 1.5), "INVALID_PARAMETER", "timestamp");
    expectRefusal(() => signCapture(key, probe, 1n, {}, -1), "INVALID_PARAMETER", "timestamp");
  });
});

describe("verifyCapture", () => {
  it("accepts an honest packet and returns the probe, challenge, key, signature and message", () => {
    const v = verifyCapture(packet, {
      expectedChallenge: CHALLENGE,
      trustedDevices: [key.publicKey],
      maxAgeMs: 10_000,
      now: TIMESTAMP + 10_000,
      expectedGeometry: DEFAULT_PROFILE.geometry,
    });
    expect(v.probe.equals(makeProbe(1))).toBe(true);
    expect(v.challenge).toBe(CHALLENGE);
    expect(v.publicKey).toEqual(key.publicKey);
    expect(v.deviceId).toBe(key.deviceId);
    expect(v.message).toBe(captureMessage(probeCommitment(makeProbe(1)), CHALLENGE));
    expect(v.signature).toEqual(key.sign(v.message));
    expect(v.timestamp).toBe(TIMESTAMP);
    expect(v.quality).toEqual(QUALITY);
  });

  it("accepts the packet as JSON text, as UTF-8 bytes and as a parsed packet", () => {
    const text = JSON.stringify(packet);
    const fromText = verifyCapture(text, { expectedChallenge: CHALLENGE });
    const fromBytes = verifyCapture(new TextEncoder().encode(text), { expectedChallenge: CHALLENGE });
    const fromParsed = verifyCapture(parseCapturePacket(text), { expectedChallenge: CHALLENGE });
    expect(fromBytes.message).toBe(fromText.message);
    expect(fromParsed.message).toBe(fromText.message);
  });

  it("refuses a packet whose probe has one bit flipped", () => {
    const bits = fromBase64(packet.probe.bits);
    bits[17]! ^= 0x04;
    const tampered = withField(packet, "probe.bits", toBase64(bits));
    const e = expectRefusal(() => verifyCapture(tampered), "INVALID_SIGNATURE", "signature");
    expect(e.message).toBe(
      "Field 'signature' is not a valid signature by this device over the probe and challenge",
    );
  });

  it("refuses a packet whose probe has one mask bit flipped", () => {
    const mask = fromBase64(packet.probe.mask);
    mask[0]! ^= 0x80;
    expectRefusal(
      () => verifyCapture(withField(packet, "probe.mask", toBase64(mask))),
      "INVALID_SIGNATURE",
      "signature",
    );
  });

  it("refuses a packet whose challenge was changed, even when the verifier expects the new challenge", () => {
    const tampered = withField(packet, "challenge", (CHALLENGE + 1n).toString());
    expectRefusal(() => verifyCapture(tampered), "INVALID_SIGNATURE", "signature");
    expectRefusal(
      () => verifyCapture(tampered, { expectedChallenge: CHALLENGE + 1n }),
      "INVALID_SIGNATURE",
      "signature",
    );
  });

  it("refuses a packet for another challenge than the one issued", () => {
    const e = expectRefusal(
      () => verifyCapture(packet, { expectedChallenge: CHALLENGE + 1n }),
      "CHALLENGE_MISMATCH",
      "challenge",
    );
    expect(e.message).toBe(
      "Field 'challenge' is 987654321987654321987654321, not the challenge this verifier issued",
    );
  });

  it("refuses a signature made by another key over the same message", () => {
    const m = captureMessage(probeCommitment(makeProbe(1)), CHALLENGE);
    const forged = other.sign(m);
    const tampered = withField(packet, "signature", {
      R8: [forged.R8[0].toString(), forged.R8[1].toString()],
      S: forged.S.toString(),
    });
    expectRefusal(() => verifyCapture(tampered), "INVALID_SIGNATURE", "signature");
  });

  it("refuses a packet re-labelled with another device's public key", () => {
    const tampered = withField(packet, "device.publicKey", [
      other.publicKey[0].toString(),
      other.publicKey[1].toString(),
    ]);
    expectRefusal(() => verifyCapture(tampered), "INVALID_SIGNATURE", "signature");
  });

  it("refuses a signature for a different probe moved into this packet", () => {
    const otherPacket = signCapture(key, makeProbe(3), CHALLENGE, QUALITY, TIMESTAMP);
    const tampered = withField(packet, "signature", otherPacket.signature);
    expectRefusal(() => verifyCapture(tampered), "INVALID_SIGNATURE", "signature");
  });

  it("refuses S + l, which satisfies the curve equation but is a non-canonical (malleable) signature", () => {
    const S = BigInt(packet.signature.S);
    // The verification equation alone cannot tell S and S + l apart:
    expect(mulPointEscalar(Base8, S + subOrder)).toEqual(mulPointEscalar(Base8, S));
    const e = expectRefusal(
      () => verifyCapture(withField(packet, "signature.S", (S + subOrder).toString())),
      "INVALID_SIGNATURE",
      "signature.S",
    );
    expect(e.message).toBe(
      "Field 'signature.S' is not below the BabyJubJub subgroup order (a non-canonical, malleable signature)",
    );
    expectRefusal(
      () => verifyCapture(withField(packet, "signature.S", subOrder.toString())),
      "INVALID_SIGNATURE",
      "signature.S",
    );
  });

  it("refuses an R8 that is not a point of the curve", () => {
    const tampered = withField(packet, "signature.R8", [
      packet.signature.R8[0],
      (BigInt(packet.signature.R8[1]) + 1n).toString(),
    ]);
    expectRefusal(() => verifyCapture(tampered), "INVALID_SIGNATURE", "signature");
  });

  it("refuses a changed timestamp through the envelope signature", () => {
    const tampered = withField(packet, "timestamp", TIMESTAMP + 1);
    const e = expectRefusal(() => verifyCapture(tampered), "INVALID_SIGNATURE", "envelopeSignature");
    expect(e.message).toBe(
      "Field 'envelopeSignature' is not a valid signature by this device over the capture message and timestamp",
    );
  });

  it("refuses an envelope signature with S >= l", () => {
    const S = BigInt(packet.envelopeSignature.S) + subOrder;
    expectRefusal(
      () => verifyCapture(withField(packet, "envelopeSignature.S", S.toString())),
      "INVALID_SIGNATURE",
      "envelopeSignature.S",
    );
  });

  it("does not authenticate quality figures: a changed quality value still verifies (documented)", () => {
    const v = verifyCapture(withField(packet, "quality", { usableFraction: 1 }));
    expect(v.quality).toEqual({ usableFraction: 1 });
  });

  it("refuses a device outside the trusted list, and accepts one listed by key or by deviceId", () => {
    const e = expectRefusal(
      () => verifyCapture(packet, { trustedDevices: [other.publicKey, other.deviceId] }),
      "UNTRUSTED_DEVICE",
      "device.publicKey",
    );
    expect(e.message).toBe(`Device ${key.deviceId} is not among the trusted devices`);
    expectRefusal(
      () => verifyCapture(packet, { trustedDevices: [] }),
      "UNTRUSTED_DEVICE",
      "device.publicKey",
    );
    expect(verifyCapture(packet, { trustedDevices: [other.deviceId, key.deviceId] }).deviceId).toBe(
      key.deviceId,
    );
    expect(verifyCapture(packet, { trustedDevices: new Set([key.deviceId]) }).deviceId).toBe(key.deviceId);
  });

  it("refuses a device missing from the registry or revoked from it", () => {
    const registry = new DeviceRegistryTree();
    registry.add(other);
    expectRefusal(() => verifyCapture(packet, { registry }), "UNTRUSTED_DEVICE", "device.publicKey");
    registry.add(key);
    expect(verifyCapture(packet, { registry }).deviceId).toBe(key.deviceId);
    registry.revoke(key.deviceId);
    const e = expectRefusal(
      () => verifyCapture(packet, { registry }),
      "UNTRUSTED_DEVICE",
      "device.publicKey",
    );
    expect(e.message).toBe(`Device ${key.deviceId} is not in the device registry (or was revoked)`);
  });

  it("refuses a capture older than maxAgeMs and accepts one exactly maxAgeMs old", () => {
    expect(verifyCapture(packet, { maxAgeMs: 5000, now: TIMESTAMP + 5000 }).timestamp).toBe(TIMESTAMP);
    const e = expectRefusal(
      () => verifyCapture(packet, { maxAgeMs: 5000, now: TIMESTAMP + 5001 }),
      "STALE_CAPTURE",
      "timestamp",
    );
    expect(e.message).toBe("Capture is 5001 ms old (field 'timestamp'); at most 5000 ms is accepted");
  });

  it("refuses a capture dated further in the future than the clock-skew allowance", () => {
    expect(verifyCapture(packet, { maxAgeMs: 1000, now: TIMESTAMP - 60_000 }).timestamp).toBe(TIMESTAMP);
    const e = expectRefusal(
      () => verifyCapture(packet, { maxAgeMs: 1000, now: TIMESTAMP - 60_001 }),
      "FUTURE_CAPTURE",
      "timestamp",
    );
    expect(e.message).toBe(
      "Capture is dated 60001 ms in the future (field 'timestamp'); at most 60000 ms of clock skew is accepted",
    );
    expectRefusal(
      () => verifyCapture(packet, { maxClockSkewMs: 0, now: TIMESTAMP - 1 }),
      "FUTURE_CAPTURE",
      "timestamp",
    );
  });

  it("uses the system clock when no time is given", () => {
    expectRefusal(() => verifyCapture(packet, { maxAgeMs: 1000 }), "STALE_CAPTURE", "timestamp");
    const fresh = signCapture(key, makeProbe(1), CHALLENGE, {});
    expect(verifyCapture(fresh, { maxAgeMs: 60_000 }).timestamp).toBe(fresh.timestamp);
  });

  it("refuses a probe of another geometry than expected", () => {
    const e = refusal(
      () => verifyCapture(packet, { expectedGeometry: { rows: 16, cols: 256, bitsPerCell: 4 } }),
      IrisCodeError,
    );
    expect(e.code).toBe("GEOMETRY_MISMATCH");
    expect(e.field).toBe("probe.geometry");
  });

  it("refuses bad options, naming each", () => {
    expectRefusal(
      () => verifyCapture(packet, { expectedChallenge: -1n }),
      "INVALID_PARAMETER",
      "expectedChallenge",
    );
    expectRefusal(() => verifyCapture(packet, { maxAgeMs: -1 }), "INVALID_PARAMETER", "maxAgeMs");
    expectRefusal(() => verifyCapture(packet, { maxAgeMs: Number.NaN }), "INVALID_PARAMETER", "maxAgeMs");
    expectRefusal(() => verifyCapture(packet, { maxClockSkewMs: -5 }), "INVALID_PARAMETER", "maxClockSkewMs");
    expectRefusal(() => verifyCapture(packet, { now: Number.POSITIVE_INFINITY }), "INVALID_PARAMETER", "now");
    expectRefusal(
      () => verifyCapture(packet, { trustedDevices: [["1", "2"] as never] }),
      "INVALID_PARAMETER",
      "trustedDevices",
    );
    expectRefusal(
      () => verifyCapture(packet, { trustedDevices: ["1" as never] }),
      "INVALID_PARAMETER",
      "trustedDevices",
    );
  });
});

describe("public key checks", () => {
  it("refuses a public key that is not on the curve", () => {
    const tampered = withField(packet, "device.publicKey", [
      packet.device.publicKey[0],
      (BigInt(packet.device.publicKey[1]) + 1n).toString(),
    ]);
    const e = expectRefusal(() => verifyCapture(tampered), "INVALID_PUBLIC_KEY", "device.publicKey");
    expect(e.message).toBe("Public key 'device.publicKey' is not a point of BabyJubJub");
  });

  it("refuses a public key with a small-order component (A + T, T of order 2)", () => {
    const A = [key.publicKey[0], key.publicKey[1]] as [bigint, bigint];
    const shifted = addPoint(A, [0n, SNARK_FIELD_ORDER - 1n]);
    expect(shifted).toEqual([SNARK_FIELD_ORDER - A[0], SNARK_FIELD_ORDER - A[1]]);
    const tampered = withField(packet, "device.publicKey", shifted.map(String));
    const e = expectRefusal(() => verifyCapture(tampered), "INVALID_PUBLIC_KEY", "device.publicKey");
    expect(e.message).toBe(
      "Public key 'device.publicKey' is on the curve but not in the prime-order subgroup (it has a small-order component)",
    );
  });

  it("refuses the identity as public key, with which anyone could sign any capture", () => {
    // With A = (0, 1), S·B8 = R8 + 8·h·A reduces to S·B8 = R8: pick any S and set R8 = S·B8.
    const m = captureMessage(probeCommitment(makeProbe(1)), CHALLENGE);
    const S = 12345n;
    const R8 = mulPointEscalar(Base8, S);
    expect(verifySignature(m, { R8, S }, [0n, 1n])).toBe(true);
    const forged = withField(
      withField(packet as never, "device.publicKey", ["0", "1"]) as never,
      "signature",
      {
        R8: R8.map(String),
        S: S.toString(),
      },
    );
    const e = expectRefusal(() => verifyCapture(forged), "INVALID_PUBLIC_KEY", "device.publicKey");
    expect(e.message).toBe(
      "Public key 'device.publicKey' has Ax = 0 (the identity or a point of order 2), which is never a device key",
    );
    expectRefusal(
      () => verifyCapture(withField(packet, "device.publicKey", ["0", (SNARK_FIELD_ORDER - 1n).toString()])),
      "INVALID_PUBLIC_KEY",
      "device.publicKey",
    );
  });

  it("refuses public key coordinates that are not field elements", () => {
    const big = (BigInt(packet.device.publicKey[0]) + SNARK_FIELD_ORDER).toString();
    expectRefusal(
      () => verifyCapture(withField(packet, "device.publicKey", [big, packet.device.publicKey[1]])),
      "MALFORMED_PACKET",
      "device.publicKey[0]",
    );
  });
});

describe("parseCapturePacket", () => {
  const FIELDS = [
    "type",
    "probe",
    "quality",
    "challenge",
    "timestamp",
    "device",
    "signature",
    "envelopeSignature",
  ] as const;

  it("refuses a packet missing any field, naming it", () => {
    for (const field of FIELDS) {
      const e = expectRefusal(
        () => parseCapturePacket(withField(packet, field, undefined)),
        "MALFORMED_PACKET",
        field,
      );
      expect(e.message).toBe(`Field '${field}' is missing`);
    }
    expectRefusal(
      () => parseCapturePacket(withField(packet, "version", undefined)),
      "MALFORMED_PACKET",
      "version",
    );
    for (const field of [
      "device.publicKey",
      "signature.R8",
      "signature.S",
      "envelopeSignature.S",
      "probe.bits",
      "probe.geometry.cols",
    ]) {
      expectRefusal(() => parseCapturePacket(withField(packet, field, undefined)), "MALFORMED_PACKET", field);
    }
  });

  it("refuses unknown fields at every level", () => {
    for (const path of ["extra", "device.serial", "signature.A", "probe.salt", "probe.geometry.depth"]) {
      const e = expectRefusal(() => parseCapturePacket(withField(packet, path, 1)), "MALFORMED_PACKET", path);
      expect(e.message).toBe(`Field '${path}' is not part of the capture packet format`);
    }
  });

  it("refuses extra nesting: a wrapped packet, a nested signature, a probe sent as a JSON string", () => {
    expectRefusal(() => parseCapturePacket({ packet }), "MALFORMED_PACKET", "version");
    expectRefusal(() => parseCapturePacket([packet]), "MALFORMED_PACKET", "packet");
    expectRefusal(
      () => parseCapturePacket(withField(packet, "signature", { signature: packet.signature })),
      "MALFORMED_PACKET",
      "signature.signature",
    );
    expectRefusal(
      () => parseCapturePacket(withField(packet, "probe", JSON.stringify(packet.probe))),
      "MALFORMED_PACKET",
      "probe",
    );
    expectRefusal(
      () => parseCapturePacket(withField(packet, "challenge", [packet.challenge])),
      "MALFORMED_PACKET",
      "challenge",
    );
    expectRefusal(
      () => parseCapturePacket(withField(packet, "signature.S", { value: packet.signature.S })),
      "MALFORMED_PACKET",
      "signature.S",
    );
    expectRefusal(
      () => parseCapturePacket(withField(packet, "device.publicKey", [packet.device.publicKey])),
      "MALFORMED_PACKET",
      "device.publicKey",
    );
  });

  it("refuses non-canonical or non-decimal field elements, naming the field", () => {
    const bad = ["0x1f", "-1", "+1", "01", "1e5", " 1", "1 ", "", "1.0", "١٢", "9".repeat(79)];
    for (const value of bad) {
      for (const field of ["challenge", "signature.S", "envelopeSignature.S"]) {
        const e = expectRefusal(
          () => parseCapturePacket(withField(packet, field, value)),
          "MALFORMED_PACKET",
          field,
        );
        expect(e.message).toContain(`Field '${field}' must be a canonical unsigned decimal string`);
      }
    }
    expectRefusal(
      () => parseCapturePacket(withField(packet, "signature.R8", ["0x1", packet.signature.R8[1]])),
      "MALFORMED_PACKET",
      "signature.R8[0]",
    );
    expectRefusal(
      () => parseCapturePacket(withField(packet, "device.publicKey", [packet.device.publicKey[0], "01"])),
      "MALFORMED_PACKET",
      "device.publicKey[1]",
    );
  });

  it("refuses field elements sent as JSON numbers", () => {
    const e = expectRefusal(
      () => parseCapturePacket(withField(packet, "challenge", 5)),
      "MALFORMED_PACKET",
      "challenge",
    );
    expect(e.message).toBe("Field 'challenge' must be a decimal string, received number");
  });

  it("refuses a challenge or S that is not below the field order", () => {
    for (const field of ["challenge", "signature.S"]) {
      const e = expectRefusal(
        () => parseCapturePacket(withField(packet, field, SNARK_FIELD_ORDER.toString())),
        "MALFORMED_PACKET",
        field,
      );
      expect(e.message).toBe(
        `Field '${field}' must be below ${SNARK_FIELD_ORDER}, received ${SNARK_FIELD_ORDER}`,
      );
    }
    expect(parseCapturePacket(withField(packet, "challenge", "0")).challenge).toBe(0n);
  });

  it("refuses an unsupported version and a wrong type", () => {
    const e = expectRefusal(
      () => parseCapturePacket(withField(packet, "version", 2)),
      "UNSUPPORTED_VERSION",
      "version",
    );
    expect(e.message).toBe("Capture packet has version 2; this reader supports version 1");
    expectRefusal(() => parseCapturePacket(withField(packet, "version", "1")), "MALFORMED_PACKET", "version");
    expectRefusal(() => parseCapturePacket(withField(packet, "version", 1.5)), "MALFORMED_PACKET", "version");
    const t = expectRefusal(
      () => parseCapturePacket(withField(packet, "type", "zkiris.enrol")),
      "MALFORMED_PACKET",
      "type",
    );
    expect(t.message).toBe('Field \'type\' must be "zkiris.capture", received "zkiris.enrol"');
  });

  it("refuses a timestamp that is not a non-negative safe integer", () => {
    for (const value of [1.5, -1, "1764000000000", 2 ** 53, null]) {
      expectRefusal(
        () => parseCapturePacket(withField(packet, "timestamp", value)),
        "MALFORMED_PACKET",
        "timestamp",
      );
    }
  });

  it("refuses quality that is not an object of named finite numbers", () => {
    expectRefusal(() => parseCapturePacket(withField(packet, "quality", [1])), "MALFORMED_PACKET", "quality");
    expectRefusal(
      () => parseCapturePacket(withField(packet, "quality", null)),
      "MALFORMED_PACKET",
      "quality",
    );
    expectRefusal(
      () => parseCapturePacket(withField(packet, "quality", { sharpness: "41.5" })),
      "MALFORMED_PACKET",
      "quality.sharpness",
    );
    expectRefusal(
      () => parseCapturePacket(withField(packet, "quality", { nested: { a: 1 } })),
      "MALFORMED_PACKET",
      "quality.nested",
    );
    expectRefusal(
      () => parseCapturePacket(withField(packet, "quality", { _x: 1 })),
      "MALFORMED_PACKET",
      "quality._x",
    );
    const many = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`q${i}`, i]));
    expectRefusal(
      () => parseCapturePacket(withField(packet, "quality", many)),
      "MALFORMED_PACKET",
      "quality",
    );
    expect(parseCapturePacket(withField(packet, "quality", {})).quality).toEqual({});
  });

  it("reports a malformed probe with the iris-code error, its field prefixed with probe.", () => {
    const cases: [string, unknown, string, string][] = [
      ["probe.bits", "not base64!", "MALFORMED_BASE64", "probe.bits"],
      ["probe.bits", toBase64(new Uint8Array(10)), "WRONG_LENGTH", "probe.bits"],
      ["probe.mask", 42, "MALFORMED_BASE64", "probe.mask"],
      ["probe.version", 2, "UNSUPPORTED_VERSION", "probe.version"],
      ["probe.geometry.rows", 0, "INVALID_GEOMETRY", "probe.geometry.rows"],
      ["probe.geometry.cols", "112", "INVALID_GEOMETRY", "probe.geometry.cols"],
    ];
    for (const [path, value, code, field] of cases) {
      const e = refusal(() => parseCapturePacket(withField(packet, path, value)), IrisCodeError);
      expect({ code: e.code, field: e.field }).toEqual({ code, field });
      expect(e.message.startsWith("In capture packet field 'probe': ")).toBe(true);
    }
    expectRefusal(
      () => parseCapturePacket(withField(packet, "probe.geometry", [16, 112, 2])),
      "MALFORMED_PACKET",
      "probe.geometry",
    );
  });

  it("refuses text that is not JSON, bytes that are not UTF-8, and packets over the size limit", () => {
    expectRefusal(() => parseCapturePacket("{"), "MALFORMED_PACKET", "packet");
    expectRefusal(() => parseCapturePacket("null"), "MALFORMED_PACKET", "packet");
    expectRefusal(() => parseCapturePacket(new Uint8Array([0x7b, 0xff, 0x7d])), "MALFORMED_PACKET", "packet");
    const huge = " ".repeat(MAX_CAPTURE_PACKET_BYTES + 1);
    const e = expectRefusal(() => parseCapturePacket(huge), "MALFORMED_PACKET", "packet");
    expect(e.message).toBe(
      `Capture packet has ${MAX_CAPTURE_PACKET_BYTES + 1} bytes; at most ${MAX_CAPTURE_PACKET_BYTES} are accepted`,
    );
    expectRefusal(() => parseCapturePacket(42), "MALFORMED_PACKET", "packet");
  });

  it("re-checks a hand-built parsed packet instead of trusting it", () => {
    const parsed = parseCapturePacket(packet);
    const forged = { ...parsed, publicKey: [0n, 1n] as const };
    expectRefusal(() => verifyCapture(forged), "INVALID_PUBLIC_KEY", "device.publicKey");
  });
});

describe("serializeCapturePacket", () => {
  it("writes compact one-line JSON equal to JSON.stringify of the signed packet", () => {
    const text = serializeCapturePacket(packet);
    expect(text).toBe(JSON.stringify(packet));
    expect(text).not.toContain("\n");
  });

  it("round-trips: parse(serialize(p)) serialises to the same text, from wire or parsed form", () => {
    const text = serializeCapturePacket(packet);
    expect(serializeCapturePacket(parseCapturePacket(text))).toBe(text);
    const reordered = Object.fromEntries(
      Object.entries(clonePacket(packet)).reverse(),
    ) as unknown as CapturePacketJson;
    expect(serializeCapturePacket(reordered)).toBe(text);
  });

  it("refuses to serialise a malformed packet", () => {
    expectRefusal(
      () => serializeCapturePacket(withField(packet, "challenge", "abc") as unknown as CapturePacketJson),
      "MALFORMED_PACKET",
      "challenge",
    );
  });
});
