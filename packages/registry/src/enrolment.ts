import type { CapturePacketJson } from "@zkiris/device";
import {
  buildTemplate,
  type CodeDigest,
  checkSalt,
  templateCommitment as computeTemplateCommitment,
  fromBinary,
  type IrisCode,
  type IrisProfile,
  matchCodes,
  templateCommitmentOfDigest,
  toBinary,
} from "@zkiris/iris-code";
import type { UniquenessIndex } from "@zkiris/uniqueness";
import type { ChallengeService } from "./challenges.js";
import {
  CaptureError,
  ConflictError,
  DeviceStateError,
  DuplicateEnrollmentError,
  InconsistentCapturesError,
  InsufficientUsableBitsError,
  InvalidParameterError,
  NotFoundError,
  UndecidableComparisonError,
} from "./errors.js";
import type { GroupTrees } from "./group-trees.js";
import {
  type EnrolmentReceipt,
  leafFor,
  type ServiceDependencies,
  type WriteLock,
} from "./service-shared.js";
import { fieldElement, identifier, integer, object } from "./validation.js";
import type { CaptureCheck, CheckRefusal, ProofVerifierPool } from "./verifier-pool.js";

/** Input of {@link EnrolmentService.enrol}. Field elements may be bigints or decimal strings. */
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

/** Fewest captures {@link EnrolmentService.enrolFromCaptures} takes. */
export const MIN_ENROLMENT_CAPTURES = 3;
/** Most captures {@link EnrolmentService.enrolFromCaptures} takes. */
export const MAX_ENROLMENT_CAPTURES = 5;

/** Input of {@link EnrolmentService.enrolFromCaptures}. Field elements may be bigints or decimal strings. */
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
  /** `codeDigest(probe)`, computed by the signature check in the verifier pool. */
  readonly digest: CodeDigest;
  /** Decimal challenge. */
  readonly challenge: string;
  /** Decimal device id. */
  readonly deviceId: string;
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

/** Collaborators of {@link EnrolmentService}. */
export interface EnrolmentServiceDependencies extends ServiceDependencies {
  readonly writeLock: WriteLock;
  readonly trees: GroupTrees;
  /** The uniqueness index of every active enrolment, which this service alone reads and changes. */
  readonly index: UniquenessIndex;
  /** Checks capture packets (form, signatures) off the main thread. */
  readonly verifier: ProofVerifierPool;
  readonly challenges: ChallengeService;
  readonly profile: IrisProfile;
  /** Minimum of each named quality figure a capture packet must carry. */
  readonly qualityGates: ReadonlyArray<readonly [string, number]>;
}

/**
 * Unique enrolment: the checks of signed captures, the 1:N duplicate search of the uniqueness
 * index (`@zkiris/uniqueness`) and the transaction that stores an enrolment; and the removal of a
 * member, which takes its enrolment out of the index. Owns the uniqueness index's contents.
 */
export class EnrolmentService {
  readonly #deps: EnrolmentServiceDependencies;

  constructor(deps: EnrolmentServiceDependencies) {
    this.#deps = deps;
  }

  /**
   * Loads every active enrolment's code into the uniqueness index (at open), copying each stored
   * row straight in (`addBinary`: the same refusals as `add(id, fromBinary(code))`, a stored row
   * that is malformed or fails its checksum stops the open).
   */
  async loadIndex(): Promise<void> {
    const { repository, index } = this.#deps;
    for (const { id, code } of await repository.listActiveCodes()) {
      index.addBinary(BigInt(id), code);
    }
  }

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
    this.#deps.lifecycle.assertOpen();
    const r = object(request, "request");
    const base = this.#checkEnrolmentBase(r);
    if (r.capture === undefined || r.capture === null) {
      throw new InvalidParameterError("capture", "Parameter 'capture' is missing");
    }
    this.#deps.trees.require(base.groupId);
    const now = this.#deps.now();
    const capture = await this.#checkCapture(r.capture, "capture", now);
    if (templateCommitmentOfDigest(capture.digest, base.salt) !== base.templateCommitment) {
      throw new CaptureError(
        "COMMITMENT_MISMATCH",
        "Field 'templateCommitment' is not templateCommitment(probe, salt) of the captured probe",
        { field: "templateCommitment" },
      );
    }
    return this.#commitEnrolment(base, capture.probe, [{ code: capture.probe, field: "capture" }], [capture]);
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
    const { lifecycle, trees, verifier, profile, challenges } = this.#deps;
    lifecycle.assertOpen();
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
    trees.require(base.groupId);
    const now = this.#deps.now();
    // The signature checks run in parallel in the pool; their results are taken in request
    // order, so the refusal is the same as checking one capture after the other.
    const checks = raw.map((packet) => {
      if (packet === undefined || packet === null) return undefined;
      const check = verifier.verifyCapture(packet as CapturePacketJson | string, {
        expectedGeometry: profile.geometry,
        now,
        maxAgeMs: challenges.challengeTtlMs,
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
        const m = matchCodes(captures[i]!.probe, captures[j]!.probe, profile);
        if (!m.match) {
          const reason = m.comparable
            ? `best distance ${m.rawDistance.toFixed(4)} at shift ${m.shift} is over the verification threshold ${(profile.thresholdPer10k / 10_000).toFixed(4)}`
            : `no shift in -${profile.maxShift}..${profile.maxShift} has ${profile.minUsableBits} jointly usable bits`;
          throw new InconsistentCapturesError([i, j], m.rawDistance, reason);
        }
      }
    }
    const { template } = buildTemplate(
      captures.map((c) => c.probe),
      profile,
    );
    const required = profile.deduplication.enrolmentMinUsableBits;
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
    return this.#commitEnrolment(base, template, probes, captures);
  }

  /**
   * Removes a member: its leaf becomes 0, its enrolment leaves the uniqueness index (the eye may
   * enrol again), and a new root is recorded. Throws `UNKNOWN_GROUP` or `UNKNOWN_MEMBER`.
   */
  async removeMember(groupId: string, memberIndex: number): Promise<bigint> {
    const { lifecycle, trees, writeLock, repository, index: uniqueness } = this.#deps;
    lifecycle.assertOpen();
    trees.require(groupId);
    const index = integer(memberIndex, "memberIndex", 0, Number.MAX_SAFE_INTEGER);
    return writeLock.run(async () => {
      if (index >= trees.size(groupId) || trees.leaf(groupId, index) === 0n) {
        throw new NotFoundError("UNKNOWN_MEMBER", `Group '${groupId}' has no member at index ${index}`, {
          field: "memberIndex",
        });
      }
      const enrolment = await repository.getEnrolmentByMember(groupId, index);
      const members = await repository.listMembers(groupId);
      const identity = members[index]!.identityCommitment;
      const { root } = await trees.change(
        groupId,
        { op: "remove", index, identity },
        (newRoot, now) =>
          repository.updateMember({
            groupId,
            index,
            leaf: "0",
            identityCommitment: identity,
            removed: true,
            now,
            root: newRoot,
          }),
        () => {
          if (enrolment !== undefined) uniqueness.remove(BigInt(enrolment.id));
        },
      );
      return root;
    });
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
    const { repository, verifier, profile, challenges, qualityGates } = this.#deps;
    const rename = (text: string) => text.replaceAll("capture.", `${field}.`);
    const checked = await (verified ??
      verifier.verifyCapture(packet as CapturePacketJson | string, {
        expectedGeometry: profile.geometry,
        now,
        maxAgeMs: challenges.challengeTtlMs,
      }));
    if (checked.refusal !== undefined) throw captureRefusal(checked.refusal, field);
    const capture = { ...checked.capture!, probe: fromBinary(checked.capture!.probe) };
    const device = await repository.getDevice(capture.deviceId.toString());
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
    const early = await challenges.refusal(challenge, now);
    if (early !== undefined) {
      throw new CaptureError(early.code, rename(early.message), { field: `${field}.challenge` });
    }
    for (const [name, min] of qualityGates) {
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
    const required = profile.deduplication.enrolmentMinUsableBits;
    const usable = capture.probe.usableBitCount();
    if (usable < required) {
      throw new InsufficientUsableBitsError(`${field}.probe.mask`, "the captured probe", usable, required);
    }
    return { probe: capture.probe, digest: capture.digest, challenge, deviceId: device.id };
  }

  /**
   * Under the write lock: the identity check, the fail-closed duplicate check of every probe
   * against every enrolled code, then the transaction storing `template`.
   */
  #commitEnrolment(
    base: EnrolmentBase,
    template: IrisCode,
    probes: ReadonlyArray<{ readonly code: IrisCode; readonly field: string }>,
    captures: readonly VerifiedCapture[],
  ): Promise<EnrolmentReceipt> {
    const { lifecycle, trees, writeLock, repository, index: uniqueness, profile } = this.#deps;
    const { groupId, identityCommitment, templateCommitment } = base;
    const dedup = profile.deduplication;
    return writeLock.run(async () => {
      lifecycle.assertOpen();
      if (trees.hasIdentity(groupId, identityCommitment.toString())) {
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
        const search = await uniqueness.search(probe.code, {
          thresholdPer10k: dedup.thresholdPer10k,
          referenceBits: dedup.referenceBits ?? null,
          minUsableBits: dedup.minUsableBits,
          maxShift: profile.maxShift,
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
          profile.maxShift,
        );
      }
      const leaf = leafFor(trees.kind(groupId), identityCommitment, templateCommitment);
      const memberIndex = trees.size(groupId);
      const { root } = await trees.change(
        groupId,
        { op: "add", leaf, identity: identityCommitment.toString() },
        (newRoot, now) =>
          repository.commitEnrolment({
            challenge: captures[0]!.challenge,
            ...(captures.length > 1 ? { furtherChallenges: captures.slice(1).map((c) => c.challenge) } : {}),
            now,
            enrolment: {
              groupId,
              memberIndex,
              identityCommitment: identityCommitment.toString(),
              templateCommitment: templateCommitment.toString(),
              deviceId: captures[0]!.deviceId,
              code: toBinary(template),
              createdAt: now,
            },
            leaf: leaf.toString(),
            root: newRoot,
          }),
        (enrolmentId) => uniqueness.add(BigInt(enrolmentId), template),
      );
      return { groupId, memberIndex, leaf, root };
    });
  }
}
