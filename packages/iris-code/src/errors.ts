/**
 * Base class of every error zkiris throws on purpose. `code` is stable across releases, so
 * programs can branch on it; `message` is for people and may change.
 */
export class ZkirisError extends Error {
  /** Stable, machine-readable error code, e.g. `WRONG_LENGTH`. */
  readonly code: string;
  /** The parameter or field that was wrong, where there is one. */
  readonly field: string | undefined;

  constructor(code: string, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.field = options.field;
  }
}

/** Codes of {@link IrisCodeError}. */
export type IrisCodeErrorCode =
  | "INVALID_GEOMETRY"
  | "INVALID_PARAMETER"
  | "WRONG_LENGTH"
  | "GEOMETRY_MISMATCH"
  | "NON_BINARY"
  | "NONZERO_PADDING"
  | "MALFORMED_BASE64"
  | "MALFORMED_HEX"
  | "MALFORMED_JSON"
  | "UNSUPPORTED_VERSION"
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
