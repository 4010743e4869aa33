import { type SharedErrorCode, ZkirisError } from "@zkiris/iris-code";

/** Why the dApp backend refused a request. */
export type DappErrorCode =
  /** The request body or a path parameter is not the documented shape (`field` names the part). */
  | "MALFORMED_BODY"
  /** A parameter of a call is wrong; `field` names it. */
  | SharedErrorCode<"INVALID_PARAMETER">
  /** The proof is for another action (its scope is not this action's). */
  | "WRONG_SCOPE"
  /** The proof's group root is not one the registry published for the group. */
  | SharedErrorCode<"UNKNOWN_ROOT">
  /** The proof's group root was replaced longer ago than the accepted window. */
  | SharedErrorCode<"STALE_ROOT">
  /** The proof's liveness challenge was not issued by this backend for this action. */
  | "UNKNOWN_CHALLENGE"
  /** The proof's liveness challenge has expired. */
  | "CHALLENGE_EXPIRED"
  /** The proof's device-registry root is not one the registry published. */
  | "UNKNOWN_DEVICE_ROOT"
  /** The proof's device-registry root was replaced longer ago than the accepted window. */
  | "STALE_DEVICE_ROOT"
  /** The nullifier was already used for this action. */
  | "NULLIFIER_USED"
  /** The SNARK does not verify for the proof's public signals. */
  | SharedErrorCode<"INVALID_PROOF">
  /** A plain Semaphore proof sent to a backend configured without a plain group. */
  | "UNSUPPORTED_PROOF"
  /** The proof passed off-chain but the contract reverted (`message` names the revert). */
  | "ON_CHAIN_REJECTED";

/** HTTP status of each refusal. */
export const HTTP_STATUS: Readonly<Record<DappErrorCode, number>> = Object.freeze({
  MALFORMED_BODY: 400,
  INVALID_PARAMETER: 400,
  WRONG_SCOPE: 422,
  UNKNOWN_ROOT: 422,
  STALE_ROOT: 422,
  UNKNOWN_CHALLENGE: 422,
  CHALLENGE_EXPIRED: 422,
  UNKNOWN_DEVICE_ROOT: 422,
  STALE_DEVICE_ROOT: 422,
  NULLIFIER_USED: 409,
  INVALID_PROOF: 422,
  UNSUPPORTED_PROOF: 422,
  ON_CHAIN_REJECTED: 502,
});

/** The one error class of the example backend. */
export class DappError extends ZkirisError {
  declare readonly code: DappErrorCode;

  constructor(code: DappErrorCode, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(code, message, options);
  }

  /** The HTTP status the backend answers this refusal with. */
  get status(): number {
    return HTTP_STATUS[this.code];
  }
}
