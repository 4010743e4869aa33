import { ZkirisError } from "@zkiris/iris-code";
import { verifyLivenessVote as verifyLivenessBound } from "@zkiris/match-proof";
import { invalidParameter, ZkirisSdkError } from "./errors.js";
import { fieldParameter } from "./field.js";
import { type LivenessVote, livenessVoteToJson, parseLivenessVote } from "./liveness-proof.js";
import shippedVerificationKey from "./liveness-verification-key.json" with { type: "json" };
import type { NullifierStore } from "./nullifier-store.js";
import type { DeviceRootRecord, IssuedPollChallenge, Poll, RootRecord } from "./types.js";
import { DEFAULT_ROOT_EXPIRY_MS } from "./verify-unique-action.js";

/**
 * The Groth16 verification key of the liveness-vote circuit this package ships: the committed
 * `circuits/artifacts/liveness_vote/verification_key.json`, byte for byte (SHA-256
 * `LIVENESS_VOTE_ARTIFACT_SHA256.verificationKey`). {@link verifyLivenessVote} verifies with it, so
 * off-chain verification needs no artifacts and no network.
 */
export const LIVENESS_VOTE_VERIFICATION_KEY: Readonly<Record<string, unknown>> = shippedVerificationKey;

/** Default window in which a replaced device registry root still verifies: five minutes, the registry's default. */
export const DEFAULT_DEVICE_ROOT_EXPIRY_MS = 5 * 60_000;

/** Records that may come from the server, the dApp's own source, or a fetched audit log. */
type Source<T> = () => readonly T[] | Promise<readonly T[]>;

/** What {@link verifyLivenessVote} checks a liveness-bound vote against. */
export interface VerifyLivenessVoteOptions {
  /** The poll the vote is for (`ZkirisClient.poll(id)`, or `auditLog(id).poll`): its scope, options, window and kind. */
  readonly poll: Pick<Poll, "id" | "scope" | "options" | "opensAt" | "closesAt" | "requireLiveness">;
  /** The poll group's root history (oldest first): `ZkirisClient.roots(groupId)` or `auditLog(id).roots`. */
  readonly rootHistory: Source<RootRecord>;
  /** How long a replaced group root still verifies, in milliseconds; default {@link DEFAULT_ROOT_EXPIRY_MS}. */
  readonly rootExpiryMs?: number;
  /** The challenges the poll issued: `auditLog(id).liveness.challenges`. */
  readonly challenges: Source<IssuedPollChallenge>;
  /**
   * The device registry tree's root history (oldest first): `auditLog(id).liveness.deviceRoots`, or
   * the `roots` of `ZkirisClient.deviceRootHistory()`.
   */
  readonly deviceRootHistory: Source<DeviceRootRecord>;
  /**
   * How long a replaced device root still verifies, in milliseconds (`auditLog(id).liveness.deviceRootExpiryMs`);
   * default {@link DEFAULT_DEVICE_ROOT_EXPIRY_MS}.
   */
  readonly deviceRootExpiryMs?: number;
  /** Where accepted nullifiers are remembered, under the poll's scope; the vote's is claimed there on success. */
  readonly nullifiers: NullifierStore;
  /** Clock in Unix milliseconds; default `Date.now`. */
  readonly now?: () => number;
}

/** What an accepted liveness-bound vote proves: a live, enrolled member voted once in this poll. */
export interface LivenessVoteAction {
  readonly pollId: string;
  /** The option index. */
  readonly option: number;
  readonly nullifier: bigint;
  readonly scope: bigint;
  readonly merkleTreeRoot: bigint;
  readonly challenge: bigint;
  readonly deviceRoot: bigint;
}

function expiryParameter(value: number | undefined, fallback: number, field: string): number {
  const expiry = value ?? fallback;
  if (!Number.isSafeInteger(expiry) || expiry < 0) {
    throw invalidParameter(field, "a non-negative integer of milliseconds", expiry);
  }
  return expiry;
}

function sourceParameter<T>(value: Source<T> | undefined, field: string, what: string): Source<T> {
  if (typeof value !== "function") throw invalidParameter(field, `a function returning ${what}`, value);
  return value;
}

async function records<T>(source: Source<T>, field: string): Promise<readonly T[]> {
  const list = await source();
  if (!Array.isArray(list)) throw invalidParameter(field, "a function returning an array", list);
  return list;
}

/**
 * Verifies a liveness-bound vote the way the registry does before accepting it, off-chain with
 * public data only (the poll, its group's root history, the challenges it issued, the device root
 * history: all in the poll's audit log, `ZkirisClient.auditLog`), and claims its nullifier. In the
 * registry's order, each refusal a {@link ZkirisSdkError} with `field`: the poll takes
 * liveness-bound votes (`UNSUPPORTED_GROUP`, field `options.poll`); the vote's shape
 * (`INVALID_PARAMETER`); the poll is open at `now` (`POLL_NOT_OPEN`); the vote's scope is the poll's
 * (`WRONG_SCOPE`) and its message one of the poll's options (`OPTION_OUT_OF_RANGE`); its group root is
 * in the root history (`UNKNOWN_ROOT`) and current or replaced at most `rootExpiryMs` ago
 * (`STALE_ROOT`); its challenge is one the poll issued (`UNKNOWN_CHALLENGE`) and not expired at `now`
 * (`CHALLENGE_EXPIRED`); its device root is in the device tree's history (`UNKNOWN_DEVICE_ROOT`) and
 * current or replaced at most `deviceRootExpiryMs` ago (`STALE_DEVICE_ROOT`: a device was registered
 * or revoked since, so a revoked device's captures stop verifying once that window has passed); its
 * nullifier is not yet in the store (`NULLIFIER_USED`); the Groth16 proof verifies for the public
 * signals `[root, nullifier, hash(message), hash(scope), challenge, deviceRoot]` under the shipped
 * {@link LIVENESS_VOTE_VERIFICATION_KEY} (`INVALID_PROOF`; `INVALID_PARAMETER` naming the field for a
 * malformed Groth16 proof): the one proof binds Semaphore membership, the nullifier, the capture
 * signed by a trusted device for the challenge and its match with the committed template; and the
 * nullifier is claimed atomically (`NULLIFIER_USED` if a concurrent call claimed it first). The vote
 * may be given with bigints or as the JSON of decimal strings a frontend posts. Call
 * `releaseProverThreads()` of `@zkiris/sdk/node` before a Node script exits (snarkjs keeps threads).
 */
export async function verifyLivenessVote(
  vote: LivenessVote | unknown,
  options: VerifyLivenessVoteOptions,
): Promise<LivenessVoteAction> {
  if (typeof options !== "object" || options === null) {
    throw invalidParameter("options", "an object", options);
  }
  const poll = options.poll;
  if (typeof poll !== "object" || poll === null) throw invalidParameter("options.poll", "a poll", poll);
  const scope = fieldParameter(poll.scope, "options.poll.scope");
  if (!Array.isArray(poll.options)) {
    throw invalidParameter("options.poll.options", "an array of option labels", poll.options);
  }
  for (const bound of ["opensAt", "closesAt"] as const) {
    if (!Number.isSafeInteger(poll[bound])) {
      throw invalidParameter(`options.poll.${bound}`, "an integer of Unix milliseconds", poll[bound]);
    }
  }
  const rootHistory = sourceParameter(options.rootHistory, "options.rootHistory", "the group's root history");
  const challenges = sourceParameter(options.challenges, "options.challenges", "the poll's challenges");
  const deviceRootHistory = sourceParameter(
    options.deviceRootHistory,
    "options.deviceRootHistory",
    "the device root history",
  );
  const store = options.nullifiers;
  if (typeof store?.has !== "function" || typeof store?.claim !== "function") {
    throw invalidParameter("options.nullifiers", "a NullifierStore (has, claim)", store);
  }
  const rootExpiry = expiryParameter(options.rootExpiryMs, DEFAULT_ROOT_EXPIRY_MS, "options.rootExpiryMs");
  const deviceRootExpiry = expiryParameter(
    options.deviceRootExpiryMs,
    DEFAULT_DEVICE_ROOT_EXPIRY_MS,
    "options.deviceRootExpiryMs",
  );
  if (poll.requireLiveness !== true) {
    throw new ZkirisSdkError(
      "UNSUPPORTED_GROUP",
      `Poll '${poll.id}' takes plain Semaphore votes (verifyUniqueAction), not liveness-bound votes`,
      { field: "options.poll" },
    );
  }

  const v = parseLivenessVote(vote, "proof");
  const now = (options.now ?? Date.now)();
  if (now < poll.opensAt || now >= poll.closesAt) {
    throw new ZkirisSdkError(
      "POLL_NOT_OPEN",
      `Poll '${poll.id}' accepts votes from ${new Date(poll.opensAt).toISOString()} until ${new Date(poll.closesAt).toISOString()}`,
      { field: "options.poll" },
    );
  }
  if (v.scope !== scope) {
    throw new ZkirisSdkError("WRONG_SCOPE", `Field 'proof.scope' is not the scope of poll '${poll.id}'`, {
      field: "proof.scope",
    });
  }
  if (v.message >= BigInt(poll.options.length)) {
    throw new ZkirisSdkError(
      "OPTION_OUT_OF_RANGE",
      `Field 'proof.message' is option ${v.message}; poll '${poll.id}' has options 0 to ${poll.options.length - 1}`,
      { field: "proof.message" },
    );
  }
  const roots = (await records(rootHistory, "options.rootHistory")).filter(
    (r) => r?.root === v.merkleTreeRoot,
  );
  if (roots.length === 0) {
    throw new ZkirisSdkError(
      "UNKNOWN_ROOT",
      "Field 'proof.merkleTreeRoot' is not a root of the poll's group",
      {
        field: "proof.merkleTreeRoot",
      },
    );
  }
  if (!roots.some((r) => r.replacedAt === null || now - r.replacedAt <= rootExpiry)) {
    throw new ZkirisSdkError(
      "STALE_ROOT",
      `Field 'proof.merkleTreeRoot' was replaced more than ${rootExpiry} ms ago`,
      { field: "proof.merkleTreeRoot" },
    );
  }
  const issued = (await records(challenges, "options.challenges")).filter(
    (c) => c?.pollId === poll.id && c.challenge === v.challenge,
  );
  if (issued.length === 0) {
    throw new ZkirisSdkError(
      "UNKNOWN_CHALLENGE",
      `Field 'proof.challenge' was not issued for poll '${poll.id}'`,
      { field: "proof.challenge" },
    );
  }
  if (!issued.some((c) => now < c.expiresAt)) {
    const expiresAt = Math.max(...issued.map((c) => c.expiresAt));
    throw new ZkirisSdkError(
      "CHALLENGE_EXPIRED",
      `Field 'proof.challenge' expired at ${new Date(expiresAt).toISOString()}`,
      { field: "proof.challenge" },
    );
  }
  const deviceRoots = (await records(deviceRootHistory, "options.deviceRootHistory")).filter(
    (r) => r?.root === v.deviceRoot,
  );
  if (deviceRoots.length === 0) {
    throw new ZkirisSdkError(
      "UNKNOWN_DEVICE_ROOT",
      "Field 'proof.deviceRoot' is not a root of the registry's device tree",
      { field: "proof.deviceRoot" },
    );
  }
  if (!deviceRoots.some((r) => r.replacedAt === null || now - r.replacedAt <= deviceRootExpiry)) {
    throw new ZkirisSdkError(
      "STALE_DEVICE_ROOT",
      `Field 'proof.deviceRoot' was replaced more than ${deviceRootExpiry} ms ago (a device was registered or revoked since)`,
      { field: "proof.deviceRoot" },
    );
  }
  if (await store.has(scope, v.nullifier)) throw nullifierUsed();

  let valid: boolean;
  try {
    valid = await verifyLivenessBound(
      livenessVoteToJson(v),
      {
        merkleTreeRoots: [v.merkleTreeRoot],
        scope,
        challenge: v.challenge,
        deviceRoot: v.deviceRoot,
      },
      { artifacts: { verificationKey: LIVENESS_VOTE_VERIFICATION_KEY } },
    );
  } catch (cause) {
    if (ZkirisError.is(cause) && cause.code === "MALFORMED_PROOF") {
      // The verifier names the vote's own fields (`proof.pi_a[0]`); here the vote is `proof`.
      const field = `proof.${cause.field ?? "proof"}`;
      throw new ZkirisSdkError("INVALID_PARAMETER", `Parameter '${field}': ${cause.message}`, {
        field,
        cause,
      });
    }
    throw new ZkirisSdkError(
      "INVALID_PROOF",
      "Field 'proof' does not verify: the verifier refused its values",
      {
        field: "proof",
        cause,
      },
    );
  }
  if (!valid) {
    throw new ZkirisSdkError(
      "INVALID_PROOF",
      "Field 'proof' does not verify as a liveness-bound vote for this poll",
      {
        field: "proof",
      },
    );
  }
  if (!(await store.claim(scope, v.nullifier))) throw nullifierUsed();
  return {
    pollId: poll.id,
    option: Number(v.message),
    nullifier: v.nullifier,
    scope: v.scope,
    merkleTreeRoot: v.merkleTreeRoot,
    challenge: v.challenge,
    deviceRoot: v.deviceRoot,
  };
}

function nullifierUsed(): ZkirisSdkError {
  return new ZkirisSdkError("NULLIFIER_USED", "Field 'proof.nullifier' was already used in this poll", {
    field: "proof.nullifier",
  });
}
