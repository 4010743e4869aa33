import { type SharedErrorCode, ZkirisError } from "@zkiris/iris-code";

/** Codes of {@link ImageDecodeError}. */
export type ImageDecodeErrorCode =
  | "UNSUPPORTED_FORMAT"
  | "TRUNCATED_IMAGE"
  | "CORRUPT_IMAGE"
  | "INVALID_DIMENSIONS"
  | SharedErrorCode<"INVALID_PARAMETER">;

/** The input is not an image this package can read, or it is damaged or absurdly large. */
export class ImageDecodeError extends ZkirisError {
  declare readonly code: ImageDecodeErrorCode;

  constructor(
    code: ImageDecodeErrorCode,
    message: string,
    options: { field?: string; cause?: unknown } = {},
  ) {
    super(code, message, options);
  }
}

/** Names of the quality gates; each refusal names exactly one. */
export type QualityGate =
  | "SEGMENTATION_FAILED"
  | "IRIS_TOO_SMALL"
  | "PUPIL_IRIS_RATIO"
  | "OCCLUSION"
  | "BLUR"
  | "OFF_GAZE"
  | "IRIS_OUT_OF_FRAME"
  | "CONTRAST";

/**
 * An image was decoded but is not fit to encode. `gate` names the failed check; `measured` and
 * `limit` are the measured value and the limit it broke (both also in the message).
 */
export class QualityGateError extends ZkirisError {
  declare readonly code: SharedErrorCode<"QUALITY_GATE">;
  readonly gate: QualityGate;
  readonly measured: number;
  readonly limit: number;

  constructor(gate: QualityGate, measured: number, limit: number, reason: string) {
    super(
      "QUALITY_GATE",
      `Quality gate ${gate} failed: ${reason} (measured ${round(measured)}, limit ${round(limit)})`,
      {
        field: "image",
      },
    );
    this.gate = gate;
    this.measured = measured;
    this.limit = limit;
  }
}

/** Codes of {@link EncoderError}. */
export type EncoderErrorCode =
  | SharedErrorCode<"INVALID_PARAMETER">
  | "MODEL_NOT_FOUND"
  | "INVALID_MODEL"
  | "BACKEND_UNAVAILABLE"
  | SharedErrorCode<"CLOSED">;

/** The encoder was configured wrongly, its model is missing or malformed, or it was used after `close()`. */
export class EncoderError extends ZkirisError {
  declare readonly code: EncoderErrorCode;

  constructor(code: EncoderErrorCode, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(code, message, options);
  }
}

function round(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(4).replace(/0+$/, "");
}
