import { IrisCode } from "@zkiris/iris-code";
import { EncoderError } from "./errors.js";
import { type EncoderModelSpec, INPUT_OFFSET } from "./model.js";
import type { NormalisedIris } from "./normalise.js";

/** Parts per million of a fraction, the exact form in which the pipeline applies fractions. */
function ppm(fraction: number): number {
  return Math.round(fraction * 1_000_000);
}

/** `floor(a / b)` for integers `a >= 0`, `b > 0`, exactly. */
function floorDiv(a: number, b: number): number {
  return (a - (a % b)) / b;
}

/**
 * The one rounding rule from strip samples to integer grey levels: round half up
 * (`floor(v + 0.5)`), clamped to 0..255; a value that is not a number is 0.
 */
export function quantiseGrey(v: number): number {
  if (!(v > 0)) return 0;
  if (v >= 255) return 255;
  return Math.floor(v + 0.5);
}

function checkStrip(spec: EncoderModelSpec, strip: NormalisedIris): void {
  const { radial: H, angular: W } = spec.strip;
  if (
    strip.radial !== H ||
    strip.angular !== W ||
    strip.strip.length !== H * W ||
    strip.mask.length !== H * W
  ) {
    throw new EncoderError(
      "INVALID_PARAMETER",
      `Parameter 'strip' is ${strip.radial}x${strip.angular} with ${strip.strip.length} samples and ${strip.mask.length} mask values; the model needs ${H}x${W}`,
      { field: "strip" },
    );
  }
}

/**
 * The integer strip the model sees, row-major `radial x angular`, values in [-128, 127]:
 *
 * 1. usable samples are quantised by {@link quantiseGrey} to `q` in 0..255;
 * 2. in a row with usable samples, the unusable run between consecutive usable samples `a` (at
 *    angle `x0`) and `b` (at `x0 + gap`, circularly; `b = a` when the row has one) gets
 *    `floor((a * (gap - k) + b * k + floor(gap / 2)) / gap)` at `x0 + k` (linear interpolation
 *    along the angle, rounded half up): a constant fill would put artificial steps at eyelid
 *    boundaries, and those sit at similar places in every eye, correlating codes of different
 *    people;
 * 3. a row without usable samples gets the mean of all usable `q`, rounded half up
 *    (`floor((2 * sum + n) / (2 * n))`), or 128 when no sample is usable;
 * 4. 128 ({@link INPUT_OFFSET}) is subtracted.
 *
 * Why no standardisation: every kernel channel sums to zero and a bit is a sign, so adding a
 * constant to every input changes no response, and scaling by a positive factor changes no
 * sign. The version-1 float input `(v - mean) / std` was exactly that affine map of the strip:
 * its interpolation is affine-equivariant, its empty rows (0) are the mean, and the padding
 * copies samples. So this input differs from it only by the rounding in steps 1-3 (and the
 * kernel's), which `bench/encoder/quantisation.ts` measures. Throws `INVALID_PARAMETER` for a
 * strip that is not the spec's size.
 */
export function integerStrip(spec: EncoderModelSpec, strip: NormalisedIris): Int32Array {
  checkStrip(spec, strip);
  const { radial: H, angular: W } = spec.strip;
  const q = new Int32Array(H * W);
  let sum = 0;
  let n = 0;
  for (let k = 0; k < H * W; k++) {
    if (strip.mask[k]) {
      q[k] = quantiseGrey(strip.strip[k]!);
      sum += q[k]!;
      n++;
    }
  }
  const emptyRowFill = n ? floorDiv(2 * sum + n, 2 * n) : INPUT_OFFSET;
  const z = new Int32Array(H * W);
  for (let y = 0; y < H; y++) {
    const row = y * W;
    let first = -1;
    for (let x = 0; x < W; x++) {
      if (strip.mask[row + x]) {
        first = x;
        break;
      }
    }
    if (first < 0) {
      z.fill(emptyRowFill - INPUT_OFFSET, row, row + W);
      continue;
    }
    let prev = first;
    for (let step = 1; step <= W; step++) {
      const x = (first + step) % W;
      if (!strip.mask[row + x]) continue;
      const gap = (x - prev + W) % W || W;
      const a = q[row + prev]!;
      const b = q[row + x]!;
      const half = gap >> 1;
      for (let k = 0; k < gap; k++) {
        z[row + ((prev + k) % W)] = floorDiv(a * (gap - k) + b * k + half, gap) - INPUT_OFFSET;
      }
      prev = x;
    }
  }
  return z;
}

/**
 * The padded integer model input (`[height, width]` row-major, values in [-128, 127]):
 * {@link integerStrip} padded circularly left/right and by edge replication top/bottom.
 */
export function integerModelInput(
  spec: EncoderModelSpec,
  strip: NormalisedIris,
): { data: Int32Array; height: number; width: number } {
  return pad(spec, integerStrip(spec, strip), Int32Array);
}

/**
 * The model input for a strip per the {@link EncoderModelSpec} contract: {@link integerModelInput}
 * as the data of a float32 `[1, height, width, 1]` tensor (every value an integer, exact in float32).
 */
export function modelInput(
  spec: EncoderModelSpec,
  strip: NormalisedIris,
): { data: Float32Array; height: number; width: number } {
  return pad(spec, integerStrip(spec, strip), Float32Array);
}

/**
 * The version-1 float model input, kept only to measure what quantisation costs: the strip
 * standardised over usable pixels (zero mean, unit variance), unusable pixels interpolated along
 * the angle in floats, rows without usable pixels 0, padded as {@link modelInput}. Run it through
 * a model built with the float {@link gaborKernel}.
 */
export function standardisedModelInput(
  spec: EncoderModelSpec,
  strip: NormalisedIris,
): { data: Float32Array; height: number; width: number } {
  checkStrip(spec, strip);
  const { radial: H, angular: W } = spec.strip;
  let sum = 0;
  let sum2 = 0;
  let n = 0;
  for (let k = 0; k < H * W; k++) {
    if (strip.mask[k]) {
      const v = strip.strip[k]!;
      sum += v;
      sum2 += v * v;
      n++;
    }
  }
  const mean = n ? sum / n : 0;
  const std = n ? Math.sqrt(Math.max(sum2 / n - mean * mean, 1e-6)) : 1;
  const z = new Float32Array(H * W);
  for (let y = 0; y < H; y++) {
    const row = y * W;
    let first = -1;
    for (let x = 0; x < W; x++) {
      if (strip.mask[row + x]) {
        first = x;
        break;
      }
    }
    if (first < 0) continue;
    let prev = first;
    for (let step = 1; step <= W; step++) {
      const x = (first + step) % W;
      if (!strip.mask[row + x]) continue;
      const gap = (x - prev + W) % W || W;
      const a = (strip.strip[row + prev]! - mean) / std;
      const b = (strip.strip[row + x]! - mean) / std;
      for (let k = 0; k < gap; k++) z[row + ((prev + k) % W)] = a + ((b - a) * k) / gap;
      prev = x;
    }
  }
  return pad(spec, z, Float32Array);
}

function pad<T extends Int32Array | Float32Array>(
  spec: EncoderModelSpec,
  z: ArrayLike<number>,
  Out: new (n: number) => T,
): { data: T; height: number; width: number } {
  const { radial: H, angular: W } = spec.strip;
  const { top, bottom, left, right } = spec.padding;
  const height = H + top + bottom;
  const width = W + left + right;
  const data = new Out(height * width);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(H - 1, Math.max(0, y - top));
    for (let x = 0; x < width; x++) {
      const sx = (((x - left) % W) + W) % W;
      data[y * width + x] = z[sy * W + sx]!;
    }
  }
  return { data, height, width };
}

/**
 * Usable cells: a cell is usable when at least `minUsableInWindow` of the strip mask inside its
 * `maskWindow` (centred on the cell, wrapping in angle) is usable, decided in integers:
 * `usable * 10^6 >= round(minUsableInWindow * 10^6) * windowPixels`. Returns `rows * cols` 0/1 values.
 */
export function cellMask(spec: EncoderModelSpec, strip: NormalisedIris): Uint8Array {
  const { rows, cols } = spec.geometry;
  const { radial: H, angular: W } = spec.strip;
  const [sy, sx] = spec.stride;
  const [wy, wx] = spec.maskWindow;
  // Column-wrapped integral image of the mask.
  const IW = W + 1;
  const integral = new Float64Array((H + 1) * IW);
  for (let y = 0; y < H; y++) {
    let row = 0;
    for (let x = 0; x < W; x++) {
      row += strip.mask[y * W + x]!;
      integral[(y + 1) * IW + x + 1] = integral[y * IW + x + 1]! + row;
    }
  }
  const rect = (y0: number, y1: number, x0: number, x1: number): number =>
    integral[y1 * IW + x1]! - integral[y0 * IW + x1]! - integral[y1 * IW + x0]! + integral[y0 * IW + x0]!;
  const minUsablePpm = ppm(spec.minUsableInWindow);
  const out = new Uint8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const cy = r * sy + (sy >> 1);
    const y0 = Math.max(0, cy - (wy >> 1));
    const y1 = Math.min(H, cy - (wy >> 1) + wy);
    for (let c = 0; c < cols; c++) {
      const cx = c * sx + (sx >> 1);
      let x0 = cx - (wx >> 1);
      let x1 = x0 + wx;
      let usable = 0;
      if (x0 < 0) {
        usable += rect(y0, y1, W + x0, W);
        x0 = 0;
      }
      if (x1 > W) {
        usable += rect(y0, y1, 0, x1 - W);
        x1 = W;
      }
      usable += rect(y0, y1, x0, x1);
      const total = (y1 - y0) * wx;
      out[r * cols + c] = usable * 1_000_000 >= minUsablePpm * total ? 1 : 0;
    }
  }
  return out;
}

/**
 * How many of `n` bits the fragile-bit rule masks at most: `floor(n * f)` computed exactly with
 * `f` taken in parts per million, `floor(n * round(f * 10^6) / 10^6)`.
 */
export function fragileCount(fraction: number, n: number): number {
  return floorDiv(n * ppm(fraction), 1_000_000);
}

/**
 * Turns model responses (`rows * cols * bitsPerCell`, layout order; integers from the integer
 * model, though floats work the same way) into an {@link IrisCode}: bit = response > 0; mask =
 * cell usable AND the bit is not fragile. Per channel, over the `n` usable cells, the cut-off `t`
 * is the magnitude at 0-based rank `min(n - 1, fragileCount(fragileFraction, n))` of the sorted
 * `|response|`; a bit is fragile when `|response| < t` or `response = 0`. Ties at `t` are all
 * kept, so exactly the bits strictly below the cut-off are masked, whatever the order of cells.
 */
export function responsesToCode(
  spec: EncoderModelSpec,
  responses: ArrayLike<number>,
  cells: Uint8Array,
): IrisCode {
  const g = spec.geometry;
  const p = g.bitsPerCell;
  const n = g.rows * g.cols * p;
  const bits = new Uint8Array(n);
  const mask = new Uint8Array(n);
  const thresholds = new Float64Array(p);
  if (spec.fragileFraction > 0) {
    for (let b = 0; b < p; b++) {
      const mags: number[] = [];
      for (let k = 0; k < g.rows * g.cols; k++) if (cells[k]) mags.push(Math.abs(responses[k * p + b]!));
      if (mags.length) {
        mags.sort((x, y) => x - y);
        thresholds[b] = mags[Math.min(mags.length - 1, fragileCount(spec.fragileFraction, mags.length))]!;
      }
    }
  }
  for (let k = 0; k < g.rows * g.cols; k++) {
    for (let b = 0; b < p; b++) {
      const v = responses[k * p + b]!;
      bits[k * p + b] = v > 0 ? 1 : 0;
      mask[k * p + b] = cells[k] && Math.abs(v) >= thresholds[b]! && v !== 0 ? 1 : 0;
    }
  }
  return IrisCode.fromBits(g, bits, mask);
}
