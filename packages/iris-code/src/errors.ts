/**
 * Codes that more than one package raises, each naming one failure wherever it is raised (the
 * table of CONTRIBUTING.md lists them with the packages). A package's code union takes them with
 * {@link SharedErrorCode} instead of writing the literal again, so a shared failure has one name.
 */
export const COMMON_ERROR_CODES = Object.freeze({
  /** A parameter of a call is missing, of the wrong type or out of range; `field` names it. */
  INVALID_PARAMETER: "a parameter of a call is missing, of the wrong type or out of range; `field` names it",
  /** Two iris codes, or a code and a profile, do not have the same geometry. */
  GEOMETRY_MISMATCH: "iris codes, or a code and a profile, do not have the same geometry",
  /** A wire form or packet declares a version this reader does not support. */
  UNSUPPORTED_VERSION: "a wire form or capture packet declares a version this reader does not support",
  /** A text that should be JSON is not, or is not the documented shape. */
  MALFORMED_JSON: "a text that should be JSON is not",
  /** An object was used after its `close()`. */
  CLOSED: "an object was used after its `close()`",
  /** An EdDSA signature does not verify for its public key and message. */
  INVALID_SIGNATURE: "a device's EdDSA signature does not verify for its key and message",
  /** A capture was signed for another challenge than the one issued. */
  CHALLENGE_MISMATCH: "a capture was signed for another challenge than the one issued",
  /** The device is not in the registry (never added, or revoked). */
  UNKNOWN_DEVICE: "the device is not registered (never added, or revoked)",
  /** The device is already in the registry. */
  DUPLICATE_DEVICE: "the device is already registered",
  /** The device registry tree has no free leaf left. */
  REGISTRY_FULL: "the device registry tree has no free leaf left",
  /** The signing device is not among the trusted devices, or its registry path does not lead to the trusted root. */
  UNTRUSTED_DEVICE:
    "the signing device is not in the trusted set, or its registry path does not lead to the trusted root",
  /** A proving or verification artifact does not have its pinned or manifest SHA-256. */
  ARTIFACT_HASH_MISMATCH: "a proving or verification artifact does not have its pinned (or manifest) SHA-256",
  /** An identity commitment is not a member of the group. */
  NOT_A_MEMBER: "an identity commitment is not a member of the group",
  /** An identity is malformed or its secret does not open its commitment. */
  INVALID_IDENTITY: "an identity is malformed, or its secret does not open its commitment",
  /** A SNARK does not verify for its public signals. */
  INVALID_PROOF: "a SNARK does not verify for its public signals",
  /** A proof's Merkle root is not in the group's root history. */
  UNKNOWN_ROOT: "a proof's Merkle root is not in the group's root history",
  /** A proof's Merkle root was replaced longer ago than the accepted window. */
  STALE_ROOT: "a proof's Merkle root was replaced longer ago than the accepted window",
  /** An image is not fit to encode (a quality gate failed). */
  QUALITY_GATE: "an image is not fit to encode (a quality gate failed)",
} as const);

/** A code of {@link COMMON_ERROR_CODES}. */
export type CommonErrorCode = keyof typeof COMMON_ERROR_CODES;

/**
 * The shared codes `K` a package raises, for its code union: a name that is not in
 * {@link COMMON_ERROR_CODES} does not compile, so a package cannot spell a shared failure its own way.
 */
export type SharedErrorCode<K extends CommonErrorCode> = K;

/** Brand set on every {@link ZkirisError}; `Symbol.for` makes it the same symbol in every copy of this package. */
const ZKIRIS_ERROR_BRAND: unique symbol = Symbol.for("zkiris.error");

/**
 * Base class of every error zkiris throws on purpose. `code` is stable across releases, so
 * programs can branch on it; `message` is for people and may change. Recognise one with
 * {@link ZkirisError.is}, not `instanceof`: two copies of this package (two installed versions,
 * or its source and its build) define two classes, and `instanceof` fails across them.
 */
export class ZkirisError extends Error {
  /**
   * Whether `value` is an error zkiris threw on purpose, from whichever copy of this package: it
   * checks the brand `Symbol.for("zkiris.error")` set by the constructor, not the prototype chain.
   */
  static is(value: unknown): value is ZkirisError {
    return (
      typeof value === "object" &&
      value !== null &&
      (value as { [ZKIRIS_ERROR_BRAND]?: unknown })[ZKIRIS_ERROR_BRAND] === true
    );
  }

  /** Stable, machine-readable error code, e.g. `WRONG_LENGTH`. */
  readonly code: string;
  /** The parameter or field that was wrong, where there is one. */
  readonly field: string | undefined;

  constructor(code: string, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.field = options.field;
    Object.defineProperty(this, ZKIRIS_ERROR_BRAND, { value: true });
  }
}

/** Codes of {@link IrisCodeError}. */
export type IrisCodeErrorCode =
  | SharedErrorCode<"INVALID_PARAMETER" | "GEOMETRY_MISMATCH" | "MALFORMED_JSON" | "UNSUPPORTED_VERSION">
  | "INVALID_GEOMETRY"
  | "WRONG_LENGTH"
  | "NON_BINARY"
  | "NONZERO_PADDING"
  | "MALFORMED_BASE64"
  | "MALFORMED_HEX"
  | "BAD_MAGIC"
  | "CHECKSUM_MISMATCH"
  | "INVALID_SALT"
  | "INCOMPARABLE_CAPTURES";

/** An iris code, its geometry or one of its wire forms is malformed, or codes cannot be combined. */
export class IrisCodeError extends ZkirisError {
  declare readonly code: IrisCodeErrorCode;

  constructor(code: IrisCodeErrorCode, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(code, message, options);
  }
}

/** Describes the type of a received value for parameter messages. */
export function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (value instanceof Uint8Array) return "Uint8Array";
  return typeof value;
}
