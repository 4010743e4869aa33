import { ZkirisError } from "@zkiris/iris-code";

/** Codes of {@link MockCaptureError}. */
export type MockCaptureErrorCode =
  | "INVALID_SEED"
  | "INVALID_SIZE"
  | "INVALID_OPTION"
  | "INVALID_DATASET_OPTION";

/** A seed, image size, variation option or dataset option given to the mock capture device is malformed. */
export class MockCaptureError extends ZkirisError {
  declare readonly code: MockCaptureErrorCode;

  constructor(
    code: MockCaptureErrorCode,
    message: string,
    options: { field?: string; cause?: unknown } = {},
  ) {
    super(code, message, options);
  }
}
