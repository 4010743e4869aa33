import { hammingDistance, shiftColumns } from "./distance.js";
import { IrisCodeError } from "./errors.js";
import { assertSameGeometry, checkProfile, type IrisProfile } from "./geometry.js";
import { IrisCode, unpackBits } from "./iris-code.js";

/** Result of {@link buildTemplate}. */
export interface BuiltTemplate {
  /** The enrolment template: majority bits, with the mask described at {@link buildTemplate}. */
  readonly template: IrisCode;
  /**
   * The column shift each capture was aligned by (`shifts[0]` is 0): the template was voted over
   * `shiftColumns(captures[i], shifts[i])`, the best shift of capture i against capture 0.
   */
  readonly shifts: readonly number[];
}

/**
 * Builds an enrolment template from several captures of one eye.
 *
 * 1. Alignment: each capture is compared with the first under the profile's verification shift
 *    range and usable-bit floor (`hammingDistance(captures[0], captures[i], { maxShift,
 *    minUsableBits })`), and rotated by its best shift, so that its columns line up with the
 *    first's.
 * 2. Vote: for every bit, the aligned captures in which the bit is usable vote with their value.
 * 3. Mask: the template bit is usable when it is usable in a strict majority of the captures
 *    (more than half of all of them, not only of those that see it) and the vote is not tied;
 *    its value is then the majority value. Every other bit is masked, with value 0.
 *
 * Pure: the inputs are not changed, and equal inputs give equal templates. Throws
 * `INVALID_PARAMETER` (`captures`) for an empty or non-array argument or a non-code element,
 * `GEOMETRY_MISMATCH` (`captures[i].geometry`) for a capture of another geometry than the profile,
 * `INCOMPARABLE_CAPTURES` (`captures[i]`) when a capture shares fewer than the profile's
 * `minUsableBits` usable bits with the first at every shift, and the profile's own errors.
 */
export function buildTemplate(captures: readonly IrisCode[], profile: IrisProfile): BuiltTemplate {
  const p = checkProfile(profile);
  if (!Array.isArray(captures) || captures.length === 0) {
    throw new IrisCodeError(
      "INVALID_PARAMETER",
      "Parameter 'captures' must be a non-empty array of IrisCode",
      {
        field: "captures",
      },
    );
  }
  captures.forEach((capture, i) => {
    if (!(capture instanceof IrisCode)) {
      throw new IrisCodeError("INVALID_PARAMETER", `Parameter 'captures[${i}]' is not an IrisCode`, {
        field: `captures[${i}]`,
      });
    }
    assertSameGeometry(p.geometry, capture.geometry, `captures[${i}].geometry`);
  });
  const first = captures[0]!;
  const shifts = captures.map((capture, i) => {
    if (i === 0) return 0;
    const result = hammingDistance(first, capture, { maxShift: p.maxShift, minUsableBits: p.minUsableBits });
    if (!result.comparable) {
      throw new IrisCodeError(
        "INCOMPARABLE_CAPTURES",
        `Captures 0 and ${i} share fewer than ${p.minUsableBits} usable bits at every shift in -${p.maxShift}..${p.maxShift}`,
        { field: `captures[${i}]` },
      );
    }
    return result.shift;
  });
  const n = first.size;
  const ones = new Uint16Array(n);
  const seen = new Uint16Array(n);
  captures.forEach((capture, i) => {
    const aligned = shifts[i] === 0 ? capture : shiftColumns(capture, shifts[i]!);
    const bits = unpackBits(aligned.packedBitsView() as Uint8Array, n);
    const mask = unpackBits(aligned.packedMaskView() as Uint8Array, n);
    for (let j = 0; j < n; j++) {
      if (mask[j] === 1) {
        seen[j]!++;
        ones[j]! += bits[j]!;
      }
    }
  });
  const bits = new Uint8Array(n);
  const mask = new Uint8Array(n);
  const k = captures.length;
  for (let j = 0; j < n; j++) {
    const zeros = seen[j]! - ones[j]!;
    if (2 * seen[j]! > k && ones[j] !== zeros) {
      mask[j] = 1;
      bits[j] = ones[j]! > zeros ? 1 : 0;
    }
  }
  return { template: IrisCode.fromBits(p.geometry, bits, mask), shifts: Object.freeze(shifts) };
}
