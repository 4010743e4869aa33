import {
  type DeduplicationDecision,
  deduplicationDistance,
  type IrisCode,
  type IrisProfile,
  PreparedProbe,
  rowWords,
} from "@zkiris/iris-code";
import { EncoderError } from "./errors.js";

/** Mean, standard deviation and count of a distance distribution. */
export interface DistributionSummary {
  readonly count: number;
  readonly mean: number;
  readonly std: number;
  readonly min: number;
  readonly max: number;
}

/** False non-match rate at a false match rate target. */
export interface OperatingPoint {
  /** Target false match rate. */
  readonly fmr: number;
  /** Measured false match rate at the threshold (at most the target). */
  readonly measuredFmr: number;
  readonly fnmr: number;
  /**
   * Generalised FNMR: a refused image counts as a missed match, `FTE + (1 - FTE) * fnmr`
   * (ISO/IEC 19795-1).
   */
  readonly gfnmr: number;
  /** Largest threshold (parts per 10,000; match when `distance * 10000 <= threshold`) meeting the target. */
  readonly thresholdPer10k: number;
  /** False when there are too few impostor comparisons to estimate this rate (fewer than 1/fmr). */
  readonly resolved: boolean;
}

/** Accuracy of a set of comparisons. */
export interface AccuracyReport {
  /** Images that could not be enrolled (refused) over images attempted; 0 when not given. */
  readonly failureToEnrol: number;
  readonly attempted: number;
  readonly enrolled: number;
  /** Distances of comparable genuine pairs. */
  readonly genuine: DistributionSummary;
  /** Distances of comparable impostor pairs. */
  readonly impostor: DistributionSummary;
  /** Pairs with too few jointly usable bits to compare; they count as non-matches in every rate. */
  readonly notComparable: { readonly genuine: number; readonly impostor: number };
  /** Decidability `|mu_i - mu_g| / sqrt((s_i^2 + s_g^2) / 2)`. */
  readonly dPrime: number;
  /** Equal error rate (mean of FMR and FNMR where they cross). */
  readonly eer: number;
  /** Threshold (distance) at the equal error rate. */
  readonly eerThreshold: number;
  readonly operatingPoints: readonly OperatingPoint[];
}

/** Input of {@link computeAccuracy}: distances, or codes grouped by eye. */
export type AccuracyInput =
  | {
      readonly genuine: ArrayLike<number>;
      readonly impostor: ArrayLike<number>;
      /** Genuine pairs that could not be compared (count as non-matches). Default 0. */
      readonly genuineNotComparable?: number;
      /** Impostor pairs that could not be compared (count as non-matches). Default 0. */
      readonly impostorNotComparable?: number;
      readonly attempted?: number;
      readonly enrolled?: number;
    }
  | {
      /** Codes per eye id; codes of one eye form genuine pairs, of different eyes impostor pairs. */
      readonly codesByEye: ReadonlyMap<string, readonly IrisCode[]>;
      readonly profile: IrisProfile;
      readonly attempted?: number;
    };

/**
 * Genuine and impostor distances of every comparable pair, and how many pairs of each kind had
 * too few jointly usable bits to compare (those never match).
 */
export interface PairDistances {
  readonly genuine: Float64Array;
  readonly impostor: Float64Array;
  readonly genuineNotComparable?: number;
  readonly impostorNotComparable?: number;
  /**
   * Impostor distances at shift 0 alone (no search over shifts) of the impostor pairs comparable
   * there: what Daugman's binomial fit needs before the best-of-shifts minimum is applied.
   */
  readonly impostorUnshifted?: Float64Array;
  /**
   * The same pairs under the profile's deduplication decision when it normalises the distance
   * (`profile.deduplication.referenceBits`): Daugman's normalised distance (capped at the raw one from `referenceBits` usable bits on, see
   * iris-code's `normalisedMatch`), minimised over the
   * shifts with at least `deduplication.minUsableBits` usable bits, clamped to [0, 1].
   */
  readonly deduplication?: DeduplicationDistances;
  /**
   * The pairs of different eyes with at least one comparison that the enrolment decision calls a
   * duplicate (the deduplication decision when the profile normalises, else its raw deduplication
   * threshold or the verification threshold), most such comparisons first: where a person should look for
   * failed segmentations, or for one eye filed under two labels.
   */
  readonly closeImpostorEyes?: readonly CloseEyePair[];
}

/** Two eyes with comparisons under the enrolment decision (see {@link PairDistances}). */
export interface CloseEyePair {
  /** The two eye ids, in the order of the input. */
  readonly eyes: readonly [string, string];
  /** Comparisons of their images that the decision calls a duplicate. */
  readonly matches: number;
  /** Comparisons of their images (codes of the one times codes of the other). */
  readonly comparisons: number;
  /** The lowest distance among them, on the decision's own distance. */
  readonly closest: number;
}

/** Pair distances under a normalising deduplication decision (see {@link PairDistances}). */
export interface DeduplicationDistances {
  readonly decision: DeduplicationDecision;
  readonly genuine: Float64Array;
  readonly impostor: Float64Array;
  readonly genuineNotComparable: number;
  readonly impostorNotComparable: number;
  /** Shift-0 normalised distances of the impostor pairs decidable there. */
  readonly impostorUnshifted: Float64Array;
}

/** Pair distances of everything together and of each group (pairs whose eyes share a group). */
export interface GroupedPairDistances {
  readonly pooled: PairDistances;
  readonly byGroup: ReadonlyMap<string, PairDistances>;
}

/**
 * All pairwise distances (each unordered pair once), minimised over the profile's shifts. Pairs
 * with fewer than `minUsableBits` jointly usable bits at every shift are counted as not
 * comparable (never a match) instead of getting a distance. `onProgress(done, total)` is called
 * as rows complete.
 */
export function pairDistances(
  codesByEye: ReadonlyMap<string, readonly IrisCode[]>,
  profile: IrisProfile,
  onProgress?: (done: number, total: number) => void,
): PairDistances {
  return groupedPairDistances(codesByEye, profile, () => "", onProgress).pooled;
}

class DistanceCollector {
  readonly genuine: number[] = [];
  readonly impostor: number[] = [];
  readonly impostorUnshifted: number[] = [];
  genuineNotComparable = 0;
  impostorNotComparable = 0;
  readonly dedup = {
    genuine: [] as number[],
    impostor: [] as number[],
    impostorUnshifted: [] as number[],
    genuineNotComparable: 0,
    impostorNotComparable: 0,
  };
  readonly close = new Map<string, { eyes: [string, string]; matches: number; closest: number }>();

  /** Counts one impostor comparison of eyes `a` and `b` that the enrolment decision matches. */
  closeMatch(a: string, b: string, distance: number): void {
    const key = `${a}\u0000${b}`;
    const c = this.close.get(key);
    if (c) {
      c.matches++;
      if (distance < c.closest) c.closest = distance;
    } else this.close.set(key, { eyes: [a, b], matches: 1, closest: distance });
  }

  result(
    decision: DeduplicationDecision | undefined,
    codesPerEye: ReadonlyMap<string, number>,
  ): PairDistances {
    const d = this.dedup;
    const closeImpostorEyes = [...this.close.values()]
      .map((c) => ({
        eyes: c.eyes,
        matches: c.matches,
        comparisons: codesPerEye.get(c.eyes[0])! * codesPerEye.get(c.eyes[1])!,
        closest: c.closest,
      }))
      .sort((x, y) => y.matches - x.matches || x.closest - y.closest);
    return {
      closeImpostorEyes,
      genuine: Float64Array.from(this.genuine),
      impostor: Float64Array.from(this.impostor),
      genuineNotComparable: this.genuineNotComparable,
      impostorNotComparable: this.impostorNotComparable,
      impostorUnshifted: Float64Array.from(this.impostorUnshifted),
      ...(decision
        ? {
            deduplication: {
              decision,
              genuine: Float64Array.from(d.genuine),
              impostor: Float64Array.from(d.impostor),
              genuineNotComparable: d.genuineNotComparable,
              impostorNotComparable: d.impostorNotComparable,
              impostorUnshifted: Float64Array.from(d.impostorUnshifted),
            },
          }
        : {}),
    };
  }
}

/** The profile's deduplication decision when it normalises (and is well formed), else undefined. */
function normalisingDecision(profile: IrisProfile): DeduplicationDecision | undefined {
  const d = (profile as { readonly deduplication?: DeduplicationDecision }).deduplication;
  return d !== undefined && typeof d.referenceBits === "number" ? d : undefined;
}

const clamp01 = (v: number): number => Math.max(0, Math.min(1, v));

/**
 * {@link pairDistances} of every pair (`pooled`) and, for each group named by `groupOf(eye)`, of
 * the pairs whose two eyes are in that group (`byGroup`), in one pass. Eye ids must be unique
 * across groups (namespace them, e.g. `set/eye`). Also collects the shift-0 impostor distances and,
 * when the profile's deduplication normalises the distance, the same pairs under that decision.
 * Throws `INVALID_PARAMETER` when a code does not have the profile's geometry.
 */
export function groupedPairDistances(
  codesByEye: ReadonlyMap<string, readonly IrisCode[]>,
  profile: IrisProfile,
  groupOf: (eye: string) => string,
  onProgress?: (done: number, total: number) => void,
): GroupedPairDistances {
  const flat: { eye: string; group: string; code: IrisCode; bits: Uint32Array; mask: Uint32Array }[] = [];
  for (const [eye, codes] of codesByEye) {
    for (const code of codes) {
      if (
        code.geometry.rows !== profile.geometry.rows ||
        code.geometry.cols !== profile.geometry.cols ||
        code.geometry.bitsPerCell !== profile.geometry.bitsPerCell
      ) {
        throw new EncoderError(
          "INVALID_PARAMETER",
          `A code of eye '${eye}' does not have the profile's geometry`,
          {
            field: "codesByEye",
          },
        );
      }
      flat.push({
        eye,
        group: groupOf(eye),
        code,
        bits: rowWords(code.packedBitsView() as Uint8Array, code.geometry),
        mask: rowWords(code.packedMaskView() as Uint8Array, code.geometry),
      });
    }
  }
  const pooled = new DistanceCollector();
  const groups = new Map<string, DistanceCollector>();
  for (const f of flat) if (!groups.has(f.group)) groups.set(f.group, new DistanceCollector());
  const single = groups.size === 1;
  const minU = profile.minUsableBits;
  const decision = normalisingDecision(profile);
  const dedupMinU = decision?.minUsableBits ?? 0;
  const referenceBits = decision?.referenceBits ?? 1;
  const nShifts = 2 * profile.maxShift + 1;
  const counts = new Int32Array(2 * nShifts);
  const codesPerEye = new Map<string, number>();
  for (const [eye, codes] of codesByEye) codesPerEye.set(eye, codes.length);
  // The enrolment decision's limit on its own distance: the normalising decision's, else a raw
  // deduplication threshold, else the verification threshold.
  const rawDedup = (profile as { readonly deduplication?: { readonly thresholdPer10k?: unknown } })
    .deduplication?.thresholdPer10k;
  const enrolLimit =
    (decision?.thresholdPer10k ?? (typeof rawDedup === "number" ? rawDedup : profile.thresholdPer10k)) /
    10_000;
  for (let i = 0; i < flat.length; i++) {
    const a = flat[i]!;
    // Shift order 0, -1, +1, ...: index 0 is shift 0.
    const probe = new PreparedProbe(a.code, profile.maxShift);
    const own = groups.get(a.group)!;
    for (let j = i + 1; j < flat.length; j++) {
      const b = flat[j]!;
      probe.shiftCounts(b.bits, b.mask, counts);
      const same = a.eye === b.eye;
      const inGroup = !single && a.group === b.group;
      // Raw: the lowest differing / usable (exact cross-multiplication, first shift on ties) among
      // shifts with the verification floor, as PreparedProbe.compareWords decides.
      let bd = -1;
      let bu = 1;
      let dedup = Number.POSITIVE_INFINITY;
      for (let k = 0; k < nShifts; k++) {
        const d = counts[2 * k]!;
        const u = counts[2 * k + 1]!;
        if (u >= minU && u > 0 && (bd < 0 || d * bu < bd * u)) {
          bd = d;
          bu = u;
        }
        if (decision && u >= dedupMinU && u > 0) {
          // deduplicationDistance, inlined (the counts are valid by construction).
          const v = u >= referenceBits ? d / u : 0.5 - (0.5 - d / u) * Math.sqrt(u / referenceBits);
          if (v < dedup) dedup = v;
        }
      }
      const raw = bd < 0 ? -1 : bd / bu;
      const targets = inGroup ? [pooled, own] : [pooled];
      for (const c of targets) {
        if (raw >= 0) (same ? c.genuine : c.impostor).push(raw);
        else if (same) c.genuineNotComparable++;
        else c.impostorNotComparable++;
        if (decision) {
          if (dedup !== Number.POSITIVE_INFINITY)
            (same ? c.dedup.genuine : c.dedup.impostor).push(clamp01(dedup));
          else if (same) c.dedup.genuineNotComparable++;
          else c.dedup.impostorNotComparable++;
        }
        if (same) continue;
        const enrolDistance = decision ? dedup : raw >= 0 ? raw : Number.POSITIVE_INFINITY;
        if (enrolDistance <= enrolLimit) c.closeMatch(a.eye, b.eye, clamp01(enrolDistance));
        const d0 = counts[0]!;
        const u0 = counts[1]!;
        if (u0 >= minU && u0 > 0) c.impostorUnshifted.push(d0 / u0);
        if (decision && u0 >= dedupMinU && u0 > 0)
          c.dedup.impostorUnshifted.push(clamp01(deduplicationDistance(d0, u0, decision)));
      }
    }
    onProgress?.(i + 1, flat.length);
  }
  const result = pooled.result(decision, codesPerEye);
  const byGroup = new Map<string, PairDistances>();
  for (const [name, c] of groups) byGroup.set(name, single ? result : c.result(decision, codesPerEye));
  return { pooled: result, byGroup };
}

function summary(values: Float64Array): DistributionSummary {
  const n = values.length;
  if (n === 0) return { count: 0, mean: Number.NaN, std: Number.NaN, min: Number.NaN, max: Number.NaN };
  let s = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    s += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = s / n;
  let q = 0;
  for (const v of values) q += (v - mean) ** 2;
  return { count: n, mean, std: Math.sqrt(q / n), min, max };
}

/** Fraction of `sorted` values `<= t` (binary search). */
function fractionAtMost(sorted: Float64Array, t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return sorted.length ? lo / sorted.length : 0;
}

/**
 * Failure-to-enrol, genuine/impostor mean and std, decidability d', EER with its threshold, and
 * FNMR at FMR 1e-3 and 1e-4 (plus `fmrTargets`). A comparison matches when `distance <= t`.
 * Throws `INVALID_PARAMETER` when either distribution is empty or holds a value outside [0, 1].
 */
export function computeAccuracy(
  input: AccuracyInput,
  fmrTargets: readonly number[] = [1e-3, 1e-4],
): AccuracyReport {
  let distances: PairDistances;
  let attempted: number;
  let enrolled: number;
  if ("codesByEye" in input) {
    distances = pairDistances(input.codesByEye, input.profile);
    enrolled = [...input.codesByEye.values()].reduce((a, c) => a + c.length, 0);
    attempted = input.attempted ?? enrolled;
  } else {
    distances = {
      genuine: Float64Array.from(input.genuine),
      impostor: Float64Array.from(input.impostor),
      genuineNotComparable: input.genuineNotComparable ?? 0,
      impostorNotComparable: input.impostorNotComparable ?? 0,
    };
    enrolled = input.enrolled ?? 0;
    attempted = input.attempted ?? enrolled;
  }
  for (const [name, arr] of [
    ["genuine", distances.genuine],
    ["impostor", distances.impostor],
  ] as const) {
    if (arr.length === 0) {
      throw new EncoderError("INVALID_PARAMETER", `Parameter '${name}' has no distances`, { field: name });
    }
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i]!;
      if (!(v >= 0 && v <= 1)) {
        throw new EncoderError(
          "INVALID_PARAMETER",
          `Parameter '${name}[${i}]' is ${v}; distances lie in [0, 1]`,
          {
            field: `${name}[${i}]`,
          },
        );
      }
    }
  }
  const g = Float64Array.from(distances.genuine).sort();
  const im = Float64Array.from(distances.impostor).sort();
  const gNc = distances.genuineNotComparable ?? 0;
  const iNc = distances.impostorNotComparable ?? 0;
  const nG = g.length + gNc;
  const nI = im.length + iNc;
  // Rates over all pairs: a pair that cannot be compared never matches.
  const fmrAt = (t: number) => (fractionAtMost(im, t) * im.length) / nI;
  const fnmrAt = (t: number) => 1 - (fractionAtMost(g, t) * g.length) / nG;
  const gs = summary(g);
  const is = summary(im);
  // EER: scan candidate thresholds (every distinct value) for the FMR/FNMR crossing.
  const candidates = Float64Array.from(new Set([...g, ...im, 0, 1])).sort();
  let eer = 1;
  let eerThreshold = 0;
  let bestGap = Number.POSITIVE_INFINITY;
  for (const t of candidates) {
    const fmr = fmrAt(t);
    const fnmr = fnmrAt(t);
    const gap = Math.abs(fmr - fnmr);
    if (gap < bestGap) {
      bestGap = gap;
      eer = (fmr + fnmr) / 2;
      eerThreshold = t;
    }
  }
  const failureToEnrol = attempted > 0 ? (attempted - enrolled) / attempted : 0;
  const operatingPoints = fmrTargets.map((target): OperatingPoint => {
    const allowed = Math.floor(target * nI);
    // Largest per-10k threshold with at most `allowed` impostors at or under it.
    const limit = allowed < im.length ? im[allowed]! : 1.0001;
    let thr = Math.ceil(limit * 10_000) - 1;
    while (thr >= 0 && fractionAtMost(im, thr / 10_000) * im.length > allowed) thr--;
    thr = Math.max(thr, 0);
    const t = thr / 10_000;
    const fnmr = fnmrAt(t);
    return {
      fmr: target,
      measuredFmr: fmrAt(t),
      fnmr,
      gfnmr: generalisedFnmr(failureToEnrol, fnmr),
      thresholdPer10k: thr,
      resolved: nI >= 1 / target,
    };
  });
  return {
    failureToEnrol,
    attempted,
    enrolled,
    genuine: gs,
    impostor: is,
    notComparable: { genuine: gNc, impostor: iNc },
    dPrime: Math.abs(is.mean - gs.mean) / Math.sqrt((is.std ** 2 + gs.std ** 2) / 2),
    eer,
    eerThreshold,
    operatingPoints,
  };
}

/** `FTE + (1 - FTE) * FNMR`: the FNMR when a refused image counts as a missed match. */
export function generalisedFnmr(failureToEnrol: number, fnmr: number): number {
  return failureToEnrol + (1 - failureToEnrol) * fnmr;
}

/** A named decision threshold, in parts per 10,000 (match when `distance * 10000 <= threshold`). */
export interface DecisionThreshold {
  readonly label: string;
  readonly thresholdPer10k: number;
}

/** What one decision threshold does on a set of comparisons. */
export interface ThresholdOutcome extends DecisionThreshold {
  /** Impostor pairs whose distance is at or under the threshold (false matches), counted. */
  readonly impostorPairsAtOrUnder: number;
  /** All impostor pairs, comparable or not. */
  readonly impostorPairs: number;
  readonly fmr: number;
  readonly fnmr: number;
  readonly gfnmr: number;
}

/**
 * Counts false matches and measures FMR, FNMR and generalised FNMR at each threshold. Pairs that
 * cannot be compared never match. Throws `INVALID_PARAMETER` for a threshold that is not an
 * integer in 0..10000 or a failure-to-enrol outside [0, 1].
 */
export function evaluateThresholds(
  distances: PairDistances,
  thresholds: readonly DecisionThreshold[],
  failureToEnrol = 0,
): ThresholdOutcome[] {
  if (!(failureToEnrol >= 0 && failureToEnrol <= 1)) {
    throw new EncoderError(
      "INVALID_PARAMETER",
      `Parameter 'failureToEnrol' is ${failureToEnrol}; it must lie in [0, 1]`,
      { field: "failureToEnrol" },
    );
  }
  const g = Float64Array.from(distances.genuine).sort();
  const im = Float64Array.from(distances.impostor).sort();
  const nG = g.length + (distances.genuineNotComparable ?? 0);
  const nI = im.length + (distances.impostorNotComparable ?? 0);
  return thresholds.map((th, i) => {
    const t = th.thresholdPer10k;
    if (!(Number.isInteger(t) && t >= 0 && t <= 10_000)) {
      throw new EncoderError(
        "INVALID_PARAMETER",
        `Parameter 'thresholds[${i}].thresholdPer10k' is ${t}; it must be an integer in 0..10000`,
        { field: `thresholds[${i}].thresholdPer10k` },
      );
    }
    // d/u <= t/10000 in doubles agrees with d * 10000 <= t * u: both sides are correctly rounded.
    const falseMatches = Math.round(fractionAtMost(im, t / 10_000) * im.length);
    const genuineMatches = Math.round(fractionAtMost(g, t / 10_000) * g.length);
    const fnmr = nG ? 1 - genuineMatches / nG : Number.NaN;
    return {
      label: th.label,
      thresholdPer10k: t,
      impostorPairsAtOrUnder: falseMatches,
      impostorPairs: nI,
      fmr: nI ? falseMatches / nI : 0,
      fnmr,
      gfnmr: generalisedFnmr(failureToEnrol, fnmr),
    };
  });
}
