import { verifyProof } from "@semaphore-protocol/proof";
import { describeType, ZkirisSdkError } from "./errors.js";
import { fieldParameter } from "./field.js";
import type { NullifierStore } from "./nullifier-store.js";
import { parseProof, proofToJson, type UniqueActionProof } from "./proof.js";
import type { RootRecord } from "./types.js";

/** Default window in which a replaced root still verifies: one hour, the registry's default. */
export const DEFAULT_ROOT_EXPIRY_MS = 60 * 60_000;

/** What {@link verifyUniqueAction} checks a proof against. */
export interface VerifyUniqueActionOptions {
  /** The scope of the action (for a poll, its `scope`): a proof for another scope is refused. */
  readonly scope: bigint;
  /** The message the proof must carry, when the action binds one (a vote's option, a hash of a payload). */
  readonly message?: bigint;
  /**
   * The group's root history (oldest first), as `ZkirisClient.roots(groupId)` fetches it from the
   * server, or from the dApp's own source (an on-chain group's root events).
   */
  readonly rootHistory: () => readonly RootRecord[] | Promise<readonly RootRecord[]>;
  /** How long a replaced root still verifies, in milliseconds; default {@link DEFAULT_ROOT_EXPIRY_MS}. */
  readonly rootExpiryMs?: number;
  /** Where accepted nullifiers are remembered; the proof's nullifier is claimed there on success. */
  readonly nullifiers: NullifierStore;
  /** Clock in Unix milliseconds; default `Date.now`. */
  readonly now?: () => number;
}

/** What an accepted proof proves: a member of the group acted once in this scope. */
export interface UniqueAction {
  readonly nullifier: bigint;
  readonly scope: bigint;
  readonly message: bigint;
  readonly merkleTreeRoot: bigint;
  readonly merkleTreeDepth: number;
}

/**
 * Verifies a Semaphore proof of a unique action the way a dApp backend must, and claims its
 * nullifier. In order, each refusal a {@link ZkirisSdkError} with `field`:
 * the proof's shape (`INVALID_PARAMETER`); its scope is the expected one (`WRONG_SCOPE`) and so is its
 * message when one is expected (`WRONG_MESSAGE`); its Merkle root is in the group's root history
 * (`UNKNOWN_ROOT`) and is the current root or was replaced at most `rootExpiryMs` ago (`STALE_ROOT`);
 * its nullifier is not yet in the store (`NULLIFIER_USED`); the SNARK verifies with Semaphore's
 * `verifyProof` and the verification keys it ships, no network (`INVALID_PROOF`); and the nullifier is
 * claimed atomically (`NULLIFIER_USED` if a concurrent call claimed it first). The proof may be given
 * with bigints or as the JSON of decimal strings a frontend posts.
 */
export async function verifyUniqueAction(
  proof: UniqueActionProof | unknown,
  options: VerifyUniqueActionOptions,
): Promise<UniqueAction> {
  if (typeof options !== "object" || options === null) {
    throw new ZkirisSdkError(
      "INVALID_PARAMETER",
      `Parameter 'options' is not an object, received ${describeType(options)}`,
      {
        field: "options",
      },
    );
  }
  const scope = fieldParameter(options.scope, "options.scope");
  const message =
    options.message === undefined ? undefined : fieldParameter(options.message, "options.message");
  if (typeof options.rootHistory !== "function") {
    throw new ZkirisSdkError(
      "INVALID_PARAMETER",
      `Parameter 'options.rootHistory' is not a function returning the group's root history, received ${describeType(options.rootHistory)}`,
      { field: "options.rootHistory" },
    );
  }
  const store = options.nullifiers;
  if (typeof store?.has !== "function" || typeof store?.claim !== "function") {
    throw new ZkirisSdkError(
      "INVALID_PARAMETER",
      `Parameter 'options.nullifiers' is not a NullifierStore (has, claim), received ${describeType(store)}`,
      { field: "options.nullifiers" },
    );
  }
  const expiry = options.rootExpiryMs ?? DEFAULT_ROOT_EXPIRY_MS;
  if (!Number.isSafeInteger(expiry) || expiry < 0) {
    throw new ZkirisSdkError(
      "INVALID_PARAMETER",
      `Parameter 'options.rootExpiryMs' must be a non-negative integer of milliseconds, received ${describeType(expiry)}`,
      { field: "options.rootExpiryMs" },
    );
  }
  const p = parseProof(proof, "proof");
  if (p.scope !== scope) {
    throw new ZkirisSdkError("WRONG_SCOPE", "Field 'proof.scope' is not the scope of this action", {
      field: "proof.scope",
    });
  }
  if (message !== undefined && p.message !== message) {
    throw new ZkirisSdkError("WRONG_MESSAGE", "Field 'proof.message' is not the expected message", {
      field: "proof.message",
    });
  }
  const history = await options.rootHistory();
  const record = Array.isArray(history) ? history.find((r) => r.root === p.merkleTreeRoot) : undefined;
  if (record === undefined) {
    throw new ZkirisSdkError("UNKNOWN_ROOT", "Field 'proof.merkleTreeRoot' is not a root of the group", {
      field: "proof.merkleTreeRoot",
    });
  }
  const now = (options.now ?? Date.now)();
  if (record.replacedAt !== null && now - record.replacedAt > expiry) {
    throw new ZkirisSdkError(
      "STALE_ROOT",
      `Field 'proof.merkleTreeRoot' was replaced at ${new Date(record.replacedAt).toISOString()}, more than ${expiry} ms ago`,
      { field: "proof.merkleTreeRoot" },
    );
  }
  if (await store.has(scope, p.nullifier)) throw nullifierUsed();
  let valid: boolean;
  try {
    valid = await verifyProof(proofToJson(p));
  } catch (cause) {
    throw new ZkirisSdkError(
      "INVALID_PROOF",
      "Field 'proof' does not verify: the verifier refused its values",
      {
        field: "proof",
        cause,
      },
    );
  }
  if (!valid) throw new ZkirisSdkError("INVALID_PROOF", "Field 'proof' does not verify", { field: "proof" });
  if (!(await store.claim(scope, p.nullifier))) throw nullifierUsed();
  return {
    nullifier: p.nullifier,
    scope: p.scope,
    message: p.message,
    merkleTreeRoot: p.merkleTreeRoot,
    merkleTreeDepth: p.merkleTreeDepth,
  };
}

function nullifierUsed(): ZkirisSdkError {
  return new ZkirisSdkError("NULLIFIER_USED", "Field 'proof.nullifier' was already used in this scope", {
    field: "proof.nullifier",
  });
}
