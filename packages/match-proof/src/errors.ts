import { type SharedErrorCode, ZkirisError } from "@zkiris/iris-code";

/** Codes of {@link MatchProofError}. */
export type MatchProofErrorCode =
  | SharedErrorCode<"INVALID_PARAMETER">
  | SharedErrorCode<"GEOMETRY_MISMATCH">
  | "NO_MATCH"
  | "TOO_FEW_USABLE_BITS"
  | SharedErrorCode<"INVALID_SIGNATURE">
  | SharedErrorCode<"UNTRUSTED_DEVICE">
  | SharedErrorCode<"ARTIFACT_HASH_MISMATCH">
  | "ARTIFACT_UNAVAILABLE"
  | "MALFORMED_MANIFEST"
  | "STALE_ARTIFACTS"
  | "MALFORMED_PROOF"
  | "WITNESS_FAILED"
  | SharedErrorCode<"NOT_A_MEMBER">
  | SharedErrorCode<"INVALID_IDENTITY">
  | SharedErrorCode<"CHALLENGE_MISMATCH">;

/**
 * A match proof could not be produced or checked: bad input (naming the field), codes that do
 * not match under the compiled profile, a device signature or registry path that does not
 * verify, proving artifacts whose SHA-256 differs from their manifest or from the hashes this
 * package pins, or artifacts built from another circuit source than the one this package knows
 * (`STALE_ARTIFACTS`). For liveness votes also:
 * a leaf that is not in the group (`NOT_A_MEMBER`), an identity whose secret does not open its
 * commitment (`INVALID_IDENTITY`), a capture signed for another poll or challenge (`CHALLENGE_MISMATCH`).
 */
export class MatchProofError extends ZkirisError {
  declare readonly code: MatchProofErrorCode;

  constructor(code: MatchProofErrorCode, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(code, message, options);
  }
}
