import { type DecodeLimits, decodeImage, type GreyImage, type ImageInput } from "./decode.js";
import type { EncoderModelSpec } from "./model.js";
import { type NormalisedIris, normaliseIris } from "./normalise.js";
import { checkQuality, DEFAULT_QUALITY_LIMITS, type QualityLimits, type QualityReport } from "./quality.js";
import {
  DEFAULT_SEGMENTATION_CONFIG,
  type Segmentation,
  type SegmentationConfig,
  segmentIris,
} from "./segmentation.js";

/** The one typed configuration of the image-to-strip pipeline (every field optional in input). */
export interface PipelineConfig {
  readonly decode: DecodeLimits;
  readonly segmentation: SegmentationConfig;
  readonly quality: QualityLimits;
  /** Radial span of the rubber sheet as fractions of pupil-to-limbus distance. */
  readonly normalisationSpan: readonly [number, number];
}

/** Default pipeline configuration. */
export const DEFAULT_PIPELINE_CONFIG: PipelineConfig = Object.freeze({
  decode: {},
  segmentation: DEFAULT_SEGMENTATION_CONFIG,
  quality: DEFAULT_QUALITY_LIMITS,
  normalisationSpan: [0.03, 0.92] as const,
});

/** Merges partial settings over the defaults. */
export function resolvePipelineConfig(
  config: {
    decode?: DecodeLimits;
    segmentation?: Partial<SegmentationConfig>;
    quality?: Partial<QualityLimits>;
    normalisationSpan?: readonly [number, number];
  } = {},
): PipelineConfig {
  return {
    decode: { ...DEFAULT_PIPELINE_CONFIG.decode, ...config.decode },
    segmentation: { ...DEFAULT_PIPELINE_CONFIG.segmentation, ...config.segmentation },
    quality: { ...DEFAULT_PIPELINE_CONFIG.quality, ...config.quality },
    normalisationSpan: config.normalisationSpan ?? DEFAULT_PIPELINE_CONFIG.normalisationSpan,
  };
}

/** Output of the stages before the encoder model. */
export interface PreparedIris {
  readonly image: GreyImage;
  readonly segmentation: Segmentation;
  readonly quality: QualityReport;
}

/**
 * Decode, segment and check quality. Throws `ImageDecodeError` or `QualityGateError`.
 */
export function prepareIris(input: ImageInput, config: PipelineConfig): PreparedIris {
  const image = decodeImage(input, config.decode);
  const seg = segmentIris(image, config.segmentation);
  const quality = checkQuality(seg, config.quality);
  return { image, segmentation: seg as Segmentation, quality };
}

/** Rubber-sheet strip sized for a model spec. */
export function stripFor(
  prepared: PreparedIris,
  spec: EncoderModelSpec,
  config: PipelineConfig,
): NormalisedIris {
  return normaliseIris(prepared.segmentation, {
    radial: spec.strip.radial,
    angular: spec.strip.angular,
    span: config.normalisationSpan,
  });
}
