import { IrisCodeError } from "./errors.js";
import {
  assertSameGeometry,
  type CodeGeometry,
  type IrisProfile,
  rowBitCount,
  THRESHOLD_SCALE,
} from "./geometry.js";
import { IrisCode, unpackBits } from "./iris-code.js";

/** Options of {@link hammingDistance}. */
export interface DistanceOptions {
  /** Largest cyclic column shift tried in either direction. Default 0. */
  maxShift?: number;
  /** Shifts with fewer jointly usable bits are not considered. Default 1. */
  minUsableBits?: number;
  /**
   * Daugman's normalisation for the number of usable bits:
   * `HDn = 0.5 - (0.5 - HD) * sqrt(usable / referenceBits)`, which pulls distances computed from
   * few bits towards 0.5. Off by default; the match decision always uses the raw distance.
   */
  normalise?: { referenceBits: number };
}

/** Result of a comparison at its best shift. */
export interface DistanceResult {
  /** The minimised distance: normalised if requested, else equal to `rawDistance`. 1 when not comparable. */
  readonly distance: number;
  /** `differingBits / usableBits` at the best shift; 1 when not comparable. */
  readonly rawDistance: number;
  /** Best shift s: the probe's column c was compared with the template's column c - s. */
  readonly shift: number;
  /** Bits usable in both masks at the best shift. */
  readonly usableBits: number;
  /** Usable bits that differ at the best shift. */
  readonly differingBits: number;
  /** False when no shift had at least `minUsableBits` jointly usable bits. */
  readonly comparable: boolean;
}

function checkShiftOption(value: number, geometry: CodeGeometry, field: string): number {
  if (!Number.isInteger(value) || value < 0 || value > Math.floor((geometry.cols - 1) / 2)) {
    throw new IrisCodeError(
      "INVALID_PARAMETER",
      `Parameter '${field}' must be an integer between 0 and ${Math.floor((geometry.cols - 1) / 2)}, received ${value}`,
      { field },
    );
  }
  return value;
}

/** Popcount of a 32-bit word. */
export function popcount32(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  v = (v + (v >>> 4)) & 0x0f0f0f0f;
  return Math.imul(v, 0x01010101) >>> 24;
}

/** 32-bit words per row for a geometry (rows are padded to whole words). */
export function wordsPerRow(geometry: CodeGeometry): number {
  return Math.ceil(rowBitCount(geometry) / 32);
}

/**
 * Rows of a packed bit array as 32-bit words, each row starting on a word boundary, shifted
 * cyclically by `shift` columns: output column c holds input column (c + shift) mod cols.
 */
export function rowWords(packed: Uint8Array, geometry: CodeGeometry, shift = 0): Uint32Array {
  return new RowRotator(packed, geometry).rotated(shift);
}

/**
 * Produces the row words of a packed bit array at any column shift. Each row is laid out twice in
 * a row ("doubled"), so a rotation is a word-aligned read at a bit offset: O(bits) once, then
 * O(bits / 32) per shift.
 */
class RowRotator {
  readonly #geometry: CodeGeometry;
  readonly #rowBits: number;
  readonly #doubledWords: number;
  readonly #doubled: Uint32Array;

  constructor(packed: Uint8Array, geometry: CodeGeometry) {
    this.#geometry = geometry;
    const rowBits = rowBitCount(geometry);
    this.#rowBits = rowBits;
    this.#doubledWords = Math.ceil((2 * rowBits) / 32) + 1;
    this.#doubled = new Uint32Array(geometry.rows * this.#doubledWords);
    for (let r = 0; r < geometry.rows; r++) {
      const base = r * this.#doubledWords;
      for (let j = 0; j < rowBits; j++) {
        const i = r * rowBits + j;
        if ((packed[i >> 3]! >> (7 - (i & 7))) & 1) {
          this.#doubled[base + (j >>> 5)]! |= 0x80000000 >>> (j & 31);
          const k = j + rowBits;
          this.#doubled[base + (k >>> 5)]! |= 0x80000000 >>> (k & 31);
        }
      }
    }
  }

  rotated(shift: number): Uint32Array {
    const g = this.#geometry;
    const rowBits = this.#rowBits;
    const wpr = Math.ceil(rowBits / 32);
    const out = new Uint32Array(g.rows * wpr);
    const offset = (((shift % g.cols) + g.cols) % g.cols) * g.bitsPerCell;
    const tail = rowBits & 31;
    const lastMask = tail === 0 ? 0xffffffff : (0xffffffff << (32 - tail)) >>> 0;
    for (let r = 0; r < g.rows; r++) {
      const base = r * this.#doubledWords;
      for (let w = 0; w < wpr; w++) {
        const b = offset + 32 * w;
        const q = base + (b >>> 5);
        const s = b & 31;
        let v = s === 0 ? this.#doubled[q]! : (this.#doubled[q]! << s) | (this.#doubled[q + 1]! >>> (32 - s));
        if (w === wpr - 1) v &= lastMask;
        out[r * wpr + w] = v >>> 0;
      }
    }
    return out;
  }
}

/**
 * Returns the code shifted cyclically by `shift` columns (positive or negative): column c of the
 * result is column (c + shift) mod cols of the input, for bits and mask alike.
 */
export function shiftColumns(code: IrisCode, shift: number): IrisCode {
  if (!Number.isInteger(shift)) {
    throw new IrisCodeError("INVALID_PARAMETER", `Parameter 'shift' is not an integer, received ${shift}`, {
      field: "shift",
    });
  }
  const g = code.geometry;
  const n = code.size;
  const bits = unpackBits(code.packedBitsView(), n);
  const mask = unpackBits(code.packedMaskView(), n);
  const outBits = new Uint8Array(n);
  const outMask = new Uint8Array(n);
  const p = g.bitsPerCell;
  for (let r = 0; r < g.rows; r++) {
    for (let c = 0; c < g.cols; c++) {
      const src = (((c + shift) % g.cols) + g.cols) % g.cols;
      for (let b = 0; b < p; b++) {
        outBits[(r * g.cols + c) * p + b] = bits[(r * g.cols + src) * p + b]!;
        outMask[(r * g.cols + c) * p + b] = mask[(r * g.cols + src) * p + b]!;
      }
    }
  }
  return IrisCode.fromBits(g, outBits, outMask);
}

/**
 * A probe with its bits and mask pre-shifted for every shift in `-maxShift..maxShift`, so that
 * comparing it with many templates costs only XOR, AND and popcount.
 */
export class PreparedProbe {
  readonly geometry: CodeGeometry;
  readonly maxShift: number;
  /** Shifts in search order: 0, -1, 1, -2, 2, ... (ties resolve to the smallest |shift|). */
  readonly shifts: readonly number[];
  readonly #bits: Uint32Array[];
  readonly #masks: Uint32Array[];
  /** Scratch counts of compareWords (one comparison at a time: JavaScript does not interleave it). */
  readonly #counts: Int32Array;

  constructor(probe: IrisCode, maxShift: number) {
    this.geometry = probe.geometry;
    this.maxShift = checkShiftOption(maxShift, probe.geometry, "maxShift");
    const shifts = [0];
    for (let s = 1; s <= maxShift; s++) shifts.push(-s, s);
    this.shifts = shifts;
    const bits = new RowRotator(probe.packedBitsView() as Uint8Array, probe.geometry);
    const masks = new RowRotator(probe.packedMaskView() as Uint8Array, probe.geometry);
    this.#bits = shifts.map((s) => bits.rotated(s));
    this.#masks = shifts.map((s) => masks.rotated(s));
    this.#counts = new Int32Array(2 * shifts.length);
  }

  /** Compares a template (as unshifted row words of bits and mask) at every shift. */
  compareWords(
    templateBits: Uint32Array,
    templateMask: Uint32Array,
    options: DistanceOptions = {},
  ): DistanceResult {
    const minUsable = options.minUsableBits ?? 1;
    const norm = options.normalise;
    const counts = this.#counts;
    this.shiftCounts(templateBits, templateMask, counts);
    let best: DistanceResult | undefined;
    for (let k = 0; k < this.shifts.length; k++) {
      const differing = counts[2 * k]!;
      const usable = counts[2 * k + 1]!;
      if (usable < minUsable || usable === 0) continue;
      const raw = differing / usable;
      const distance = norm ? normaliseDistance(raw, usable, norm.referenceBits) : raw;
      if (
        best === undefined ||
        (norm ? distance < best.distance : differing * best.usableBits < best.differingBits * usable)
      ) {
        best = {
          distance,
          rawDistance: raw,
          shift: this.shifts[k]!,
          usableBits: usable,
          differingBits: differing,
          comparable: true,
        };
      }
    }
    return best ?? NOT_COMPARABLE;
  }

  /**
   * Differing and jointly usable bits at every shift: `out[2k]` and `out[2k + 1]` for the shift
   * `this.shifts[k]`. `out` must hold `2 * shifts.length` values.
   */
  shiftCounts(templateBits: Uint32Array, templateMask: Uint32Array, out: Int32Array): void {
    for (let k = 0; k < this.shifts.length; k++) {
      const pb = this.#bits[k]!;
      const pm = this.#masks[k]!;
      let usable = 0;
      let differing = 0;
      for (let w = 0; w < pb.length; w++) {
        const m = templateMask[w]! & pm[w]!;
        usable += popcount32(m);
        differing += popcount32((templateBits[w]! ^ pb[w]!) & m);
      }
      out[2 * k] = differing;
      out[2 * k + 1] = usable;
    }
  }

  /** Compares a template code at every shift. */
  compare(template: IrisCode, options: DistanceOptions = {}): DistanceResult {
    assertSameGeometry(template.geometry, this.geometry, "template.geometry");
    return this.compareWords(
      rowWords(template.packedBitsView() as Uint8Array, template.geometry),
      rowWords(template.packedMaskView() as Uint8Array, template.geometry),
      options,
    );
  }
}

const NOT_COMPARABLE: DistanceResult = Object.freeze({
  distance: 1,
  rawDistance: 1,
  shift: 0,
  usableBits: 0,
  differingBits: 0,
  comparable: false,
});

/** Daugman's normalisation of a fractional Hamming distance computed from `usable` bits. */
export function normaliseDistance(raw: number, usable: number, referenceBits: number): number {
  return 0.5 - (0.5 - raw) * Math.sqrt(usable / referenceBits);
}

/**
 * Masked fractional Hamming distance `popcount((a xor b) and ma and mb) / popcount(ma and mb)`,
 * minimised over cyclic column shifts of the probe in `-maxShift..maxShift`. Shifts with fewer
 * than `minUsableBits` jointly usable bits are skipped; if none is left the result has
 * `comparable: false` and distance 1. Throws `GEOMETRY_MISMATCH` for codes of different shapes.
 */
export function hammingDistance(
  template: IrisCode,
  probe: IrisCode,
  options: DistanceOptions = {},
): DistanceResult {
  assertSameGeometry(template.geometry, probe.geometry, "probe.geometry");
  if (options.normalise !== undefined && !(options.normalise.referenceBits > 0)) {
    throw new IrisCodeError(
      "INVALID_PARAMETER",
      "Parameter 'normalise.referenceBits' must be a positive number",
      {
        field: "normalise.referenceBits",
      },
    );
  }
  return new PreparedProbe(probe, options.maxShift ?? 0).compare(template, options);
}

/**
 * The match decision of a profile, exactly as the match circuit computes it: at least
 * `minUsableBits` jointly usable bits and `differing * 10000 <= thresholdPer10k * usable`.
 */
export function isMatchResult(result: DistanceResult, profile: IrisProfile): boolean {
  return (
    result.comparable &&
    result.usableBits >= profile.minUsableBits &&
    result.differingBits * THRESHOLD_SCALE <= profile.thresholdPer10k * result.usableBits
  );
}

/** Compares two codes with a profile's shift range and usable-bit floor, and decides. */
export function matchCodes(
  template: IrisCode,
  probe: IrisCode,
  profile: IrisProfile,
): DistanceResult & { readonly match: boolean } {
  assertSameGeometry(profile.geometry, template.geometry, "template.geometry");
  const result = hammingDistance(template, probe, {
    maxShift: profile.maxShift,
    minUsableBits: profile.minUsableBits,
  });
  return { ...result, match: isMatchResult(result, profile) };
}

/**
 * Straightforward reference of {@link hammingDistance} (raw distance only), bit by bit with no
 * packing tricks. Slow; for tests and benchmarks.
 */
export function referenceHammingDistance(
  template: IrisCode,
  probe: IrisCode,
  maxShift: number,
  minUsableBits = 1,
): DistanceResult {
  assertSameGeometry(template.geometry, probe.geometry, "probe.geometry");
  const g = template.geometry;
  let best: DistanceResult = NOT_COMPARABLE;
  const order = [0];
  for (let s = 1; s <= maxShift; s++) order.push(-s, s);
  for (const s of order) {
    let usable = 0;
    let differing = 0;
    for (let r = 0; r < g.rows; r++) {
      for (let c = 0; c < g.cols; c++) {
        const pc = (((c + s) % g.cols) + g.cols) % g.cols;
        for (let b = 0; b < g.bitsPerCell; b++) {
          const ti = template.indexOf(r, c, b);
          const pi = probe.indexOf(r, pc, b);
          if (template.maskAt(ti) && probe.maskAt(pi)) {
            usable++;
            if (template.bitAt(ti) !== probe.bitAt(pi)) differing++;
          }
        }
      }
    }
    if (usable === 0 || usable < minUsableBits) continue;
    if (!best.comparable || differing * best.usableBits < best.differingBits * usable) {
      best = {
        distance: differing / usable,
        rawDistance: differing / usable,
        shift: s,
        usableBits: usable,
        differingBits: differing,
        comparable: true,
      };
    }
  }
  return best;
}
