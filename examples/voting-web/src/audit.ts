import { verifyProof } from "@semaphore-protocol/proof";
import { type LivenessVoteProof, verifyLivenessVote } from "@zkiris/match-proof";
import type { AuditedVote } from "./protocol.js";

/** The public audit log of a poll (`GET /polls/{pollId}/audit-log`), as the server serves it. */
export interface AuditLogJson {
  readonly version: 1 | 2;
  readonly poll: {
    readonly id: string;
    readonly scope: string;
    readonly options: readonly string[];
    readonly opensAt: number;
    readonly closesAt: number;
  };
  readonly rootExpiryMs: number;
  readonly roots: readonly { root: string; createdAt: number; replacedAt: number | null }[];
  readonly votes: readonly {
    seq: number;
    nullifier: string;
    option: number;
    root: string;
    acceptedAt: number;
    proof: Record<string, unknown>;
  }[];
  readonly liveness?: {
    readonly challenges: readonly { pollId: string; value: string; issuedAt: number; expiresAt: number }[];
    readonly deviceRootExpiryMs: number;
    readonly deviceRoots: readonly { root: string; createdAt: number; replacedAt: number | null }[];
  };
}

type Vote = AuditLogJson["votes"][number];

/** Was `root` a root of the history at `at`: current, or replaced at most `expiryMs` earlier? */
function rootValidAt(
  history: readonly { root: string; createdAt: number; replacedAt: number | null }[],
  root: string,
  at: number,
  expiryMs: number,
): "ok" | "unknown" | "stale" {
  const entries = history.filter((r) => r.root === root && r.createdAt <= at);
  if (entries.length === 0) return "unknown";
  return entries.some((r) => r.replacedAt === null || at - r.replacedAt <= expiryMs) ? "ok" : "stale";
}

/**
 * The checks of the registry's recount, in the page: the proof's scope is the poll's, its message
 * the recorded option, its root and nullifier the recorded ones, the root valid at acceptance, the
 * acceptance inside the poll window; for a liveness vote also its challenge and device root; then
 * the SNARK itself. Returns `VERIFIED` or the first failed check.
 */
export async function judgeVote(
  log: AuditLogJson,
  vote: Vote,
  livenessKey: Record<string, unknown> | undefined,
): Promise<string> {
  const p = vote.proof as Record<string, string>;
  if (p.scope !== log.poll.scope) return "SCOPE_MISMATCH";
  if (p.message !== String(vote.option) || vote.option < 0 || vote.option >= log.poll.options.length)
    return "OPTION_MISMATCH";
  if (p.merkleTreeRoot !== vote.root || p.nullifier !== vote.nullifier) return "ROOT_MISMATCH";
  const root = rootValidAt(log.roots, vote.root, vote.acceptedAt, log.rootExpiryMs);
  if (root !== "ok") return root === "unknown" ? "UNKNOWN_ROOT" : "STALE_ROOT";
  if (vote.acceptedAt < log.poll.opensAt || vote.acceptedAt >= log.poll.closesAt) return "OUTSIDE_WINDOW";
  try {
    if (log.liveness === undefined) {
      return (await verifyProof(vote.proof as never)) ? "VERIFIED" : "INVALID_PROOF";
    }
    const live = log.liveness;
    const challenges = live.challenges.filter(
      (c) => c.pollId === log.poll.id && c.value === p.challenge && c.issuedAt <= vote.acceptedAt,
    );
    if (challenges.length === 0) return "UNKNOWN_CHALLENGE";
    if (!challenges.some((c) => vote.acceptedAt < c.expiresAt)) return "CHALLENGE_EXPIRED";
    const device = rootValidAt(live.deviceRoots, p.deviceRoot!, vote.acceptedAt, live.deviceRootExpiryMs);
    if (device !== "ok") return device === "unknown" ? "UNKNOWN_DEVICE_ROOT" : "STALE_DEVICE_ROOT";
    const valid = await verifyLivenessVote(
      vote.proof as unknown as LivenessVoteProof,
      {
        merkleTreeRoots: [BigInt(vote.root)],
        scope: BigInt(log.poll.scope),
        challenge: BigInt(p.challenge!),
        deviceRoot: BigInt(p.deviceRoot!),
      },
      { artifacts: { verificationKey: livenessKey! } },
    );
    return valid ? "VERIFIED" : "INVALID_PROOF";
  } catch {
    return "MALFORMED_PROOF";
  }
}

/** Counts per option over the verified votes, the first vote of a nullifier only. */
export function recount(
  log: AuditLogJson,
  verdicts: readonly string[],
): { votes: AuditedVote[]; counts: number[] } {
  const seen = new Set<string>();
  const counts = log.poll.options.map(() => 0);
  const votes = log.votes.map((vote, i) => {
    let verdict = verdicts[i]!;
    if (verdict === "VERIFIED" && seen.has(vote.nullifier)) verdict = "DUPLICATE_NULLIFIER";
    if (verdict === "VERIFIED") {
      seen.add(vote.nullifier);
      counts[vote.option]! += 1;
    }
    return { seq: vote.seq, option: vote.option, nullifier: vote.nullifier, verdict };
  });
  return { votes, counts };
}
