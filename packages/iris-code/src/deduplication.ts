import type { PreparedProbe } from "./distance.js";
import { IrisCodeError } from "./errors.js";
import { type DeduplicationDecision, THRESHOLD_SCALE } from "./geometry.js";

const HALF = THRESHOLD_SCALE / 2;

function checkCounts(differing: number, usable: number): void {
  if (
    !Number.isInteger(usable) ||
    usable < 0 ||
    !Number.isInteger(differing) ||
    differing < 0 ||
    differing > usable
  ) {
    throw new IrisCodeError(
      "INVALID_PARAMETER",
      `Bit counts must be integers with 0 <= differing <= usable, received differing ${differing}, usable ${usable}`,
      { field: "differing" },
    );
  }
}

/**
 * True when a comparison with `usable` jointly usable bits of which `differing` differ is a
 * duplicate under the normalised distance
 * `0.5 - (0.5 - differing / usable) * sqrt(min(usable, referenceBits) / referenceBits)`
 * `<= thresholdPer10k / 10000`: Daugman's normalisation for comparisons on fewer bits than the
 * reference (a distance from few bits is weaker evidence and is pulled towards 0.5), capped at the
 * raw distance above it (more bits than the reference are not taken as more independent evidence:
 * blur and segmentation failures make neighbouring bits agree). So a normalised distance is never
 * below a raw one of at most 0.5, and a normalised duplicate is always a raw one. Decided exactly in integers: for `usable >= referenceBits` the raw rule
 * `differing * 10000 <= t * usable`; below it, with `a = usable - 2 * differing` and
 * `t = thresholdPer10k < 5000`, `a > 0` and `a^2 * 25,000,000 >= (5000 - t)^2 * referenceBits * usable`
 * (both sides squared from `a * sqrt(usable) * 5000 >= (5000 - t) * usable * sqrt(referenceBits)`).
 */
export function normalisedMatch(
  differing: number,
  usable: number,
  thresholdPer10k: number,
  referenceBits: number,
): boolean {
  checkCounts(differing, usable);
  if (usable === 0) return false;
  if (usable >= referenceBits) return differing * THRESHOLD_SCALE <= thresholdPer10k * usable;
  const a = usable - 2 * differing;
  if (a <= 0) return false;
  const margin = HALF - thresholdPer10k;
  const left = a * a * 25_000_000;
  const right = margin * margin * referenceBits * usable;
  if (left <= Number.MAX_SAFE_INTEGER && right <= Number.MAX_SAFE_INTEGER) return left >= right;
  const ba = BigInt(a);
  const bm = BigInt(margin);
  return ba * ba * 25_000_000n >= bm * bm * BigInt(referenceBits) * BigInt(usable);
}

/**
 * The deduplication decision on one comparison (its counts at one shift): the raw rule
 * `differing * 10000 <= thresholdPer10k * usable`, or {@link normalisedMatch} when the decision has
 * `referenceBits`. The usable-bit floor (`minUsableBits`) is the caller's: it decides whether the
 * shift is considered at all.
 */
export function deduplicationMatches(
  differing: number,
  usable: number,
  decision: DeduplicationDecision,
): boolean {
  if (decision.referenceBits !== undefined)
    return normalisedMatch(differing, usable, decision.thresholdPer10k, decision.referenceBits);
  checkCounts(differing, usable);
  return usable > 0 && differing * THRESHOLD_SCALE <= decision.thresholdPer10k * usable;
}

/**
 * The distance the deduplication decision compares with its threshold: raw `differing / usable`,
 * or the normalised distance when the decision has `referenceBits`. For reports and ordering; the
 * decision itself is {@link deduplicationMatches}.
 */
export function deduplicationDistance(
  differing: number,
  usable: number,
  decision: DeduplicationDecision,
): number {
  checkCounts(differing, usable);
  if (usable === 0) return 1;
  const raw = differing / usable;
  const r = decision.referenceBits;
  return r === undefined || usable >= r ? raw : 0.5 - (0.5 - raw) * Math.sqrt(usable / r);
}

/** Outcome of {@link compareForDeduplication}. */
export interface DeduplicationComparison {
  /** True when some shift with at least `minUsableBits` usable bits is a duplicate. */
  readonly duplicate: boolean;
  /** False when no shift has `minUsableBits` usable bits: the comparison is undecidable. */
  readonly decidable: boolean;
  /** The decision distance ({@link deduplicationDistance}) at the best decidable shift; 1 when undecidable. */
  readonly distance: number;
  /** Counts and shift at that best shift (0 when undecidable). */
  readonly differingBits: number;
  readonly usableBits: number;
  readonly shift: number;
}

/**
 * The deduplication decision between a prepared probe and a template (unshifted row words, see
 * `rowWords`) over the probe's shifts: each shift with at least `decision.minUsableBits` jointly
 * usable bits is decided exactly ({@link deduplicationMatches}); the reported shift is the one with
 * the smallest decision distance (ties: the first in the probe's shift order).
 */
export function compareForDeduplication(
  probe: PreparedProbe,
  templateBits: Uint32Array,
  templateMask: Uint32Array,
  decision: DeduplicationDecision,
): DeduplicationComparison {
  const counts = new Int32Array(2 * probe.shifts.length);
  probe.shiftCounts(templateBits, templateMask, counts);
  let duplicate = false;
  let best = -1;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (let k = 0; k < probe.shifts.length; k++) {
    const d = counts[2 * k]!;
    const u = counts[2 * k + 1]!;
    if (u < decision.minUsableBits || u === 0) continue;
    if (!duplicate && deduplicationMatches(d, u, decision)) duplicate = true;
    const v = deduplicationDistance(d, u, decision);
    if (v < bestDistance) {
      bestDistance = v;
      best = k;
    }
  }
  if (best < 0)
    return { duplicate: false, decidable: false, distance: 1, differingBits: 0, usableBits: 0, shift: 0 };
  return {
    duplicate,
    decidable: true,
    distance: bestDistance,
    differingBits: counts[2 * best]!,
    usableBits: counts[2 * best + 1]!,
    shift: probe.shifts[best]!,
  };
}
