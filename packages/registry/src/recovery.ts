import { type MatchArtifacts, type MatchProof, MatchProofError, verifyMatch } from "@zkiris/match-proof";
import type { ChallengeService } from "./challenges.js";
import type { DeviceService } from "./devices.js";
import {
  CaptureError,
  ConflictError,
  InvalidParameterError,
  NotFoundError,
  RecoveryError,
  type RegistryError,
} from "./errors.js";
import type { GroupTrees } from "./group-trees.js";
import {
  type EnrolmentReceipt,
  leafFor,
  type ServiceDependencies,
  type WriteLock,
} from "./service-shared.js";
import { fieldElement, identifier, integer, object } from "./validation.js";

/** Input of {@link RecoveryService.recoverMember}. */
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

/** Collaborators of {@link RecoveryService}. */
export interface RecoveryServiceDependencies extends ServiceDependencies {
  readonly writeLock: WriteLock;
  readonly trees: GroupTrees;
  readonly challenges: ChallengeService;
  /** Whose device tree root the match proof must be against. */
  readonly devices: DeviceService;
  /** Match-circuit artifacts; without them recovery refuses with `RECOVERY_UNAVAILABLE`. */
  readonly matchArtifacts: MatchArtifacts | undefined;
}

/** The capture-challenge refusals of the repository, renamed for the proof's public challenge. */
function renamed(error: RegistryError): CaptureError {
  return new CaptureError(
    error.code,
    error.message.replace("capture.challenge", "matchProof.publicSignals[1]"),
    {
      field: "matchProof.publicSignals[1]",
    },
  );
}

/** Biometric recovery: a member who lost their Semaphore secret replaces their leaf with a match proof. */
export class RecoveryService {
  readonly #deps: RecoveryServiceDependencies;

  constructor(deps: RecoveryServiceDependencies) {
    this.#deps = deps;
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
    const { lifecycle, repository, trees, challenges, devices, writeLock } = this.#deps;
    lifecycle.assertOpen();
    const artifacts = this.#deps.matchArtifacts;
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
    trees.require(groupId);
    const enrolment = await repository.getEnrolmentByMember(groupId, index);
    if (enrolment === undefined || enrolment.removedAt !== null || trees.leaf(groupId, index) === 0n) {
      throw new NotFoundError(
        "UNKNOWN_MEMBER",
        `Group '${groupId}' has no enrolled member at index ${index}`,
        {
          field: "memberIndex",
        },
      );
    }
    const early = await challenges.refusal(challenge.toString());
    if (early !== undefined) throw renamed(early);
    const templateCommitment = BigInt(enrolment.templateCommitment);
    let valid: boolean;
    try {
      valid = await verifyMatch(
        matchProof,
        { templateCommitment, challenge, deviceRoot: devices.root },
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
    return writeLock.run(async () => {
      lifecycle.assertOpen();
      if (trees.hasIdentity(groupId, identityCommitment.toString())) {
        throw new ConflictError(
          "DUPLICATE_MEMBER",
          "Field 'newIdentityCommitment' is already a member of this group",
          {
            field: "newIdentityCommitment",
          },
        );
      }
      if (trees.leaf(groupId, index) === 0n) {
        throw new NotFoundError("UNKNOWN_MEMBER", `Group '${groupId}' has no member at index ${index}`, {
          field: "memberIndex",
        });
      }
      const leaf = leafFor(trees.kind(groupId), identityCommitment, templateCommitment);
      try {
        const { root } = await trees.change(
          groupId,
          {
            op: "replace",
            index,
            leaf,
            identity: identityCommitment.toString(),
            previousIdentity: enrolment.identityCommitment,
          },
          (newRoot, now) =>
            repository.updateMember({
              groupId,
              index,
              leaf: leaf.toString(),
              identityCommitment: identityCommitment.toString(),
              removed: false,
              now,
              root: newRoot,
              challenge: challenge.toString(),
            }),
        );
        return { groupId, memberIndex: index, leaf, root };
      } catch (error) {
        if (error instanceof CaptureError) throw renamed(error);
        throw error;
      }
    });
  }
}
