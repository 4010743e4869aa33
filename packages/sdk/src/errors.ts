import { type SharedErrorCode, ZkirisError } from "@zkiris/iris-code";

/**
 * Codes the SDK raises itself. A refusal of the server keeps the server's code (`UNKNOWN_GROUP`,
 * `DUPLICATE_NULLIFIER`, `STALE_ROOT`, ...; see the `@zkiris/server` README), so
 * {@link ZkirisSdkError.code} is one of these or a server code.
 */
export type ZkirisSdkErrorCode =
  /** The request did not reach the server or its answer did not arrive (DNS, refused connection, reset). */
  | "NETWORK"
  /** The server answered something that is not the documented JSON (wrong shape, not JSON, unknown status). */
  | "BAD_RESPONSE"
  /** The client was closed: requests in flight were aborted, new ones are refused. */
  | SharedErrorCode<"CLOSED">
  /** A parameter of an SDK call is wrong; `field` names it. */
  | SharedErrorCode<"INVALID_PARAMETER">
  /** A text given as an exported identity is not Semaphore's base64 private key. */
  | SharedErrorCode<"INVALID_IDENTITY">
  /** The identity's commitment is not a member of the group it should prove membership of. */
  | SharedErrorCode<"NOT_A_MEMBER">
  /**
   * The proof asked for is not the kind the group or poll takes: a plain Semaphore proof in a
   * biometric group or a liveness poll (whose votes are liveness-bound, `proveLivenessVote`), or a
   * liveness-bound vote in a poll that takes plain votes.
   */
  | "UNSUPPORTED_GROUP"
  /** No proving artifacts were given, or the ones resolved cannot be read. */
  | "ARTIFACTS_MISSING"
  /** A proving artifact does not have the pinned SHA-256 of `@zk-kit/semaphore-artifacts@4.13.0`. */
  | SharedErrorCode<"ARTIFACT_HASH_MISMATCH">
  /** Generating a proof failed (witness or prover error). */
  | "PROOF_FAILED"
  /** The SNARK does not verify for its public signals. */
  | SharedErrorCode<"INVALID_PROOF">
  /** The proof's Merkle root is not in the group's root history. */
  | SharedErrorCode<"UNKNOWN_ROOT">
  /** The proof's Merkle root was replaced longer ago than the accepted window. */
  | SharedErrorCode<"STALE_ROOT">
  /** The proof's scope is not the expected one. */
  | "WRONG_SCOPE"
  /** The proof's message is not the expected one. */
  | "WRONG_MESSAGE"
  /** The proof's nullifier was already used in this scope. */
  | "NULLIFIER_USED"
  /** The poll does not accept votes at the verifier's clock (not yet open, or closed). */
  | "POLL_NOT_OPEN"
  /** The vote's message is not one of the poll's option indices. */
  | "OPTION_OUT_OF_RANGE"
  /** A liveness-bound vote's challenge was not issued for the poll. */
  | "UNKNOWN_CHALLENGE"
  /** A liveness-bound vote's challenge expired. */
  | "CHALLENGE_EXPIRED"
  /** A liveness-bound vote's device root is not in the device registry tree's root history. */
  | "UNKNOWN_DEVICE_ROOT"
  /** A liveness-bound vote's device root was replaced (a device registered or revoked) longer ago than the accepted window. */
  | "STALE_DEVICE_ROOT";

/**
 * The one error class of `@zkiris/sdk`: a stable {@link code} a program branches on (an SDK code or
 * the server's), a message for a person, the offending `field` when there is one, and the HTTP
 * `status` when the server answered.
 */
export class ZkirisSdkError extends ZkirisError {
  declare readonly code: ZkirisSdkErrorCode | (string & {});
  /** HTTP status of the server's answer, when the error is a refusal by the server. */
  readonly status: number | undefined;

  constructor(
    code: ZkirisSdkErrorCode | (string & {}),
    message: string,
    options: { field?: string; status?: number; cause?: unknown } = {},
  ) {
    super(code, message, options);
    this.status = options.status;
  }
}

/** A short description of a value's type for messages; never the value itself (it may be a secret). */
export function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value instanceof Uint8Array) return `a Uint8Array of ${value.length} bytes`;
  const type = typeof value;
  if (type === "object") return "an object";
  return `type: ${type}`;
}

/** `INVALID_PARAMETER` naming the parameter, in Semaphore's wording. */
export function invalidParameter(field: string, expected: string, value: unknown): ZkirisSdkError {
  return new ZkirisSdkError(
    "INVALID_PARAMETER",
    `Parameter '${field}' is not ${expected}, received ${describeType(value)}`,
    { field },
  );
}
