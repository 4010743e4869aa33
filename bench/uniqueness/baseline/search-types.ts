import { bitCount, type DeduplicationDecision, type IrisProfile, THRESHOLD_SCALE } from "@zkiris/iris-code";
import { UniquenessError } from "./errors.js";

/** Identifier of an enrolled code: a string (non-empty) or a bigint (for example a database key). */
export type EnrolmentId = string | bigint;

/**
 * Options of a search. `thresholdPer10k`, `referenceBits` and `minUsableBits` default to the
 * profile's deduplication decision (`profile.deduplication`), `maxShift` to `profile.maxShift`.
 * A `thresholdPer10k` given without `referenceBits` is a raw threshold.
 */
export interface SearchOptions {
  /**
   * Match threshold in parts per 10,000: on the raw distance (a code matches when
   * `differing * 10000 <= threshold * usable`), or on the normalised one with `referenceBits`.
   */
  thresholdPer10k?: number;
  /**
   * Daugman's normalisation, capped at the raw distance (see iris-code's `normalisedMatch`): a code
   * matches when `0.5 - (0.5 - differing / usable) * sqrt(min(usable, referenceBits) / referenceBits)`
   * is at most the threshold, decided exactly. `null` selects the raw distance even when the
   * profile normalises.
   */
  referenceBits?: number | null;
  /**
   * Shifts with fewer jointly usable bits are ignored; a code with no shift left is undecidable
   * (reported in `undecidable`, never counted as a non-match).
   */
  minUsableBits?: number;
  /** Largest cyclic column shift of the probe tried in either direction. */
  maxShift?: number;
  /**
   * Largest number of entries returned in `matches` (the closest ones) and in `undecidable` (the
   * first by id); `matchCount` and `undecidableCount` count all. Default: all.
   */
  limit?: number;
}

/** One enrolled code within the threshold, at its best shift. */
export interface SearchMatch {
  readonly id: EnrolmentId;
  /** `differingBits / usableBits` at the best shift. */
  readonly distance: number;
  /**
   * The distance the decision compared with the threshold at that shift: `distance` for the raw
   * rule, the normalised distance with `referenceBits`. Matches are ordered by it.
   */
  readonly decisionDistance: number;
  readonly differingBits: number;
  readonly usableBits: number;
  /** Best shift s: probe column c was compared with enrolled column c - s (iris-code's convention). */
  readonly shift: number;
}

/** Result of an exact 1:N search. */
export interface SearchResult {
  /** Matches sorted by distance (exact rational order), then by id; at most `limit` of them. */
  readonly matches: SearchMatch[];
  /** The closest match, or null when no enrolled code matches. */
  readonly best: SearchMatch | null;
  /** Number of matching codes (before `limit`). */
  readonly matchCount: number;
  /**
   * Enrolled codes whose comparison with the probe is undecidable: no shift in
   * `-maxShift..maxShift` has `minUsableBits` jointly usable bits, so the search can say neither
   * "same eye" nor "different eye". Sorted by id; at most `limit` of them. A deduplication must
   * treat a non-empty list as a refusal, not as uniqueness.
   */
  readonly undecidable: EnrolmentId[];
  /** Number of undecidable codes (before `limit`). */
  readonly undecidableCount: number;
  /** Number of enrolled codes compared (each at every shift). */
  readonly compared: number;
  /** Wall-clock time of the search in milliseconds. */
  readonly elapsedMs: number;
}

/** Search options with defaults applied and checked. */
export interface ResolvedSearchOptions {
  readonly thresholdPer10k: number;
  /** Set for the normalised rule. */
  readonly referenceBits: number | undefined;
  readonly minUsableBits: number;
  readonly maxShift: number;
  readonly limit: number;
}

function checkIntegerOption(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new UniquenessError(
      "INVALID_PARAMETER",
      `Parameter '${field}' must be an integer between ${min} and ${max}, received ${typeof value} ${String(value)}`,
      { field },
    );
  }
  return value;
}

/**
 * Applies a profile's defaults (its deduplication decision and shift range) to search options and
 * checks every field; throws `INVALID_PARAMETER` naming the bad option.
 */
export function resolveSearchOptions(
  profile: IrisProfile,
  options: SearchOptions | undefined,
): ResolvedSearchOptions {
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw new UniquenessError(
      "INVALID_PARAMETER",
      `Parameter 'options' is not an object, received ${String(options)}`,
      {
        field: "options",
      },
    );
  }
  const o = options ?? {};
  const g = profile.geometry;
  const thresholdPer10k = checkIntegerOption(
    o.thresholdPer10k ?? profile.deduplication.thresholdPer10k,
    "options.thresholdPer10k",
    0,
    THRESHOLD_SCALE,
  );
  const referenceBits =
    o.referenceBits === null
      ? undefined
      : o.referenceBits !== undefined
        ? checkIntegerOption(o.referenceBits, "options.referenceBits", 1, bitCount(g))
        : o.thresholdPer10k === undefined
          ? profile.deduplication.referenceBits
          : undefined;
  if (referenceBits !== undefined && thresholdPer10k >= THRESHOLD_SCALE / 2) {
    throw new UniquenessError(
      "INVALID_PARAMETER",
      `Parameter 'options.thresholdPer10k' must be below ${THRESHOLD_SCALE / 2} with a normalised distance (referenceBits), received ${thresholdPer10k}`,
      { field: "options.thresholdPer10k" },
    );
  }
  return {
    thresholdPer10k,
    referenceBits,
    minUsableBits: checkIntegerOption(
      o.minUsableBits ?? profile.deduplication.minUsableBits,
      "options.minUsableBits",
      1,
      bitCount(g),
    ),
    maxShift: checkIntegerOption(
      o.maxShift ?? profile.maxShift,
      "options.maxShift",
      0,
      Math.floor((g.cols - 1) / 2),
    ),
    limit:
      o.limit === undefined
        ? Number.POSITIVE_INFINITY
        : checkIntegerOption(o.limit, "options.limit", 0, 2 ** 32),
  };
}

/** Checks an enrolment id; throws `INVALID_ID` unless it is a non-empty string or a bigint. */
export function checkId(id: unknown, field = "id"): EnrolmentId {
  if (typeof id === "bigint" || (typeof id === "string" && id.length > 0)) return id;
  throw new UniquenessError(
    "INVALID_ID",
    `Parameter '${field}' must be a non-empty string or a bigint, received ${typeof id} ${String(id)}`,
    { field },
  );
}

function compareIds(a: EnrolmentId, b: EnrolmentId): number {
  if (typeof a !== typeof b) return typeof a === "bigint" ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The deduplication decision of resolved options (for iris-code's `compareForDeduplication`); the
 * enrolment floor is not part of a search.
 */
export function searchDecision(o: ResolvedSearchOptions): DeduplicationDecision {
  return {
    thresholdPer10k: o.thresholdPer10k,
    ...(o.referenceBits === undefined ? {} : { referenceBits: o.referenceBits }),
    minUsableBits: o.minUsableBits,
    enrolmentMinUsableBits: o.minUsableBits,
  };
}

/**
 * Orders matches by decision distance, then by exact raw distance (`d1 * u2` versus `d2 * u1`),
 * then by id. (Distinct raw distances of codes under 2^16 bits never round to the same double.)
 */
export function compareMatches(a: SearchMatch, b: SearchMatch): number {
  if (a.decisionDistance !== b.decisionDistance) return a.decisionDistance < b.decisionDistance ? -1 : 1;
  const diff = a.differingBits * b.usableBits - b.differingBits * a.usableBits;
  return diff !== 0 ? diff : compareIds(a.id, b.id);
}

/** Sorts matches (by distance, then id) and undecidable ids, applies `limit` and assembles a result. */
export function finishResult(
  matches: SearchMatch[],
  undecidable: EnrolmentId[],
  limit: number,
  compared: number,
  startedAt: number,
): SearchResult {
  matches.sort(compareMatches);
  undecidable.sort(compareIds);
  const matchCount = matches.length;
  const undecidableCount = undecidable.length;
  const best = matches[0] ?? null;
  if (matches.length > limit) matches.length = limit;
  if (undecidable.length > limit) undecidable.length = limit;
  return {
    matches,
    best,
    matchCount,
    undecidable,
    undecidableCount,
    compared,
    elapsedMs: performance.now() - startedAt,
  };
}
