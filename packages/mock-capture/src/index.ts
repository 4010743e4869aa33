export { MockCaptureError, type MockCaptureErrorCode } from "./errors.js";
export {
  type Ellipse,
  type EyelidCurve,
  type GroundTruth,
  PixelLabel,
  type Point,
} from "./ground-truth.js";
export { encodeGreyPng } from "./png.js";
export { canonicalSeed, type Seed, SeededRandom } from "./random.js";
export {
  type MockCapture,
  type MockCaptureOptions,
  REFERENCE_HEIGHT,
  REFERENCE_WIDTH,
  renderCapture,
} from "./render-capture.js";
export {
  type CaptureFailure,
  type CapturePreset,
  type CaptureVariation,
  DEFAULT_VARIATION,
  FAILURE_VARIATION,
  HARD_VARIATION,
  resolveVariation,
  VARIATION_FIELDS,
} from "./variation.js";
export { type MockDatasetOptions, writeMockDataset } from "./write-mock-dataset.js";
