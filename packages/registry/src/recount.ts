import { type LivenessVoteArtifacts, MatchProofError, verifyLivenessVote } from "@zkiris/match-proof";
import { InvalidParameterError } from "./errors.js";
import { checkLivenessVote } from "./liveness-vote-shape.js";
import type { AuditLog, LivenessAuditRecords } from "./registry.js";
import type { VoteRecord } from "./repository.js";
import { checkSemaphoreProof } from "./semaphore-proof-shape.js";
import { ProofVerifierPool } from "./verifier-pool.js";

/** A vote of an audit log that a recount does not accept, and why. */
export interface RecountRejection {
  readonly seq: number;
  readonly reason:
    | "MALFORMED_PROOF"
    | "INVALID_PROOF"
    | "SCOPE_MISMATCH"
    | "OPTION_MISMATCH"
    | "ROOT_MISMATCH"
    | "UNKNOWN_ROOT"
    | "STALE_ROOT"
    | "OUTSIDE_WINDOW"
    | "DUPLICATE_NULLIFIER"
    | "UNKNOWN_CHALLENGE"
    | "CHALLENGE_EXPIRED"
    | "UNKNOWN_DEVICE_ROOT"
    | "STALE_DEVICE_ROOT";
}

/** Result of {@link recount}. */
export interface RecountResult {
  readonly pollId: string;
  /** Counts per option over the votes that pass every check. */
  readonly counts: number[];
  readonly total: number;
  /** Votes that fail a check; empty for an honest log. */
  readonly rejected: RecountRejection[];
}

type Reason = RecountRejection["reason"];

/** The checks every vote shares: scope, option, recorded root and nullifier, root validity, window. */
function commonRefusal(
  log: AuditLog,
  vote: VoteRecord,
  proof: { scope: string; message: string; merkleTreeRoot: string; nullifier: string },
): Reason | undefined {
  const poll = log.poll;
  if (proof.scope !== poll.scope) return "SCOPE_MISMATCH";
  if (proof.message !== String(vote.option) || vote.option < 0 || vote.option >= poll.options.length) {
    return "OPTION_MISMATCH";
  }
  if (proof.merkleTreeRoot !== vote.root || proof.nullifier !== vote.nullifier) return "ROOT_MISMATCH";
  const entries = log.roots.filter((r) => r.root === vote.root && r.createdAt <= vote.acceptedAt);
  if (entries.length === 0) return "UNKNOWN_ROOT";
  const live = entries.some(
    (r) => r.replacedAt === null || vote.acceptedAt - r.replacedAt <= log.rootExpiryMs,
  );
  if (!live) return "STALE_ROOT";
  if (vote.acceptedAt < poll.opensAt || vote.acceptedAt >= poll.closesAt) return "OUTSIDE_WINDOW";
  return undefined;
}

async function livenessRefusal(
  log: AuditLog,
  liveness: LivenessAuditRecords,
  vote: VoteRecord,
  artifacts: Pick<LivenessVoteArtifacts, "verificationKey">,
): Promise<Reason | undefined> {
  let proof: ReturnType<typeof checkLivenessVote>;
  try {
    proof = checkLivenessVote(vote.proof);
  } catch {
    return "MALFORMED_PROOF";
  }
  const common = commonRefusal(log, vote, proof);
  if (common !== undefined) return common;
  const challenges = liveness.challenges.filter(
    (c) => c.pollId === log.poll.id && c.value === proof.challenge && c.issuedAt <= vote.acceptedAt,
  );
  if (challenges.length === 0) return "UNKNOWN_CHALLENGE";
  if (!challenges.some((c) => vote.acceptedAt < c.expiresAt)) return "CHALLENGE_EXPIRED";
  const roots = liveness.deviceRoots.filter(
    (r) => r.root === proof.deviceRoot && r.createdAt <= vote.acceptedAt,
  );
  if (roots.length === 0) return "UNKNOWN_DEVICE_ROOT";
  if (
    !roots.some((r) => r.replacedAt === null || vote.acceptedAt - r.replacedAt <= liveness.deviceRootExpiryMs)
  ) {
    return "STALE_DEVICE_ROOT";
  }
  try {
    const valid = await verifyLivenessVote(
      proof,
      {
        merkleTreeRoots: [BigInt(proof.merkleTreeRoot)],
        scope: BigInt(log.poll.scope),
        challenge: BigInt(proof.challenge),
        deviceRoot: BigInt(proof.deviceRoot),
      },
      { artifacts },
    );
    return valid ? undefined : "INVALID_PROOF";
  } catch (error) {
    if (error instanceof MatchProofError && error.code === "MALFORMED_PROOF") return "MALFORMED_PROOF";
    throw error;
  }
}

/**
 * Recounts a poll from its public audit log alone, offline: re-verifies every proof and checks that
 * its scope is the poll's, its message is the recorded option and in range, its root is the recorded
 * one and was a root of the group valid at acceptance time (current, or replaced within
 * `rootExpiryMs`), acceptance falls in the poll window, and no nullifier repeats. Plain polls
 * (version 1) hold Semaphore proofs, verified in a worker pool closed before returning. Polls with
 * `requireLiveness` (version 2) hold liveness-bound votes, verified with `verifyLivenessVote` under
 * `options.livenessArtifacts` (required for them: `INVALID_PARAMETER` without), whose challenge must
 * be one the log lists for the poll, issued before and unexpired at acceptance, and whose device root
 * one of the log's device roots, current or replaced within `deviceRootExpiryMs` at acceptance.
 * Returns the recomputed counts and the rejected votes.
 */
export async function recount(
  log: AuditLog,
  options: { workers?: number; livenessArtifacts?: Pick<LivenessVoteArtifacts, "verificationKey"> } = {},
): Promise<RecountResult> {
  checkAuditLog(log);
  const poll = log.poll;
  const liveness = log.liveness;
  const artifacts = options.livenessArtifacts;
  if (liveness !== undefined && artifacts === undefined) {
    throw new InvalidParameterError(
      "livenessArtifacts",
      "Parameter 'livenessArtifacts' is required to recount a poll with liveness-bound votes",
    );
  }
  const pool = liveness === undefined ? new ProofVerifierPool(options.workers) : undefined;
  try {
    const seen = new Set<string>();
    const counts = poll.options.map(() => 0);
    const rejected: RecountRejection[] = [];
    const checks = log.votes.map(async (vote): Promise<Reason | undefined> => {
      if (liveness !== undefined) return livenessRefusal(log, liveness, vote, artifacts!);
      let proof: ReturnType<typeof checkSemaphoreProof>;
      try {
        proof = checkSemaphoreProof(vote.proof);
      } catch {
        return "MALFORMED_PROOF";
      }
      const common = commonRefusal(log, vote, proof);
      if (common !== undefined) return common;
      const check = await pool!.verify(proof);
      return check.valid ? undefined : "INVALID_PROOF";
    });
    const outcomes = await Promise.all(checks);
    log.votes.forEach((vote, i) => {
      let reason: RecountRejection["reason"] | undefined = outcomes[i];
      if (reason === undefined && seen.has(vote.nullifier)) reason = "DUPLICATE_NULLIFIER";
      if (reason !== undefined) {
        rejected.push({ seq: vote.seq, reason });
        return;
      }
      seen.add(vote.nullifier);
      counts[vote.option]! += 1;
    });
    return { pollId: poll.id, counts, total: counts.reduce((a, b) => a + b, 0), rejected };
  } finally {
    await pool?.close();
  }
}

/** Checks the outer shape of an audit log received from outside; throws `INVALID_PARAMETER` naming the field. */
function checkAuditLog(log: unknown): asserts log is AuditLog {
  const fail = (field: string, what: string): never => {
    throw new InvalidParameterError(field, `Audit log field '${field}' must be ${what}`);
  };
  if (typeof log !== "object" || log === null) fail("log", "an object");
  const l = log as Record<string, unknown>;
  if (l.version !== 1 && !(l.version === 2 && typeof l.liveness === "object" && l.liveness !== null)) {
    fail("version", "1, or 2 with a 'liveness' section");
  }
  const poll = l.poll as Record<string, unknown> | undefined;
  if (typeof poll !== "object" || poll === null) fail("poll", "an object");
  if (!Array.isArray(poll!.options) || poll!.options.length === 0) fail("poll.options", "a non-empty array");
  for (const key of ["opensAt", "closesAt"] as const) {
    if (typeof poll![key] !== "number") fail(`poll.${key}`, "a number");
  }
  if (typeof poll!.scope !== "string") fail("poll.scope", "a decimal string");
  if (typeof l.rootExpiryMs !== "number" || l.rootExpiryMs < 0) fail("rootExpiryMs", "a non-negative number");
  if (!Array.isArray(l.roots)) fail("roots", "an array");
  if (!Array.isArray(l.votes)) fail("votes", "an array");
  if (l.version === 2) {
    const live = l.liveness as Record<string, unknown> | undefined;
    if (!Array.isArray(live!.challenges)) fail("liveness.challenges", "an array");
    if (!Array.isArray(live!.deviceRoots)) fail("liveness.deviceRoots", "an array");
    if (typeof live!.deviceRootExpiryMs !== "number" || live!.deviceRootExpiryMs < 0) {
      fail("liveness.deviceRootExpiryMs", "a non-negative number");
    }
  } else if (l.liveness !== undefined) {
    fail("liveness", "absent in version 1");
  }
  (l.votes as unknown[]).forEach((vote, i) => {
    const v = vote as Record<string, unknown>;
    if (typeof v !== "object" || v === null) fail(`votes[${i}]`, "an object");
    if (!Number.isInteger(v.option)) fail(`votes[${i}].option`, "an integer");
    if (typeof v.acceptedAt !== "number") fail(`votes[${i}].acceptedAt`, "a number");
    if (typeof v.nullifier !== "string" || typeof v.root !== "string")
      fail(`votes[${i}]`, "a vote with nullifier and root");
  });
}
