import type { IrisProfile } from "@zkiris/iris-code";
import {
  type AccuracyReport,
  computeAccuracy,
  type DecisionThreshold,
  evaluateThresholds,
  type PairDistances,
  type ThresholdOutcome,
} from "./accuracy.js";
import { fitImpostorTail, type ImpostorTailFit } from "./impostor-tail.js";

/** The false match rates an accuracy run reports FNMR at. */
export const ACCURACY_FMR_TARGETS = [1e-3, 1e-4, 1e-5, 1e-6] as const;

/** Fixed thresholds every accuracy run evaluates besides the profile's own, in parts per 10,000. */
export const FIXED_DECISION_THRESHOLDS = [3000, 3200, 3400, 3600] as const;

/**
 * The decision thresholds of an accuracy run: the profile's verification threshold, its
 * deduplication threshold when the profile has one (`profile.deduplication.thresholdPer10k`),
 * then {@link FIXED_DECISION_THRESHOLDS}. A value that appears twice is listed once, its labels
 * joined.
 */
export function decisionThresholds(profile: IrisProfile): DecisionThreshold[] {
  const list: DecisionThreshold[] = [{ label: "verification", thresholdPer10k: profile.thresholdPer10k }];
  const dedup = (profile as { readonly deduplication?: { readonly thresholdPer10k?: unknown } }).deduplication
    ?.thresholdPer10k;
  if (typeof dedup === "number") list.push({ label: "deduplication", thresholdPer10k: dedup });
  for (const t of FIXED_DECISION_THRESHOLDS)
    list.push({ label: (t / 10_000).toFixed(2), thresholdPer10k: t });
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
  };
}
