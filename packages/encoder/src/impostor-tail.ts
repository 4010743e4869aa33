import { EncoderError } from "./errors.js";

/**
 * Extrapolating the impostor distribution to false-match probabilities far below what a sample
 * can measure, two ways:
 *
 * 1. Daugman's binomial. Impostor distances at one fixed alignment (shift 0) behave like the
 *    fraction of heads in N_eff fair-ish coin tosses: a binomial with the measured mean p and the
 *    effective degrees of freedom N_eff = p(1-p)/sigma^2 (bits of an iris code are correlated, so
 *    N_eff is far below the bit count). The matcher keeps the best of m = 2K+1 shifts, so the
 *    reported distance is a minimum; Daugman ("How iris recognition works", 2004) models it as the
 *    minimum of m independent draws: F_m(x) = 1 - (1 - F_0(x))^m. Neighbouring shifts are
 *    correlated, so the nominal m overstates the number of independent tries (a conservative
 *    bound); the effective m that reproduces the observed mean of the minima is fitted as well.
 * 2. The empirical lower tail of the minima themselves (already best-of-m, so no shift correction):
 *    the lowest fraction (default 1 %) is fitted with a Gaussian (probit regression: the
 *    standard-normal quantile of each point's plotting position is linear in the distance) and
 *    with a log-linear law (ln F linear in the distance).
 *
 * For each decision threshold t (match when distance <= t) the per-comparison false-match
 * probability p_fm is given, and the probability that a newcomer is falsely refused as the
 * duplicate of someone among N enrolled, 1 - (1 - p_fm)^N.
 */

/** Binomial fitted by moments: success probability and (integer) degrees of freedom. */
export interface BinomialFit {
  /** Mean of the fitted distances (the binomial's p). */
  readonly p: number;
  /** Effective degrees of freedom p(1-p)/sigma^2, rounded to the nearest integer (at least 1). */
  readonly degreesOfFreedom: number;
}

/** A straight-line fit `y = intercept + slope * x` of a tail transform. */
export interface TailLine {
  readonly intercept: number;
  readonly slope: number;
}

/** Input of {@link fitImpostorTail}. */
export interface ImpostorTailInput {
  /** Impostor distances as the matcher reports them: minima over `shifts` alignments, in [0, 1]. */
  readonly minima: ArrayLike<number>;
  /**
   * Impostor distances at shift 0 only (same pairs or not), in [0, 1]. When given, the binomial is
   * fitted on them and the best-of-`shifts` minimum applied; when absent it is fitted on the
   * minima directly (no shift correction, `shiftCorrection: "none"`).
   */
  readonly unshifted?: ArrayLike<number>;
  /** Number of alignments the minima are taken over (2K+1 for a largest shift K). */
  readonly shifts: number;
  /** Decision thresholds in parts per 10,000 (match when `distance * 10000 <= threshold`). */
  readonly thresholdsPer10k: readonly number[];
  /** Enrolled population sizes N for the false-duplicate probability. Default 1e3, 1e4, 1e5, 1e6. */
  readonly populations?: readonly number[];
  /** Fraction of the lowest minima the empirical tail fits use. Default 0.01. */
  readonly tailFraction?: number;
  /** Fewest points the empirical tail fits use (more than the fraction when it is too few). Default 10. */
  readonly minTailPoints?: number;
}

/** Per-comparison false-match probability of each model at one threshold. */
export interface TailProbabilities {
  /** Binomial with the nominal number of shifts (or none, see `shiftCorrection`). */
  readonly binomial: number;
  /** Binomial with the fitted effective number of shifts. */
  readonly binomialEffectiveShifts: number;
  /** Gaussian fitted to the empirical lower tail; null when the tail has too few distinct points. */
  readonly gaussianTail: number | null;
  /** Log-linear law fitted to the empirical lower tail; null when it cannot be fitted. */
  readonly logLinearTail: number | null;
}

/** The figures at one decision threshold. */
export interface TailThreshold {
  readonly thresholdPer10k: number;
  /** Impostor minima at or under the threshold, counted. */
  readonly empiricalCount: number;
  /** `empiricalCount / minima.length`. */
  readonly empiricalRate: number;
  /** Per-comparison false-match probability p_fm by model. */
  readonly pFalseMatch: TailProbabilities;
  /**
   * For each population N (same order as `populations`): the probability 1 - (1 - p_fm)^N that a
   * newcomer falsely matches at least one of N enrolled people, by model.
   */
  readonly falseDuplicate: readonly {
    readonly population: number;
    readonly probability: TailProbabilities;
  }[];
}

/** Result of {@link fitImpostorTail}. */
export interface ImpostorTailFit {
  /** What the binomial was fitted on and how the best-of-shifts minimum enters. */
  readonly shiftCorrection: "minimum-of-shifts" | "none";
  /** The binomial of a single alignment (or of the minima when `shiftCorrection` is none). */
  readonly binomial: BinomialFit;
  /** The nominal number of shifts applied (1 when `shiftCorrection` is none). */
  readonly shifts: number;
  /**
   * The number of independent shifts m (real, 1 <= m) for which the mean of the minimum of m
   * draws of the binomial equals the observed mean of the minima (1 when `shiftCorrection` is
   * none or the minima are not below the single-shift mean).
   */
  readonly effectiveShifts: number;
  /** Mean of the observed minima, and the means the binomial model predicts for them. */
  readonly minimaMean: {
    readonly observed: number;
    readonly predicted: number;
    readonly predictedEffective: number;
  };
  /** The empirical lower-tail fits; null when the tail has fewer than two distinct distances. */
  readonly empiricalTail: {
    /** Points used (the lowest minima). */
    readonly points: number;
    /** Largest distance among them. */
    readonly upTo: number;
    /** Probit regression: Phi^-1(F) = intercept + slope * x, i.e. mean -intercept/slope, sd 1/slope. */
    readonly gaussian: { readonly mean: number; readonly std: number } | null;
    /** ln F = intercept + slope * x. */
    readonly logLinear: TailLine | null;
  } | null;
  readonly populations: readonly number[];
  readonly thresholds: readonly TailThreshold[];
}

const DEFAULT_POPULATIONS = [1e3, 1e4, 1e5, 1e6] as const;

function invalid(field: string, message: string): EncoderError {
  return new EncoderError("INVALID_PARAMETER", `Parameter '${field}' ${message}`, { field });
}

function checkDistances(values: ArrayLike<number>, field: string): Float64Array {
  if (values.length === 0) throw invalid(field, "has no distances");
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v >= 0 && v <= 1)) throw invalid(`${field}[${i}]`, `is ${v}; distances lie in [0, 1]`);
    out[i] = v;
  }
  return out;
}

function meanStd(values: Float64Array): { mean: number; std: number } {
  let s = 0;
  for (const v of values) s += v;
  const mean = s / values.length;
  let q = 0;
  for (const v of values) q += (v - mean) ** 2;
  return { mean, std: Math.sqrt(q / values.length) };
}

/** Largest degrees of freedom {@link fitBinomial} accepts (far above any iris code's bit count). */
export const MAX_DEGREES_OF_FREEDOM = 1_000_000;

/**
 * Daugman's moment fit: p = mean, N = p(1-p)/std^2 rounded to an integer (at least 1). Throws
 * `INVALID_PARAMETER` when the mean is not strictly inside (0, 1), the deviation is not positive,
 * or N would exceed {@link MAX_DEGREES_OF_FREEDOM} (distances without real spread).
 */
export function fitBinomial(mean: number, std: number): BinomialFit {
  if (!(mean > 0 && mean < 1)) throw invalid("mean", `is ${mean}; it must lie strictly between 0 and 1`);
  if (!(std > 0 && Number.isFinite(std))) throw invalid("std", `is ${std}; it must be positive`);
  const degreesOfFreedom = Math.max(1, Math.round((mean * (1 - mean)) / std ** 2));
  if (degreesOfFreedom > MAX_DEGREES_OF_FREEDOM)
    throw invalid(
      "std",
      `is ${std}; the distances have almost no spread (N_eff ${degreesOfFreedom} > ${MAX_DEGREES_OF_FREEDOM})`,
    );
  return { p: mean, degreesOfFreedom };
}

/** ln(e^a + e^b) without overflow; either may be -Infinity. */
function logAdd(a: number, b: number): number {
  if (a === Number.NEGATIVE_INFINITY) return b;
  if (b === Number.NEGATIVE_INFINITY) return a;
  const m = Math.max(a, b);
  return m + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/**
 * P(K <= k) for K ~ Binomial(n, p), summed in log space so that tails down to 1e-300 keep their
 * relative precision. `k` below 0 gives 0, at least `n` gives 1.
 */
export function binomialCdf(k: number, n: number, p: number): number {
  const kk = Math.floor(k);
  if (kk < 0) return 0;
  if (kk >= n) return 1;
  if (p <= 0) return 1;
  if (p >= 1) return 0;
  const lr = Math.log(p) - Math.log1p(-p);
  let term = n * Math.log1p(-p);
  let acc = term;
  for (let i = 0; i < kk; i++) {
    term += Math.log((n - i) / (i + 1)) + lr;
    acc = logAdd(acc, term);
  }
  return Math.min(1, Math.exp(acc));
}

/** P(best of `shifts` independent draws <= x) = 1 - (1 - F)^shifts, precise for tiny F. */
export function minimumOfDrawsCdf(singleCdf: number, shifts: number): number {
  if (singleCdf >= 1) return 1;
  return -Math.expm1(shifts * Math.log1p(-singleCdf));
}

/** P(a newcomer falsely matches at least one of `population` people) = 1 - (1 - p)^N. */
export function falseDuplicateProbability(pFalseMatch: number, population: number): number {
  return minimumOfDrawsCdf(pFalseMatch, population);
}

/**
 * Binomial false-match probability at a distance threshold: P(min over `shifts` of K/N <= x)
 * with K ~ Binomial(N, p). The `1e-9` guard keeps thresholds such as 0.32 * 100 on their integer.
 */
export function binomialFalseMatch(threshold: number, fit: BinomialFit, shifts: number): number {
  const k = Math.floor(threshold * fit.degreesOfFreedom + 1e-9);
  return minimumOfDrawsCdf(binomialCdf(k, fit.degreesOfFreedom, fit.p), shifts);
}

/** P(K <= k) for every k = 0..n, K ~ Binomial(n, p), accumulated once in log space. */
function binomialCdfTable(n: number, p: number): Float64Array {
  const out = new Float64Array(n + 1);
  const lr = Math.log(p) - Math.log1p(-p);
  let term = n * Math.log1p(-p);
  let acc = term;
  out[0] = Math.exp(acc);
  for (let i = 0; i < n; i++) {
    term += Math.log((n - i) / (i + 1)) + lr;
    acc = logAdd(acc, term);
    out[i + 1] = Math.min(1, Math.exp(acc));
  }
  out[n] = 1;
  return out;
}

function minimumMean(table: Float64Array, shifts: number): number {
  const n = table.length - 1;
  let s = 0;
  for (let k = 0; k < n; k++) s += Math.exp(shifts * Math.log1p(-table[k]!));
  return s / n;
}

/**
 * Mean of the minimum of `shifts` draws of K/N, K ~ Binomial(N, p):
 * (1/N) sum_{k=0}^{N-1} (1 - F_0(k))^shifts. `shifts` may be real (an effective count).
 */
export function binomialMinimumMean(fit: BinomialFit, shifts: number): number {
  return minimumMean(binomialCdfTable(fit.degreesOfFreedom, fit.p), shifts);
}

/** Standard normal lower tail Phi(z), with relative precision far into the tail. */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  if (z > 0) return 1 - normalCdf(-z);
  const x = -z;
  const density = Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
  if (x < 3) {
    // Phi(z) = 1/2 + phi(z) * sum z^(2n+1) / (1*3*...*(2n+1)); all terms share a sign.
    let term = x;
    let sum = x;
    for (let n = 1; n < 200 && term > 1e-17 * sum; n++) {
      term *= (x * x) / (2 * n + 1);
      sum += term;
    }
    return 0.5 - density * sum;
  }
  // Mills ratio by its continued fraction, evaluated bottom-up.
  let f = x;
  for (let n = 60; n >= 1; n--) f = x + n / f;
  return density / f;
}

/**
 * Standard normal quantile Phi^-1(q) for q in (0, 1): Acklam's rational approximation refined by
 * two Halley steps against {@link normalCdf}. Throws `INVALID_PARAMETER` outside (0, 1).
 */
export function normalQuantile(q: number): number {
  if (!(q > 0 && q < 1)) throw invalid("q", `is ${q}; it must lie strictly between 0 and 1`);
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  let x: number;
  if (q < 0.02425) {
    const r = Math.sqrt(-2 * Math.log(q));
    x =
      (((((c[0]! * r + c[1]!) * r + c[2]!) * r + c[3]!) * r + c[4]!) * r + c[5]!) /
      ((((d[0]! * r + d[1]!) * r + d[2]!) * r + d[3]!) * r + 1);
  } else if (q <= 1 - 0.02425) {
    const r0 = q - 0.5;
    const r = r0 * r0;
    x =
      ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * r0) /
      (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  } else {
    return -normalQuantile(1 - q);
  }
  for (let i = 0; i < 2; i++) {
    const e = normalCdf(x) - q;
    const u = e * Math.sqrt(2 * Math.PI) * Math.exp(0.5 * x * x);
    x -= u / (1 + (x * u) / 2);
  }
  return x;
}

/** Least squares y = intercept + slope * x; null when x has no spread. */
function fitLine(xs: readonly number[], ys: readonly number[]): TailLine | null {
  const n = xs.length;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += xs[i]!;
    sy += ys[i]!;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
  }
  if (!(sxx > 0)) return null;
  const slope = sxy / sxx;
  return { intercept: my - slope * mx, slope };
}

/**
 * Fits the impostor tail (see the module comment) and evaluates every threshold and population.
 * Plotting positions of the sorted minima are Hazen's, F_i = (i - 1/2) / n. Throws
 * `INVALID_PARAMETER` for empty or out-of-range distances, a non-integer `shifts` below 1, a
 * threshold outside 0..10000, a population below 1, or a `tailFraction` outside (0, 1].
 */
export function fitImpostorTail(input: ImpostorTailInput): ImpostorTailFit {
  const minima = checkDistances(input.minima, "minima").sort();
  const unshifted = input.unshifted === undefined ? undefined : checkDistances(input.unshifted, "unshifted");
  if (!(Number.isInteger(input.shifts) && input.shifts >= 1))
    throw invalid("shifts", `is ${input.shifts}; it must be an integer of at least 1`);
  input.thresholdsPer10k.forEach((t, i) => {
    if (!(Number.isInteger(t) && t >= 0 && t <= 10_000))
      throw invalid(`thresholdsPer10k[${i}]`, `is ${t}; it must be an integer in 0..10000`);
  });
  const populations = input.populations ?? DEFAULT_POPULATIONS;
  populations.forEach((n, i) => {
    if (!(n >= 1 && Number.isFinite(n))) throw invalid(`populations[${i}]`, `is ${n}; it must be at least 1`);
  });
  const tailFraction = input.tailFraction ?? 0.01;
  if (!(tailFraction > 0 && tailFraction <= 1))
    throw invalid("tailFraction", `is ${tailFraction}; it must lie in (0, 1]`);
  const minTailPoints = input.minTailPoints ?? 10;

  const observed = meanStd(minima);
  const base = unshifted ? meanStd(unshifted) : observed;
  const binomial = fitBinomial(base.mean, base.std);
  const shifts = unshifted ? input.shifts : 1;
  const table = binomialCdfTable(binomial.degreesOfFreedom, binomial.p);
  let effectiveShifts = 1;
  if (unshifted && observed.mean < minimumMean(table, 1)) {
    // The mean of the minimum falls as m grows; bisect on m.
    let lo = 1;
    let hi = 2;
    while (minimumMean(table, hi) > observed.mean && hi < 1e6) hi *= 2;
    for (let i = 0; i < 60; i++) {
      const mid = (lo + hi) / 2;
      if (minimumMean(table, mid) > observed.mean) lo = mid;
      else hi = mid;
    }
    effectiveShifts = (lo + hi) / 2;
  }

  const n = minima.length;
  const points = Math.min(n, Math.max(minTailPoints, Math.ceil(tailFraction * n)));
  const xs: number[] = [];
  const probits: number[] = [];
  const logs: number[] = [];
  for (let i = 0; i < points; i++) {
    const f = (i + 0.5) / n;
    xs.push(minima[i]!);
    probits.push(normalQuantile(Math.min(f, 1 - 1e-16)));
    logs.push(Math.log(f));
  }
  const probit = fitLine(xs, probits);
  const logLinear = fitLine(xs, logs);
  const gaussian =
    probit && probit.slope > 0 ? { mean: -probit.intercept / probit.slope, std: 1 / probit.slope } : null;
  const logLine = logLinear && logLinear.slope > 0 ? logLinear : null;
  const empiricalTail =
    probit === null ? null : { points, upTo: minima[points - 1]!, gaussian, logLinear: logLine };

  const countAtMost = (t: number): number => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (minima[mid]! <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const thresholds = input.thresholdsPer10k.map((per10k): TailThreshold => {
    const t = per10k / 10_000;
    const p: TailProbabilities = {
      binomial: binomialFalseMatch(t, binomial, shifts),
      binomialEffectiveShifts: binomialFalseMatch(t, binomial, effectiveShifts),
      gaussianTail: gaussian ? normalCdf((t - gaussian.mean) / gaussian.std) : null,
      logLinearTail: logLine ? Math.min(1, Math.exp(logLine.intercept + logLine.slope * t)) : null,
    };
    const count = countAtMost(t);
    return {
      thresholdPer10k: per10k,
      empiricalCount: count,
      empiricalRate: count / n,
      pFalseMatch: p,
      falseDuplicate: populations.map((population) => ({
        population,
        probability: {
          binomial: falseDuplicateProbability(p.binomial, population),
          binomialEffectiveShifts: falseDuplicateProbability(p.binomialEffectiveShifts, population),
          gaussianTail:
            p.gaussianTail === null ? null : falseDuplicateProbability(p.gaussianTail, population),
          logLinearTail:
            p.logLinearTail === null ? null : falseDuplicateProbability(p.logLinearTail, population),
        },
      })),
    };
  });
  return {
    shiftCorrection: unshifted ? "minimum-of-shifts" : "none",
    binomial,
    shifts,
    effectiveShifts,
    minimaMean: {
      observed: observed.mean,
      predicted: minimumMean(table, shifts),
      predictedEffective: minimumMean(table, effectiveShifts),
    },
    empiricalTail,
    populations: [...populations],
    thresholds,
  };
}
