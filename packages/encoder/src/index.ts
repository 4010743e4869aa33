export {
  type AccuracyInput,
  type AccuracyReport,
  type CloseEyePair,
  computeAccuracy,
  type DecisionThreshold,
  type DeduplicationDistances,
  type DistributionSummary,
  evaluateThresholds,
  type GroupedPairDistances,
  generalisedFnmr,
  groupedPairDistances,
  type OperatingPoint,
  type PairDistances,
  pairDistances,
  type ThresholdOutcome,
} from "./accuracy.js";
export {
  ACCURACY_FMR_TARGETS,
  type AccuracyGroupInput,
  type AccuracyGroupReport,
  CLOSE_EYE_PAIRS_LISTED,
  type DeduplicationAccuracy,
  decisionThresholds,
  FIXED_DECISION_THRESHOLDS,
  FIXED_NORMALISED_THRESHOLDS,
  measureAccuracyGroup,
} from "./accuracy-group.js";
export {
  type BackendName,
  type BackendPreference,
  loadTensorflow,
  type TensorflowRuntime,
} from "./backend.js";
export { DATASET_IMAGE_FILE, type DatasetListing, listDataset } from "./dataset.js";
export {
  type DecodeLimits,
  decodeImage,
  detectImageFormat,
  type GreyImage,
  type ImageFormat,
  type ImageInput,
  type RawGreyFrame,
} from "./decode.js";
export { DEGRADATIONS, type Degradation, degradeImage } from "./degrade.js";
export { defaultModelDir, type EncodeResult, IrisEncoder, type IrisEncoderOptions } from "./encoder.js";
export {
  type EnrolmentProtocolOptions,
  type EnrolmentProtocolReport,
  enrolmentSubsets,
  type GroupedEnrolmentProtocol,
  measureEnrolmentProtocol,
  PROTOCOL_CLOSE_EYES_LISTED,
  PROTOCOL_ENROLMENT_CAPTURES,
  PROTOCOL_MAX_ATTEMPT_CAPTURES,
  type ProtocolCloseEyes,
  protocolTemplate,
} from "./enrolment-protocol.js";
export {
  EncoderError,
  type EncoderErrorCode,
  ImageDecodeError,
  type ImageDecodeErrorCode,
  type QualityGate,
  QualityGateError,
} from "./errors.js";
export {
  type BinomialFit,
  binomialCdf,
  binomialFalseMatch,
  binomialMinimumMean,
  falseDuplicateProbability,
  fitBinomial,
  fitImpostorTail,
  type ImpostorTailFit,
  type ImpostorTailInput,
  MAX_DEGREES_OF_FREEDOM,
  minimumOfDrawsCdf,
  normalCdf,
  normalQuantile,
  type TailLine,
  type TailProbabilities,
  type TailThreshold,
} from "./impostor-tail.js";
export {
  buildGaborModel,
  checkIntegerKernel,
  ENCODER_SPEC_FILE,
  type EncoderModelSpec,
  FLOAT32_EXACT_INTEGER_LIMIT,
  type GaborDesign,
  type GaborFilter,
  gaborIntegerKernel,
  gaborKernel,
  gaborModelSpec,
  INPUT_OFFSET,
  type IntegerSemantics,
  type LoadedEncoderModel,
  loadEncoderModel,
  macsPerCode,
  saveEncoderModel,
} from "./model.js";
export { type NormalisationConfig, type NormalisedIris, normaliseIris } from "./normalise.js";
export { contactSheet, encodeRgbaPng, type RgbaImage, renderSegmentationOverlay } from "./overlay.js";
export {
  DEFAULT_PIPELINE_CONFIG,
  type PipelineConfig,
  type PreparedIris,
  prepareIris,
  resolvePipelineConfig,
  stripFor,
} from "./pipeline.js";
export { checkQuality, DEFAULT_QUALITY_LIMITS, type QualityLimits, type QualityReport } from "./quality.js";
export { referenceEncodeStrip, referenceResponses } from "./reference.js";
export {
  type AccuracyRunView,
  renderAccuracyHtml,
  renderAccuracyRunHtml,
  renderAccuracySvg,
} from "./render.js";
export {
  DEFAULT_SEGMENTATION_CONFIG,
  fillSpecularities,
  pupilRadiusAt,
  type Segmentation,
  type SegmentationConfig,
  SegmentationFailure,
  type SegmentationMeasurements,
  segmentIris,
} from "./segmentation.js";
export {
  cellMask,
  fragileCount,
  integerModelInput,
  integerStrip,
  modelInput,
  quantiseGrey,
  responsesToCode,
  standardisedModelInput,
} from "./strip-code.js";
