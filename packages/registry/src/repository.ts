import type { SemaphoreProof } from "@semaphore-protocol/proof";
import type { LivenessVoteProof } from "@zkiris/match-proof";
import { ConflictError } from "./errors.js";

/** A registered capture device. Public key coordinates and id are decimal field elements. */
export interface DeviceRecord {
  /** `Poseidon2(Ax, Ay)`, decimal. */
  readonly id: string;
  /** Slot of the device in the device registry tree, in registration order (never reused). */
  readonly slot: number;
  readonly publicKey: readonly [string, string];
  /** Milliseconds since the Unix epoch. */
  readonly registeredAt: number;
  readonly revokedAt: number | null;
}

/** A challenge issued by this registry for one capture. */
export interface ChallengeRecord {
  /** The challenge field element, decimal. */
  readonly value: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly usedAt: number | null;
}

/** `plain`: leaf = identity commitment; `biometric`: leaf = Poseidon2(identityCommitment, templateCommitment). */
export type GroupKind = "plain" | "biometric";

/** A Semaphore group. */
export interface GroupRecord {
  readonly id: string;
  readonly kind: GroupKind;
  readonly createdAt: number;
  /**
   * How long a replaced root of this group still verifies, in milliseconds, fixed at creation.
   * Absent for groups created before schema version 5, which follow the registry's `rootExpiryMs`.
   */
  readonly rootExpiryMs?: number;
}

/** One leaf of a group's LeanIMT. A removed member's leaf is `"0"`. */
export interface MemberRecord {
  readonly groupId: string;
  readonly index: number;
  readonly leaf: string;
  readonly identityCommitment: string;
  readonly enrolmentId: number | null;
  readonly removedAt: number | null;
}

/** One root of a group's history; `replacedAt` is null for the current root. */
export interface RootRecord {
  readonly groupId: string;
  readonly root: string;
  readonly createdAt: number;
  readonly replacedAt: number | null;
}

/** An enrolled iris: its code (binary wire form), template commitment and group leaf. */
export interface EnrolmentRecord {
  readonly id: number;
  readonly groupId: string;
  readonly memberIndex: number;
  readonly identityCommitment: string;
  readonly templateCommitment: string;
  readonly deviceId: string;
  /** `toBinary(code)` of `@zkiris/iris-code`. */
  readonly code: Uint8Array;
  readonly createdAt: number;
  readonly removedAt: number | null;
}

/** A poll over a group. Times are milliseconds since the Unix epoch; the window is [opensAt, closesAt). */
export interface PollRecord {
  readonly id: string;
  readonly groupId: string;
  /** Semaphore scope, decimal. */
  readonly scope: string;
  readonly options: readonly string[];
  readonly opensAt: number;
  readonly closesAt: number;
  readonly createdAt: number;
  /**
   * Present (and true) for a poll that takes only liveness-bound votes (`verifyLivenessVote` of
   * `@zkiris/match-proof`) over a biometric group; absent for a plain Semaphore poll.
   */
  readonly requireLiveness?: true;
}

/** A liveness challenge the registry issued for one poll; votes may use it in [issuedAt, expiresAt). */
export interface PollChallengeRecord {
  readonly pollId: string;
  /** The public challenge field element, decimal. */
  readonly value: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
}

/** One root of the device registry tree's history; `replacedAt` is null for the current root. */
export interface DeviceRootRecord {
  readonly root: string;
  readonly createdAt: number;
  readonly replacedAt: number | null;
}

/** An accepted vote, as published in the audit log. */
export interface VoteRecord {
  /** Order of acceptance within the database. */
  readonly seq: number;
  readonly pollId: string;
  readonly nullifier: string;
  readonly option: number;
  readonly root: string;
  /** A Semaphore proof (plain poll) or a liveness-bound vote (poll with `requireLiveness`). */
  readonly proof: SemaphoreProof | LivenessVoteProof;
  readonly acceptedAt: number;
}

/**
 * A stored copy of a group's tree, `Group.export()` of `@semaphore-protocol/group` (every LeanIMT
 * node, as decimal strings in JSON) when the tree had `size` leaves and root `root`. A cache: the
 * registry checks it against the stored leaves and the current root at open, and rebuilds
 * whatever it does not match.
 */
export interface TreeSnapshot {
  readonly groupId: string;
  readonly root: string;
  readonly size: number;
  readonly nodes: string;
  readonly createdAt: number;
}

/** An active enrolment's id and code, for loading the uniqueness index. */
export interface EnrolledCode {
  readonly id: number;
  /** `toBinary(code)` of `@zkiris/iris-code`. */
  readonly code: Uint8Array;
}

/** Everything one enrolment writes, committed in one transaction. */
export interface EnrolmentCommit {
  readonly challenge: string;
  /**
   * The challenges of the other captures of a multi-capture enrolment, consumed in the same
   * transaction and under the same rules as `challenge`.
   */
  readonly furtherChallenges?: readonly string[];
  readonly now: number;
  readonly enrolment: Omit<EnrolmentRecord, "id" | "removedAt">;
  readonly leaf: string;
  /** The group root after inserting the leaf. */
  readonly root: string;
}

/** A change of one leaf (removal or recovery) with the new root, committed in one transaction. */
export interface MemberUpdate {
  /** For a recovery: the challenge of the match proof, consumed in the same transaction. */
  readonly challenge?: string;
  readonly groupId: string;
  readonly index: number;
  readonly leaf: string;
  readonly identityCommitment: string;
  /** Set for a removal; the member's enrolment is marked removed too. */
  readonly removed: boolean;
  readonly now: number;
  readonly root: string;
}

/** One synthetic or imported enrolment for {@link Repository.importEnrolments}. */
export interface EnrolmentImport {
  readonly enrolment: Omit<EnrolmentRecord, "id" | "removedAt">;
  readonly leaf: string;
}

/**
 * Storage of the registry. Every method is atomic; the methods that write several rows
 * ({@link commitEnrolment}, {@link updateMember}, {@link importEnrolments}) run in one transaction, so a
 * crash leaves all or nothing. One implementation, `KyselyRepository`, over SQLite (embedded file)
 * and PostgreSQL.
 */
export interface Repository {
  readonly dialect: "sqlite" | "postgres";
  /** Applies pending migrations; returns the schema version. Throws `SCHEMA_TOO_NEW`. */
  migrate(): Promise<number>;
  schemaVersion(): Promise<number>;
  close(): Promise<void>;
  /** Runs a trivial query; throws when the database does not answer (readiness checks). */
  ping(): Promise<void>;
  /**
   * Writes a consistent copy of the whole database to a new file at `destination` while the database
   * stays in use (SQLite's online backup). Throws `INVALID_PARAMETER` when `destination` exists and
   * `BACKUP_UNSUPPORTED` on PostgreSQL (use `pg_dump` there).
   */
  backup(destination: string): Promise<void>;

  /** Throws `DUPLICATE_DEVICE` for a public key already registered. `slot` is assigned here (next free slot). */
  insertDevice(device: Omit<DeviceRecord, "slot">): Promise<DeviceRecord>;
  /** Every device by slot, revoked ones included. */
  listDevices(): Promise<DeviceRecord[]>;
  getDevice(id: string): Promise<DeviceRecord | undefined>;
  /** Marks a device revoked; false if it was unknown or already revoked. */
  revokeDevice(id: string, at: number): Promise<boolean>;

  insertChallenge(challenge: ChallengeRecord): Promise<void>;
  getChallenge(value: string): Promise<ChallengeRecord | undefined>;
  /** Deletes every challenge expired at `before` (`expiresAt <= before`, used or not); returns how many. */
  deleteExpiredChallenges(before: number): Promise<number>;

  /** Root history of the device registry tree, oldest first. */
  listDeviceRoots(): Promise<DeviceRootRecord[]>;
  /** In one transaction: marks the current device root replaced at `now` and appends `root` as current. */
  appendDeviceRoot(root: string, now: number): Promise<void>;

  /** Inserts a liveness challenge of a poll. */
  insertPollChallenge(challenge: PollChallengeRecord): Promise<void>;
  /** The liveness challenges issued for a poll, oldest first. */
  listPollChallenges(pollId: string): Promise<PollChallengeRecord[]>;
  getPollChallenge(pollId: string, value: string): Promise<PollChallengeRecord | undefined>;

  /** Inserts a group and its empty-tree root. Throws `GROUP_EXISTS`. */
  insertGroup(group: GroupRecord, root: string): Promise<void>;
  listGroups(): Promise<GroupRecord[]>;
  /** Members of a group by index. */
  listMembers(groupId: string): Promise<MemberRecord[]>;
  /** Root history of a group, oldest first. */
  listRoots(groupId: string): Promise<RootRecord[]>;

  /**
   * In one transaction: consumes the challenge and any `furtherChallenges` (each only if unused and unexpired at `now`, else
   * `CHALLENGE_REPLAYED` / `CHALLENGE_EXPIRED` / `UNKNOWN_CHALLENGE`), inserts the enrolment, appends the
   * leaf at `enrolment.memberIndex`, and records the new root. Returns the enrolment id.
   */
  commitEnrolment(commit: EnrolmentCommit): Promise<number>;
  /** Bulk load (migrations from another system, benchmarks): enrolments, leaves and one final root, in one transaction. */
  importEnrolments(
    groupId: string,
    entries: readonly EnrolmentImport[],
    root: string,
    now: number,
  ): Promise<void>;
  /** Active (not removed) enrolments, in id order. */
  listActiveEnrolments(): Promise<EnrolmentRecord[]>;
  /** Id and code of every active enrolment, in id order: the bulk load of the uniqueness index. */
  listActiveCodes(): Promise<EnrolledCode[]>;
  /** The stored tree snapshot of a group, if any. */
  getTreeSnapshot(groupId: string): Promise<TreeSnapshot | undefined>;
  /** Stores (or replaces) the tree snapshot of a group. */
  putTreeSnapshot(snapshot: TreeSnapshot): Promise<void>;
  getEnrolmentByMember(groupId: string, index: number): Promise<EnrolmentRecord | undefined>;
  /** Replaces or removes a leaf and records the new root, in one transaction. */
  updateMember(update: MemberUpdate): Promise<void>;

  /**
   * Throws `POLL_EXISTS` for a taken id, then `SCOPE_IN_USE` (naming the other poll) for a scope
   * another poll has: the `polls_one_scope` unique index decides, also between concurrent inserts.
   */
  insertPoll(poll: PollRecord): Promise<void>;
  getPoll(id: string): Promise<PollRecord | undefined>;
  /** Every poll, oldest first. */
  listPolls(): Promise<PollRecord[]>;
  /** Inserts a vote; the UNIQUE (poll, nullifier) constraint refuses a second one with `DUPLICATE_NULLIFIER`. */
  insertVote(vote: Omit<VoteRecord, "seq">): Promise<number>;
  hasNullifier(pollId: string, nullifier: string): Promise<boolean>;
  listVotes(pollId: string): Promise<VoteRecord[]>;
  /** Votes per option index (only options with at least one vote appear). */
  countVotes(pollId: string): Promise<Map<number, number>>;
}

/** The refusal of a poll whose scope poll `otherPollId` already has. */
export function scopeInUse(scope: string, otherPollId: string): ConflictError {
  return new ConflictError(
    "SCOPE_IN_USE",
    `Parameter 'scope' (${scope}) is the scope of poll '${otherPollId}'; a proof for one scope would count in both polls`,
    { field: "scope" },
  );
}
