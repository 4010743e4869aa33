/** A one-time capture challenge issued by the server. */
export interface Challenge {
  /** The field element a capture device signs with the probe. */
  readonly challenge: bigint;
  /** Unix milliseconds after which the server refuses a capture for it. */
  readonly expiresAt: number;
}

/** `plain`: leaf = identity commitment (stock Semaphore); `biometric`: leaf bound to the template commitment. */
export type GroupKind = "plain" | "biometric";

/** A Semaphore group as the server describes it. */
export interface GroupInfo {
  readonly id: string;
  readonly kind: GroupKind;
  readonly root: bigint;
  readonly depth: number;
  /** Leaves, removed members included. */
  readonly size: number;
}

/** One root of a group's history. */
export interface RootRecord {
  readonly groupId: string;
  readonly root: bigint;
  /** Unix milliseconds when it became the group's root. */
  readonly createdAt: number;
  /** Unix milliseconds when a later root replaced it; null for the current root. */
  readonly replacedAt: number | null;
}

/** A LeanIMT Merkle proof of one leaf (what `generateProof` of `@semaphore-protocol/proof` takes). */
export interface MerkleProof {
  readonly root: bigint;
  readonly leaf: bigint;
  readonly index: number;
  readonly siblings: bigint[];
}

/** A poll over a group: one vote per member, message = option index, nullifier per the poll's scope. */
export interface Poll {
  readonly id: string;
  readonly groupId: string;
  readonly scope: bigint;
  readonly options: readonly string[];
  readonly opensAt: number;
  /** Unix milliseconds, exclusive. */
  readonly closesAt: number;
  readonly createdAt: number;
  /** True for a poll that takes only liveness-bound votes (`ZkirisClient.proveLivenessVote`), in a biometric group. */
  readonly requireLiveness: boolean;
}

/** What the server answers for an accepted enrolment. */
export interface EnrolmentReceipt {
  readonly groupId: string;
  readonly memberIndex: number;
  readonly leaf: bigint;
  readonly root: bigint;
}

/** An enrolment receipt with the secrets the user keeps: the salt and the template commitment it made. */
export interface Enrolment extends EnrolmentReceipt {
  /** The template salt: keep it with the identity (recovery needs it); it is a secret. */
  readonly salt: bigint;
  readonly templateCommitment: bigint;
}

/** An accepted vote. */
export interface VoteReceipt {
  readonly seq: number;
  readonly pollId: string;
  readonly nullifier: bigint;
  readonly option: number;
  readonly root: bigint;
  readonly acceptedAt: number;
}

/** Votes per option of a poll. */
export interface Tally {
  readonly pollId: string;
  readonly options: readonly string[];
  readonly counts: readonly number[];
  readonly total: number;
}

/** A registered capture device. */
export interface Device {
  readonly id: bigint;
  readonly slot: number;
  readonly publicKey: readonly [bigint, bigint];
  readonly registeredAt: number;
  readonly revokedAt: number | null;
}

/** The current liveness challenge of a poll that requires liveness (`POST /polls/{pollId}/challenges`). */
export interface PollChallenge {
  readonly pollId: string;
  /** The poll's public challenge: the same for every voter until half its lifetime has passed. */
  readonly challenge: bigint;
  /** What the capture device signs for this poll: `livenessCaptureChallenge(scope, challenge)`. */
  readonly captureChallenge: bigint;
  readonly issuedAt: number;
  /** Unix milliseconds; votes with this challenge are accepted before it. */
  readonly expiresAt: number;
}

/** A trusted device's inclusion proof in the registry's device tree (`GET /devices/{id}/proof`). */
export interface DeviceProof {
  readonly root: bigint;
  readonly leaf: bigint;
  readonly leafIndex: number;
  readonly siblings: readonly bigint[];
  readonly pathIndices: readonly number[];
}

/** A liveness challenge a poll issued, as its audit log lists it. */
export interface IssuedPollChallenge {
  readonly pollId: string;
  readonly challenge: bigint;
  readonly issuedAt: number;
  /** Unix milliseconds; votes with this challenge are accepted before it. */
  readonly expiresAt: number;
}

/** One root of the device registry tree's history (the `deviceRoot` of liveness-bound votes). */
export interface DeviceRootRecord {
  readonly root: bigint;
  /** Unix milliseconds when it became the device tree's root. */
  readonly createdAt: number;
  /** Unix milliseconds when a registration or revocation replaced it; null for the current root. */
  readonly replacedAt: number | null;
}

/** A vote the poll accepted, with its proof as the server recorded it (JSON, decimal strings). */
export interface AuditedVote extends VoteReceipt {
  /** A Semaphore proof (plain polls) or a liveness-bound vote (polls that require liveness), as JSON. */
  readonly proof: unknown;
}

/** What a liveness-bound vote is checked against besides the group's roots (audit log version 2). */
export interface LivenessAuditRecords {
  /** Every challenge the poll issued, oldest first. */
  readonly challenges: readonly IssuedPollChallenge[];
  /** How long a replaced device root still accepts liveness-bound votes, in milliseconds. */
  readonly deviceRootExpiryMs: number;
  /** The device tree's root history, oldest first. */
  readonly deviceRoots: readonly DeviceRootRecord[];
}

/** The public audit log of a poll (`GET /polls/{id}/audit-log`): what anyone recounts and verifies it from. */
export interface AuditLog {
  /** 1: a plain poll; 2: a poll that requires liveness, with {@link liveness}. */
  readonly version: 1 | 2;
  readonly poll: Poll;
  /** How long a replaced group root still accepts votes, in milliseconds. */
  readonly rootExpiryMs: number;
  /** The group's root history, oldest first. */
  readonly roots: readonly RootRecord[];
  /** Every accepted vote, in acceptance order. */
  readonly votes: readonly AuditedVote[];
  readonly liveness?: LivenessAuditRecords;
}
