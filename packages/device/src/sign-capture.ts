import { describeType, IrisCode, toJson as toProbeJson } from "@zkiris/iris-code";
import {
  CAPTURE_PACKET_TYPE,
  CAPTURE_PACKET_VERSION,
  type CapturePacketJson,
  captureSigningMessage,
  checkQualityFigures,
  checkTimestamp,
  envelopeSigningMessage,
} from "./capture-packet.js";
import { DeviceKey } from "./device-key.js";
import { DeviceError } from "./errors.js";
import { checkFieldElement } from "./field.js";

/**
 * Signs a capture and returns its wire packet (ready for `JSON.stringify` or
 * `serializeCapturePacket`).
 *
 * - `signature` signs `M = Poseidon2(probeCommitment(probe), challenge)`, the message the match
 *   circuit verifies.
 * - `envelopeSignature` signs `Poseidon3(CAPTURE_ENVELOPE_TAG, M, timestamp)`, so a verifier can
 *   trust the device's timestamp.
 * - `quality` is copied as is and is not signed.
 *
 * `timestamp` is Unix milliseconds, default `Date.now()`. Throws `INVALID_PARAMETER` (naming the
 * parameter) for a key that is not a `DeviceKey`, a probe that is not an `IrisCode`, a challenge
 * outside [0, field order), a malformed quality object or a timestamp that is not a non-negative
 * safe integer.
 */
export function signCapture(
  key: DeviceKey,
  probe: IrisCode,
  challenge: bigint,
  quality: Readonly<Record<string, number>>,
  timestamp: number = Date.now(),
): CapturePacketJson {
  if (!(key instanceof DeviceKey)) {
    throw new DeviceError(
      "INVALID_PARAMETER",
      `Parameter 'key' is not a DeviceKey, received ${describeType(key)}`,
      {
        field: "key",
      },
    );
  }
  if (!(probe instanceof IrisCode)) {
    throw new DeviceError(
      "INVALID_PARAMETER",
      `Parameter 'probe' is not an IrisCode, received ${describeType(probe)}`,
      {
        field: "probe",
      },
    );
  }
  checkFieldElement(challenge, "challenge");
  const checkedQuality = checkQualityFigures(quality, "quality", "INVALID_PARAMETER");
  checkTimestamp(timestamp, "timestamp", "INVALID_PARAMETER");
  const message = captureSigningMessage(probe, challenge);
  const signature = key.sign(message);
  const envelope = key.sign(envelopeSigningMessage(message, timestamp));
  const json = (v: bigint): string => v.toString();
  return {
    version: CAPTURE_PACKET_VERSION,
    type: CAPTURE_PACKET_TYPE,
    probe: toProbeJson(probe),
    quality: { ...checkedQuality },
    challenge: json(challenge),
    timestamp,
    device: { publicKey: [json(key.publicKey[0]), json(key.publicKey[1])] },
    signature: { R8: [json(signature.R8[0]), json(signature.R8[1])], S: json(signature.S) },
    envelopeSignature: { R8: [json(envelope.R8[0]), json(envelope.R8[1])], S: json(envelope.S) },
  };
}
