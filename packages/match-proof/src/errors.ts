import { ZkirisError } from "@zkiris/iris-code";

/** Codes of {@link MatchProofError}. */
export type MatchProofErrorCode =
  | "INVALID_PARAMETER"
  | "GEOMETRY_MISMATCH"
  | "NO_MATCH"
  | "TOO_FEW_USABLE_BITS"
  | "INVALID_SIGNATURE"
  | "DEVICE_NOT_IN_REGISTRY"
  | "ARTIFACT_HASH_MISMATCH"
  | "ARTIFACT_UNAVAILABLE"
  | "MALFORMED_MANIFEST"
  | "MALFORMED_PROOF"
  | "WITNESS_FAILED";

/**
 * A match proof could not be produced or checked: bad input (naming the field), codes that do
 * not match under the compiled profile, a device signature or registry path that does not
 * verify, or proving artifacts whose SHA-256 differs from their manifest.
 */
export class MatchProofError extends ZkirisError {
  declare readonly code: MatchProofErrorCode;

  constructor(code: MatchProofErrorCode, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(code, message, options);
  }
}
