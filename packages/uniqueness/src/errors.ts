import { type SharedErrorCode, ZkirisError } from "@zkiris/iris-code";

/** Codes of {@link UniquenessError}. */
export type UniquenessErrorCode =
  | SharedErrorCode<"INVALID_PARAMETER">
  | "INVALID_ID"
  | "DUPLICATE_ID"
  | SharedErrorCode<"GEOMETRY_MISMATCH">
  | "CAPACITY_EXCEEDED"
  | "INDEX_CLOSED"
  | "WORKER_FAILED"
  | "INVALID_SNAPSHOT";

/**
 * A uniqueness index refused an argument or a snapshot, ran out of capacity, was closed, or lost a
 * worker.
 */
export class UniquenessError extends ZkirisError {
  declare readonly code: UniquenessErrorCode;

  constructor(code: UniquenessErrorCode, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(code, message, options);
  }
}
