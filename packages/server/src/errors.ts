import { type SharedErrorCode, ZkirisError } from "@zkiris/iris-code";
import type { RegistryErrorCode } from "@zkiris/registry";

/** Codes the server itself answers with, before or around the registry. */
export type ServerErrorCode =
  | SharedErrorCode<"INVALID_PARAMETER">
  | SharedErrorCode<"MALFORMED_JSON">
  | "INVALID_UTF8"
  | "BAD_URL_ENCODING"
  | "BAD_REQUEST"
  | "UNAUTHORIZED"
  | "NOT_FOUND"
  | "METHOD_NOT_ALLOWED"
  | "PAYLOAD_TOO_LARGE"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "RATE_LIMITED"
  | "NOT_READY"
  | "INTERNAL";

/** A request refused by the server (not by the registry), or an option of the server refused. */
export class ServerError extends ZkirisError {
  declare readonly code: ServerErrorCode;

  constructor(code: ServerErrorCode, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(code, message, options);
  }
}

/** Codes of `@zkiris/uniqueness` that can reach the server through the registry: all its own faults. */
type UniquenessFaultCode = "WORKER_FAILED" | "INDEX_CLOSED" | "CAPACITY_EXCEEDED";

/**
 * HTTP status of every code the server can answer. 4xx: the caller's mistake; 5xx: the server's own
 * fault (storage, workers, a closed registry). The type makes this table list every registry code,
 * so a new refusal cannot fall through to a wrong class. A code missing here (from another
 * package) answers 500: an unknown failure is the server's, never blamed on the caller.
 */
export const HTTP_STATUS: Readonly<
  Record<RegistryErrorCode | ServerErrorCode | UniquenessFaultCode, number>
> = {
  INVALID_PARAMETER: 400,
  MALFORMED_JSON: 400,
  INVALID_UTF8: 400,
  BAD_URL_ENCODING: 400,
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  UNKNOWN_DEVICE: 404,
  UNKNOWN_GROUP: 404,
  UNKNOWN_MEMBER: 404,
  UNKNOWN_POLL: 404,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  DUPLICATE_DEVICE: 409,
  GROUP_EXISTS: 409,
  POLL_EXISTS: 409,
  SCOPE_IN_USE: 409,
  DUPLICATE_MEMBER: 409,
  DUPLICATE_ENROLLMENT: 409,
  UNDECIDABLE_COMPARISON: 409,
  DUPLICATE_NULLIFIER: 409,
  CHALLENGE_REPLAYED: 409,
  REGISTRY_FULL: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  DEVICE_REVOKED: 422,
  INVALID_CAPTURE: 422,
  UNKNOWN_CHALLENGE: 422,
  CHALLENGE_EXPIRED: 422,
  QUALITY_GATE: 422,
  INSUFFICIENT_USABLE_BITS: 422,
  INCONSISTENT_CAPTURES: 422,
  COMMITMENT_MISMATCH: 422,
  POLL_NOT_OPEN: 422,
  OPTION_OUT_OF_RANGE: 422,
  SCOPE_MISMATCH: 422,
  UNKNOWN_ROOT: 422,
  STALE_ROOT: 422,
  INVALID_PROOF: 422,
  LIVENESS_REQUIRED: 422,
  LIVENESS_NOT_REQUIRED: 422,
  UNKNOWN_DEVICE_ROOT: 422,
  STALE_DEVICE_ROOT: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  ARTIFACT_HASH_MISMATCH: 500,
  SCHEMA_TOO_NEW: 500,
  MIGRATION_REFUSED: 500,
  CORRUPT_STATE: 500,
  DATABASE_DRIVER_MISSING: 500,
  BACKUP_UNSUPPORTED: 501,
  RECOVERY_UNAVAILABLE: 501,
  LIVENESS_UNAVAILABLE: 501,
  WORKER_FAILED: 500,
  CAPACITY_EXCEEDED: 507,
  CLOSED: 503,
  INDEX_CLOSED: 503,
  VERIFIER_FAILED: 503,
  DATABASE_LOCKED: 503,
  NOT_READY: 503,
};

/** HTTP status of an error code: {@link HTTP_STATUS}, 500 for a code it does not list. */
export function httpStatusOf(code: string): number {
  return (HTTP_STATUS as Readonly<Record<string, number>>)[code] ?? 500;
}
