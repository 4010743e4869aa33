import {
  captureMessage,
  describeType,
  fromJson,
  IrisCode,
  IrisCodeError,
  type IrisCodeJson,
  poseidon,
  probeCommitment,
  SNARK_FIELD_ORDER,
  toJson,
} from "@zkiris/iris-code";
import { DeviceError, type DeviceErrorCode } from "./errors.js";
import { parseDecimal } from "./field.js";
import { checkPublicKey, type DevicePublicKey } from "./public-key.js";
import type { EdDSASignature } from "./signature.js";

/** Version of the capture packet wire format written and read by this package. */
export const CAPTURE_PACKET_VERSION = 1;

/** Value of a capture packet's `type` field. */
export const CAPTURE_PACKET_TYPE = "zkiris.capture";

/** Largest capture packet accepted as a string or bytes, in bytes of UTF-8 (1 MiB). */
export const MAX_CAPTURE_PACKET_BYTES = 1_048_576;

/** Most entries a packet's `quality` object may have. */
export const MAX_QUALITY_ENTRIES = 32;

/**
 * Domain tag of the envelope signature: the ASCII bytes of `zkiris.capture.envelope.v1` read as a
 * big-endian integer.
 */
export const CAPTURE_ENVELOPE_TAG = 196720676836276073350175077548933860205054018468302588541302321n;

/** An EdDSA signature on the wire: coordinates and scalar as canonical decimal strings. */
export interface SignatureJson {
  R8: [string, string];
  S: string;
}

/**
 * A signed capture packet on the wire (version 1). See the package README for the exact encoding.
 * `signature` covers `M = captureMessage(probeCommitment(probe), challenge)`, exactly what the
 * match circuit verifies; `envelopeSignature` covers `Poseidon3(CAPTURE_ENVELOPE_TAG, M, timestamp)`.
 * `quality` is informational and not signed.
 */
export interface CapturePacketJson {
  version: 1;
  type: "zkiris.capture";
  probe: IrisCodeJson;
  quality: Record<string, number>;
  challenge: string;
  timestamp: number;
  device: { publicKey: [string, string] };
  signature: SignatureJson;
  envelopeSignature: SignatureJson;
}

/** A capture packet that is well formed (not yet verified): every field decoded and range-checked. */
export interface CapturePacket {
  readonly version: 1;
  readonly probe: IrisCode;
  /** Informational quality figures from the device (not signed): name → finite number. */
  readonly quality: Readonly<Record<string, number>>;
  /** The verifier's challenge, a field element. */
  readonly challenge: bigint;
  /** Capture time claimed by the device, Unix milliseconds (signed by the envelope signature). */
  readonly timestamp: number;
  /** The device public key, checked to be in the BabyJubJub prime-order subgroup. */
  readonly publicKey: DevicePublicKey;
  readonly signature: EdDSASignature;
  readonly envelopeSignature: EdDSASignature;
}

/**
 * The message the match circuit verifies: `Poseidon2(probeCommitment(probe), challenge)`.
 * Same as `captureMessage(probeCommitment(probe), challenge)` from `@zkiris/iris-code`.
 */
export function captureSigningMessage(probe: IrisCode, challenge: bigint): bigint {
  return captureMessage(probeCommitment(probe), challenge);
}

/** The message of the envelope signature: `Poseidon3(CAPTURE_ENVELOPE_TAG, M, timestamp)`. */
export function envelopeSigningMessage(message: bigint, timestamp: number): bigint {
  return poseidon([CAPTURE_ENVELOPE_TAG, message, BigInt(timestamp)]);
}

const PACKET_FIELDS = [
  "version",
  "type",
  "probe",
  "quality",
  "challenge",
  "timestamp",
  "device",
  "signature",
  "envelopeSignature",
] as const;
const PROBE_FIELDS = ["version", "geometry", "bits", "mask"] as const;
const GEOMETRY_FIELDS = ["rows", "cols", "bitsPerCell"] as const;
const QUALITY_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

function malformed(field: string, message: string): never {
  throw new DeviceError("MALFORMED_PACKET", message, { field });
}

/** Returns the object if it is a plain JSON object with exactly these keys; refuses extra or missing ones. */
function expectObject(value: unknown, field: string, keys: readonly string[]): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    malformed(field, `Field '${field}' must be an object, received ${describeType(value)}`);
  }
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!keys.includes(key)) {
      const path = field === "packet" ? key : `${field}.${key}`;
      malformed(path, `Field '${path}' is not part of the capture packet format`);
    }
  }
  for (const key of keys) {
    if (!Object.hasOwn(obj, key)) {
      const path = field === "packet" ? key : `${field}.${key}`;
      malformed(path, `Field '${path}' is missing`);
    }
  }
  return obj;
}

function decimalPair(value: unknown, field: string): [bigint, bigint] {
  if (!Array.isArray(value) || value.length !== 2) {
    malformed(
      field,
      `Field '${field}' must be an array of two decimal strings, received ${describeType(value)}`,
    );
  }
  return [parseDecimal(value[0], `${field}[0]`), parseDecimal(value[1], `${field}[1]`)];
}

function parseSignature(value: unknown, field: string): EdDSASignature {
  const obj = expectObject(value, field, ["R8", "S"]);
  const R8 = decimalPair(obj.R8, `${field}.R8`);
  const S = parseDecimal(obj.S, `${field}.S`);
  return Object.freeze({ R8: Object.freeze(R8) as readonly [bigint, bigint], S });
}

/**
 * Checks the informational quality figures of a capture packet (its unsigned `quality` field): a
 * plain object of at most {@link MAX_QUALITY_ENTRIES} entries whose names match
 * `[A-Za-z][A-Za-z0-9_]{0,63}` and whose values are finite numbers. Returns a frozen copy. Checks
 * form only; the quality gates that refuse a poor image are `@zkiris/encoder` `checkQuality`.
 */
export function checkQualityFigures(
  value: unknown,
  field = "quality",
  code: DeviceErrorCode = "INVALID_PARAMETER",
): Readonly<Record<string, number>> {
  const fail = (f: string, message: string): never => {
    throw new DeviceError(code, message, { field: f });
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(field, `Field '${field}' must be an object of named numbers, received ${describeType(value)}`);
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_QUALITY_ENTRIES) {
    fail(field, `Field '${field}' has ${entries.length} entries; at most ${MAX_QUALITY_ENTRIES} are allowed`);
  }
  const out: Record<string, number> = {};
  for (const [name, v] of entries) {
    if (!QUALITY_NAME.test(name)) {
      fail(
        `${field}.${name}`,
        `Field '${field}' has an entry named ${JSON.stringify(name)}; names match [A-Za-z][A-Za-z0-9_]{0,63}`,
      );
    }
    if (typeof v !== "number" || !Number.isFinite(v)) {
      fail(
        `${field}.${name}`,
        `Field '${field}.${name}' must be a finite number, received ${describeType(v)}`,
      );
    }
    out[name] = v as number;
  }
  return Object.freeze(out);
}

/** Checks a timestamp: a safe non-negative integer number of Unix milliseconds. */
export function checkTimestamp(
  value: unknown,
  field = "timestamp",
  code: DeviceErrorCode = "INVALID_PARAMETER",
): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new DeviceError(
      code,
      `Field '${field}' must be a non-negative integer number of Unix milliseconds, received ${describeType(value)} ${String(value)}`,
      { field },
    );
  }
  return value;
}

function parseProbe(value: unknown): IrisCode {
  const obj = expectObject(value, "probe", PROBE_FIELDS);
  expectObject(obj.geometry, "probe.geometry", GEOMETRY_FIELDS);
  try {
    return fromJson(obj);
  } catch (error) {
    if (error instanceof IrisCodeError) {
      const field = error.field === undefined ? "probe" : `probe.${error.field}`;
      throw new IrisCodeError(error.code, `In capture packet field 'probe': ${error.message}`, {
        field,
        cause: error,
      });
    }
    throw error;
  }
}

function decodeText(input: string | Uint8Array): unknown {
  const size = typeof input === "string" ? input.length : input.byteLength;
  if (size > MAX_CAPTURE_PACKET_BYTES) {
    malformed("packet", `Capture packet has ${size} bytes; at most ${MAX_CAPTURE_PACKET_BYTES} are accepted`);
  }
  let text: string;
  if (typeof input === "string") {
    text = input;
  } else {
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(input);
    } catch (cause) {
      throw new DeviceError("MALFORMED_PACKET", "Capture packet bytes are not valid UTF-8", {
        field: "packet",
        cause,
      });
    }
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new DeviceError("MALFORMED_PACKET", "Capture packet is not valid JSON", { field: "packet", cause });
  }
}

function isParsed(value: unknown): value is CapturePacket {
  return (
    typeof value === "object" && value !== null && (value as { probe?: unknown }).probe instanceof IrisCode
  );
}

/**
 * Parses a capture packet, given as JSON text, UTF-8 bytes (for example a request body or a line of
 * stdin) or an already-parsed JSON value, and checks its form without verifying signatures. Refuses
 * unknown and missing fields at every level.
 *
 * Throws `DeviceError`: `MALFORMED_PACKET` (naming the field: not JSON, too large, wrong type,
 * non-canonical decimal, value out of range, unknown or missing field), `UNSUPPORTED_VERSION`,
 * `INVALID_PUBLIC_KEY` (not a point of the prime-order subgroup); and `IrisCodeError` for a
 * malformed probe (field prefixed with `probe.`, e.g. `probe.bits`).
 */
export function parseCapturePacket(input: unknown): CapturePacket {
  // A parsed packet is re-checked from its wire form: a hand-built object must not skip the checks.
  const value = isParsed(input)
    ? toCapturePacketJson(input)
    : typeof input === "string" || input instanceof Uint8Array
      ? decodeText(input)
      : input;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    malformed("packet", `Capture packet must be a JSON object, received ${describeType(value)}`);
  }
  const raw = value as Record<string, unknown>;
  if (!Object.hasOwn(raw, "version")) malformed("version", "Field 'version' is missing");
  if (raw.version !== CAPTURE_PACKET_VERSION) {
    if (typeof raw.version === "number" && Number.isInteger(raw.version)) {
      throw new DeviceError(
        "UNSUPPORTED_VERSION",
        `Capture packet has version ${raw.version}; this reader supports version ${CAPTURE_PACKET_VERSION}`,
        { field: "version" },
      );
    }
    malformed(
      "version",
      `Field 'version' must be the integer ${CAPTURE_PACKET_VERSION}, received ${describeType(raw.version)}`,
    );
  }
  const obj = expectObject(raw, "packet", PACKET_FIELDS);
  if (obj.type !== CAPTURE_PACKET_TYPE) {
    malformed(
      "type",
      `Field 'type' must be ${JSON.stringify(CAPTURE_PACKET_TYPE)}, received ${JSON.stringify(obj.type)}`,
    );
  }
  const challenge = parseDecimal(obj.challenge, "challenge", SNARK_FIELD_ORDER);
  const timestamp = checkTimestamp(obj.timestamp, "timestamp", "MALFORMED_PACKET");
  const quality = checkQualityFigures(obj.quality, "quality", "MALFORMED_PACKET");
  const device = expectObject(obj.device, "device", ["publicKey"]);
  const publicKey = checkPublicKey(decimalPair(device.publicKey, "device.publicKey"), "device.publicKey");
  const signature = parseSignature(obj.signature, "signature");
  const envelopeSignature = parseSignature(obj.envelopeSignature, "envelopeSignature");
  const probe = parseProbe(obj.probe);
  return Object.freeze({
    version: CAPTURE_PACKET_VERSION,
    probe,
    quality,
    challenge,
    timestamp,
    publicKey,
    signature,
    envelopeSignature,
  });
}

function signatureJson(signature: EdDSASignature): SignatureJson {
  return { R8: [signature.R8[0].toString(), signature.R8[1].toString()], S: signature.S.toString() };
}

/** The wire (JSON) form of a parsed packet, with fields in the documented order. */
export function toCapturePacketJson(packet: CapturePacket): CapturePacketJson {
  return {
    version: CAPTURE_PACKET_VERSION,
    type: CAPTURE_PACKET_TYPE,
    probe: toJson(packet.probe),
    quality: { ...packet.quality },
    challenge: packet.challenge.toString(),
    timestamp: packet.timestamp,
    device: { publicKey: [packet.publicKey[0].toString(), packet.publicKey[1].toString()] },
    signature: signatureJson(packet.signature),
    envelopeSignature: signatureJson(packet.envelopeSignature),
  };
}

/**
 * Serialises a capture packet (wire form or parsed form) as compact one-line JSON with fields in the
 * documented order and no trailing newline, so packets can be sent one per line. The input is
 * parsed first, so only well-formed packets are written; throws as {@link parseCapturePacket}.
 */
export function serializeCapturePacket(packet: CapturePacketJson | CapturePacket): string {
  return JSON.stringify(toCapturePacketJson(parseCapturePacket(packet)));
}
