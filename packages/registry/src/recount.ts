import { InvalidParameterError } from "./errors.js";
import type { AuditLog } from "./registry.js";
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
    | "DUPLICATE_NULLIFIER";
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

/**
 * Recounts a poll from its public audit log alone, offline: re-verifies every Semaphore proof (in a
 * worker pool, closed before returning), and checks that its scope is the poll's, its message is the
 * recorded option and in range, its root is the recorded one and was a root of the group valid at
 * acceptance time (current, or replaced within `rootExpiryMs`), acceptance falls in the poll window,
 * and no nullifier repeats. Returns the recomputed counts and the rejected votes.
 */
export async function recount(log: AuditLog, options: { workers?: number } = {}): Promise<RecountResult> {
  checkAuditLog(log);
  const poll = log.poll;
  const pool = new ProofVerifierPool(options.workers);
  try {
    const seen = new Set<string>();
    const counts = poll.options.map(() => 0);
    const rejected: RecountRejection[] = [];
    const checks = log.votes.map(async (vote) => {
      let proof: ReturnType<typeof checkSemaphoreProof>;
      try {
        proof = checkSemaphoreProof(vote.proof);
      } catch {
        return "MALFORMED_PROOF" as const;
      }
      if (proof.scope !== poll.scope) return "SCOPE_MISMATCH" as const;
      if (proof.message !== String(vote.option) || vote.option < 0 || vote.option >= poll.options.length) {
        return "OPTION_MISMATCH" as const;
      }
      if (proof.merkleTreeRoot !== vote.root || proof.nullifier !== vote.nullifier)
        return "ROOT_MISMATCH" as const;
      const entries = log.roots.filter((r) => r.root === vote.root && r.createdAt <= vote.acceptedAt);
      if (entries.length === 0) return "UNKNOWN_ROOT" as const;
      const live = entries.some(
        (r) => r.replacedAt === null || vote.acceptedAt - r.replacedAt <= log.rootExpiryMs,
      );
      if (!live) return "STALE_ROOT" as const;
      if (vote.acceptedAt < poll.opensAt || vote.acceptedAt >= poll.closesAt)
        return "OUTSIDE_WINDOW" as const;
      const check = await pool.verify(proof);
      return check.valid ? undefined : ("INVALID_PROOF" as const);
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
    await pool.close();
  }
}

/** Checks the outer shape of an audit log received from outside; throws `INVALID_PARAMETER` naming the field. */
function checkAuditLog(log: unknown): asserts log is AuditLog {
  const fail = (field: string, what: string): never => {
    throw new InvalidParameterError(field, `Audit log field '${field}' must be ${what}`);
  };
  if (typeof log !== "object" || log === null) fail("log", "an object");
  const l = log as Record<string, unknown>;
  if (l.version !== 1) fail("version", "1");
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
  (l.votes as unknown[]).forEach((vote, i) => {
    const v = vote as Record<string, unknown>;
    if (typeof v !== "object" || v === null) fail(`votes[${i}]`, "an object");
    if (!Number.isInteger(v.option)) fail(`votes[${i}].option`, "an integer");
    if (typeof v.acceptedAt !== "number") fail(`votes[${i}].acceptedAt`, "a number");
    if (typeof v.nullifier !== "string" || typeof v.root !== "string")
      fail(`votes[${i}]`, "a vote with nullifier and root");
  });
}
