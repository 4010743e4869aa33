import { QualityGateError } from "./errors.js";
import { type Segmentation, SegmentationFailure } from "./segmentation.js";

/** Limits of the quality gates. Each refusal names its gate, the measured value and the limit. */
export interface QualityLimits {
  /** Smallest iris radius in pixels (IRIS_TOO_SMALL). Default 34. */
  minIrisRadius: number;
  /** Smallest pupil/iris radius ratio (PUPIL_IRIS_RATIO). Default 0.15. */
  minPupilIrisRatio: number;
  /** Largest pupil/iris radius ratio (PUPIL_IRIS_RATIO). Default 0.75. */
  maxPupilIrisRatio: number;
  /** Smallest usable fraction of the iris annulus (OCCLUSION). Default 0.35. */
  minUsableFraction: number;
  /** Smallest pupil-edge sharpness (BLUR): steepest slope per pixel over the pupil/iris contrast. Default 0.1. */
  minSharpness: number;
  /** Largest pupil-to-iris centre offset over the iris radius (OFF_GAZE). Default 0.2. */
  maxCentreOffset: number;
  /** Largest pupil major/minor axis ratio (OFF_GAZE). Default 1.6. */
  maxPupilElongation: number;
  /** Largest fraction of the iris disc outside the frame (IRIS_OUT_OF_FRAME). Default 0.4: the part outside is masked like a lid, and the usable share is gated by OCCLUSION. */
  maxOutOfFrame: number;
  /** Smallest fraction of pupil rays agreeing with the fitted boundary (SEGMENTATION_FAILED). Default 0.45. */
  minPupilEdgeSupport: number;
  /** Smallest grey-level step across the limbus (SEGMENTATION_FAILED). Default 4. */
  minLimbusContrast: number;
  /** Smallest grey-level difference between iris and pupil (CONTRAST). Default 12. */
  minPupilIrisContrast: number;
}

/** Default quality limits (see the package README for how they were set). */
export const DEFAULT_QUALITY_LIMITS: Readonly<QualityLimits> = Object.freeze({
  minIrisRadius: 34,
  minPupilIrisRatio: 0.15,
  maxPupilIrisRatio: 0.75,
  minUsableFraction: 0.35,
  minSharpness: 0.1,
  maxCentreOffset: 0.2,
  maxPupilElongation: 1.6,
  maxOutOfFrame: 0.4,
  minPupilEdgeSupport: 0.45,
  minLimbusContrast: 4,
  minPupilIrisContrast: 12,
});

/** The measured quality of an accepted image (all gates passed). */
export interface QualityReport {
  readonly irisRadius: number;
  readonly pupilRadius: number;
  readonly pupilIrisRatio: number;
  readonly usableFraction: number;
  readonly sharpness: number;
  readonly centreOffset: number;
  readonly pupilElongation: number;
  readonly outOfFrameFraction: number;
  readonly pupilEdgeSupport: number;
  readonly limbusContrast: number;
  readonly pupilIrisContrast: number;
}

/**
 * Checks a segmentation against the limits, in a fixed order (segmentation, size, contrast, ratio,
 * gaze, frame, blur, occlusion), and returns the measured quality. Throws {@link QualityGateError}
 * naming the first failed gate.
 */
export function checkQuality(seg: Segmentation | SegmentationFailure, limits: QualityLimits): QualityReport {
  if (seg instanceof SegmentationFailure) {
    throw new QualityGateError("SEGMENTATION_FAILED", seg.measured, seg.limit, seg.reason);
  }
  const m = seg.measurements;
  const q: QualityReport = {
    irisRadius: seg.iris.r,
    pupilRadius: seg.pupil.r,
    pupilIrisRatio: seg.pupil.r / seg.iris.r,
    usableFraction: m.usableFraction,
    sharpness: m.sharpness,
    centreOffset: m.centreOffset,
    pupilElongation: m.pupilElongation,
    outOfFrameFraction: m.outOfFrameFraction,
    pupilEdgeSupport: m.pupilEdgeSupport,
    limbusContrast: m.limbusContrast,
    pupilIrisContrast: m.irisMedian - m.pupilMean,
  };
  if (q.pupilEdgeSupport < limits.minPupilEdgeSupport) {
    throw new QualityGateError(
      "SEGMENTATION_FAILED",
      q.pupilEdgeSupport,
      limits.minPupilEdgeSupport,
      "too few pupil edge points agree with the fitted boundary",
    );
  }
  if (q.limbusContrast < limits.minLimbusContrast) {
    throw new QualityGateError(
      "SEGMENTATION_FAILED",
      q.limbusContrast,
      limits.minLimbusContrast,
      "no clear limbus (iris/sclera edge)",
    );
  }
  if (q.irisRadius < limits.minIrisRadius) {
    throw new QualityGateError(
      "IRIS_TOO_SMALL",
      q.irisRadius,
      limits.minIrisRadius,
      "iris radius in pixels is below the minimum",
    );
  }
  if (q.pupilIrisContrast < limits.minPupilIrisContrast) {
    throw new QualityGateError(
      "CONTRAST",
      q.pupilIrisContrast,
      limits.minPupilIrisContrast,
      "iris is barely brighter than the pupil",
    );
  }
  if (q.pupilIrisRatio < limits.minPupilIrisRatio) {
    throw new QualityGateError(
      "PUPIL_IRIS_RATIO",
      q.pupilIrisRatio,
      limits.minPupilIrisRatio,
      "pupil is implausibly small for the iris",
    );
  }
  if (q.pupilIrisRatio > limits.maxPupilIrisRatio) {
    throw new QualityGateError(
      "PUPIL_IRIS_RATIO",
      q.pupilIrisRatio,
      limits.maxPupilIrisRatio,
      "pupil is dilated too far (or the limbus was missed)",
    );
  }
  if (q.centreOffset > limits.maxCentreOffset) {
    throw new QualityGateError(
      "OFF_GAZE",
      q.centreOffset,
      limits.maxCentreOffset,
      "pupil centre is too far from the iris centre",
    );
  }
  if (q.pupilElongation > limits.maxPupilElongation) {
    throw new QualityGateError(
      "OFF_GAZE",
      q.pupilElongation,
      limits.maxPupilElongation,
      "pupil is too elongated",
    );
  }
  if (q.outOfFrameFraction > limits.maxOutOfFrame) {
    throw new QualityGateError(
      "IRIS_OUT_OF_FRAME",
      q.outOfFrameFraction,
      limits.maxOutOfFrame,
      "too much of the iris lies outside the image",
    );
  }
  if (q.sharpness < limits.minSharpness) {
    throw new QualityGateError("BLUR", q.sharpness, limits.minSharpness, "pupil edge is too soft");
  }
  if (q.usableFraction < limits.minUsableFraction) {
    throw new QualityGateError(
      "OCCLUSION",
      q.usableFraction,
      limits.minUsableFraction,
      "too little of the iris is visible",
    );
  }
  return q;
}
