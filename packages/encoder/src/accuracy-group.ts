import type { IrisProfile } from "@zkiris/iris-code";
import {
  type AccuracyReport,
  type CloseEyePair,
  computeAccuracy,
  type DecisionThreshold,
  type DeduplicationDistances,
  evaluateThresholds,
  type OperatingPoint,
  type PairDistances,
  type ThresholdOutcome,
} from "./accuracy.js";
import type { EnrolmentProtocolReport } from "./enrolment-protocol.js";
import { fitImpostorTail, type ImpostorTailFit } from "./impostor-tail.js";

/** The false match rates an accuracy run reports FNMR at. */
export const ACCURACY_FMR_TARGETS = [1e-3, 1e-4, 1e-5, 1e-6] as const;

/** Fixed thresholds every accuracy run evaluates besides the profile's own, in parts per 10,000. */
export const FIXED_DECISION_THRESHOLDS = [3000, 3200, 3400, 3600] as const;

/**
 * The raw-distance decision thresholds of an accuracy run: the profile's verification threshold,
 * its deduplication threshold when the profile has one on the raw distance
 * (`profile.deduplication.thresholdPer10k` without `referenceBits`; a normalising decision is
 * reported in {@link AccuracyGroupReport.deduplication} instead), then
 * {@link FIXED_DECISION_THRESHOLDS}. A value that appears twice is listed once, its labels joined.
 */
export function decisionThresholds(profile: IrisProfile): DecisionThreshold[] {
  const list: DecisionThreshold[] = [{ label: "verification", thresholdPer10k: profile.thresholdPer10k }];
  const decision = (
    profile as {
      readonly deduplication?: { readonly thresholdPer10k?: unknown; readonly referenceBits?: unknown };
    }
  ).deduplication;
  const dedup = decision?.thresholdPer10k;
  if (typeof dedup === "number" && decision?.referenceBits === undefined)
    list.push({ label: "deduplication", thresholdPer10k: dedup });
  for (const t of FIXED_DECISION_THRESHOLDS)
    list.push({ label: (t / 10_000).toFixed(2), thresholdPer10k: t });
  return mergeThresholds(list);
}

/** Normalised thresholds every run with a normalising deduplication evaluates besides the profile's. */
export const FIXED_NORMALISED_THRESHOLDS = [3300, 3400, 3500, 3600] as const;

function mergeThresholds(list: readonly DecisionThreshold[]): DecisionThreshold[] {
  const merged: DecisionThreshold[] = [];
  for (const th of list) {
    const i = merged.findIndex((m) => m.thresholdPer10k === th.thresholdPer10k);
    if (i < 0) merged.push(th);
    else merged[i] = { label: `${merged[i]!.label} = ${th.label}`, thresholdPer10k: th.thresholdPer10k };
  }
  return merged;
}

/** Input of {@link measureAccuracyGroup}. */
export interface AccuracyGroupInput {
  /** Dataset name, or `pooled`. */
  readonly set: string;
  /** `none` or a degradation kind. */
  readonly degradation: string;
  readonly distances: PairDistances;
  /** Images attempted and enrolled in this group. */
  readonly attempted: number;
  readonly enrolled: number;
  /** Refused images by failed gate (or error code). */
  readonly refusals: Readonly<Record<string, number>>;
  readonly profile: IrisProfile;
  /** Default {@link decisionThresholds} of the profile. */
  readonly thresholds?: readonly DecisionThreshold[];
  /** Default {@link ACCURACY_FMR_TARGETS}. */
  readonly fmrTargets?: readonly number[];
  /** The group's figures of the enrolment protocol (`measureEnrolmentProtocol`), when measured. */
  readonly enrolmentProtocol?: EnrolmentProtocolReport;
}

/**
 * The deduplication decision on Daugman's normalised distance (see iris-code's
 * `normalisedMatch`), measured on the same pairs: FNMR at each FMR target, outcomes at the
 * profile's threshold and {@link FIXED_NORMALISED_THRESHOLDS}, and the impostor tail fitted to
 * the normalised distances.
 */
export interface DeduplicationAccuracy {
  readonly referenceBits: number;
  readonly thresholdPer10k: number;
  readonly genuine: AccuracyReport["genuine"];
  readonly impostor: AccuracyReport["impostor"];
  readonly notComparable: AccuracyReport["notComparable"];
  readonly operatingPoints: readonly OperatingPoint[];
  /** The profile's threshold first (label `deduplication`), then the fixed normalised ones. */
  readonly thresholds: readonly ThresholdOutcome[];
  readonly impostorTail: ImpostorTailFit | null;
}

/** Every figure of one set (or the pooled sets) under one degradation. */
export interface AccuracyGroupReport extends AccuracyReport {
  readonly set: string;
  readonly degradation: string;
  readonly refusals: Readonly<Record<string, number>>;
  /** False matches, FMR, FNMR and generalised FNMR at each decision threshold. */
  readonly thresholds: readonly ThresholdOutcome[];
  /** Fitted impostor tail (see `fitImpostorTail`); null when there are no shift-0 impostor distances. */
  readonly impostorTail: ImpostorTailFit | null;
  /** The normalising deduplication decision's figures; null when the profile's decides on the raw distance. */
  readonly deduplication: DeduplicationAccuracy | null;
  /**
   * Up to {@link CLOSE_EYE_PAIRS_LISTED} pairs of different eyes whose images the enrolment
   * decision matches, most matches first (see `PairDistances.closeImpostorEyes`), and how many
   * such eye pairs there are in all.
   */
  readonly closeImpostorEyes: { readonly total: number; readonly listed: readonly CloseEyePair[] };
  /**
   * The registry's enrolment protocol replayed on the group's codes (enrolments of 3 captures,
   * second enrolments with fresh captures, templates against other eyes; see
   * `EnrolmentProtocolReport`); null when not measured.
   */
  readonly enrolmentProtocol: EnrolmentProtocolReport | null;
}

/** Eye pairs listed in {@link AccuracyGroupReport.closeImpostorEyes}. */
export const CLOSE_EYE_PAIRS_LISTED = 20;

function measureDeduplication(
  d: DeduplicationDistances,
  failureToEnrol: number,
  attempted: number,
  enrolled: number,
  shifts: number,
  fmrTargets: readonly number[],
): DeduplicationAccuracy | null {
  const referenceBits = d.decision.referenceBits;
  if (referenceBits === undefined || d.genuine.length === 0 || d.impostor.length === 0) return null;
  const report = computeAccuracy({ ...d, attempted, enrolled }, fmrTargets);
  const thresholds = mergeThresholds([
    { label: "deduplication", thresholdPer10k: d.decision.thresholdPer10k },
    ...FIXED_NORMALISED_THRESHOLDS.map((t) => ({ label: (t / 10_000).toFixed(2), thresholdPer10k: t })),
  ]);
  return {
    referenceBits,
    thresholdPer10k: d.decision.thresholdPer10k,
    genuine: report.genuine,
    impostor: report.impostor,
    notComparable: report.notComparable,
    operatingPoints: report.operatingPoints,
    thresholds: evaluateThresholds(d, thresholds, failureToEnrol),
    impostorTail:
      d.impostorUnshifted.length > 0
        ? fitImpostorTail({
            minima: d.impostor,
            unshifted: d.impostorUnshifted,
            shifts,
            thresholdsPer10k: thresholds.map((t) => t.thresholdPer10k),
          })
        : null,
  };
}

/**
 * Accuracy, threshold outcomes and impostor-tail extrapolation of one group of comparisons. The
 * tail uses the minima over the profile's 2K+1 shifts and the shift-0 distances when present.
 * Throws `INVALID_PARAMETER` (from `computeAccuracy`) when either distribution is empty.
 */
export function measureAccuracyGroup(input: AccuracyGroupInput): AccuracyGroupReport {
  const report = computeAccuracy(
    { ...input.distances, attempted: input.attempted, enrolled: input.enrolled },
    input.fmrTargets ?? ACCURACY_FMR_TARGETS,
  );
  const thresholds = input.thresholds ?? decisionThresholds(input.profile);
  const unshifted = input.distances.impostorUnshifted;
  return {
    set: input.set,
    degradation: input.degradation,
    refusals: input.refusals,
    ...report,
    thresholds: evaluateThresholds(input.distances, thresholds, report.failureToEnrol),
    impostorTail:
      unshifted && unshifted.length > 0
        ? fitImpostorTail({
            minima: input.distances.impostor,
            unshifted,
            shifts: 2 * input.profile.maxShift + 1,
            thresholdsPer10k: thresholds.map((t) => t.thresholdPer10k),
          })
        : null,
    deduplication: input.distances.deduplication
      ? measureDeduplication(
          input.distances.deduplication,
          report.failureToEnrol,
          input.attempted,
          input.enrolled,
          2 * input.profile.maxShift + 1,
          input.fmrTargets ?? ACCURACY_FMR_TARGETS,
        )
      : null,
    closeImpostorEyes: {
      total: input.distances.closeImpostorEyes?.length ?? 0,
      listed: (input.distances.closeImpostorEyes ?? []).slice(0, CLOSE_EYE_PAIRS_LISTED),
    },
    enrolmentProtocol: input.enrolmentProtocol ?? null,
  };
}
