import { describeType, SNARK_FIELD_ORDER, ZkirisError } from "@zkiris/iris-code";
import { type LivenessVoteArtifacts, type LivenessVoteProof, verifyLivenessVote } from "@zkiris/match-proof";
import { DEFAULT_ROOT_EXPIRY_MS, type NullifierStore, type RootRecord } from "@zkiris/sdk";
import type { IssuedChallenge } from "./action-store.js";
import { DappError, type DappErrorCode } from "./errors.js";

/** A root and when it was replaced (null: still current), group or device tree alike. */
export type PublishedRoot = Pick<RootRecord, "root" | "createdAt" | "replacedAt">;

/** Default window in which a replaced device-registry root still verifies: 5 minutes, as the registry's. */
export const DEFAULT_DEVICE_ROOT_EXPIRY_MS = 5 * 60_000;

/** What {@link verifyLivenessAction} checks a proof against. */
export interface VerifyLivenessActionOptions {
  /** The action's scope (`actionScope(action)`). */
  readonly scope: bigint;
  /** The biometric group's root history as the registry publishes it (`ZkirisClient.roots`). */
  readonly rootHistory: () => readonly PublishedRoot[] | Promise<readonly PublishedRoot[]>;
  /** Default {@link DEFAULT_ROOT_EXPIRY_MS} (one hour). */
  readonly rootExpiryMs?: number;
  /** The device-registry tree's roots, as seen from the registry's `GET /device-registry`. */
  readonly deviceRootHistory: () => readonly PublishedRoot[] | Promise<readonly PublishedRoot[]>;
  /** Default {@link DEFAULT_DEVICE_ROOT_EXPIRY_MS}. */
  readonly deviceRootExpiryMs?: number;
  /** The challenge this backend issued for the scope, if it did. */
  readonly issuedChallenge: (scope: bigint, challenge: bigint) => IssuedChallenge | undefined;
  readonly nullifiers: NullifierStore;
  /** The liveness-vote verification key (`loadLivenessVoteArtifacts`). */
  readonly artifacts: Pick<LivenessVoteArtifacts, "verificationKey">;
  /** Clock in Unix milliseconds; default `Date.now`. */
  readonly now?: () => number;
}

/** What an accepted proof proves: a live, enrolled, unique human acted once in this scope. */
export interface LivenessAction {
  readonly nullifier: bigint;
  readonly scope: bigint;
  readonly message: bigint;
  readonly merkleTreeRoot: bigint;
}

const FIELDS = ["merkleTreeRoot", "nullifier", "challenge", "deviceRoot"] as const;

/**
 * Verifies a liveness-bound proof of a unique action off-chain, in the order and with the codes of
 * `verifyUniqueAction` of `@zkiris/sdk` (which checks plain Semaphore proofs), plus the liveness
 * checks: shape (`INVALID_PARAMETER`, naming the field); scope (`WRONG_SCOPE`); group root in the
 * history (`UNKNOWN_ROOT`) and current or replaced within `rootExpiryMs` (`STALE_ROOT`); the
 * challenge issued here for this scope (`UNKNOWN_CHALLENGE`) and unexpired (`CHALLENGE_EXPIRED`); the
 * device root likewise (`UNKNOWN_DEVICE_ROOT`, `STALE_DEVICE_ROOT`); nullifier unused
 * (`NULLIFIER_USED`); the Groth16 proof with `verifyLivenessVote` (`INVALID_PROOF`); then the nullifier
 * claimed atomically (`NULLIFIER_USED` if a concurrent call claimed it first).
 */
export async function verifyLivenessAction(
  proof: LivenessVoteProof,
  options: VerifyLivenessActionOptions,
): Promise<LivenessAction> {
  if (typeof proof !== "object" || proof === null) {
    throw new DappError(
      "INVALID_PARAMETER",
      `Parameter 'proof' is not an object, received ${describeType(proof)}`,
      {
        field: "proof",
      },
    );
  }
  const values = {} as Record<(typeof FIELDS)[number] | "scope" | "message", bigint>;
  for (const key of [...FIELDS, "scope", "message"] as const) {
    const text = proof[key];
    const bound = key === "scope" || key === "message" ? 1n << 256n : SNARK_FIELD_ORDER;
    if (typeof text !== "string" || !/^(0|[1-9][0-9]{0,77})$/.test(text) || BigInt(text) >= bound) {
      throw new DappError(
        "INVALID_PARAMETER",
        `Field 'proof.${key}' is not a canonical decimal below ${bound}`,
        {
          field: `proof.${key}`,
        },
      );
    }
    values[key] = BigInt(text);
  }
  const now = (options.now ?? Date.now)();
  if (values.scope !== options.scope) {
    throw new DappError("WRONG_SCOPE", "Field 'proof.scope' is not the scope of this action", {
      field: "proof.scope",
    });
  }
  checkRoot(
    await options.rootHistory(),
    values.merkleTreeRoot,
    options.rootExpiryMs ?? DEFAULT_ROOT_EXPIRY_MS,
    now,
    {
      field: "proof.merkleTreeRoot",
      unknown: "UNKNOWN_ROOT",
      stale: "STALE_ROOT",
      what: "a root of the group",
    },
  );
  const issued = options.issuedChallenge(values.scope, values.challenge);
  if (issued === undefined) {
    throw new DappError("UNKNOWN_CHALLENGE", "Field 'proof.challenge' was not issued for this action", {
      field: "proof.challenge",
    });
  }
  if (now >= issued.expiresAt) {
    throw new DappError(
      "CHALLENGE_EXPIRED",
      `Field 'proof.challenge' expired at ${new Date(issued.expiresAt).toISOString()}`,
      { field: "proof.challenge" },
    );
  }
  checkRoot(
    await options.deviceRootHistory(),
    values.deviceRoot,
    options.deviceRootExpiryMs ?? DEFAULT_DEVICE_ROOT_EXPIRY_MS,
    now,
    {
      field: "proof.deviceRoot",
      unknown: "UNKNOWN_DEVICE_ROOT",
      stale: "STALE_DEVICE_ROOT",
      what: "a root of the device registry",
    },
  );
  if (await options.nullifiers.has(values.scope, values.nullifier)) throw nullifierUsed();
  let valid: boolean;
  try {
    valid = await verifyLivenessVote(
      proof,
      {
        merkleTreeRoots: [values.merkleTreeRoot],
        scope: values.scope,
        challenge: values.challenge,
        deviceRoot: values.deviceRoot,
      },
      { artifacts: options.artifacts },
    );
  } catch (cause) {
    if (!ZkirisError.is(cause) || cause.code !== "MALFORMED_PROOF") throw cause;
    throw new DappError("INVALID_PARAMETER", `Field 'proof.${cause.field}' is malformed: ${cause.message}`, {
      field: `proof.${cause.field}`,
      cause,
    });
  }
  if (!valid) throw new DappError("INVALID_PROOF", "Field 'proof' does not verify", { field: "proof" });
  if (!(await options.nullifiers.claim(values.scope, values.nullifier))) throw nullifierUsed();
  return {
    nullifier: values.nullifier,
    scope: values.scope,
    message: values.message,
    merkleTreeRoot: values.merkleTreeRoot,
  };
}

/** Refuses a root that is not in `history`, or was replaced more than `expiryMs` before `now`. */
function checkRoot(
  history: readonly PublishedRoot[],
  root: bigint,
  expiryMs: number,
  now: number,
  codes: { field: string; unknown: DappErrorCode; stale: DappErrorCode; what: string },
): void {
  const record = history.find((r) => r.root === root);
  if (record === undefined) {
    throw new DappError(codes.unknown, `Field '${codes.field}' is not ${codes.what}`, { field: codes.field });
  }
  if (record.replacedAt !== null && now - record.replacedAt > expiryMs) {
    throw new DappError(
      codes.stale,
      `Field '${codes.field}' was replaced at ${new Date(record.replacedAt).toISOString()}, more than ${expiryMs} ms ago`,
      { field: codes.field },
    );
  }
}

function nullifierUsed(): DappError {
  return new DappError("NULLIFIER_USED", "Field 'proof.nullifier' was already used for this action", {
    field: "proof.nullifier",
  });
}
