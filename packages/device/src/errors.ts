import { type SharedErrorCode, ZkirisError } from "@zkiris/iris-code";

/** Codes of {@link DeviceError}. Stable across releases: programs branch on them. */
export type DeviceErrorCode =
  /** A capture packet is not the documented shape; `field` names the offending field. */
  | "MALFORMED_PACKET"
  /** A capture packet declares a `version` this reader does not support. */
  | SharedErrorCode<"UNSUPPORTED_VERSION">
  /** A public key is not a canonical point of the BabyJubJub prime-order subgroup (or is the identity). */
  | "INVALID_PUBLIC_KEY"
  /** A private key is not exactly 32 bytes (or 64 hexadecimal digits). */
  | "INVALID_PRIVATE_KEY"
  /** A signature does not verify for this public key and message (forged, or over another probe/challenge). */
  | SharedErrorCode<"INVALID_SIGNATURE">
  /** The packet's challenge is not the one the verifier issued. */
  | SharedErrorCode<"CHALLENGE_MISMATCH">
  /** The signing device is not in the trusted set or registry (or has been revoked). */
  | SharedErrorCode<"UNTRUSTED_DEVICE">
  /** The packet's timestamp is older than the verifier's `maxAgeMs`. */
  | "STALE_CAPTURE"
  /** The packet's timestamp lies further in the future than the verifier's clock-skew allowance. */
  | "FUTURE_CAPTURE"
  /** A parameter of a function in this package is wrong (not data received from a device). */
  | SharedErrorCode<"INVALID_PARAMETER">
  /** The device is already in the registry. */
  | SharedErrorCode<"DUPLICATE_DEVICE">
  /** The device is not in the registry (never added, or revoked). */
  | SharedErrorCode<"UNKNOWN_DEVICE">
  /** The registry tree has no free leaf left (2^DEVICE_TREE_DEPTH leaves, revoked ones included). */
  | SharedErrorCode<"REGISTRY_FULL">;

/**
 * A device key, capture packet or device registry operation was refused. `code` is one of
 * {@link DeviceErrorCode}; `field` names the offending packet field or parameter where there is one
 * (for example `signature.S` or `device.publicKey[0]`).
 */
export class DeviceError extends ZkirisError {
  declare readonly code: DeviceErrorCode;

  constructor(code: DeviceErrorCode, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(code, message, options);
  }
}
