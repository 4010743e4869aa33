import { availableParallelism } from "node:os";
import type { MerkleProof } from "@semaphore-protocol/group";
import type { SemaphoreProof } from "@semaphore-protocol/proof";
import type { DeviceMerkleProof } from "@zkiris/device";
import { checkProfile, DEFAULT_PROFILE, type IrisProfile } from "@zkiris/iris-code";
import type { LivenessVoteArtifacts, LivenessVoteProof, MatchArtifacts } from "@zkiris/match-proof";
import { UniquenessIndex } from "@zkiris/uniqueness";
import { ChallengeService } from "./challenges.js";
import { DeviceService } from "./devices.js";
import { type CapturesEnrolmentRequest, type EnrolmentRequest, EnrolmentService } from "./enrolment.js";
import { InvalidParameterError } from "./errors.js";
import { type GroupMembers, GroupTrees, type TreeSource } from "./group-trees.js";
import { type GroupInfo, type GroupRequest, GroupService } from "./groups.js";
import { type DatabaseLocation, openRepository } from "./open-repository.js";
import {
  type AuditLog,
  type PollChallenge,
  type PollInfo,
  type PollRequest,
  PollService,
  type Tally,
  type VoteReceipt,
} from "./polls.js";
import { type RecoveryRequest, RecoveryService } from "./recovery.js";
import type { DeviceRecord, PollChallengeRecord, Repository, RootRecord } from "./repository.js";
import { type EnrolmentReceipt, Lifecycle, MAX_ROOT_EXPIRY_MS, WriteLock } from "./service-shared.js";
import { integer, object } from "./validation.js";
import { ProofVerifierPool } from "./verifier-pool.js";

// The facade keeps the names every caller imported from this module before the split.
export { randomFieldElement } from "./challenges.js";
export {
  type CapturesEnrolmentRequest,
  type EnrolmentRequest,
  MAX_ENROLMENT_CAPTURES,
  MIN_ENROLMENT_CAPTURES,
} from "./enrolment.js";
export {
  type GroupMembers,
  groupFromMembers,
  TREE_SNAPSHOT_INTERVAL,
  type TreeSource,
} from "./group-trees.js";
export type { GroupInfo, GroupRequest } from "./groups.js";
export type { DatabaseLocation } from "./open-repository.js";
export {
  type AuditLog,
  defaultPollScope,
  type LivenessAuditRecords,
  type PollChallenge,
  type PollInfo,
  type PollRequest,
  type Tally,
  type VoteReceipt,
} from "./polls.js";
export type { RecoveryRequest } from "./recovery.js";
export { type EnrolmentReceipt, MAX_ROOT_EXPIRY_MS } from "./service-shared.js";

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

/** How long an old root of a group without its own setting still verifies. */
function rootExpiryOf(options: RegistryOptions): number {
  return options.rootExpiryMs ?? 60 * 60_000;
}

/** What opening a registry took: for `bench/registry/restart.ts` and operators' logs. */
export interface OpenTimings {
  /**
   * From the start of the trees' restore (after the migration, with the workers starting) to the
   * registry being ready, in milliseconds.
   */
  readonly totalMs: number;
  /** Loading every active enrolment into the uniqueness index. */
  readonly indexMs: number;
  /** Restoring every group's tree (snapshots, catch-up, rebuilds) and writing new snapshots. */
  readonly treesMs: number;
  readonly trees: ReadonlyArray<{ readonly groupId: string; readonly source: TreeSource }>;
}

/**
 * The services a registry is made of, each one concern, for a caller who wants only that one
 * (`registry.services.polls.vote(...)` is `registry.vote(...)`). They share the registry's
 * repository, clock, write lock and open state; see the README's architecture section.
 */
export interface RegistryServices {
  /** Capture devices and the device registry tree. */
  readonly devices: DeviceService;
  /** The one-time capture challenges. */
  readonly challenges: ChallengeService;
  /** Groups, their members, Merkle proofs and accepted roots. */
  readonly groups: GroupService;
  /** Unique enrolment (the uniqueness index) and member removal. */
  readonly enrolment: EnrolmentService;
  /** Biometric recovery of a member's leaf. */
  readonly recovery: RecoveryService;
  /** Polls, votes, liveness challenges, tallies and audit logs. */
  readonly polls: PollService;
}

/**
 * The enrolment registry: capture devices and challenges, unique iris enrolment into Semaphore
 * groups (LeanIMT, root history), and anonymous polls with a public audit log. Open with
 * {@link Registry.open}; `close()` releases the database, the search workers and the verifier pool.
 * A facade over {@link RegistryServices}: every method delegates to one service, which documents
 * its checks and refusals in full.
 *
 * One process writes a database at a time (PostgreSQL: enforced with an advisory lock); within it,
 * every search-then-insert runs under one write lock, so two enrolments of the same eye cannot both land.
 */
export class Registry {
  readonly profile: IrisProfile;
  readonly repository: Repository;
  /** The registry's services, one per concern. */
  readonly services: RegistryServices;
  readonly #index: UniquenessIndex;
  readonly #verifier: ProofVerifierPool;
  readonly #lifecycle = new Lifecycle();
  readonly #writeLock = new WriteLock();
  readonly #trees: GroupTrees;
  #openTimings: OpenTimings | undefined;

  private constructor(
    repository: Repository,
    index: UniquenessIndex,
    verifier: ProofVerifierPool,
    profile: IrisProfile,
    options: RegistryOptions,
    trees: GroupTrees,
  ) {
    this.repository = repository;
    this.#index = index;
    this.#verifier = verifier;
    this.profile = profile;
    const base = { repository, now: options.now ?? Date.now, lifecycle: this.#lifecycle };
    const writeLock = this.#writeLock;
    const rootExpiryMs = rootExpiryOf(options);
    this.#trees = trees;
    const devices = new DeviceService({
      ...base,
      writeLock,
      deviceRootExpiryMs: options.deviceRootExpiryMs ?? 5 * 60_000,
    });
    const challenges = new ChallengeService({
      ...base,
      challengeTtlMs: options.challengeTtlMs ?? 5 * 60_000,
    });
    const groups = new GroupService({ ...base, writeLock, trees, rootExpiryMs });
    this.services = Object.freeze({
      devices,
      challenges,
      groups,
      enrolment: new EnrolmentService({
        ...base,
        writeLock,
        trees,
        index,
        verifier,
        challenges,
        profile,
        qualityGates: Object.entries(options.qualityGates ?? {}),
      }),
      recovery: new RecoveryService({
        ...base,
        writeLock,
        trees,
        challenges,
        devices,
        matchArtifacts: options.matchArtifacts,
      }),
      polls: new PollService({
        ...base,
        verifier,
        groups,
        devices,
        livenessArtifacts: options.livenessArtifacts,
        livenessChallengeTtlMs: options.livenessChallengeTtlMs ?? 10 * 60_000,
      }),
    });
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
    let creating: Promise<UniquenessIndex> | undefined;
    let index: UniquenessIndex | undefined;
    let verifier: ProofVerifierPool | undefined;
    try {
      await repository.migrate();
      // The search and verifier workers boot in their own threads while this thread restores the
      // group trees from the database; the index is awaited only to be filled.
      creating = UniquenessIndex.create({
        profile,
        workers: o.searchWorkers ?? Math.max(1, availableParallelism()),
      });
      creating.catch(() => {});
      verifier = new ProofVerifierPool(
        o.verifierWorkers,
        o.verifierTimeoutMs === undefined ? {} : { timeoutMs: o.verifierTimeoutMs },
      );
      const started = performance.now();
      const trees = new GroupTrees(repository, o.now ?? Date.now, rootExpiryOf(o));
      const treeSources = await trees.load();
      const treesMs = performance.now() - started;
      index = await creating;
      const registry = new Registry(repository, index, verifier, profile, o, trees);
      await registry.#load(started, treeSources, treesMs);
      return registry;
    } catch (error) {
      await verifier?.close();
      index ??= await creating?.catch(() => undefined);
      await index?.close();
      await repository.close();
      throw error;
    }
  }

  /**
   * What opening took: the uniqueness index load, the trees (and for each group whether it came
   * from its snapshot, from its snapshot with the leaves changed since, or was rebuilt).
   */
  get openTimings(): OpenTimings {
    return this.#openTimings!;
  }

  async #load(started: number, trees: OpenTimings["trees"], treesMs: number): Promise<void> {
    await this.services.devices.loadTree();
    const indexStart = performance.now();
    await this.services.enrolment.loadIndex();
    const done = performance.now();
    this.#openTimings = {
      totalMs: done - started,
      indexMs: done - indexStart,
      treesMs,
      trees,
    };
  }

  // ---- devices and challenges ({@link DeviceService}, {@link ChallengeService}) ---------------

  /** Registers a capture device by its public key `[Ax, Ay]`; see {@link DeviceService.registerDevice}. */
  registerDevice(publicKey: readonly [bigint | string, bigint | string]): Promise<DeviceRecord> {
    return this.services.devices.registerDevice(publicKey);
  }

  /** A registered device by id, or `UNKNOWN_DEVICE`; see {@link DeviceService.device}. */
  device(deviceId: bigint | string): Promise<DeviceRecord> {
    return this.services.devices.device(deviceId);
  }

  /** Revokes a device; see {@link DeviceService.revokeDevice}. */
  revokeDevice(deviceId: bigint | string): Promise<DeviceRecord> {
    return this.services.devices.revokeDevice(deviceId);
  }

  /** Root, used slots and trusted devices of the device registry tree; see {@link DeviceService.deviceRegistry}. */
  deviceRegistry(): { root: bigint; slots: number; trusted: number } {
    return this.services.devices.deviceRegistry();
  }

  /** Inclusion proof of a trusted device; see {@link DeviceService.deviceProof}. */
  deviceProof(deviceId: bigint | string): DeviceMerkleProof {
    return this.services.devices.deviceProof(deviceId);
  }

  /** Issues a fresh single-use capture challenge; see {@link ChallengeService.issueChallenge}. */
  issueChallenge(): Promise<{ challenge: bigint; expiresAt: number }> {
    return this.services.challenges.issueChallenge();
  }

  /** Deletes expired challenges and returns how many; see {@link ChallengeService.pruneChallenges}. */
  pruneChallenges(): Promise<number> {
    return this.services.challenges.pruneChallenges();
  }

  // ---- groups ({@link GroupService}) ---------------------------------------------------------

  /** Creates an empty group; see {@link GroupService.createGroup}. */
  createGroup(request: GroupRequest): Promise<GroupInfo> {
    return this.services.groups.createGroup(request);
  }

  /** Public state of a group; see {@link GroupService.group}. */
  group(groupId: string): GroupInfo {
    return this.services.groups.group(groupId);
  }

  /** Ids of every group; see {@link GroupService.groupIds}. */
  groupIds(): string[] {
    return this.services.groups.groupIds();
  }

  /** Public state of every group, in creation order; see {@link GroupService.groups}. */
  groups(): GroupInfo[] {
    return this.services.groups.groups();
  }

  /** The leaves of a group in index order; see {@link GroupService.members}. */
  members(groupId: string): bigint[] {
    return this.services.groups.members(groupId);
  }

  /** The leaves and removed indices of a group; see {@link GroupService.memberList}. */
  memberList(groupId: string): GroupMembers {
    return this.services.groups.memberList(groupId);
  }

  /** Root history of a group, oldest first; see {@link GroupService.rootHistory}. */
  rootHistory(groupId: string): Promise<RootRecord[]> {
    return this.services.groups.rootHistory(groupId);
  }

  /** The LeanIMT Merkle proof of a member; see {@link GroupService.merkleProof}. */
  merkleProof(groupId: string, memberIndex: number): MerkleProof {
    return this.services.groups.merkleProof(groupId, memberIndex);
  }

  /** Checks that a vote may use `root` at `now`; see {@link GroupService.checkRoot}. */
  checkRoot(groupId: string, root: bigint | string, now?: number): RootRecord {
    return this.services.groups.checkRoot(groupId, root, now);
  }

  // ---- enrolment and recovery ({@link EnrolmentService}, {@link RecoveryService}) -------------

  /** Enrols one eye from one capture; see {@link EnrolmentService.enrol} for the checks in order. */
  enrol(request: EnrolmentRequest): Promise<EnrolmentReceipt> {
    return this.services.enrolment.enrol(request);
  }

  /** Enrols one eye from 3 to 5 captures; see {@link EnrolmentService.enrolFromCaptures}. */
  enrolFromCaptures(request: CapturesEnrolmentRequest): Promise<EnrolmentReceipt> {
    return this.services.enrolment.enrolFromCaptures(request);
  }

  /** Removes a member and returns the new root; see {@link EnrolmentService.removeMember}. */
  removeMember(groupId: string, memberIndex: number): Promise<bigint> {
    return this.services.enrolment.removeMember(groupId, memberIndex);
  }

  /** Replaces a member's leaf on a match proof; see {@link RecoveryService.recoverMember}. */
  recoverMember(request: RecoveryRequest): Promise<EnrolmentReceipt> {
    return this.services.recovery.recoverMember(request);
  }

  // ---- polls ({@link PollService}) -----------------------------------------------------------

  /** Creates a poll; see {@link PollService.createPoll}. */
  createPoll(request: PollRequest): Promise<PollInfo> {
    return this.services.polls.createPoll(request);
  }

  /** A poll by id; `UNKNOWN_POLL`. */
  poll(pollId: string): Promise<PollInfo> {
    return this.services.polls.poll(pollId);
  }

  /** Every poll, oldest first. */
  polls(): Promise<PollInfo[]> {
    return this.services.polls.polls();
  }

  /** Casts a Semaphore vote; see {@link PollService.vote} for the checks in order. */
  vote(pollId: string, proof: SemaphoreProof): Promise<VoteReceipt> {
    return this.services.polls.vote(pollId, proof);
  }

  /** The current liveness challenge of a poll; see {@link PollService.pollChallenge}. */
  pollChallenge(pollId: string): Promise<PollChallenge> {
    return this.services.polls.pollChallenge(pollId);
  }

  /** Every liveness challenge a poll issued, oldest first; see {@link PollService.issuedChallenges}. */
  pollChallenges(pollId: string): Promise<PollChallengeRecord[]> {
    return this.services.polls.issuedChallenges(pollId);
  }

  /** Casts a liveness-bound vote; see {@link PollService.livenessVote} for the checks in order. */
  livenessVote(pollId: string, vote: LivenessVoteProof): Promise<VoteReceipt> {
    return this.services.polls.livenessVote(pollId, vote);
  }

  /** Counts per option; `UNKNOWN_POLL`. */
  tally(pollId: string): Promise<Tally> {
    return this.services.polls.tally(pollId);
  }

  /** The public audit log of a poll; see {@link PollService.auditLog}. */
  auditLog(pollId: string): Promise<AuditLog> {
    return this.services.polls.auditLog(pollId);
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  /** Resolves when the database answers a query; throws `CLOSED` after `close()`, or the driver's error. */
  async ping(): Promise<void> {
    this.#lifecycle.assertOpen();
    await this.repository.ping();
  }

  /**
   * Writes a consistent copy of the SQLite database to the new file `destination` while the registry
   * keeps serving (writes made during the copy are either all in it or none). The copy opens as a
   * registry of its own. Throws `INVALID_PARAMETER` when `destination` exists, `BACKUP_UNSUPPORTED` on
   * PostgreSQL, `CLOSED` after `close()`.
   */
  async backup(destination: string): Promise<void> {
    this.#lifecycle.assertOpen();
    await this.repository.backup(destination);
  }

  /**
   * Releases the search workers, the verifier pool and the database, after writing the tree
   * snapshot of every group that changed (under the write lock, so after the changes queued
   * before) and letting a liveness challenge being issued finish. Idempotent.
   */
  async close(): Promise<void> {
    if (!this.#lifecycle.close()) return;
    try {
      await this.#writeLock.run(() => this.#trees.snapshotAll());
    } finally {
      await this.services.polls.settle();
      await this.#verifier.close();
      await this.#index.close();
      await this.repository.close();
    }
  }
}
