import { createHash, randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import { Group, type MerkleProof } from "@semaphore-protocol/group";
import type { SemaphoreProof } from "@semaphore-protocol/proof";
import {
  type CapturePacketJson,
  checkPublicKey,
  DEVICE_TREE_CAPACITY,
  type DeviceMerkleProof,
  DeviceRegistryTree,
  deviceIdOf,
} from "@zkiris/device";
import {
  buildTemplate,
  checkProfile,
  checkSalt,
  templateCommitment as computeTemplateCommitment,
  DEFAULT_PROFILE,
  fromBinary,
  type IrisCode,
  type IrisProfile,
  matchCodes,
  poseidon,
  SNARK_FIELD_ORDER,
  toBinary,
  ZkirisError,
} from "@zkiris/iris-code";
import {
  type LivenessVoteArtifacts,
  type LivenessVoteProof,
  livenessCaptureChallenge,
  type MatchArtifacts,
  type MatchProof,
  MatchProofError,
  verifyMatch,
} from "@zkiris/match-proof";
import { UniquenessIndex } from "@zkiris/uniqueness";
import {
  CaptureError,
  ConflictError,
  DeviceStateError,
  DuplicateEnrollmentError,
  InconsistentCapturesError,
  InsufficientUsableBitsError,
  InvalidParameterError,
  NotFoundError,
  RecoveryError,
  RegistryError,
  StorageError,
  UndecidableComparisonError,
  VoteError,
} from "./errors.js";
import { checkLivenessVote } from "./liveness-vote-shape.js";
import { PostgresRepository } from "./postgres-repository.js";
import type {
  DeviceRecord,
  DeviceRootRecord,
  GroupKind,
  MemberRecord,
  PollChallengeRecord,
  PollRecord,
  Repository,
  RootRecord,
  TreeSnapshot,
  VoteRecord,
} from "./repository.js";
import { challengeRefusal, duplicateNullifier } from "./rules.js";
import { checkSemaphoreProof } from "./semaphore-proof-shape.js";
import { SqliteRepository } from "./sqlite-repository.js";
import { fieldElement, identifier, integer, object } from "./validation.js";
import { type CaptureCheck, type CheckRefusal, ProofVerifierPool } from "./verifier-pool.js";

/** Where the registry keeps its data: a SQLite file path (or `":memory:"`), or a PostgreSQL URL. */
export type DatabaseLocation =
  | string
  | { readonly postgres: string; readonly schema?: string; readonly poolSize?: number };

/** Options of {@link Registry.open}. */
export interface RegistryOptions {
  readonly database: DatabaseLocation;
  /**
   * Geometry and decision policies: the deduplication decision (`profile.deduplication`) for the
   * duplicate check and the enrolment usable-bit floor, the verification decision for recovery and
   * for the consistency of an enrolment's captures. Default `DEFAULT_PROFILE`.
   */
  readonly profile?: IrisProfile;
  /** Lifetime of an issued challenge, in milliseconds. Default 5 minutes. */
  readonly challengeTtlMs?: number;
  /**
   * How long a replaced group root still accepts votes, in milliseconds, for groups created without
   * their own `rootExpiryMs` (and groups created before schema version 5). Default 1 hour.
   */
  readonly rootExpiryMs?: number;
  /** Minimum of each named quality figure a capture packet must carry, e.g. `{ focus: 0.5 }`. Default none. */
  readonly qualityGates?: Readonly<Record<string, number>>;
  /**
   * Worker threads of the verifier pool (Semaphore and liveness-vote Groth16 verification, capture
   * signature checks; 0 = the calling thread). Default: available cores.
   */
  readonly verifierWorkers?: number;
  /**
   * Longest a check in the verifier pool may take, in milliseconds, queueing included; past it the
   * request is refused with `VERIFIER_FAILED`, never accepted. Default 30 s.
   */
  readonly verifierTimeoutMs?: number;
  /** Worker threads of the uniqueness search (0 = calling thread). Default: available cores. */
  readonly searchWorkers?: number;
  /** Clock in Unix milliseconds. Default `Date.now`. */
  readonly now?: () => number;
  /**
   * Match-circuit artifacts of `@zkiris/match-proof` (`loadMatchArtifacts`, verify-only is enough) for
   * biometric recovery. Without them `recoverMember` refuses with `RECOVERY_UNAVAILABLE`. The caller
   * owns them: call `artifacts.close()` after `registry.close()`.
   */
  readonly matchArtifacts?: MatchArtifacts;
  /**
   * Liveness-vote artifacts of `@zkiris/match-proof` (`loadLivenessVoteArtifacts`; only the
   * verification key is used) for polls with `requireLiveness`. Without them such polls cannot be
   * created (`LIVENESS_UNAVAILABLE`). The caller owns them: call `artifacts.close()` after
   * `registry.close()`.
   */
  readonly livenessArtifacts?: Pick<LivenessVoteArtifacts, "verificationKey">;
  /**
   * Lifetime of a poll's liveness challenge, in milliseconds. The registry hands out the poll's
   * latest challenge until half of this has passed, then issues a new one, so a voter always has at
   * least half of it to capture, prove and vote. Default 10 minutes.
   */
  readonly livenessChallengeTtlMs?: number;
  /** How long a replaced device registry root still accepts liveness votes, in milliseconds. Default 5 minutes. */
  readonly deviceRootExpiryMs?: number;
}

/** Input of {@link Registry.recoverMember}. */
export interface RecoveryRequest {
  readonly groupId: string;
  readonly memberIndex: number;
  /** The new Semaphore identity commitment that replaces the lost one. */
  readonly newIdentityCommitment: bigint | string;
  /**
   * A match proof of `@zkiris/match-proof` (`proof`, `publicSignals`): a fresh capture, signed by a
   * device of this registry's device tree over a challenge issued here, matches the member's
   * enrolled template commitment.
   */
  readonly matchProof: Pick<MatchProof, "proof" | "publicSignals">;
}

/** Input of {@link Registry.enrol}. Field elements may be bigints or decimal strings. */
export interface EnrolmentRequest {
  readonly groupId: string;
  /** The signed capture packet (wire object or JSON text) from a registered device, over a challenge of this registry. */
  readonly capture: CapturePacketJson | string;
  /** The user's Semaphore identity commitment. */
  readonly identityCommitment: bigint | string;
  /** `templateCommitment(probe, salt)`: the commitment the user will prove matches against. */
  readonly templateCommitment: bigint | string;
  /** The salt of the template commitment (sent over the enrolment channel; never stored). */
  readonly salt: bigint | string;
}

/** Longest root expiry window a registry or a group takes: 365 days, in milliseconds. */
export const MAX_ROOT_EXPIRY_MS = 365 * 86_400_000;

/** Fewest captures {@link Registry.enrolFromCaptures} takes. */
export const MIN_ENROLMENT_CAPTURES = 3;
/** Most captures {@link Registry.enrolFromCaptures} takes. */
export const MAX_ENROLMENT_CAPTURES = 5;

/** Input of {@link Registry.enrolFromCaptures}. Field elements may be bigints or decimal strings. */
export interface CapturesEnrolmentRequest {
  readonly groupId: string;
  /**
   * 3 to 5 signed capture packets of one eye (wire objects or JSON text) from registered devices,
   * each over its own challenge of this registry.
   */
  readonly captures: ReadonlyArray<CapturePacketJson | string>;
  /** The user's Semaphore identity commitment. */
  readonly identityCommitment: bigint | string;
  /**
   * `templateCommitment(template, salt)`, where `template` is `buildTemplate(probes, profile).template`
   * of iris-code over the captured probes in request order: the commitment the user will prove against.
   */
  readonly templateCommitment: bigint | string;
  /** The salt of the template commitment (sent over the enrolment channel; never stored). */
  readonly salt: bigint | string;
}

interface EnrolmentBase {
  readonly groupId: string;
  readonly identityCommitment: bigint;
  readonly templateCommitment: bigint;
  readonly salt: bigint;
}

interface VerifiedCapture {
  readonly probe: IrisCode;
  /** Decimal challenge. */
  readonly challenge: string;
  /** Decimal device id. */
  readonly deviceId: string;
}

/** Result of an accepted enrolment. */
export interface EnrolmentReceipt {
  readonly groupId: string;
  readonly memberIndex: number;
  /** The leaf inserted: the identity commitment (plain group) or `Poseidon2(identityCommitment, templateCommitment)`. */
  readonly leaf: bigint;
  /** The group root after the insertion. */
  readonly root: bigint;
}

/** Public state of a group. */
export interface GroupInfo {
  readonly id: string;
  readonly kind: GroupKind;
  readonly root: bigint;
  readonly depth: number;
  /** Leaves, removed ones included (their leaf is 0). */
  readonly size: number;
  /**
   * How long a replaced root of this group still verifies, in milliseconds: a proof against a root
   * replaced at `t` (a member added, removed or recovered) is accepted while `now - t <= rootExpiryMs`.
   */
  readonly rootExpiryMs: number;
}

/** Input of {@link Registry.createGroup}. */
export interface GroupRequest {
  readonly id: string;
  readonly kind: GroupKind;
  /**
   * The group's root expiry window in milliseconds, 0 to 365 days (0: only the current root
   * verifies). Default: the registry's `rootExpiryMs`. Stored with the group and fixed for its life.
   */
  readonly rootExpiryMs?: number;
}

/**
 * The members of a group in the form a client rebuilds the tree from: `members` are the leaves in
 * index order, a removed member's leaf being `0n` (what `Group.removeMember` of
 * `@semaphore-protocol/group` leaves), and `removed` lists those indices in ascending order. Stock
 * `new Group(members)` refuses a 0 leaf, so a tree with removals is rebuilt with
 * {@link groupFromMembers} (or its recipe: a non-zero placeholder at each removed index, then
 * `removeMember` there), which gives the registry's root.
 */
export interface GroupMembers {
  readonly members: bigint[];
  readonly removed: number[];
}

/**
 * Rebuilds a group's tree with stock `@semaphore-protocol/group` from {@link GroupMembers}: the
 * leaves with placeholder 1 at each removed index, then `removeMember` at each of them, so the
 * removed leaves are 0 exactly as in the registry's tree and the root is the registry's. Throws
 * `INVALID_PARAMETER` when `removed` does not list exactly the 0 leaves.
 */
export function groupFromMembers(list: GroupMembers): Group {
  const l = object(list, "list");
  if (!Array.isArray(l.members) || !Array.isArray(l.removed)) {
    throw new InvalidParameterError("list", "Parameter 'list' must have arrays 'members' and 'removed'");
  }
  const members = l.members as unknown[];
  const removed = new Set<number>();
  for (const [i, index] of (l.removed as unknown[]).entries()) {
    const n = integer(index, `list.removed[${i}]`, 0, members.length - 1);
    if (members[n] !== 0n) {
      throw new InvalidParameterError(
        `list.removed[${i}]`,
        `Parameter 'list.removed[${i}]' is ${n}, whose leaf is not 0`,
      );
    }
    removed.add(n);
  }
  const leaves = members.map((m, i) => {
    if (typeof m !== "bigint") {
      throw new InvalidParameterError(
        `list.members[${i}]`,
        `Parameter 'list.members[${i}]' must be a bigint`,
      );
    }
    if (m === 0n && !removed.has(i)) {
      throw new InvalidParameterError(
        `list.members[${i}]`,
        `Parameter 'list.members[${i}]' is 0 but index ${i} is not in 'list.removed'`,
      );
    }
    return m === 0n ? 1n : m;
  });
  const group = new Group(leaves);
  for (const index of removed) group.removeMember(index);
  return group;
}

/** Input of {@link Registry.createPoll}. */
export interface PollRequest {
  readonly id: string;
  readonly groupId: string;
  /** 2 to 64 option labels, each 1-200 characters. A vote's Semaphore message is the option index. */
  readonly options: readonly string[];
  /** Unix milliseconds; votes are accepted in [opensAt, closesAt). */
  readonly opensAt: number;
  readonly closesAt: number;
  /** Semaphore scope. Default: SHA-256 of `zkiris.poll:<id>` reduced into the field. */
  readonly scope?: bigint | string;
  /**
   * Take only liveness-bound votes ({@link Registry.livenessVote}): the group must be biometric and
   * the registry opened with `livenessArtifacts`. Default false (plain Semaphore votes).
   */
  readonly requireLiveness?: boolean;
}

/** The current liveness challenge of a poll, and the challenge a capture device signs for it. */
export interface PollChallenge {
  readonly pollId: string;
  /** The public challenge a liveness vote binds. */
  readonly challenge: bigint;
  /** `livenessCaptureChallenge(scope, challenge)`: what the capture device signs. */
  readonly captureChallenge: bigint;
  readonly issuedAt: number;
  /** Votes with this challenge are accepted until this time (exclusive). */
  readonly expiresAt: number;
}

/** Public definition of a poll (JSON-friendly: decimal strings for field elements). */
export type PollInfo = PollRecord;

/** Receipt of an accepted vote. */
export interface VoteReceipt {
  readonly seq: number;
  readonly pollId: string;
  readonly option: number;
  readonly nullifier: string;
  readonly root: string;
  readonly acceptedAt: number;
}

/** Counts per option. */
export interface Tally {
  readonly pollId: string;
  readonly options: readonly string[];
  /** `counts[i]` votes for `options[i]`. */
  readonly counts: number[];
  readonly total: number;
}

/**
 * Everything needed to recount a poll offline: the poll, its group's root history and every accepted
 * vote with its proof. JSON-friendly.
 */
export interface AuditLog {
  /** 1 for a plain poll, 2 for a poll with `requireLiveness` (which has `liveness`). */
  readonly version: 1 | 2;
  readonly poll: PollInfo;
  /** The root expiry window of the poll's group, in milliseconds (what the registry applied). */
  readonly rootExpiryMs: number;
  readonly roots: readonly RootRecord[];
  readonly votes: readonly VoteRecord[];
  /** What a liveness vote was checked against besides the group roots (version 2 only). */
  readonly liveness?: LivenessAuditRecords;
}

/** The liveness challenges of a poll and the device registry's root history, for a recount. */
export interface LivenessAuditRecords {
  readonly challenges: readonly PollChallengeRecord[];
  /** The device-root expiry the registry applied, in milliseconds. */
  readonly deviceRootExpiryMs: number;
  readonly deviceRoots: readonly DeviceRootRecord[];
}

/** Scope of a poll when none is given: SHA-256 of `zkiris.poll:<id>` modulo the field order. */
export function defaultPollScope(pollId: string): bigint {
  const digest = createHash("sha256").update(`zkiris.poll:${pollId}`).digest("hex");
  return BigInt(`0x${digest}`) % SNARK_FIELD_ORDER;
}

/** A uniformly random non-zero field element from the platform CSPRNG (rejection sampling). */
export function randomFieldElement(): bigint {
  for (;;) {
    const bytes = randomBytes(32);
    bytes[0]! &= 0x3f;
    const value = BigInt(`0x${bytes.toString("hex")}`);
    if (value !== 0n && value < SNARK_FIELD_ORDER) return value;
  }
}

/** Serialises async critical sections (search-then-insert, tree updates) in one process. */
class Mutex {
  #tail: Promise<void> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn);
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

interface GroupState {
  readonly kind: GroupKind;
  readonly rootExpiryMs: number;
  group: Group;
  /** Latest history entry of each root. */
  roots: Map<string, RootRecord>;
  /** Identity commitments currently in the group (to refuse a second enrolment of one identity). */
  identities: Set<string>;
  /** Tree changes since the stored snapshot was written. */
  unsnapshotted: number;
}

/**
 * The tree of stored leaves, built as {@link groupFromMembers} does. Not `leanIMT.insertMany` of
 * the leaves: it takes a 0 right sibling for a missing one (parent = left child), whereas the
 * tree the registry updated with `removeMember` hashes the pair, so a removed member at an odd
 * index (or the last one) gave another root at every restart.
 */
function treeOf(members: readonly MemberRecord[]): Group {
  const leaves = members.map((m) => BigInt(m.leaf));
  const removed: number[] = [];
  leaves.forEach((leaf, i) => {
    if (leaf === 0n) removed.push(i);
  });
  return groupFromMembers({ members: leaves, removed });
}

/** How a group's tree was restored at open (see {@link Registry.openTimings}). */
export type TreeSource = "empty" | "snapshot" | "snapshot and catch-up" | "rebuilt from the leaves";

/** What opening a registry took: for `bench/registry/restart.ts` and operators' logs. */
export interface OpenTimings {
  /** From the repository's migration to the registry being ready, in milliseconds. */
  readonly totalMs: number;
  /** Loading every active enrolment into the uniqueness index. */
  readonly indexMs: number;
  /** Restoring every group's tree (snapshots, catch-up, rebuilds) and writing new snapshots. */
  readonly treesMs: number;
  readonly trees: ReadonlyArray<{ readonly groupId: string; readonly source: TreeSource }>;
}

/** A group's tree is snapshotted after this many changes (and at close, and when open had to catch up). */
export const TREE_SNAPSHOT_INTERVAL = 1024;

/**
 * The tree of `members` from a snapshot when there is one that fits: its leaves are compared with
 * the stored ones, a changed leaf is updated, and the leaves added since are appended (removed
 * ones as a placeholder then 0, as {@link groupFromMembers}). Undefined when there is no usable
 * snapshot; the caller checks the root.
 */
function treeFromSnapshot(
  members: readonly MemberRecord[],
  snapshot: TreeSnapshot | undefined,
): { group: Group; changed: number } | undefined {
  if (snapshot === undefined || snapshot.size > members.length || snapshot.size === 0) return undefined;
  let group: Group;
  try {
    group = Group.import(snapshot.nodes);
  } catch {
    return undefined; // unreadable: the tree is rebuilt from the leaves
  }
  if (group.size !== snapshot.size) return undefined;
  const stored = group.members;
  let changed = 0;
  for (let i = 0; i < snapshot.size; i++) {
    const leaf = BigInt(members[i]!.leaf);
    if (stored[i] !== leaf) {
      group.leanIMT.update(i, leaf);
      changed++;
    }
  }
  if (members.length > snapshot.size) {
    const added = members.slice(snapshot.size).map((m) => BigInt(m.leaf));
    group.leanIMT.insertMany(added.map((leaf) => (leaf === 0n ? 1n : leaf)));
    added.forEach((leaf, i) => {
      if (leaf === 0n) group.leanIMT.update(snapshot.size + i, 0n);
    });
    changed += added.length;
  }
  return { group, changed };
}

function leafFor(kind: GroupKind, identityCommitment: bigint, templateCommitment: bigint): bigint {
  return kind === "plain" ? identityCommitment : poseidon([identityCommitment, templateCommitment]);
}

/** The registry's refusal of a packet that `verifyCapture` of `@zkiris/device` refused. */
function captureRefusal(refusal: CheckRefusal, prefix: string): CaptureError {
  const field = refusal.field === undefined ? prefix : `${prefix}.${refusal.field}`;
  return new CaptureError(
    "INVALID_CAPTURE",
    `Field '${field}' refused (${refusal.code}): ${refusal.message}`,
    {
      field,
    },
  );
}

/**
 * The enrolment registry: capture devices and challenges, unique iris enrolment into Semaphore
 * groups (LeanIMT, root history), and anonymous polls with a public audit log. Open with
 * {@link Registry.open}; `close()` releases the database, the search workers and the verifier pool.
 *
 * One process writes a database at a time (PostgreSQL: enforced with an advisory lock); within it,
 * every search-then-insert runs under one mutex, so two enrolments of the same eye cannot both land.
 */
export class Registry {
  readonly profile: IrisProfile;
  readonly repository: Repository;
  readonly #index: UniquenessIndex;
  readonly #verifier: ProofVerifierPool;
  readonly #groups = new Map<string, GroupState>();
  readonly #mutex = new Mutex();
  /** Serialises the issue-or-reuse of poll liveness challenges (apart from enrolments' long searches). */
  readonly #pollChallengeMutex = new Mutex();
  readonly #now: () => number;
  readonly #challengeTtlMs: number;
  readonly #rootExpiryMs: number;
  readonly #qualityGates: ReadonlyArray<readonly [string, number]>;
  readonly #matchArtifacts: MatchArtifacts | undefined;
  readonly #livenessArtifacts: Pick<LivenessVoteArtifacts, "verificationKey"> | undefined;
  readonly #livenessChallengeTtlMs: number;
  readonly #deviceRootExpiryMs: number;
  #deviceTree = new DeviceRegistryTree();
  #closed = false;
  #openTimings: OpenTimings | undefined;

  private constructor(
    repository: Repository,
    index: UniquenessIndex,
    verifier: ProofVerifierPool,
    profile: IrisProfile,
    options: RegistryOptions,
  ) {
    this.repository = repository;
    this.#index = index;
    this.#verifier = verifier;
    this.profile = profile;
    this.#now = options.now ?? Date.now;
    this.#challengeTtlMs = options.challengeTtlMs ?? 5 * 60_000;
    this.#rootExpiryMs = options.rootExpiryMs ?? 60 * 60_000;
    this.#qualityGates = Object.entries(options.qualityGates ?? {});
    this.#matchArtifacts = options.matchArtifacts;
    this.#livenessArtifacts = options.livenessArtifacts;
    this.#livenessChallengeTtlMs = options.livenessChallengeTtlMs ?? 10 * 60_000;
    this.#deviceRootExpiryMs = options.deviceRootExpiryMs ?? 5 * 60_000;
  }

  /**
   * Opens (creating and migrating as needed) a registry database, loads every active enrolment into
   * the uniqueness index and rebuilds every group tree from its leaves, checking each rebuilt root
   * against the stored current root (`StorageError` on a mismatch). Throws `INVALID_PARAMETER` for bad
   * options, `SCHEMA_TOO_NEW`, or `DATABASE_LOCKED` (PostgreSQL schema held by another process).
   */
  static async open(options: RegistryOptions): Promise<Registry> {
    const o = object(options, "options") as unknown as RegistryOptions;
    const profile = checkProfile(o.profile ?? DEFAULT_PROFILE);
    if (o.challengeTtlMs !== undefined) integer(o.challengeTtlMs, "challengeTtlMs", 1, 86_400_000);
    if (o.rootExpiryMs !== undefined) integer(o.rootExpiryMs, "rootExpiryMs", 0, MAX_ROOT_EXPIRY_MS);
    if (o.livenessChallengeTtlMs !== undefined) {
      integer(o.livenessChallengeTtlMs, "livenessChallengeTtlMs", 2, 7 * 86_400_000);
    }
    if (o.deviceRootExpiryMs !== undefined) {
      integer(o.deviceRootExpiryMs, "deviceRootExpiryMs", 0, 365 * 86_400_000);
    }
    if (
      o.livenessArtifacts !== undefined &&
      (typeof o.livenessArtifacts !== "object" ||
        o.livenessArtifacts === null ||
        typeof o.livenessArtifacts.verificationKey !== "object" ||
        o.livenessArtifacts.verificationKey === null)
    ) {
      throw new InvalidParameterError(
        "livenessArtifacts",
        "Parameter 'livenessArtifacts' must be liveness-vote artifacts with a verification key (loadLivenessVoteArtifacts)",
      );
    }
    if ((o as unknown as Record<string, unknown>).minProbeUsableBits !== undefined) {
      throw new InvalidParameterError(
        "minProbeUsableBits",
        "Parameter 'minProbeUsableBits' was removed: enrolment requires the profile's deduplication.enrolmentMinUsableBits",
      );
    }
    if (o.qualityGates !== undefined) {
      for (const [name, min] of Object.entries(object(o.qualityGates, "qualityGates"))) {
        if (typeof min !== "number" || !Number.isFinite(min)) {
          throw new InvalidParameterError(
            `qualityGates.${name}`,
            `Parameter 'qualityGates.${name}' must be a finite number`,
          );
        }
      }
    }
    const repository = await openRepository(o.database);
    let index: UniquenessIndex | undefined;
    let verifier: ProofVerifierPool | undefined;
    try {
      await repository.migrate();
      index = await UniquenessIndex.create({
        profile,
        workers: o.searchWorkers ?? Math.max(1, availableParallelism()),
      });
      verifier = new ProofVerifierPool(
        o.verifierWorkers,
        o.verifierTimeoutMs === undefined ? {} : { timeoutMs: o.verifierTimeoutMs },
      );
      const registry = new Registry(repository, index, verifier, profile, o);
      await registry.#load(performance.now());
      return registry;
    } catch (error) {
      await verifier?.close();
      await index?.close();
      await repository.close();
      throw error;
    }
  }

  async #reloadDeviceTree(): Promise<void> {
    const devices = await this.repository.listDevices();
    this.#deviceTree = DeviceRegistryTree.fromLeaves(
      devices.map((d) => (d.revokedAt === null ? BigInt(d.id) : 0n)),
    );
    // The history of device roots is what liveness votes are checked against (and recounted
    // with): record the tree's root whenever it differs from the latest recorded one.
    const roots = await this.repository.listDeviceRoots();
    const root = this.#deviceTree.root.toString();
    if (roots[roots.length - 1]?.root !== root) await this.repository.appendDeviceRoot(root, this.#now());
  }

  /**
   * What opening took: the uniqueness index load, the trees (and for each group whether it came
   * from its snapshot, from its snapshot with the leaves changed since, or was rebuilt).
   */
  get openTimings(): OpenTimings {
    return this.#openTimings!;
  }

  async #load(started: number): Promise<void> {
    await this.#reloadDeviceTree();
    const indexStart = performance.now();
    for (const { id, code } of await this.repository.listActiveCodes()) {
      this.#index.add(BigInt(id), fromBinary(code));
    }
    const treesStart = performance.now();
    const trees: Array<{ groupId: string; source: TreeSource }> = [];
    for (const record of await this.repository.listGroups()) {
      const members = await this.repository.listMembers(record.id);
      const history = await this.repository.listRoots(record.id);
      const current = history[history.length - 1];
      // The snapshot is a cache: used only when, caught up with the stored leaves, it gives the
      // stored current root; otherwise the tree is rebuilt from the leaves.
      const restored = treeFromSnapshot(members, await this.repository.getTreeSnapshot(record.id));
      let group: Group;
      let source: TreeSource;
      if (restored !== undefined && restored.group.root.toString() === current?.root) {
        group = restored.group;
        source = restored.changed === 0 ? "snapshot" : "snapshot and catch-up";
      } else {
        group = treeOf(members);
        source = members.length === 0 ? "empty" : "rebuilt from the leaves";
      }
      trees.push({ groupId: record.id, source });
      if (current === undefined || current.root !== group.root.toString()) {
        throw new StorageError(
          "CORRUPT_STATE",
          `Group '${record.id}': the tree rebuilt from its leaves has root ${group.root}, but the stored current root is ${current?.root}`,
        );
      }
      this.#groups.set(record.id, {
        kind: record.kind,
        rootExpiryMs: record.rootExpiryMs ?? this.#rootExpiryMs,
        group,
        roots: new Map(history.map((r) => [r.root, r])),
        identities: new Set(members.filter((m) => m.removedAt === null).map((m) => m.identityCommitment)),
        unsnapshotted: source === "snapshot" || source === "empty" ? 0 : 1,
      });
      if (source !== "snapshot" && source !== "empty") await this.#snapshot(record.id);
    }
    const done = performance.now();
    this.#openTimings = {
      totalMs: done - started,
      indexMs: treesStart - indexStart,
      treesMs: done - treesStart,
      trees,
    };
  }

  /**
   * Under the mutex, after a committed change: the snapshot every {@link TREE_SNAPSHOT_INTERVAL}
   * changes, so that an open after a crash catches up at most that many leaves. The change is
   * committed whatever happens here: a failed write of this cache leaves the count, so the next
   * change tries again, and an open rebuilds whatever the snapshot lacks.
   */
  async #snapshotPeriodically(groupId: string): Promise<void> {
    if (this.#group(groupId).unsnapshotted < TREE_SNAPSHOT_INTERVAL) return;
    await this.#snapshot(groupId).catch(() => {});
  }

  /** Writes the group's tree snapshot (a cache; see {@link TreeSnapshot}). */
  async #snapshot(groupId: string): Promise<void> {
    const state = this.#group(groupId);
    if (state.unsnapshotted === 0 || state.group.size === 0) return;
    await this.repository.putTreeSnapshot({
      groupId,
      root: state.group.root.toString(),
      size: state.group.size,
      nodes: state.group.export(),
      createdAt: this.#now(),
    });
    state.unsnapshotted = 0;
  }

  #assertOpen(): void {
    if (this.#closed) throw new RegistryError("CLOSED", "The registry is closed");
  }

  #group(groupId: string): GroupState {
    const state = this.#groups.get(groupId);
    if (state === undefined) {
      throw new NotFoundError("UNKNOWN_GROUP", `Group '${groupId}' does not exist`, { field: "groupId" });
    }
    return state;
  }

  // ---- devices and challenges ----------------------------------------------------------------

  /**
   * Registers a capture device by its EdDSA-Poseidon public key `[Ax, Ay]` (bigints or decimal
   * strings). Throws `INVALID_PARAMETER` for a key off the BabyJubJub subgroup and `DUPLICATE_DEVICE`.
   */
  async registerDevice(publicKey: readonly [bigint | string, bigint | string]): Promise<DeviceRecord> {
    this.#assertOpen();
    if (!Array.isArray(publicKey) || publicKey.length !== 2) {
      throw new InvalidParameterError("publicKey", "Parameter 'publicKey' must be an array [Ax, Ay]");
    }
    const key = [
      fieldElement(publicKey[0], "publicKey[0]"),
      fieldElement(publicKey[1], "publicKey[1]"),
    ] as const;
    try {
      checkPublicKey(key, "publicKey");
    } catch (error) {
      if (ZkirisError.is(error)) {
        throw new InvalidParameterError(error.field ?? "publicKey", error.message, { cause: error });
      }
      throw error;
    }
    return this.#mutex.run(async () => {
      if ((await this.repository.listDevices()).length >= DEVICE_TREE_CAPACITY) {
        throw new ConflictError(
          "REGISTRY_FULL",
          `The device registry tree holds at most ${DEVICE_TREE_CAPACITY} devices, revoked ones included`,
          { field: "publicKey" },
        );
      }
      const device = await this.repository.insertDevice({
        id: deviceIdOf(key).toString(),
        publicKey: [key[0].toString(), key[1].toString()],
        registeredAt: this.#now(),
        revokedAt: null,
      });
      await this.#reloadDeviceTree();
      return device;
    });
  }

  /** A registered device by id, or `UNKNOWN_DEVICE`. */
  async device(deviceId: bigint | string): Promise<DeviceRecord> {
    this.#assertOpen();
    const id = fieldElement(deviceId, "deviceId").toString();
    const device = await this.repository.getDevice(id);
    if (device === undefined) {
      throw new NotFoundError("UNKNOWN_DEVICE", `Device ${id} is not registered`, { field: "deviceId" });
    }
    return device;
  }

  /** Revokes a device: its captures are refused from now on. Throws `UNKNOWN_DEVICE` or `DEVICE_REVOKED`. */
  async revokeDevice(deviceId: bigint | string): Promise<DeviceRecord> {
    const device = await this.device(deviceId);
    await this.#mutex.run(async () => {
      if (device.revokedAt !== null || !(await this.repository.revokeDevice(device.id, this.#now()))) {
        throw new DeviceStateError("DEVICE_REVOKED", `Device ${device.id} is already revoked`, {
          field: "deviceId",
        });
      }
      await this.#reloadDeviceTree();
    });
    return this.device(device.id);
  }

  /**
   * Root of the device registry tree (`DeviceRegistryTree` of `@zkiris/device`: registered devices in
   * registration order, revoked ones as 0), the public `deviceRoot` of match proofs, with the number of
   * used slots and of trusted (not revoked) devices.
   */
  deviceRegistry(): { root: bigint; slots: number; trusted: number } {
    this.#assertOpen();
    return { root: this.#deviceTree.root, slots: this.#deviceTree.usedSlots, trusted: this.#deviceTree.size };
  }

  /** Inclusion proof of a trusted device in the device registry tree, for the match prover; `UNKNOWN_DEVICE`. */
  deviceProof(deviceId: bigint | string): DeviceMerkleProof {
    this.#assertOpen();
    const id = fieldElement(deviceId, "deviceId");
    if (!this.#deviceTree.has(id)) {
      throw new NotFoundError("UNKNOWN_DEVICE", `Device ${id} is not a trusted device of this registry`, {
        field: "deviceId",
      });
    }
    return this.#deviceTree.proof(id);
  }

  /** Issues a fresh random challenge for one capture, valid for `challengeTtlMs` and usable once. */
  async issueChallenge(): Promise<{ challenge: bigint; expiresAt: number }> {
    this.#assertOpen();
    const now = this.#now();
    const challenge = randomFieldElement();
    const expiresAt = now + this.#challengeTtlMs;
    await this.repository.insertChallenge({
      value: challenge.toString(),
      issuedAt: now,
      expiresAt,
      usedAt: null,
    });
    return { challenge, expiresAt };
  }

  /**
   * Deletes every challenge that expired before now (issued ones are unauthenticated, so a deployment
   * calls this periodically). An expired challenge is refused either way; after pruning, a replay of it
   * gets `UNKNOWN_CHALLENGE` instead of `CHALLENGE_EXPIRED` or `CHALLENGE_REPLAYED`. Returns how many.
   */
  async pruneChallenges(): Promise<number> {
    this.#assertOpen();
    return this.repository.deleteExpiredChallenges(this.#now());
  }

  // ---- groups ----------------------------------------------------------------------------------

  /**
   * Creates an empty group, with its own root expiry window (`rootExpiryMs`, default the
   * registry's). Throws `INVALID_PARAMETER` or `GROUP_EXISTS`.
   */
  async createGroup(request: GroupRequest): Promise<GroupInfo> {
    this.#assertOpen();
    const r = object(request, "request");
    const id = identifier(r.id, "id");
    if (r.kind !== "plain" && r.kind !== "biometric") {
      throw new InvalidParameterError("kind", "Parameter 'kind' must be 'plain' or 'biometric'");
    }
    const kind = r.kind as GroupKind;
    const rootExpiryMs =
      r.rootExpiryMs === undefined
        ? this.#rootExpiryMs
        : integer(r.rootExpiryMs, "rootExpiryMs", 0, MAX_ROOT_EXPIRY_MS);
    return this.#mutex.run(async () => {
      if (this.#groups.has(id))
        throw new ConflictError("GROUP_EXISTS", `Group '${id}' already exists`, { field: "id" });
      const now = this.#now();
      const group = new Group();
      await this.repository.insertGroup({ id, kind, createdAt: now, rootExpiryMs }, group.root.toString());
      const root: RootRecord = { groupId: id, root: group.root.toString(), createdAt: now, replacedAt: null };
      this.#groups.set(id, {
        kind,
        rootExpiryMs,
        group,
        roots: new Map([[root.root, root]]),
        identities: new Set(),
        unsnapshotted: 0,
      });
      return this.group(id);
    });
  }

  /** Public state of a group; `UNKNOWN_GROUP`. */
  group(groupId: string): GroupInfo {
    this.#assertOpen();
    const state = this.#group(groupId);
    return {
      id: groupId,
      kind: state.kind,
      root: state.group.root,
      depth: state.group.depth,
      size: state.group.size,
      rootExpiryMs: state.rootExpiryMs,
    };
  }

  /** Ids of every group. */
  groupIds(): string[] {
    return [...this.#groups.keys()];
  }

  /** Public state of every group, in creation order. */
  groups(): GroupInfo[] {
    this.#assertOpen();
    return this.groupIds().map((id) => this.group(id));
  }

  /**
   * The leaves of a group in index order (0 for removed members); `UNKNOWN_GROUP`. Stock
   * `new Group(leaves)` refuses the 0 of a removed member: rebuild from {@link memberList} with
   * {@link groupFromMembers}.
   */
  members(groupId: string): bigint[] {
    this.#assertOpen();
    return this.#group(groupId).group.members;
  }

  /**
   * The leaves of a group and the indices of its removed members ({@link GroupMembers}, what
   * `GET /groups/{groupId}/members` serves), from which {@link groupFromMembers} rebuilds the
   * registry's root with stock `@semaphore-protocol/group`; `UNKNOWN_GROUP`.
   */
  memberList(groupId: string): GroupMembers {
    this.#assertOpen();
    const members = this.#group(groupId).group.members;
    const removed: number[] = [];
    members.forEach((leaf, i) => {
      if (leaf === 0n) removed.push(i);
    });
    return { members, removed };
  }

  /** Root history of a group, oldest first, from the database; `UNKNOWN_GROUP`. */
  async rootHistory(groupId: string): Promise<RootRecord[]> {
    this.#assertOpen();
    this.#group(groupId);
    return this.repository.listRoots(groupId);
  }

  /**
   * The LeanIMT Merkle proof of a member (what `generateProof` of `@semaphore-protocol/proof` takes).
   * Throws `UNKNOWN_GROUP`, or `UNKNOWN_MEMBER` for an index out of range or a removed member.
   */
  merkleProof(groupId: string, memberIndex: number): MerkleProof {
    this.#assertOpen();
    const state = this.#group(groupId);
    const index = integer(memberIndex, "memberIndex", 0, Number.MAX_SAFE_INTEGER);
    if (index >= state.group.size || state.group.members[index] === 0n) {
      throw new NotFoundError("UNKNOWN_MEMBER", `Group '${groupId}' has no member at index ${index}`, {
        field: "memberIndex",
      });
    }
    return state.group.generateMerkleProof(index);
  }

  /**
   * Checks that `root` may be used by a vote in this group at time `now`: the current root, or one
   * replaced at `t` with `now - t <= ` the group's `rootExpiryMs`. Throws `UNKNOWN_ROOT` or `STALE_ROOT`.
   */
  checkRoot(groupId: string, root: bigint | string, now = this.#now()): RootRecord {
    const state = this.#group(groupId);
    const key = fieldElement(root, "proof.merkleTreeRoot").toString();
    const record = state.roots.get(key);
    if (record === undefined) {
      throw new VoteError(
        "UNKNOWN_ROOT",
        `Field 'proof.merkleTreeRoot' is not a root of group '${groupId}'`,
        {
          field: "proof.merkleTreeRoot",
        },
      );
    }
    if (record.replacedAt !== null && now - record.replacedAt > state.rootExpiryMs) {
      throw new VoteError(
        "STALE_ROOT",
        `Field 'proof.merkleTreeRoot' was replaced at ${new Date(record.replacedAt).toISOString()}, more than the ${state.rootExpiryMs} ms of group '${groupId}' ago`,
        { field: "proof.merkleTreeRoot" },
      );
    }
    return record;
  }

  #recordRoot(state: GroupState, groupId: string, now: number): bigint {
    const root = state.group.root;
    state.unsnapshotted++;
    for (const [key, record] of state.roots) {
      if (record.replacedAt === null) state.roots.set(key, { ...record, replacedAt: now });
    }
    state.roots.set(root.toString(), { groupId, root: root.toString(), createdAt: now, replacedAt: null });
    return root;
  }

  async #reloadGroup(groupId: string): Promise<void> {
    const state = this.#group(groupId);
    const members = await this.repository.listMembers(groupId);
    state.group = treeOf(members);
    state.roots = new Map((await this.repository.listRoots(groupId)).map((r) => [r.root, r]));
    state.identities = new Set(members.filter((m) => m.removedAt === null).map((m) => m.identityCommitment));
  }

  // ---- enrolment -------------------------------------------------------------------------------

  /**
   * Enrols one eye from one capture, which is the template. Checks, in order, and refuses with
   * nothing stored: parameters (`INVALID_PARAMETER`), group (`UNKNOWN_GROUP`), the packet's form and
   * signatures (`INVALID_CAPTURE`, naming the packet field), device (`UNKNOWN_DEVICE`,
   * `DEVICE_REVOKED`), challenge (`UNKNOWN_CHALLENGE`, `CHALLENGE_REPLAYED`, `CHALLENGE_EXPIRED`),
   * quality gates (`QUALITY_GATE`), usable bits below `profile.deduplication.enrolmentMinUsableBits`
   * (`INSUFFICIENT_USABLE_BITS`), `templateCommitment(probe, salt)` (`COMMITMENT_MISMATCH`), identity
   * already in the group (`DUPLICATE_MEMBER`), and the 1:N search over every enrolled code at every
   * shift under the deduplication decision: a match (`DuplicateEnrollmentError`, naming the distance
   * only) or a comparison with too few jointly usable bits to decide (`UNDECIDABLE_COMPARISON`).
   * Then, in one transaction, consumes the challenge, stores the code and commitment, inserts the
   * leaf and records the new root. {@link enrolFromCaptures} is the enrolment protocol with several
   * captures.
   */
  async enrol(request: EnrolmentRequest): Promise<EnrolmentReceipt> {
    this.#assertOpen();
    const r = object(request, "request");
    const base = this.#checkEnrolmentBase(r);
    if (r.capture === undefined || r.capture === null) {
      throw new InvalidParameterError("capture", "Parameter 'capture' is missing");
    }
    const state = this.#group(base.groupId);
    const now = this.#now();
    const capture = await this.#checkCapture(r.capture, "capture", now);
    if (computeTemplateCommitment(capture.probe, base.salt) !== base.templateCommitment) {
      throw new CaptureError(
        "COMMITMENT_MISMATCH",
        "Field 'templateCommitment' is not templateCommitment(probe, salt) of the captured probe",
        { field: "templateCommitment" },
      );
    }
    return this.#commitEnrolment(
      state,
      base,
      capture.probe,
      [{ code: capture.probe, field: "capture" }],
      [capture],
    );
  }

  /**
   * The enrolment protocol: enrols one eye from {@link MIN_ENROLMENT_CAPTURES} to
   * {@link MAX_ENROLMENT_CAPTURES} signed captures, each over its own challenge. Checks every capture
   * as {@link enrol} does (refusals name `captures[i]...`; two captures over one challenge are
   * `CHALLENGE_REPLAYED`), then that each pair matches under the verification decision at some shift
   * (`INCONSISTENT_CAPTURES`, naming the pair and the distance), builds the template with iris-code's
   * `buildTemplate` (captures aligned to the first, per-bit majority vote; a bit is usable when it
   * is usable in a majority of the captures and its vote is not tied) and requires it to have
   * `enrolmentMinUsableBits` usable bits too (`INSUFFICIENT_USABLE_BITS`, field `captures`).
   * `templateCommitment` must be `templateCommitment(template, salt)` of that template
   * (`COMMITMENT_MISMATCH`). The duplicate check searches every capture and the template against
   * every enrolled code: a duplicate of any of them is `DUPLICATE_ENROLLMENT`, an undecidable
   * comparison `UNDECIDABLE_COMPARISON`. Only the template is stored; every challenge is consumed in
   * the enrolment's transaction.
   */
  async enrolFromCaptures(request: CapturesEnrolmentRequest): Promise<EnrolmentReceipt> {
    this.#assertOpen();
    const r = object(request, "request");
    const base = this.#checkEnrolmentBase(r);
    if (
      !Array.isArray(r.captures) ||
      r.captures.length < MIN_ENROLMENT_CAPTURES ||
      r.captures.length > MAX_ENROLMENT_CAPTURES
    ) {
      throw new InvalidParameterError(
        "captures",
        `Parameter 'captures' must be an array of ${MIN_ENROLMENT_CAPTURES} to ${MAX_ENROLMENT_CAPTURES} signed capture packets`,
      );
    }
    const raw = r.captures as readonly unknown[];
    const state = this.#group(base.groupId);
    const now = this.#now();
    // The signature checks run in parallel in the pool; their results are taken in request
    // order, so the refusal is the same as checking one capture after the other.
    const checks = raw.map((packet) => {
      if (packet === undefined || packet === null) return undefined;
      const check = this.#verifier.verifyCapture(packet as CapturePacketJson | string, {
        expectedGeometry: this.profile.geometry,
        now,
        maxAgeMs: this.#challengeTtlMs,
      });
      check.catch(() => {});
      return check;
    });
    const captures: VerifiedCapture[] = [];
    for (const [i, packet] of raw.entries()) {
      if (packet === undefined || packet === null) {
        throw new InvalidParameterError(`captures[${i}]`, `Parameter 'captures[${i}]' is missing`);
      }
      const capture = await this.#checkCapture(packet, `captures[${i}]`, now, checks[i]);
      const again = captures.findIndex((c) => c.challenge === capture.challenge);
      if (again >= 0) {
        throw new CaptureError(
          "CHALLENGE_REPLAYED",
          `Field 'captures[${i}].challenge' is the challenge of captures[${again}]; each capture needs its own`,
          { field: `captures[${i}].challenge` },
        );
      }
      captures.push(capture);
    }
    for (let i = 0; i < captures.length; i++) {
      for (let j = i + 1; j < captures.length; j++) {
        const m = matchCodes(captures[i]!.probe, captures[j]!.probe, this.profile);
        if (!m.match) {
          const reason = m.comparable
            ? `best distance ${m.rawDistance.toFixed(4)} at shift ${m.shift} is over the verification threshold ${(this.profile.thresholdPer10k / 10_000).toFixed(4)}`
            : `no shift in -${this.profile.maxShift}..${this.profile.maxShift} has ${this.profile.minUsableBits} jointly usable bits`;
          throw new InconsistentCapturesError([i, j], m.rawDistance, reason);
        }
      }
    }
    const { template } = buildTemplate(
      captures.map((c) => c.probe),
      this.profile,
    );
    const required = this.profile.deduplication.enrolmentMinUsableBits;
    const usable = template.usableBitCount();
    if (usable < required) {
      throw new InsufficientUsableBitsError(
        "captures",
        `the template built from ${captures.length} captures`,
        usable,
        required,
      );
    }
    if (computeTemplateCommitment(template, base.salt) !== base.templateCommitment) {
      throw new CaptureError(
        "COMMITMENT_MISMATCH",
        "Field 'templateCommitment' is not templateCommitment(template, salt) of the template built from the captures",
        { field: "templateCommitment" },
      );
    }
    const probes = [
      { code: template, field: "captures" },
      ...captures.map((c, i) => ({ code: c.probe, field: `captures[${i}]` })),
    ];
    return this.#commitEnrolment(state, base, template, probes, captures);
  }

  #checkEnrolmentBase(r: Record<string, unknown>): EnrolmentBase {
    const groupId = identifier(r.groupId, "groupId");
    const identityCommitment = fieldElement(r.identityCommitment, "identityCommitment", { nonZero: true });
    const templateCommitment = fieldElement(r.templateCommitment, "templateCommitment");
    const salt = fieldElement(r.salt, "salt");
    checkSalt(salt);
    return { groupId, identityCommitment, templateCommitment, salt };
  }

  /**
   * Verifies one signed capture packet (form, signature, device, challenge, quality gates, usable
   * bits), naming fields under `field` (`capture` or `captures[i]`).
   */
  async #checkCapture(
    packet: unknown,
    field: string,
    now: number,
    verified?: Promise<CaptureCheck>,
  ): Promise<VerifiedCapture> {
    const rename = (text: string) => text.replaceAll("capture.", `${field}.`);
    const checked = await (verified ??
      this.#verifier.verifyCapture(packet as CapturePacketJson | string, {
        expectedGeometry: this.profile.geometry,
        now,
        maxAgeMs: this.#challengeTtlMs,
      }));
    if (checked.refusal !== undefined) throw captureRefusal(checked.refusal, field);
    const capture = { ...checked.capture!, probe: fromBinary(checked.capture!.probe) };
    const device = await this.repository.getDevice(capture.deviceId.toString());
    if (device === undefined) {
      throw new DeviceStateError(
        "UNKNOWN_DEVICE",
        `Field '${field}.device.publicKey' is not a registered device`,
        {
          field: `${field}.device.publicKey`,
        },
      );
    }
    if (device.revokedAt !== null) {
      throw new DeviceStateError(
        "DEVICE_REVOKED",
        `Field '${field}.device.publicKey' is a device revoked at ${new Date(device.revokedAt).toISOString()}`,
        { field: `${field}.device.publicKey` },
      );
    }
    const challenge = capture.challenge.toString();
    const early = challengeRefusal(await this.repository.getChallenge(challenge), now);
    if (early !== undefined) {
      throw new CaptureError(early.code, rename(early.message), { field: `${field}.challenge` });
    }
    for (const [name, min] of this.#qualityGates) {
      const value = capture.quality[name];
      if (value === undefined) {
        throw new CaptureError(
          "QUALITY_GATE",
          `Field '${field}.quality.${name}' is missing; the gate needs >= ${min}`,
          { field: `${field}.quality.${name}` },
        );
      }
      if (value < min) {
        throw new CaptureError(
          "QUALITY_GATE",
          `Field '${field}.quality.${name}' is ${value}, below the gate ${min}`,
          {
            field: `${field}.quality.${name}`,
          },
        );
      }
    }
    const required = this.profile.deduplication.enrolmentMinUsableBits;
    const usable = capture.probe.usableBitCount();
    if (usable < required) {
      throw new InsufficientUsableBitsError(`${field}.probe.mask`, "the captured probe", usable, required);
    }
    return { probe: capture.probe, challenge, deviceId: device.id };
  }

  /**
   * Under the mutex: the identity check, the fail-closed duplicate check of every probe against every
   * enrolled code, then the transaction storing `template`.
   */
  #commitEnrolment(
    state: GroupState,
    base: EnrolmentBase,
    template: IrisCode,
    probes: ReadonlyArray<{ readonly code: IrisCode; readonly field: string }>,
    captures: readonly VerifiedCapture[],
  ): Promise<EnrolmentReceipt> {
    const { groupId, identityCommitment, templateCommitment } = base;
    const dedup = this.profile.deduplication;
    return this.#mutex.run(async () => {
      this.#assertOpen();
      if (state.identities.has(identityCommitment.toString())) {
        throw new ConflictError(
          "DUPLICATE_MEMBER",
          "Field 'identityCommitment' is already a member of this group",
          {
            field: "identityCommitment",
          },
        );
      }
      let undecidable: { field: string; count: number } | undefined;
      for (const probe of probes) {
        const search = await this.#index.search(probe.code, {
          thresholdPer10k: dedup.thresholdPer10k,
          referenceBits: dedup.referenceBits ?? null,
          minUsableBits: dedup.minUsableBits,
          maxShift: this.profile.maxShift,
          limit: 1,
        });
        if (search.best !== null) {
          throw new DuplicateEnrollmentError(
            search.best.distance,
            dedup.thresholdPer10k,
            probe.field,
            dedup.referenceBits === undefined ? undefined : search.best.decisionDistance,
          );
        }
        if (search.undecidableCount > 0 && undecidable === undefined) {
          undecidable = { field: probe.field, count: search.undecidableCount };
        }
      }
      // A duplicate of any probe is the more specific refusal; an undecidable comparison refuses too.
      if (undecidable !== undefined) {
        throw new UndecidableComparisonError(
          undecidable.field,
          undecidable.count,
          dedup.minUsableBits,
          this.profile.maxShift,
        );
      }
      const leaf = leafFor(state.kind, identityCommitment, templateCommitment);
      const memberIndex = state.group.size;
      state.group.addMember(leaf);
      const commitNow = this.#now();
      let enrolmentId: number;
      try {
        enrolmentId = await this.repository.commitEnrolment({
          challenge: captures[0]!.challenge,
          ...(captures.length > 1 ? { furtherChallenges: captures.slice(1).map((c) => c.challenge) } : {}),
          now: commitNow,
          enrolment: {
            groupId,
            memberIndex,
            identityCommitment: identityCommitment.toString(),
            templateCommitment: templateCommitment.toString(),
            deviceId: captures[0]!.deviceId,
            code: toBinary(template),
            createdAt: commitNow,
          },
          leaf: leaf.toString(),
          root: state.group.root.toString(),
        });
      } catch (error) {
        await this.#reloadGroup(groupId);
        throw error;
      }
      this.#index.add(BigInt(enrolmentId), template);
      state.identities.add(identityCommitment.toString());
      const root = this.#recordRoot(state, groupId, commitNow);
      await this.#snapshotPeriodically(groupId);
      return { groupId, memberIndex, leaf, root };
    });
  }

  /**
   * Removes a member: its leaf becomes 0, its enrolment leaves the uniqueness index (the eye may
   * enrol again), and a new root is recorded. Throws `UNKNOWN_GROUP` or `UNKNOWN_MEMBER`.
   */
  async removeMember(groupId: string, memberIndex: number): Promise<bigint> {
    this.#assertOpen();
    const state = this.#group(groupId);
    const index = integer(memberIndex, "memberIndex", 0, Number.MAX_SAFE_INTEGER);
    return this.#mutex.run(async () => {
      if (index >= state.group.size || state.group.members[index] === 0n) {
        throw new NotFoundError("UNKNOWN_MEMBER", `Group '${groupId}' has no member at index ${index}`, {
          field: "memberIndex",
        });
      }
      const enrolment = await this.repository.getEnrolmentByMember(groupId, index);
      const members = await this.repository.listMembers(groupId);
      const identity = members[index]!.identityCommitment;
      state.group.removeMember(index);
      const now = this.#now();
      try {
        await this.repository.updateMember({
          groupId,
          index,
          leaf: "0",
          identityCommitment: identity,
          removed: true,
          now,
          root: state.group.root.toString(),
        });
      } catch (error) {
        await this.#reloadGroup(groupId);
        throw error;
      }
      if (enrolment !== undefined) this.#index.remove(BigInt(enrolment.id));
      state.identities.delete(identity);
      const root = this.#recordRoot(state, groupId, now);
      await this.#snapshotPeriodically(groupId);
      return root;
    });
  }

  /**
   * Biometric recovery: a member who lost their Semaphore secret proves, with a match proof of
   * `@zkiris/match-proof`, that a fresh capture (signed by a trusted device over a challenge issued by
   * this registry) matches the template commitment of their enrolment; their leaf is then replaced by
   * one for `newIdentityCommitment` (biometric groups keep binding the same template commitment).
   * Refuses with nothing stored: `RECOVERY_UNAVAILABLE` (no match artifacts configured),
   * `INVALID_PARAMETER`, `UNKNOWN_GROUP`, `UNKNOWN_MEMBER`, `UNKNOWN_CHALLENGE` / `CHALLENGE_REPLAYED` /
   * `CHALLENGE_EXPIRED` (the proof's public challenge), `INVALID_PROOF` (public signals other than
   * `[templateCommitment of the member, challenge, current device root]`, or a proof that does not
   * verify) and `DUPLICATE_MEMBER`. The challenge is consumed in the same transaction as the leaf update.
   */
  async recoverMember(request: RecoveryRequest): Promise<EnrolmentReceipt> {
    this.#assertOpen();
    const artifacts = this.#matchArtifacts;
    if (artifacts === undefined) {
      throw new RecoveryError(
        "RECOVERY_UNAVAILABLE",
        "This registry was opened without match-proof artifacts",
      );
    }
    const r = object(request, "request");
    const groupId = identifier(r.groupId, "groupId");
    const index = integer(r.memberIndex, "memberIndex", 0, Number.MAX_SAFE_INTEGER);
    const identityCommitment = fieldElement(r.newIdentityCommitment, "newIdentityCommitment", {
      nonZero: true,
    });
    const matchProof = object(r.matchProof, "matchProof") as unknown as RecoveryRequest["matchProof"];
    if (!Array.isArray(matchProof.publicSignals) || matchProof.publicSignals.length !== 3) {
      throw new InvalidParameterError(
        "matchProof.publicSignals",
        "Parameter 'matchProof.publicSignals' must hold 3 decimal strings",
      );
    }
    const challenge = fieldElement(matchProof.publicSignals[1], "matchProof.publicSignals[1]");
    const state = this.#group(groupId);
    const enrolment = await this.repository.getEnrolmentByMember(groupId, index);
    if (enrolment === undefined || enrolment.removedAt !== null || state.group.members[index] === 0n) {
      throw new NotFoundError(
        "UNKNOWN_MEMBER",
        `Group '${groupId}' has no enrolled member at index ${index}`,
        {
          field: "memberIndex",
        },
      );
    }
    const early = challengeRefusal(await this.repository.getChallenge(challenge.toString()), this.#now());
    if (early !== undefined) {
      throw new CaptureError(
        early.code,
        early.message.replace("capture.challenge", "matchProof.publicSignals[1]"),
        {
          field: "matchProof.publicSignals[1]",
        },
      );
    }
    const templateCommitment = BigInt(enrolment.templateCommitment);
    let valid: boolean;
    try {
      valid = await verifyMatch(
        matchProof,
        { templateCommitment, challenge, deviceRoot: this.#deviceTree.root },
        { artifacts },
      );
    } catch (error) {
      if (error instanceof MatchProofError) {
        throw new InvalidParameterError(
          `matchProof.${error.field ?? "proof"}`.replace("matchProof.matchProof", "matchProof"),
          error.message,
          {
            cause: error,
          },
        );
      }
      throw error;
    }
    if (!valid) {
      throw new RecoveryError(
        "INVALID_PROOF",
        "Field 'matchProof' does not prove a fresh trusted capture matching this member's template commitment",
        { field: "matchProof" },
      );
    }
    return this.#mutex.run(async () => {
      this.#assertOpen();
      if (state.identities.has(identityCommitment.toString())) {
        throw new ConflictError(
          "DUPLICATE_MEMBER",
          "Field 'newIdentityCommitment' is already a member of this group",
          {
            field: "newIdentityCommitment",
          },
        );
      }
      if (state.group.members[index] === 0n) {
        throw new NotFoundError("UNKNOWN_MEMBER", `Group '${groupId}' has no member at index ${index}`, {
          field: "memberIndex",
        });
      }
      const leaf = leafFor(state.kind, identityCommitment, templateCommitment);
      state.group.updateMember(index, leaf);
      const now = this.#now();
      try {
        await this.repository.updateMember({
          groupId,
          index,
          leaf: leaf.toString(),
          identityCommitment: identityCommitment.toString(),
          removed: false,
          now,
          root: state.group.root.toString(),
          challenge: challenge.toString(),
        });
      } catch (error) {
        await this.#reloadGroup(groupId);
        if (error instanceof CaptureError) {
          throw new CaptureError(
            error.code,
            error.message.replace("capture.challenge", "matchProof.publicSignals[1]"),
            {
              field: "matchProof.publicSignals[1]",
            },
          );
        }
        throw error;
      }
      state.identities.delete(enrolment.identityCommitment);
      state.identities.add(identityCommitment.toString());
      const root = this.#recordRoot(state, groupId, now);
      await this.#snapshotPeriodically(groupId);
      return { groupId, memberIndex: index, leaf, root };
    });
  }

  // ---- polls -----------------------------------------------------------------------------------

  /**
   * Creates a poll. Throws `INVALID_PARAMETER` (also for `requireLiveness` on a plain group),
   * `UNKNOWN_GROUP`, `POLL_EXISTS`, `SCOPE_IN_USE` (another poll has the scope: one proof would
   * count in both; the message names that poll), or `LIVENESS_UNAVAILABLE` (`requireLiveness` on a registry
   * opened without `livenessArtifacts`).
   */
  async createPoll(request: PollRequest): Promise<PollInfo> {
    this.#assertOpen();
    const r = object(request, "request");
    const id = identifier(r.id, "id");
    const groupId = identifier(r.groupId, "groupId");
    if (!Array.isArray(r.options) || r.options.length < 2 || r.options.length > 64) {
      throw new InvalidParameterError("options", "Parameter 'options' must be an array of 2 to 64 labels");
    }
    const options = r.options.map((label, i) => {
      if (typeof label !== "string" || label.length === 0 || label.length > 200) {
        throw new InvalidParameterError(
          `options[${i}]`,
          `Parameter 'options[${i}]' must be a string of 1-200 characters`,
        );
      }
      return label;
    });
    const opensAt = integer(r.opensAt, "opensAt", 0, Number.MAX_SAFE_INTEGER);
    const closesAt = integer(r.closesAt, "closesAt", 0, Number.MAX_SAFE_INTEGER);
    if (closesAt <= opensAt)
      throw new InvalidParameterError("closesAt", "Parameter 'closesAt' must be after 'opensAt'");
    const scope = r.scope === undefined ? defaultPollScope(id) : fieldElement(r.scope, "scope");
    if (r.requireLiveness !== undefined && typeof r.requireLiveness !== "boolean") {
      throw new InvalidParameterError("requireLiveness", "Parameter 'requireLiveness' must be a boolean");
    }
    const requireLiveness = r.requireLiveness === true;
    const state = this.#group(groupId);
    if (requireLiveness) {
      if (state.kind !== "biometric") {
        throw new InvalidParameterError(
          "requireLiveness",
          `Parameter 'requireLiveness' needs a biometric group; group '${groupId}' is ${state.kind}`,
        );
      }
      this.#requireLivenessArtifacts();
    }
    const poll: PollRecord = {
      id,
      groupId,
      scope: scope.toString(),
      options,
      opensAt,
      closesAt,
      createdAt: this.#now(),
      ...(requireLiveness ? { requireLiveness: true as const } : {}),
    };
    await this.repository.insertPoll(poll);
    return poll;
  }

  /** A poll by id; `UNKNOWN_POLL`. */
  async poll(pollId: string): Promise<PollInfo> {
    this.#assertOpen();
    const id = identifier(pollId, "pollId");
    const poll = await this.repository.getPoll(id);
    if (poll === undefined)
      throw new NotFoundError("UNKNOWN_POLL", `Poll '${id}' does not exist`, { field: "pollId" });
    return poll;
  }

  /** Every poll, oldest first. */
  async polls(): Promise<PollInfo[]> {
    this.#assertOpen();
    return this.repository.listPolls();
  }

  /**
   * Casts a vote: a Semaphore proof whose message is the option index and whose scope is the poll's.
   * Refuses, with nothing stored: `UNKNOWN_POLL`, `LIVENESS_REQUIRED` (a poll with `requireLiveness`
   * takes only {@link livenessVote}), `INVALID_PARAMETER` (malformed proof, naming the
   * field), `POLL_NOT_OPEN`, `SCOPE_MISMATCH`, `OPTION_OUT_OF_RANGE`, `UNKNOWN_ROOT`, `STALE_ROOT`,
   * `DUPLICATE_NULLIFIER` (also under concurrent submissions: the database constraint decides) and
   * `INVALID_PROOF` (verified in the worker pool).
   */
  async vote(pollId: string, proof: SemaphoreProof): Promise<VoteReceipt> {
    const poll = await this.poll(pollId);
    if (poll.requireLiveness === true) {
      throw new VoteError(
        "LIVENESS_REQUIRED",
        `Poll '${poll.id}' requires a liveness-bound vote; a plain Semaphore proof is not accepted`,
        { field: "proof" },
      );
    }
    const p = checkSemaphoreProof(proof);
    const now = this.#now();
    const option = this.#checkBallot(poll, p, now);
    if (await this.repository.hasNullifier(poll.id, p.nullifier)) throw duplicateNullifier();
    const check = await this.#verifier.verify(p);
    if (!check.valid) {
      throw new VoteError(
        "INVALID_PROOF",
        `Field 'proof' does not verify${check.error === undefined ? "" : `: ${check.error}`}`,
        { field: "proof" },
      );
    }
    const acceptedAt = this.#now();
    const seq = await this.repository.insertVote({
      pollId: poll.id,
      nullifier: p.nullifier,
      option: Number(option),
      root: p.merkleTreeRoot,
      proof: p,
      acceptedAt,
    });
    return {
      seq,
      pollId: poll.id,
      option: Number(option),
      nullifier: p.nullifier,
      root: p.merkleTreeRoot,
      acceptedAt,
    };
  }

  #requireLivenessArtifacts(): Pick<LivenessVoteArtifacts, "verificationKey"> {
    if (this.#livenessArtifacts === undefined) {
      throw new RegistryError(
        "LIVENESS_UNAVAILABLE",
        "This registry was opened without liveness-vote artifacts",
        { field: "requireLiveness" },
      );
    }
    return this.#livenessArtifacts;
  }

  async #livenessPoll(pollId: string): Promise<PollInfo> {
    const poll = await this.poll(pollId);
    if (poll.requireLiveness !== true) {
      throw new VoteError(
        "LIVENESS_NOT_REQUIRED",
        `Poll '${poll.id}' is a plain Semaphore poll; it takes no liveness challenge or liveness-bound vote`,
        { field: "pollId" },
      );
    }
    return poll;
  }

  /**
   * The current liveness challenge of a poll with `requireLiveness`: the latest one issued for the
   * poll while less than half of `livenessChallengeTtlMs` has passed since it was issued, otherwise
   * a fresh random one (stored, valid for `livenessChallengeTtlMs`). Every voter of the poll gets
   * the same challenge in that window, so it names no one. Throws `UNKNOWN_POLL`,
   * `LIVENESS_NOT_REQUIRED` (a plain poll) and `POLL_NOT_OPEN` (the poll has closed).
   */
  async pollChallenge(pollId: string): Promise<PollChallenge> {
    const poll = await this.#livenessPoll(pollId);
    return this.#pollChallengeMutex.run(async () => {
      this.#assertOpen();
      const now = this.#now();
      if (now >= poll.closesAt) {
        throw new VoteError(
          "POLL_NOT_OPEN",
          `Poll '${poll.id}' closed at ${new Date(poll.closesAt).toISOString()}`,
          { field: "pollId" },
        );
      }
      const issued = await this.repository.listPollChallenges(poll.id);
      let record: PollChallengeRecord | undefined = issued[issued.length - 1];
      if (
        record === undefined ||
        now < record.issuedAt ||
        (now - record.issuedAt) * 2 >= this.#livenessChallengeTtlMs
      ) {
        record = {
          pollId: poll.id,
          value: randomFieldElement().toString(),
          issuedAt: now,
          expiresAt: now + this.#livenessChallengeTtlMs,
        };
        await this.repository.insertPollChallenge(record);
      }
      const challenge = BigInt(record.value);
      return {
        pollId: poll.id,
        challenge,
        captureChallenge: livenessCaptureChallenge(BigInt(poll.scope), challenge),
        issuedAt: record.issuedAt,
        expiresAt: record.expiresAt,
      };
    });
  }

  /**
   * What every ballot must satisfy, plain or liveness-bound: the poll is open at `now`, the proof
   * is for the poll's scope, its message is one of the options (returned) and its root is one the
   * group accepts (`checkRoot`).
   */
  #checkBallot(
    poll: PollInfo,
    proof: { readonly scope: string; readonly message: string; readonly merkleTreeRoot: string },
    now: number,
  ): bigint {
    if (now < poll.opensAt || now >= poll.closesAt) {
      throw new VoteError(
        "POLL_NOT_OPEN",
        `Poll '${poll.id}' accepts votes from ${new Date(poll.opensAt).toISOString()} until ${new Date(poll.closesAt).toISOString()}`,
        { field: "pollId" },
      );
    }
    if (proof.scope !== poll.scope) {
      throw new VoteError("SCOPE_MISMATCH", `Field 'proof.scope' is not the scope of poll '${poll.id}'`, {
        field: "proof.scope",
      });
    }
    const option = BigInt(proof.message);
    if (option >= BigInt(poll.options.length)) {
      throw new VoteError(
        "OPTION_OUT_OF_RANGE",
        `Field 'proof.message' is option ${option}; poll '${poll.id}' has options 0 to ${poll.options.length - 1}`,
        { field: "proof.message" },
      );
    }
    this.checkRoot(poll.groupId, proof.merkleTreeRoot, now);
    return option;
  }

  /**
   * Casts a liveness-bound vote (`LivenessVoteProof` of `@zkiris/match-proof`) in a poll with
   * `requireLiveness`: message = the option index, scope = the poll's, the challenge one this
   * registry issued for this poll ({@link pollChallenge}) and not expired, the device root the
   * current or a recent (replaced within `deviceRootExpiryMs`) root of the device registry tree,
   * the group root one the poll accepts, and the proof verified by `verifyLivenessVote` with the
   * configured verification key. Refuses, with nothing stored: `UNKNOWN_POLL`,
   * `LIVENESS_NOT_REQUIRED` (a plain poll), `INVALID_PARAMETER` (malformed vote, naming the field),
   * `POLL_NOT_OPEN`, `SCOPE_MISMATCH`, `OPTION_OUT_OF_RANGE`, `UNKNOWN_ROOT`, `STALE_ROOT`,
   * `UNKNOWN_CHALLENGE` (not issued for this poll), `CHALLENGE_EXPIRED`, `UNKNOWN_DEVICE_ROOT`,
   * `STALE_DEVICE_ROOT`, `DUPLICATE_NULLIFIER` (the same constraint as plain votes decides under
   * concurrent submissions) and `INVALID_PROOF`.
   */
  async livenessVote(pollId: string, vote: LivenessVoteProof): Promise<VoteReceipt> {
    const poll = await this.#livenessPoll(pollId);
    const artifacts = this.#requireLivenessArtifacts();
    const v = checkLivenessVote(vote);
    const now = this.#now();
    const option = this.#checkBallot(poll, v, now);
    const challenge = await this.repository.getPollChallenge(poll.id, v.challenge);
    if (challenge === undefined) {
      throw new VoteError(
        "UNKNOWN_CHALLENGE",
        `Field 'proof.challenge' was not issued by this registry for poll '${poll.id}'`,
        { field: "proof.challenge" },
      );
    }
    if (now >= challenge.expiresAt) {
      throw new VoteError(
        "CHALLENGE_EXPIRED",
        `Field 'proof.challenge' expired at ${new Date(challenge.expiresAt).toISOString()}`,
        { field: "proof.challenge" },
      );
    }
    this.#checkDeviceRoot(await this.repository.listDeviceRoots(), v.deviceRoot, now);
    if (await this.repository.hasNullifier(poll.id, v.nullifier)) throw duplicateNullifier();
    const check = await this.#verifier.verifyLivenessVote(
      v,
      {
        merkleTreeRoots: [BigInt(v.merkleTreeRoot)],
        scope: BigInt(poll.scope),
        challenge: BigInt(v.challenge),
        deviceRoot: BigInt(v.deviceRoot),
      },
      artifacts.verificationKey,
    );
    if (check.refusal !== undefined) {
      if (check.refusal.code === "MALFORMED_PROOF") {
        // The verifier names the vote's own fields (`proof.pi_a[0]`); here the vote is `proof`.
        throw new InvalidParameterError(`proof.${check.refusal.field ?? "proof"}`, check.refusal.message);
      }
      throw new RegistryError(
        "VERIFIER_FAILED",
        `The liveness-vote verifier refused its own input (${check.refusal.code}): ${check.refusal.message}`,
      );
    }
    if (!check.valid) {
      throw new VoteError(
        "INVALID_PROOF",
        "Field 'proof' does not verify as a liveness-bound vote for this poll",
        { field: "proof" },
      );
    }
    const acceptedAt = this.#now();
    const seq = await this.repository.insertVote({
      pollId: poll.id,
      nullifier: v.nullifier,
      option: Number(option),
      root: v.merkleTreeRoot,
      proof: v,
      acceptedAt,
    });
    return {
      seq,
      pollId: poll.id,
      option: Number(option),
      nullifier: v.nullifier,
      root: v.merkleTreeRoot,
      acceptedAt,
    };
  }

  #checkDeviceRoot(history: readonly DeviceRootRecord[], root: string, now: number): void {
    const entries = history.filter((r) => r.root === root);
    if (entries.length === 0) {
      throw new VoteError(
        "UNKNOWN_DEVICE_ROOT",
        "Field 'proof.deviceRoot' is not a root of this registry's device tree",
        { field: "proof.deviceRoot" },
      );
    }
    if (!entries.some((r) => r.replacedAt === null || now - r.replacedAt <= this.#deviceRootExpiryMs)) {
      throw new VoteError(
        "STALE_DEVICE_ROOT",
        `Field 'proof.deviceRoot' was replaced more than ${this.#deviceRootExpiryMs} ms ago (a device was registered or revoked since)`,
        { field: "proof.deviceRoot" },
      );
    }
  }

  /** Counts per option; `UNKNOWN_POLL`. */
  async tally(pollId: string): Promise<Tally> {
    const poll = await this.poll(pollId);
    const counted = await this.repository.countVotes(poll.id);
    const counts = poll.options.map((_, i) => counted.get(i) ?? 0);
    return { pollId: poll.id, options: poll.options, counts, total: counts.reduce((a, b) => a + b, 0) };
  }

  /**
   * The public audit log of a poll (see {@link recount}): version 1 for a plain poll, version 2 with
   * the poll's liveness challenges and the device root history for a poll with `requireLiveness`;
   * `UNKNOWN_POLL`.
   */
  async auditLog(pollId: string): Promise<AuditLog> {
    const poll = await this.poll(pollId);
    const base = {
      poll,
      rootExpiryMs: this.#group(poll.groupId).rootExpiryMs,
      roots: await this.repository.listRoots(poll.groupId),
      votes: await this.repository.listVotes(poll.id),
    };
    if (poll.requireLiveness !== true) return { version: 1, ...base };
    return {
      version: 2,
      ...base,
      liveness: {
        challenges: await this.repository.listPollChallenges(poll.id),
        deviceRootExpiryMs: this.#deviceRootExpiryMs,
        deviceRoots: await this.repository.listDeviceRoots(),
      },
    };
  }

  /** Resolves when the database answers a query; throws `CLOSED` after `close()`, or the driver's error. */
  async ping(): Promise<void> {
    this.#assertOpen();
    await this.repository.ping();
  }

  /**
   * Writes a consistent copy of the SQLite database to the new file `destination` while the registry
   * keeps serving (writes made during the copy are either all in it or none). The copy opens as a
   * registry of its own. Throws `INVALID_PARAMETER` when `destination` exists, `BACKUP_UNSUPPORTED` on
   * PostgreSQL, `CLOSED` after `close()`.
   */
  async backup(destination: string): Promise<void> {
    this.#assertOpen();
    await this.repository.backup(destination);
  }

  /** Releases the search workers, the verifier pool and the database. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#mutex.run(async () => {
        for (const groupId of this.#groups.keys()) await this.#snapshot(groupId);
      });
    } finally {
      await this.#pollChallengeMutex.run(async () => {});
      await this.#verifier.close();
      await this.#index.close();
      await this.repository.close();
    }
  }
}

async function openRepository(location: DatabaseLocation): Promise<Repository> {
  if (typeof location === "string" && location.length > 0) {
    const repository = new SqliteRepository(location);
    return repository;
  }
  if (typeof location === "object" && location !== null && typeof location.postgres === "string") {
    return PostgresRepository.open({
      url: location.postgres,
      ...(location.schema === undefined ? {} : { schema: location.schema }),
      ...(location.poolSize === undefined ? {} : { poolSize: location.poolSize }),
    });
  }
  throw new InvalidParameterError(
    "database",
    "Parameter 'database' must be a SQLite file path or { postgres: url, schema? }",
  );
}
