import { type SharedErrorCode, ZkirisError } from "@zkiris/iris-code";

/** Stable codes of {@link RegistryError} and its subclasses. */
export type RegistryErrorCode =
  | SharedErrorCode<"INVALID_PARAMETER">
  | SharedErrorCode<"UNKNOWN_DEVICE">
  | "DEVICE_REVOKED"
  | SharedErrorCode<"DUPLICATE_DEVICE">
  | "INVALID_CAPTURE"
  | "UNKNOWN_CHALLENGE"
  | "CHALLENGE_EXPIRED"
  | "CHALLENGE_REPLAYED"
  | SharedErrorCode<"QUALITY_GATE">
  | "DUPLICATE_ENROLLMENT"
  | "INSUFFICIENT_USABLE_BITS"
  | "UNDECIDABLE_COMPARISON"
  | "INCONSISTENT_CAPTURES"
  | "COMMITMENT_MISMATCH"
  | "DUPLICATE_MEMBER"
  | "UNKNOWN_GROUP"
  | "GROUP_EXISTS"
  | "UNKNOWN_MEMBER"
  | "UNKNOWN_POLL"
  | "POLL_EXISTS"
  | "SCOPE_IN_USE"
  | "POLL_NOT_OPEN"
  | "OPTION_OUT_OF_RANGE"
  | "SCOPE_MISMATCH"
  | SharedErrorCode<"UNKNOWN_ROOT">
  | SharedErrorCode<"STALE_ROOT">
  | SharedErrorCode<"INVALID_PROOF">
  | "DUPLICATE_NULLIFIER"
  | "LIVENESS_REQUIRED"
  | "LIVENESS_NOT_REQUIRED"
  | "LIVENESS_UNAVAILABLE"
  | "UNKNOWN_DEVICE_ROOT"
  | "STALE_DEVICE_ROOT"
  | SharedErrorCode<"ARTIFACT_HASH_MISMATCH">
  | "SCHEMA_TOO_NEW"
  | "MIGRATION_REFUSED"
  | "DATABASE_LOCKED"
  | "DATABASE_DRIVER_MISSING"
  | "CORRUPT_STATE"
  | "VERIFIER_FAILED"
  | SharedErrorCode<"CLOSED">
  | "RECOVERY_UNAVAILABLE"
  | SharedErrorCode<"REGISTRY_FULL">
  | "BACKUP_UNSUPPORTED";

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
 * The probe matches an enrolled code under the profile's deduplication threshold. The message
 * names the distance found; it never says which enrolment matched.
 */
export class DuplicateEnrollmentError extends RegistryError {
  /** Raw fractional Hamming distance at the best shift found. */
  readonly distance: number;
  /**
   * Daugman's normalised distance there, the one the decision compared with the threshold, when the
   * profile's deduplication has `referenceBits` (below 0 for a near-identical code on more bits
   * than the reference); undefined for the raw rule.
   */
  readonly normalisedDistance: number | undefined;

  constructor(distance: number, thresholdPer10k: number, field = "capture", normalisedDistance?: number) {
    super(
      "DUPLICATE_ENROLLMENT",
      normalisedDistance === undefined
        ? `Field '${field}' matches an enrolled iris: distance ${distance.toFixed(4)} is within the uniqueness threshold ${(thresholdPer10k / 10_000).toFixed(4)}`
        : `Field '${field}' matches an enrolled iris: normalised distance ${normalisedDistance.toFixed(4)} (raw ${distance.toFixed(4)}) is within the uniqueness threshold ${(thresholdPer10k / 10_000).toFixed(4)}`,
      { field },
    );
    this.distance = distance;
    this.normalisedDistance = normalisedDistance;
  }
}

/**
 * A capture, or the template built from several, has fewer usable (mask) bits than the profile's
 * `deduplication.enrolmentMinUsableBits`: the floor that makes every comparison between enrolled
 * templates decidable. The message names the measured and the required count.
 */
export class InsufficientUsableBitsError extends RegistryError {
  /** Usable bits measured. */
  readonly usableBits: number;
  /** Usable bits required (`profile.deduplication.enrolmentMinUsableBits`). */
  readonly requiredBits: number;

  constructor(field: string, what: string, usableBits: number, requiredBits: number) {
    super(
      "INSUFFICIENT_USABLE_BITS",
      `Field '${field}': ${what} has ${usableBits} usable bits; enrolment requires at least ${requiredBits}`,
      { field },
    );
    this.usableBits = usableBits;
    this.requiredBits = requiredBits;
  }
}

/**
 * The deduplication could not decide whether a capture (or the template) is an enrolled eye: its
 * comparison with some enrolled code has fewer than `deduplication.minUsableBits` jointly usable
 * bits at every shift. Refused rather than taken for a new person (fail closed). The message says
 * how many enrolled codes were undecidable, never which.
 */
export class UndecidableComparisonError extends RegistryError {
  /** Number of enrolled codes whose comparison was undecidable. */
  readonly undecidableCount: number;

  constructor(field: string, undecidableCount: number, minUsableBits: number, maxShift: number) {
    super(
      "UNDECIDABLE_COMPARISON",
      `Field '${field}' cannot be compared with ${undecidableCount} enrolled ${undecidableCount === 1 ? "iris" : "irises"}: no shift in -${maxShift}..${maxShift} has ${minUsableBits} jointly usable bits; capture the eye again with more of the iris visible`,
      { field },
    );
    this.undecidableCount = undecidableCount;
  }
}

/**
 * Two captures of one multi-capture enrolment do not match each other under the verification
 * decision, so they may not be of one eye. Names the pair and their best distance.
 */
export class InconsistentCapturesError extends RegistryError {
  /** Indices of the two captures in the request. */
  readonly pair: readonly [number, number];
  /** Their best raw distance (1 when no shift had enough jointly usable bits). */
  readonly distance: number;

  constructor(pair: readonly [number, number], distance: number, reason: string) {
    super(
      "INCONSISTENT_CAPTURES",
      `Fields 'captures[${pair[0]}]' and 'captures[${pair[1]}]' are not captures of one eye: ${reason}`,
      { field: `captures[${pair[1]}]` },
    );
    this.pair = pair;
    this.distance = distance;
  }
}

/** A group, member, poll or device is unknown. */
export class NotFoundError extends RegistryError {}

/** A device, group, poll or member already exists. */
export class ConflictError extends RegistryError {}

/**
 * A vote is refused: window, option, scope, root, proof or nullifier; for liveness: a plain proof
 * in a liveness poll or the reverse, a challenge not issued for the poll or expired, a device root
 * the registry does not accept.
 */
export class VoteError extends RegistryError {}

/** Semaphore artifacts on disk do not have their pinned SHA-256. */
export class ArtifactIntegrityError extends RegistryError {}

/** The database cannot be used: a newer schema, or another writer holds it. */
export class StorageError extends RegistryError {}

/** A biometric recovery is refused: not configured, or the match proof does not hold. */
export class RecoveryError extends RegistryError {}
