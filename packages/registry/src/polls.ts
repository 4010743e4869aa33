import { createHash } from "node:crypto";
import type { SemaphoreProof } from "@semaphore-protocol/proof";
import { SNARK_FIELD_ORDER } from "@zkiris/iris-code";
import {
  type LivenessVoteArtifacts,
  type LivenessVoteProof,
  livenessCaptureChallenge,
} from "@zkiris/match-proof";
import { randomFieldElement } from "./challenges.js";
import type { DeviceService } from "./devices.js";
import { InvalidParameterError, NotFoundError, RegistryError, VoteError } from "./errors.js";
import type { GroupService } from "./groups.js";
import { checkLivenessVote } from "./liveness-vote-shape.js";
import type {
  DeviceRootRecord,
  PollChallengeRecord,
  PollRecord,
  RootRecord,
  VoteRecord,
} from "./repository.js";
import { duplicateNullifier } from "./rules.js";
import { checkSemaphoreProof } from "./semaphore-proof-shape.js";
import { type ServiceDependencies, WriteLock } from "./service-shared.js";
import { fieldElement, identifier, integer, object } from "./validation.js";
import type { ProofVerifierPool } from "./verifier-pool.js";

/** Input of {@link PollService.createPoll}. */
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
   * Take only liveness-bound votes ({@link PollService.livenessVote}): the group must be biometric
   * and the registry opened with `livenessArtifacts`. Default false (plain Semaphore votes).
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

/** Collaborators of {@link PollService}. */
export interface PollServiceDependencies extends ServiceDependencies {
  /** Verifies Semaphore proofs and liveness-bound votes off the main thread. */
  readonly verifier: ProofVerifierPool;
  /** Which group roots a vote may use. */
  readonly groups: GroupService;
  /** Which device roots a liveness vote may use, and their history for the audit log. */
  readonly devices: DeviceService;
  /** Liveness-vote artifacts; without them polls with `requireLiveness` cannot be created. */
  readonly livenessArtifacts: Pick<LivenessVoteArtifacts, "verificationKey"> | undefined;
  /** Lifetime of a poll's liveness challenge, in milliseconds. */
  readonly livenessChallengeTtlMs: number;
}

/**
 * Anonymous polls: their definitions, plain Semaphore votes and liveness-bound votes (each one
 * nullifier per poll, decided by the database), the liveness challenges of a poll, the tally and
 * the public audit log. Votes take no lock; the issue-or-reuse of a poll's liveness challenge is
 * serialised by a lock of this service's own, apart from the enrolments' long searches.
 */
export class PollService {
  readonly #deps: PollServiceDependencies;
  readonly #challengeLock = new WriteLock();

  constructor(deps: PollServiceDependencies) {
    this.#deps = deps;
  }

  /**
   * Creates a poll. Throws `INVALID_PARAMETER` (also for `requireLiveness` on a plain group),
   * `UNKNOWN_GROUP`, `POLL_EXISTS`, `SCOPE_IN_USE` (another poll has the scope: one proof would
   * count in both; the message names that poll), or `LIVENESS_UNAVAILABLE` (`requireLiveness` on a registry
   * opened without `livenessArtifacts`).
   */
  async createPoll(request: PollRequest): Promise<PollInfo> {
    this.#deps.lifecycle.assertOpen();
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
    const group = this.#deps.groups.group(groupId);
    if (requireLiveness) {
      if (group.kind !== "biometric") {
        throw new InvalidParameterError(
          "requireLiveness",
          `Parameter 'requireLiveness' needs a biometric group; group '${groupId}' is ${group.kind}`,
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
      createdAt: this.#deps.now(),
      ...(requireLiveness ? { requireLiveness: true as const } : {}),
    };
    await this.#deps.repository.insertPoll(poll);
    return poll;
  }

  /** A poll by id; `UNKNOWN_POLL`. */
  async poll(pollId: string): Promise<PollInfo> {
    this.#deps.lifecycle.assertOpen();
    const id = identifier(pollId, "pollId");
    const poll = await this.#deps.repository.getPoll(id);
    if (poll === undefined)
      throw new NotFoundError("UNKNOWN_POLL", `Poll '${id}' does not exist`, { field: "pollId" });
    return poll;
  }

  /** Every poll, oldest first. */
  async polls(): Promise<PollInfo[]> {
    this.#deps.lifecycle.assertOpen();
    return this.#deps.repository.listPolls();
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
    const { repository, verifier, now: clock } = this.#deps;
    const poll = await this.poll(pollId);
    if (poll.requireLiveness === true) {
      throw new VoteError(
        "LIVENESS_REQUIRED",
        `Poll '${poll.id}' requires a liveness-bound vote; a plain Semaphore proof is not accepted`,
        { field: "proof" },
      );
    }
    const p = checkSemaphoreProof(proof);
    const now = clock();
    const option = this.#checkBallot(poll, p, now);
    if (await repository.hasNullifier(poll.id, p.nullifier)) throw duplicateNullifier();
    const check = await verifier.verify(p);
    if (!check.valid) {
      throw new VoteError(
        "INVALID_PROOF",
        `Field 'proof' does not verify${check.error === undefined ? "" : `: ${check.error}`}`,
        { field: "proof" },
      );
    }
    const acceptedAt = clock();
    const seq = await repository.insertVote({
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

  /**
   * The current liveness challenge of a poll with `requireLiveness`: the latest one issued for the
   * poll while less than half of `livenessChallengeTtlMs` has passed since it was issued, otherwise
   * a fresh random one (stored, valid for `livenessChallengeTtlMs`). Every voter of the poll gets
   * the same challenge in that window, so it names no one. Throws `UNKNOWN_POLL`,
   * `LIVENESS_NOT_REQUIRED` (a plain poll) and `POLL_NOT_OPEN` (the poll has closed).
   */
  async pollChallenge(pollId: string): Promise<PollChallenge> {
    const { lifecycle, repository, livenessChallengeTtlMs } = this.#deps;
    const poll = await this.#livenessPoll(pollId);
    return this.#challengeLock.run(async () => {
      lifecycle.assertOpen();
      const now = this.#deps.now();
      if (now >= poll.closesAt) {
        throw new VoteError(
          "POLL_NOT_OPEN",
          `Poll '${poll.id}' closed at ${new Date(poll.closesAt).toISOString()}`,
          { field: "pollId" },
        );
      }
      const issued = await repository.listPollChallenges(poll.id);
      let record: PollChallengeRecord | undefined = issued[issued.length - 1];
      if (
        record === undefined ||
        now < record.issuedAt ||
        (now - record.issuedAt) * 2 >= livenessChallengeTtlMs
      ) {
        record = {
          pollId: poll.id,
          value: randomFieldElement().toString(),
          issuedAt: now,
          expiresAt: now + livenessChallengeTtlMs,
        };
        await repository.insertPollChallenge(record);
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
   * Every liveness challenge issued for a poll with `requireLiveness`, oldest first: public (each
   * was handed to every voter of its window), and what a liveness vote's challenge is checked
   * against off-chain. Throws `UNKNOWN_POLL` and `LIVENESS_NOT_REQUIRED` (a plain poll).
   */
  async issuedChallenges(pollId: string): Promise<PollChallengeRecord[]> {
    const poll = await this.#livenessPoll(pollId);
    return this.#deps.repository.listPollChallenges(poll.id);
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
    const { repository, verifier, devices, now: clock } = this.#deps;
    const poll = await this.#livenessPoll(pollId);
    const artifacts = this.#requireLivenessArtifacts();
    const v = checkLivenessVote(vote);
    const now = clock();
    const option = this.#checkBallot(poll, v, now);
    const challenge = await repository.getPollChallenge(poll.id, v.challenge);
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
    await devices.checkDeviceRoot(v.deviceRoot, now);
    if (await repository.hasNullifier(poll.id, v.nullifier)) throw duplicateNullifier();
    const check = await verifier.verifyLivenessVote(
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
    const acceptedAt = clock();
    const seq = await repository.insertVote({
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

  /** Counts per option; `UNKNOWN_POLL`. */
  async tally(pollId: string): Promise<Tally> {
    const poll = await this.poll(pollId);
    const counted = await this.#deps.repository.countVotes(poll.id);
    const counts = poll.options.map((_, i) => counted.get(i) ?? 0);
    return { pollId: poll.id, options: poll.options, counts, total: counts.reduce((a, b) => a + b, 0) };
  }

  /**
   * The public audit log of a poll (see `recount`): version 1 for a plain poll, version 2 with
   * the poll's liveness challenges and the device root history for a poll with `requireLiveness`;
   * `UNKNOWN_POLL`.
   */
  async auditLog(pollId: string): Promise<AuditLog> {
    const { repository, groups, devices } = this.#deps;
    const poll = await this.poll(pollId);
    const base = {
      poll,
      rootExpiryMs: groups.rootExpiryMs(poll.groupId),
      roots: await repository.listRoots(poll.groupId),
      votes: await repository.listVotes(poll.id),
    };
    if (poll.requireLiveness !== true) return { version: 1, ...base };
    return {
      version: 2,
      ...base,
      liveness: {
        challenges: await repository.listPollChallenges(poll.id),
        deviceRootExpiryMs: devices.deviceRootExpiryMs,
        deviceRoots: await devices.rootHistory(),
      },
    };
  }

  /** Waits for the liveness challenge being issued, if any (at close). */
  async settle(): Promise<void> {
    await this.#challengeLock.run(async () => {});
  }

  #requireLivenessArtifacts(): Pick<LivenessVoteArtifacts, "verificationKey"> {
    if (this.#deps.livenessArtifacts === undefined) {
      throw new RegistryError(
        "LIVENESS_UNAVAILABLE",
        "This registry was opened without liveness-vote artifacts",
        { field: "requireLiveness" },
      );
    }
    return this.#deps.livenessArtifacts;
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
    this.#deps.groups.checkRoot(poll.groupId, proof.merkleTreeRoot, now);
    return option;
  }
}
