/** Messages between the page and its proving worker (structured-clone data only; bigints allowed). */

/** The stages a proof goes through, in order, as the page shows them. */
export const STAGES = ["artifacts", "witness", "proving", "submitting"] as const;
export type Stage = (typeof STAGES)[number];

/** A plain Semaphore vote: the identity's export (Semaphore's base64 private key) and the option. */
export interface VoteJob {
  readonly kind: "vote";
  readonly pollId: string;
  readonly identity: string;
  readonly option: number;
}

/** A liveness-bound vote: also the enrolled template (iris-code JSON), its salt and the fresh capture. */
export interface LivenessVoteJob {
  readonly kind: "liveness-vote";
  readonly pollId: string;
  readonly identity: string;
  readonly option: number;
  readonly template: unknown;
  readonly salt: string;
  readonly capture: string;
}

/** Re-verify every proof of a poll's public audit log and recount it. */
export interface AuditJob {
  readonly kind: "audit";
  readonly pollId: string;
}

export type Job = VoteJob | LivenessVoteJob | AuditJob;

/** What a worker tells the page while it runs one job, then its end. */
export type WorkerEvent =
  | { readonly type: "stage"; readonly stage: Stage; readonly at: number; readonly detail?: string }
  | { readonly type: "artifact"; readonly file: string; readonly bytes: number }
  | { readonly type: "audit-progress"; readonly checked: number; readonly total: number }
  | { readonly type: "voted"; readonly receipt: Receipt; readonly timings: Timings }
  | { readonly type: "audited"; readonly result: AuditResult; readonly ms: number }
  | { readonly type: "failed"; readonly code: string; readonly message: string };

export interface Receipt {
  readonly seq: number;
  readonly pollId: string;
  readonly nullifier: string;
  readonly option: number;
}

/** Milliseconds spent per stage (witness and proving together for a Semaphore proof). */
export type Timings = Partial<Record<Stage | "witness+proving", number>>;

/** One vote of an audit log as the page's recount judged it. */
export interface AuditedVote {
  readonly seq: number;
  readonly option: number;
  readonly nullifier: string;
  /** `VERIFIED`, or why the vote is not counted. */
  readonly verdict: string;
}

export interface AuditResult {
  readonly pollId: string;
  readonly liveness: boolean;
  readonly options: readonly string[];
  readonly votes: readonly AuditedVote[];
  /** The recount over the votes verified here. */
  readonly counts: readonly number[];
  /** The server's tally at the time of the audit, for comparison. */
  readonly serverCounts: readonly number[];
}
