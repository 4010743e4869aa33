import {
  checkProfile,
  compareForDeduplication,
  IrisCode,
  type IrisProfile,
  PreparedProbe,
  referenceHammingDistance,
  rowWords,
} from "@zkiris/iris-code";
import { UniquenessError } from "./errors.js";
import {
  checkId,
  type EnrolmentId,
  finishResult,
  resolveSearchOptions,
  type SearchMatch,
  type SearchOptions,
  type SearchResult,
  searchDecision,
} from "./search-types.js";

/** Options of {@link bruteForceSearch}: the profile whose defaults apply, and the search options. */
export interface BruteForceOptions extends SearchOptions {
  profile: IrisProfile;
  /**
   * Use iris-code's bit-by-bit `referenceHammingDistance` instead of `PreparedProbe` (much slower).
   * Raw rule only: a normalised search always decides through `compareForDeduplication`.
   */
  reference?: boolean;
}

/**
 * The reference 1:N search: compares the probe with every code through iris-code's own distance
 * (`PreparedProbe.compare`, the kernel behind `hammingDistance`, or `referenceHammingDistance`)
 * and applies the same decision rule as the index, reporting matches and undecidable codes alike.
 * For tests and benchmarks; O(N) with no index.
 * Throws `GEOMETRY_MISMATCH` for a code or probe of another geometry and `INVALID_PARAMETER` or
 * `INVALID_ID` for bad options or ids.
 */
export function bruteForceSearch(
  codes: Iterable<readonly [EnrolmentId, IrisCode]>,
  probe: IrisCode,
  options: BruteForceOptions,
): SearchResult {
  const startedAt = performance.now();
  const profile = checkProfile(options.profile);
  const o = resolveSearchOptions(profile, options);
  checkCode(profile, probe, "probe");
  const prepared = options.reference ? undefined : new PreparedProbe(probe, o.maxShift);
  const matches: SearchMatch[] = [];
  const undecidable: EnrolmentId[] = [];
  let compared = 0;
  const decision = searchDecision(o);
  const normalising = o.referenceBits !== undefined;
  const normalisingProbe = normalising ? (prepared ?? new PreparedProbe(probe, o.maxShift)) : undefined;
  for (const [id, code] of codes) {
    checkId(id);
    checkCode(profile, code, "codes[].code");
    compared++;
    if (normalisingProbe) {
      const c = compareForDeduplication(
        normalisingProbe,
        rowWords(code.packedBitsView() as Uint8Array, profile.geometry),
        rowWords(code.packedMaskView() as Uint8Array, profile.geometry),
        decision,
      );
      if (!c.decidable) undecidable.push(id);
      else if (c.duplicate)
        matches.push({
          id,
          distance: c.differingBits / c.usableBits,
          decisionDistance: c.distance,
          differingBits: c.differingBits,
          usableBits: c.usableBits,
          shift: c.shift,
        });
      continue;
    }
    const r = prepared
      ? prepared.compare(code, { minUsableBits: o.minUsableBits })
      : referenceHammingDistance(code, probe, o.maxShift, o.minUsableBits);
    if (!r.comparable) {
      undecidable.push(id);
    } else if (
      r.usableBits >= o.minUsableBits &&
      r.differingBits * 10_000 <= o.thresholdPer10k * r.usableBits
    ) {
      matches.push({
        id,
        distance: r.differingBits / r.usableBits,
        decisionDistance: r.differingBits / r.usableBits,
        differingBits: r.differingBits,
        usableBits: r.usableBits,
        shift: r.shift,
      });
    }
  }
  return finishResult(matches, undecidable, o.limit, compared, startedAt);
}

/** Throws unless `code` is an IrisCode of the profile's geometry. */
export function checkCode(profile: IrisProfile, code: unknown, field: string): IrisCode {
  if (!(code instanceof IrisCode)) {
    throw new UniquenessError(
      "INVALID_PARAMETER",
      `Parameter '${field}' is not an IrisCode, received ${typeof code}`,
      {
        field,
      },
    );
  }
  const a = profile.geometry;
  const b = code.geometry;
  if (a.rows !== b.rows || a.cols !== b.cols || a.bitsPerCell !== b.bitsPerCell) {
    throw new UniquenessError(
      "GEOMETRY_MISMATCH",
      `Geometry mismatch in '${field}': index has ${a.rows}x${a.cols}x${a.bitsPerCell}, code has ${b.rows}x${b.cols}x${b.bitsPerCell}`,
      { field: `${field}.geometry` },
    );
  }
  return code;
}
