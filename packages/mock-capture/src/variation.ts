import { describeType } from "@zkiris/iris-code";
import { MockCaptureError } from "./errors.js";

/**
 * Magnitudes of the per-capture variation. Fields marked "at most" are the largest value a capture
 * draws (uniformly, with a random sign or direction); the other fields are levels applied as given,
 * so a failure-mode capture such as `{ eyelidClosure: 0.95 }` or `{ blurSigma: 8 }` is exactly that.
 * Lengths are in pixels of the output image unless they say "iris radii".
 */
export interface CaptureVariation {
  /** At most this in-plane rotation (head tilt) in degrees, either direction. Range 0..180. */
  rotationDeg: number;
  /** At most this change of the pupil/iris radius ratio from the subject's base ratio, either way. Range 0..0.4. */
  pupilDilation: number;
  /**
   * At most this decentration of the pupil from the iris centre (off-axis gaze), in iris radii; the
   * pupil also flattens along the offset (minor/major axis = 1 - 2 × offset). Range 0..0.3.
   */
  gazeOffset: number;
  /** At most this displacement of the eye from the frame centre, in iris radii. Range 0..3. */
  positionOffset: number;
  /** Defocus blur: standard deviation of the Gaussian point spread, in pixels. Range 0..20. */
  blurSigma: number;
  /** Sensor noise: standard deviation of additive noise, in grey levels (0..255 scale). Range 0..64. */
  noiseSigma: number;
  /** At most this relative change of illumination gain, and at most this relative brightness gradient across the frame. Range 0..0.9. */
  illumination: number;
  /** Eyelid closure beyond the subject's natural opening: 0 = natural, 1 = lids meet. Range 0..1. */
  eyelidClosure: number;
  /** At most this extra closure per capture (blinks, squints), added to `eyelidClosure`. Range 0..1. */
  eyelidJitter: number;
  /** Eyelash density, 1 = the subject's natural density, 0 = no lashes. Range 0..4. */
  eyelashes: number;
  /** Number of illuminator LED reflections, a ring of saturated dots in and around the pupil. Integer 0..32. */
  specularCount: number;
  /** Number of larger soft reflections (windows, lamps) on the iris. Integer 0..8. */
  irisReflections: number;
}

/** Named variation presets: `"default"` is a cooperative user, `"hard"` a careless one. */
export type CapturePreset = "default" | "hard";

/** Failure-mode captures for tests of quality gates. */
export type CaptureFailure = "closed-eye" | "extreme-blur" | "out-of-frame";

/** The variation of the `"default"` preset. */
export const DEFAULT_VARIATION: Readonly<CaptureVariation> = Object.freeze({
  rotationDeg: 10,
  pupilDilation: 0.08,
  gazeOffset: 0.04,
  positionOffset: 0.2,
  blurSigma: 0.9,
  noiseSigma: 1.2,
  illumination: 0.1,
  eyelidClosure: 0.05,
  eyelidJitter: 0.15,
  eyelashes: 1,
  specularCount: 8,
  irisReflections: 0,
});

/** The variation of the `"hard"` preset: more tilt, dilation, gaze, blur, noise, occlusion and reflections. */
export const HARD_VARIATION: Readonly<CaptureVariation> = Object.freeze({
  rotationDeg: 15,
  pupilDilation: 0.15,
  gazeOffset: 0.08,
  positionOffset: 0.35,
  blurSigma: 1.8,
  noiseSigma: 4,
  illumination: 0.25,
  eyelidClosure: 0.2,
  eyelidJitter: 0.25,
  eyelashes: 1.6,
  specularCount: 8,
  irisReflections: 2,
});

/** Variation overrides of each failure mode (applied after the preset and the caller's variation). */
export const FAILURE_VARIATION: Readonly<Record<CaptureFailure, Readonly<Partial<CaptureVariation>>>> =
  Object.freeze({
    "closed-eye": Object.freeze({ eyelidClosure: 0.97, eyelidJitter: 0.03 }),
    "extreme-blur": Object.freeze({ blurSigma: 8 }),
    "out-of-frame": Object.freeze({}),
  });

const LIMITS: Record<keyof CaptureVariation, { max: number; integer: boolean }> = {
  rotationDeg: { max: 180, integer: false },
  pupilDilation: { max: 0.4, integer: false },
  gazeOffset: { max: 0.3, integer: false },
  positionOffset: { max: 3, integer: false },
  blurSigma: { max: 20, integer: false },
  noiseSigma: { max: 64, integer: false },
  illumination: { max: 0.9, integer: false },
  eyelidClosure: { max: 1, integer: false },
  eyelidJitter: { max: 1, integer: false },
  eyelashes: { max: 4, integer: false },
  specularCount: { max: 32, integer: true },
  irisReflections: { max: 8, integer: true },
};

/** Names of every {@link CaptureVariation} field. */
export const VARIATION_FIELDS: readonly (keyof CaptureVariation)[] = Object.freeze(
  Object.keys(LIMITS) as (keyof CaptureVariation)[],
);

/**
 * Merges a preset, caller overrides and a failure mode into a complete, checked variation.
 * Throws `INVALID_OPTION` naming the field (e.g. `variation.blurSigma`) for unknown presets,
 * unknown fields, non-numbers, non-integers where integers are required and out-of-range values.
 */
export function resolveVariation(
  preset: unknown = "default",
  overrides: unknown = {},
  failure: unknown = undefined,
): CaptureVariation {
  let base: Readonly<CaptureVariation>;
  if (preset === "default") base = DEFAULT_VARIATION;
  else if (preset === "hard") base = HARD_VARIATION;
  else {
    throw new MockCaptureError(
      "INVALID_OPTION",
      `Parameter 'preset' must be "default" or "hard", received ${describeType(preset)} ${String(preset)}`,
      { field: "preset" },
    );
  }
  if (typeof overrides !== "object" || overrides === null || Array.isArray(overrides)) {
    throw new MockCaptureError(
      "INVALID_OPTION",
      `Parameter 'variation' is not an object, received type: ${describeType(overrides)}`,
      { field: "variation" },
    );
  }
  let failureOverrides: Readonly<Partial<CaptureVariation>> = {};
  if (failure !== undefined) {
    if (typeof failure !== "string" || !Object.hasOwn(FAILURE_VARIATION, failure)) {
      throw new MockCaptureError(
        "INVALID_OPTION",
        `Parameter 'failure' must be "closed-eye", "extreme-blur" or "out-of-frame", received ${describeType(failure)} ${String(failure)}`,
        { field: "failure" },
      );
    }
    failureOverrides = FAILURE_VARIATION[failure as CaptureFailure];
  }
  const result: CaptureVariation = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (!Object.hasOwn(LIMITS, key)) {
      throw new MockCaptureError(
        "INVALID_OPTION",
        `Parameter 'variation.${key}' is not a variation field; known fields: ${VARIATION_FIELDS.join(", ")}`,
        { field: `variation.${key}` },
      );
    }
    if (value === undefined) continue;
    result[key as keyof CaptureVariation] = checkField(key as keyof CaptureVariation, value);
  }
  return Object.assign(result, failureOverrides);
}

function checkField(key: keyof CaptureVariation, value: unknown): number {
  const field = `variation.${key}`;
  const limit = LIMITS[key];
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new MockCaptureError(
      "INVALID_OPTION",
      `Parameter '${field}' is not a finite number, received ${describeType(value)} ${String(value)}`,
      { field },
    );
  }
  if (limit.integer && !Number.isInteger(value)) {
    throw new MockCaptureError(
      "INVALID_OPTION",
      `Parameter '${field}' must be an integer, received ${value}`,
      {
        field,
      },
    );
  }
  if (value < 0 || value > limit.max) {
    throw new MockCaptureError(
      "INVALID_OPTION",
      `Parameter '${field}' must be between 0 and ${limit.max}, received ${value}`,
      { field },
    );
  }
  return value;
}
