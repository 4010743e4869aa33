import type { IrisCode } from "@zkiris/iris-code";
import { checkIntegerKernel, type EncoderModelSpec } from "./model.js";
import type { NormalisedIris } from "./normalise.js";
import { cellMask, integerModelInput, responsesToCode } from "./strip-code.js";

/**
 * The model's responses computed with plain integer loops (no TensorFlow.js): the strided,
 * unbiased cross-correlation of {@link integerModelInput} with `kernel` (`[kh, kw, 1,
 * bitsPerCell]`, row-major as tfjs stores Conv2D weights). Response `(r, c, b)` is
 * `sum over (y, x) of input[r * stride[0] + y][c * stride[1] + x] * kernel[y][x][b]`; layout
 * `rows * cols * bitsPerCell`. Every partial sum is an integer below 2^24 in magnitude (checked:
 * `INVALID_MODEL` for a kernel that breaks the spec's integer contract, `INVALID_PARAMETER` for a
 * strip of the wrong size).
 */
export function referenceResponses(
  spec: EncoderModelSpec,
  kernel: ArrayLike<number>,
  strip: NormalisedIris,
): Int32Array {
  const k = checkIntegerKernel(spec, kernel, "kernel");
  const { data, width } = integerModelInput(spec, strip);
  const { rows, cols, bitsPerCell: p } = spec.geometry;
  const [kh, kw] = spec.kernel;
  const [sy, sx] = spec.stride;
  const out = new Int32Array(rows * cols * p);
  // One contiguous kernel per channel; the sum over taps is the same whatever the loop order.
  const channels = Array.from({ length: p }, (_, b) => {
    const kb = new Int32Array(kh * kw);
    for (let t = 0; t < kh * kw; t++) kb[t] = k[t * p + b]!;
    return kb;
  });
  for (let b = 0; b < p; b++) {
    const kb = channels[b]!;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        let acc = 0;
        for (let y = 0; y < kh; y++) {
          const inRow = (r * sy + y) * width + c * sx;
          const kRow = y * kw;
          for (let x = 0; x < kw; x++) acc += data[inRow + x]! * kb[kRow + x]!;
        }
        out[(r * cols + c) * p + b] = acc;
      }
    }
  }
  return out;
}

/**
 * The iris code of a strip by the plain-integer reference: {@link referenceResponses}, then the
 * usable cells ({@link cellMask}) and the sign and fragile-bit rule ({@link responsesToCode}).
 * Every TensorFlow.js backend must return exactly this code for the same spec and kernel; a
 * proof of the encoder proves this computation.
 */
export function referenceEncodeStrip(
  spec: EncoderModelSpec,
  kernel: ArrayLike<number>,
  strip: NormalisedIris,
): IrisCode {
  return responsesToCode(spec, referenceResponses(spec, kernel, strip), cellMask(spec, strip));
}
