import { describeType, IrisCodeError } from "./errors.js";

/**
 * Shape of an iris code: `rows` radial bands × `cols` angular samples × `bitsPerCell` bits per
 * sample (phase-quadrant bits of one or more filters). Bits are laid out row-major over
 * (row, column, bit-in-cell), bit-in-cell fastest.
 */
export interface CodeGeometry {
  readonly rows: number;
  readonly cols: number;
  readonly bitsPerCell: number;
}

/** Parts per ten thousand: the resolution of decision thresholds, shared with the circuits. */
export const THRESHOLD_SCALE = 10_000;

/**
 * The 1:N decision taken at enrolment, when a new eye is searched against every enrolled one. It
 * is separate from the 1:1 verification decision of the match circuit: a deduplication may be
 * stricter about what counts as "the same eye" (a higher threshold catches more duplicates at the
 * cost of more false refusals) without changing the circuit.
 *
 * A comparison with at least `minUsableBits` jointly usable bits at some shift is *decidable*, and
 * matches when at some such shift the distance is at most `thresholdPer10k`: the raw fractional
 * Hamming distance (`differing * 10000 <= thresholdPer10k * usable`), or with `referenceBits`
 * Daugman's normalised distance `0.5 - (0.5 - differing / usable) * sqrt(min(usable, referenceBits) / referenceBits)`
 * (decided exactly in integers by `deduplicationMatches`). A comparison
 * with fewer at every shift is *undecidable*; deduplication must then refuse rather than call the
 * probe unique. `enrolmentMinUsableBits` makes that impossible between enrolled templates: two
 * masks of `n` bits with at least `E` usable bits each share at least `2E - n` usable bits at
 * every shift, so {@link checkProfile} requires `2 * enrolmentMinUsableBits - n >= minUsableBits`.
 */
export interface DeduplicationDecision {
  /**
   * Duplicate threshold in parts per {@link THRESHOLD_SCALE}, on the raw fractional Hamming
   * distance, or on the normalised one when `referenceBits` is set (then below 5000).
   */
  readonly thresholdPer10k: number;
  /**
   * Daugman's score normalisation, capped: a distance from fewer jointly usable bits than this is
   * pulled towards 0.5 (it is weaker evidence of a match); from this many bits on the raw distance
   * decides (more bits are not taken as more independent evidence). Absent: the raw distance
   * decides throughout.
   */
  readonly referenceBits?: number;
  /** Jointly usable bits a comparison needs (at some shift) to be decidable. */
  readonly minUsableBits: number;
  /** Usable (mask) bits every enrolled template, and every capture it is built from, must have. */
  readonly enrolmentMinUsableBits: number;
}

/**
 * Everything the encoder, matcher, circuit and wire formats must agree on: the code geometry and
 * the two decision policies, 1:1 verification (the match circuit's) and 1:N deduplication.
 */
export interface IrisProfile {
  /** A short name, e.g. `"zkiris-16x112x2"`. */
  readonly name: string;
  readonly geometry: CodeGeometry;
  /** Largest cyclic column shift tried in either direction (head tilt), in columns. */
  readonly maxShift: number;
  /**
   * Verification (1:1, the match circuit) threshold on the raw fractional Hamming distance, in
   * parts per {@link THRESHOLD_SCALE}: a comparison matches when
   * `differing * 10000 <= threshold * usable`.
   */
  readonly thresholdPer10k: number;
  /** Verification: a comparison with fewer jointly usable bits than this is never a match. */
  readonly minUsableBits: number;
  /** The deduplication (1:N, enrolment) decision. */
  readonly deduplication: DeduplicationDecision;
}

/**
 * The verification part of a profile: geometry, shift range and the 1:1 decision. It is all the
 * match circuit is built from, so circuit manifests record only this.
 */
export type VerificationProfile = Omit<IrisProfile, "deduplication">;

/** Total number of bits of a code with this geometry. */
export function bitCount(geometry: CodeGeometry): number {
  return geometry.rows * geometry.cols * geometry.bitsPerCell;
}

/** Number of bits in one row (one radial band) of a code. */
export function rowBitCount(geometry: CodeGeometry): number {
  return geometry.cols * geometry.bitsPerCell;
}

/** Number of bytes of a packed bit array (bits or mask) for this geometry. */
export function packedByteLength(geometry: CodeGeometry): number {
  return Math.ceil(bitCount(geometry) / 8);
}

/** Largest dimension accepted; keeps sizes well inside safe integers and wire-format fields. */
const MAX_DIMENSION = 65_535;

function checkInteger(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new IrisCodeError(
      "INVALID_PARAMETER",
      `Parameter '${field}' is not an integer, received ${describeType(value)} ${String(value)}`,
      { field },
    );
  }
  if (value < min || value > max) {
    throw new IrisCodeError(
      "INVALID_PARAMETER",
      `Parameter '${field}' must be between ${min} and ${max}, received ${value}`,
      { field },
    );
  }
  return value;
}

/** Checks a geometry and returns a frozen copy; throws `INVALID_GEOMETRY` naming the bad field. */
export function checkGeometry(geometry: unknown, field = "geometry"): CodeGeometry {
  if (typeof geometry !== "object" || geometry === null) {
    throw new IrisCodeError(
      "INVALID_GEOMETRY",
      `Parameter '${field}' is not an object, received ${describeType(geometry)}`,
      {
        field,
      },
    );
  }
  const g = geometry as Record<string, unknown>;
  try {
    const rows = checkInteger(g.rows, `${field}.rows`, 1, MAX_DIMENSION);
    const cols = checkInteger(g.cols, `${field}.cols`, 1, MAX_DIMENSION);
    const bitsPerCell = checkInteger(g.bitsPerCell, `${field}.bitsPerCell`, 1, 255);
    return Object.freeze({ rows, cols, bitsPerCell });
  } catch (error) {
    if (error instanceof IrisCodeError) {
      throw new IrisCodeError("INVALID_GEOMETRY", error.message, { field: error.field });
    }
    throw error;
  }
}

/**
 * Checks the verification part of a profile (name, geometry, shift range, 1:1 decision) and returns
 * a frozen copy of just that part. Throws `INVALID_GEOMETRY` or `INVALID_PARAMETER` naming the bad
 * field.
 */
export function checkVerificationProfile(profile: VerificationProfile): VerificationProfile {
  if (typeof profile !== "object" || profile === null) {
    throw new IrisCodeError(
      "INVALID_PARAMETER",
      `Parameter 'profile' is not an object, received ${describeType(profile)}`,
      { field: "profile" },
    );
  }
  const geometry = checkGeometry(profile.geometry, "profile.geometry");
  const maxShift = checkInteger(profile.maxShift, "profile.maxShift", 0, Math.floor((geometry.cols - 1) / 2));
  const thresholdPer10k = checkInteger(
    profile.thresholdPer10k,
    "profile.thresholdPer10k",
    0,
    THRESHOLD_SCALE,
  );
  const minUsableBits = checkInteger(profile.minUsableBits, "profile.minUsableBits", 1, bitCount(geometry));
  if (typeof profile.name !== "string" || profile.name.length === 0) {
    throw new IrisCodeError("INVALID_PARAMETER", "Parameter 'profile.name' must be a non-empty string", {
      field: "profile.name",
    });
  }
  return Object.freeze({ name: profile.name, geometry, maxShift, thresholdPer10k, minUsableBits });
}

/**
 * Checks a profile and returns a frozen copy. Throws as {@link checkVerificationProfile}, then
 * `INVALID_PARAMETER` naming the bad `profile.deduplication` field, including
 * `profile.deduplication.enrolmentMinUsableBits` when two enrolled templates could fail to share
 * `deduplication.minUsableBits` usable bits (`2 * enrolmentMinUsableBits - bitCount <
 * deduplication.minUsableBits`).
 */
export function checkProfile(profile: IrisProfile): IrisProfile {
  const verification = checkVerificationProfile(profile);
  const deduplication = checkDeduplication(profile.deduplication, bitCount(verification.geometry));
  return Object.freeze({ ...verification, deduplication });
}

function checkDeduplication(decision: unknown, n: number): DeduplicationDecision {
  const field = "profile.deduplication";
  if (typeof decision !== "object" || decision === null) {
    throw new IrisCodeError(
      "INVALID_PARAMETER",
      `Parameter '${field}' is not an object, received ${describeType(decision)}`,
      { field },
    );
  }
  const d = decision as Record<string, unknown>;
  const thresholdPer10k = checkInteger(d.thresholdPer10k, `${field}.thresholdPer10k`, 0, THRESHOLD_SCALE);
  const minUsableBits = checkInteger(d.minUsableBits, `${field}.minUsableBits`, 1, n);
  const enrolmentMinUsableBits = checkInteger(
    d.enrolmentMinUsableBits,
    `${field}.enrolmentMinUsableBits`,
    1,
    n,
  );
  let referenceBits: number | undefined;
  if (d.referenceBits !== undefined) {
    referenceBits = checkInteger(d.referenceBits, `${field}.referenceBits`, 1, n);
    if (thresholdPer10k >= THRESHOLD_SCALE / 2) {
      throw new IrisCodeError(
        "INVALID_PARAMETER",
        `Parameter '${field}.thresholdPer10k' must be below ${THRESHOLD_SCALE / 2} with a normalised distance (referenceBits), received ${thresholdPer10k}`,
        { field: `${field}.thresholdPer10k` },
      );
    }
  }
  if (2 * enrolmentMinUsableBits - n < minUsableBits) {
    throw new IrisCodeError(
      "INVALID_PARAMETER",
      `Parameter '${field}.enrolmentMinUsableBits' must be at least ${Math.ceil((n + minUsableBits) / 2)} (two templates of ${n} bits with ${enrolmentMinUsableBits} usable bits each may share only ${2 * enrolmentMinUsableBits - n}, below ${field}.minUsableBits ${minUsableBits}), received ${enrolmentMinUsableBits}`,
      { field: `${field}.enrolmentMinUsableBits` },
    );
  }
  return Object.freeze(
    referenceBits === undefined
      ? { thresholdPer10k, minUsableBits, enrolmentMinUsableBits }
      : { thresholdPer10k, referenceBits, minUsableBits, enrolmentMinUsableBits },
  );
}

/** True when two geometries have the same shape. */
export function sameGeometry(a: CodeGeometry, b: CodeGeometry): boolean {
  return a.rows === b.rows && a.cols === b.cols && a.bitsPerCell === b.bitsPerCell;
}

/** Throws `GEOMETRY_MISMATCH` unless both geometries are equal. */
export function assertSameGeometry(a: CodeGeometry, b: CodeGeometry, field = "geometry"): void {
  if (!sameGeometry(a, b)) {
    throw new IrisCodeError(
      "GEOMETRY_MISMATCH",
      `Geometry mismatch in '${field}': ${formatGeometry(a)} versus ${formatGeometry(b)}`,
      { field },
    );
  }
}

/** `16x112x2` style label. */
export function formatGeometry(g: CodeGeometry): string {
  return `${g.rows}x${g.cols}x${g.bitsPerCell}`;
}

/** Geometry of open-iris (Worldcoin) templates: 16 × 256 × (2 filters × 2 phase bits). */
export const OPEN_IRIS_GEOMETRY: CodeGeometry = Object.freeze({ rows: 16, cols: 256, bitsPerCell: 4 });

/**
 * The default profile. Its geometry was chosen by measured accuracy on real near-infrared images
 * against the cost of the match circuit (table in packages/encoder/README.md); a row must fit one
 * field element together with the shift (`cols * bitsPerCell + maxShift * bitsPerCell <= 252`).
 * On the CASIA-Iris-Interval sample (400 images of 40 eyes, all genuine and impostor pairs)
 * 16x112x2 had the best EER within the budget; the threshold 0.32 sits just under the
 * measured FMR 1e-4 point (0.3212), and 720 usable bits (20% of the code) is below every genuine
 * pair's joint usable bits while a probe that is mostly occluded cannot reach it. Those two are
 * the verification decision the committed match circuit was built with.
 *
 * The deduplication decision (1:N at enrolment) fails closed: a miss gives someone a second
 * identity and cannot be undone, a false duplicate refuses a newcomer, who can be reviewed. Measured
 * on two real cameras (CASIA-Iris-Interval and IIT Delhi samples, 1,400 images, 923k impostor pairs
 * pooled; packages/encoder/README.md), the impostor pairs nearest the raw threshold are those
 * compared on few bits (the 33 pooled impostor pairs at or under a raw 0.34 had 743–1,554 jointly
 * usable bits, against a median of 1,817 for all impostor pairs). So the decision uses Daugman's
 * normalised distance with `referenceBits` 2000 (about the median jointly usable bits of genuine
 * and impostor comparisons on both sets), capped at the raw distance from 2,000 bits on (the
 * uncapped form let more impostor pairs of the defocused and darkened copies through: 35 and 25
 * pooled at 0.35, against 26 and 14 capped). At 0.35, `zkiris accuracy` counts 1 of 925,560 pooled
 * impostor pairs at or under it against 33 at a raw 0.34, for a single-capture FNMR of 4.02 %
 * against 3.82 % (on the five degraded copies: 7 to 26 pairs against 11 to 92, FNMR 0.4 points
 * lower to 1.1 points higher). No threshold meets both the 1 % miss and zero-impostor targets
 * with today's code. Floor: the
 * verification floor of 720 bits, and
 * `enrolmentMinUsableBits = ceil((3584 + 720) / 2) = 2152`, the least value for which any two
 * enrolled templates share at least 720 usable bits, so no comparison at enrolment is undecidable
 * by construction.
 */
export const DEFAULT_PROFILE: IrisProfile = Object.freeze({
  name: "zkiris-16x112x2",
  geometry: Object.freeze({ rows: 16, cols: 112, bitsPerCell: 2 }),
  maxShift: 8,
  thresholdPer10k: 3200,
  minUsableBits: 720,
  deduplication: Object.freeze({
    thresholdPer10k: 3500,
    referenceBits: 2000,
    minUsableBits: 720,
    enrolmentMinUsableBits: 2152,
  }),
});

/**
 * Profile for open-iris templates (1:N search and distance; too large for the match circuit).
 * Verification uses open-iris's usual 0.35; deduplication the same threshold and floor, with
 * `enrolmentMinUsableBits = ceil((16384 + 4000) / 2) = 10192` (62% of the bits).
 */
export const OPEN_IRIS_PROFILE: IrisProfile = Object.freeze({
  name: "open-iris-16x256x4",
  geometry: OPEN_IRIS_GEOMETRY,
  maxShift: 15,
  thresholdPer10k: 3500,
  minUsableBits: 4000,
  deduplication: Object.freeze({ thresholdPer10k: 3500, minUsableBits: 4000, enrolmentMinUsableBits: 10192 }),
});
