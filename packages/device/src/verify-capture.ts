import {
  assertSameGeometry,
  type CodeGeometry,
  checkGeometry,
  describeType,
  type IrisCode,
} from "@zkiris/iris-code";
import { captureSigningMessage, envelopeSigningMessage, parseCapturePacket } from "./capture-packet.js";
import { DeviceError } from "./errors.js";
import { checkFieldElement } from "./field.js";
import { BABYJUBJUB_SUBGROUP_ORDER, type DevicePublicKey, deviceIdOf } from "./public-key.js";
import { type EdDSASignature, verifyEdDSAPoseidon } from "./signature.js";

/** Anything that answers "is this device trusted?" by `deviceId`, such as a `DeviceRegistryTree`. */
export interface TrustedDeviceSet {
  has(deviceId: bigint): boolean;
}

/** Default allowance for a device clock running ahead of the verifier's, in milliseconds. */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 60_000;

/** Options of {@link verifyCapture}. Every check is skipped when its option is absent. */
export interface VerifyCaptureOptions {
  /**
   * The challenge this verifier issued for this capture. Without it a captured packet can be
   * replayed: always pass it unless the challenge is checked elsewhere (for example in the proof).
   */
  expectedChallenge?: bigint;
  /** Trusted devices as public keys `[Ax, Ay]` or `deviceId`s. */
  trustedDevices?: Iterable<DevicePublicKey | bigint>;
  /** A registry of trusted devices (a `DeviceRegistryTree`, or any set with `has(deviceId)`). */
  registry?: TrustedDeviceSet;
  /** Largest accepted age of the capture (`now - timestamp`), in milliseconds. */
  maxAgeMs?: number;
  /**
   * Largest accepted lead of the device clock (`timestamp - now`), in milliseconds. Checked when
   * this or `maxAgeMs` is given; default {@link DEFAULT_MAX_CLOCK_SKEW_MS}.
   */
  maxClockSkewMs?: number;
  /** The verifier's current time in Unix milliseconds; default `Date.now()`. */
  now?: number;
  /** The geometry the probe must have (for example `DEFAULT_PROFILE.geometry`). */
  expectedGeometry?: CodeGeometry;
}

/** A capture whose signatures, device and freshness have been verified. */
export interface VerifiedCapture {
  readonly probe: IrisCode;
  readonly challenge: bigint;
  readonly publicKey: DevicePublicKey;
  /** `Poseidon2(Ax, Ay)`, the device's leaf in the registry tree. */
  readonly deviceId: bigint;
  /** The signature over `message`, as the match circuit takes it. */
  readonly signature: EdDSASignature;
  /** `M = Poseidon2(probeCommitment(probe), challenge)`, the message signed by `signature`. */
  readonly message: bigint;
  /** Capture time claimed by the device and signed by the envelope signature (Unix ms). */
  readonly timestamp: number;
  /** Informational quality figures; not signed. */
  readonly quality: Readonly<Record<string, number>>;
  readonly envelopeSignature: EdDSASignature;
}

function checkMillis(value: unknown, field: string, allowNegative = false): number {
  if (typeof value !== "number" || !Number.isFinite(value) || (!allowNegative && value < 0)) {
    throw new DeviceError(
      "INVALID_PARAMETER",
      `Parameter '${field}' must be a ${allowNegative ? "finite" : "non-negative finite"} number of milliseconds, received ${describeType(value)} ${String(value)}`,
      { field },
    );
  }
  return value;
}

function isTrusted(deviceId: bigint, trusted: Iterable<DevicePublicKey | bigint>): boolean {
  for (const entry of trusted) {
    if (typeof entry === "bigint") {
      if (entry === deviceId) return true;
    } else if (
      Array.isArray(entry) &&
      entry.length === 2 &&
      typeof entry[0] === "bigint" &&
      typeof entry[1] === "bigint"
    ) {
      if (deviceIdOf(entry) === deviceId) return true;
    } else {
      throw new DeviceError(
        "INVALID_PARAMETER",
        `Option 'trustedDevices' must hold public keys [Ax, Ay] or deviceId bigints, received ${describeType(entry)}`,
        { field: "trustedDevices" },
      );
    }
  }
  return false;
}

/**
 * Parses and verifies a capture packet: JSON text, UTF-8 bytes, a `CapturePacketJson` wire object
 * (for example from `JSON.parse` of a request body), or a `CapturePacket` from `parseCapturePacket`. Checks, in this order, and throws at the first failure:
 *
 * 1. form (see `parseCapturePacket`): `MALFORMED_PACKET`, `UNSUPPORTED_VERSION`,
 *    `INVALID_PUBLIC_KEY`, or `IrisCodeError` for a malformed probe; `GEOMETRY_MISMATCH`
 *    (`IrisCodeError`, field `probe.geometry`) when `expectedGeometry` differs;
 * 2. `UNTRUSTED_DEVICE` when `trustedDevices` or `registry` is given and does not hold the device;
 * 3. `CHALLENGE_MISMATCH` when `expectedChallenge` is given and differs;
 * 4. `INVALID_SIGNATURE` (field `signature...`) unless `signature` verifies over
 *    `M = Poseidon2(probeCommitment(probe), challenge)`, with `S` below the subgroup order;
 * 5. `INVALID_SIGNATURE` (field `envelopeSignature...`) unless the envelope signature verifies over
 *    `Poseidon3(CAPTURE_ENVELOPE_TAG, M, timestamp)`;
 * 6. `STALE_CAPTURE` when `now - timestamp > maxAgeMs`; `FUTURE_CAPTURE` when
 *    `timestamp - now > maxClockSkewMs`.
 *
 * Bad options throw `INVALID_PARAMETER`.
 */
export function verifyCapture(packet: unknown, options: VerifyCaptureOptions = {}): VerifiedCapture {
  const expectedChallenge =
    options.expectedChallenge === undefined
      ? undefined
      : checkFieldElement(options.expectedChallenge, "expectedChallenge");
  const maxAgeMs = options.maxAgeMs === undefined ? undefined : checkMillis(options.maxAgeMs, "maxAgeMs");
  const maxClockSkewMs =
    options.maxClockSkewMs === undefined ? undefined : checkMillis(options.maxClockSkewMs, "maxClockSkewMs");
  const now = options.now === undefined ? undefined : checkMillis(options.now, "now", true);
  const expectedGeometry =
    options.expectedGeometry === undefined
      ? undefined
      : checkGeometry(options.expectedGeometry, "expectedGeometry");

  const p = parseCapturePacket(packet);
  if (expectedGeometry !== undefined)
    assertSameGeometry(p.probe.geometry, expectedGeometry, "probe.geometry");
  // parseCapturePacket has checked that the key is in the prime-order subgroup (and re-checks parsed input).
  const publicKey = p.publicKey;
  const deviceId = deviceIdOf(publicKey);

  if (options.trustedDevices !== undefined && !isTrusted(deviceId, options.trustedDevices)) {
    throw new DeviceError("UNTRUSTED_DEVICE", `Device ${deviceId} is not among the trusted devices`, {
      field: "device.publicKey",
    });
  }
  if (options.registry !== undefined && !options.registry.has(deviceId)) {
    throw new DeviceError(
      "UNTRUSTED_DEVICE",
      `Device ${deviceId} is not in the device registry (or was revoked)`,
      {
        field: "device.publicKey",
      },
    );
  }
  if (expectedChallenge !== undefined && p.challenge !== expectedChallenge) {
    throw new DeviceError(
      "CHALLENGE_MISMATCH",
      `Field 'challenge' is ${p.challenge}, not the challenge this verifier issued`,
      { field: "challenge" },
    );
  }

  const message = captureSigningMessage(p.probe, p.challenge);
  checkSignature(message, p.signature, publicKey, "signature", "the probe and challenge");
  checkSignature(
    envelopeSigningMessage(message, p.timestamp),
    p.envelopeSignature,
    publicKey,
    "envelopeSignature",
    "the capture message and timestamp",
  );

  if (maxAgeMs !== undefined || maxClockSkewMs !== undefined) {
    const clock = now ?? Date.now();
    const age = clock - p.timestamp;
    if (maxAgeMs !== undefined && age > maxAgeMs) {
      throw new DeviceError(
        "STALE_CAPTURE",
        `Capture is ${age} ms old (field 'timestamp'); at most ${maxAgeMs} ms is accepted`,
        { field: "timestamp" },
      );
    }
    const skew = maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;
    if (-age > skew) {
      throw new DeviceError(
        "FUTURE_CAPTURE",
        `Capture is dated ${-age} ms in the future (field 'timestamp'); at most ${skew} ms of clock skew is accepted`,
        { field: "timestamp" },
      );
    }
  }

  return Object.freeze({
    probe: p.probe,
    challenge: p.challenge,
    publicKey,
    deviceId,
    signature: p.signature,
    message,
    timestamp: p.timestamp,
    quality: p.quality,
    envelopeSignature: p.envelopeSignature,
  });
}

function checkSignature(
  message: bigint,
  signature: EdDSASignature,
  publicKey: DevicePublicKey,
  field: string,
  what: string,
): void {
  if (signature.S >= BABYJUBJUB_SUBGROUP_ORDER) {
    throw new DeviceError(
      "INVALID_SIGNATURE",
      `Field '${field}.S' is not below the BabyJubJub subgroup order (a non-canonical, malleable signature)`,
      { field: `${field}.S` },
    );
  }
  if (!verifyEdDSAPoseidon(message, signature, publicKey)) {
    throw new DeviceError(
      "INVALID_SIGNATURE",
      `Field '${field}' is not a valid signature by this device over ${what}`,
      { field },
    );
  }
}
