import { ZkirisError } from "@zkiris/iris-code";

/** Stable codes of {@link RegistryError} and its subclasses. */
export type RegistryErrorCode =
  | "INVALID_PARAMETER"
  | "UNKNOWN_DEVICE"
  | "DEVICE_REVOKED"
  | "DEVICE_EXISTS"
  | "INVALID_CAPTURE"
  | "UNKNOWN_CHALLENGE"
  | "CHALLENGE_EXPIRED"
  | "CHALLENGE_REPLAYED"
  | "QUALITY_GATE"
  | "DUPLICATE_ENROLLMENT"
  | "COMMITMENT_MISMATCH"
  | "DUPLICATE_MEMBER"
  | "UNKNOWN_GROUP"
  | "GROUP_EXISTS"
  | "UNKNOWN_MEMBER"
  | "UNKNOWN_POLL"
  | "POLL_EXISTS"
  | "POLL_NOT_OPEN"
  | "OPTION_OUT_OF_RANGE"
  | "SCOPE_MISMATCH"
  | "UNKNOWN_ROOT"
  | "STALE_ROOT"
  | "INVALID_PROOF"
  | "DUPLICATE_NULLIFIER"
  | "ARTIFACT_INTEGRITY"
  | "SCHEMA_TOO_NEW"
  | "DATABASE_LOCKED"
  | "CORRUPT_STATE"
  | "CLOSED"
  | "RECOVERY_UNAVAILABLE"
  | "DEVICE_REGISTRY_FULL"
  | "MALFORMED_JSON"
  | "UNAUTHORIZED"
  | "NOT_FOUND"
  | "METHOD_NOT_ALLOWED"
  | "PAYLOAD_TOO_LARGE"
  | "UNSUPPORTED_MEDIA_TYPE";

/**
 * Base class of every refusal of the registry. `code` is stable; `field` names the offending
 * request field where there is one. Nothing is stored when one of these is thrown.
 */
export class RegistryError extends ZkirisError {
  declare readonly code: RegistryErrorCode;

  constructor(code: RegistryErrorCode, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(code, message, options);
  }
}

/** A request parameter is missing, of the wrong type or out of range. */
export class InvalidParameterError extends RegistryError {
  constructor(field: string, message: string, options: { cause?: unknown } = {}) {
    super("INVALID_PARAMETER", message, { field, cause: options.cause });
  }
}

/** A device is unknown or revoked. */
export class DeviceStateError extends RegistryError {}

/** A capture packet fails its signature, challenge or quality checks. */
export class CaptureError extends RegistryError {}

/**
 * The probe matches an enrolled code. The message names the distance found; it never says
 * which enrolment matched.
 */
export class DuplicateEnrollmentError extends RegistryError {
  /** Best raw fractional Hamming distance found (at or under the threshold). */
  readonly distance: number;

  constructor(distance: number, thresholdPer10k: number) {
    super(
      "DUPLICATE_ENROLLMENT",
      `Field 'capture' matches an enrolled iris: distance ${distance.toFixed(4)} is within the uniqueness threshold ${(thresholdPer10k / 10_000).toFixed(4)}`,
      { field: "capture" },
    );
    this.distance = distance;
  }
}

/** A group, member, poll or device is unknown. */
export class NotFoundError extends RegistryError {}

/** A device, group, poll or member already exists. */
export class ConflictError extends RegistryError {}

/** A vote is refused: window, option, scope, root, proof or nullifier. */
export class VoteError extends RegistryError {}

/** Semaphore artifacts on disk do not have their pinned SHA-256. */
export class ArtifactIntegrityError extends RegistryError {}

/** The database cannot be used: a newer schema, or another writer holds it. */
export class StorageError extends RegistryError {}

/** An HTTP request is refused before it reaches the registry: body, media type, route, method or token. */
export class HttpError extends RegistryError {}

/** A biometric recovery is refused: not configured, or the match proof does not hold. */
export class RecoveryError extends RegistryError {}
