import { IrisCode } from "@zkiris/iris-code";
import type { EncoderModelSpec } from "./model.js";
import type { NormalisedIris } from "./normalise.js";

/**
 * The model input for a strip, per the {@link EncoderModelSpec} contract: standardised over usable
 * pixels (unusable ones 0), padded circularly left/right and by edge replication top/bottom.
 * Returns the data of a `[1, height, width, 1]` tensor.
 */
export function modelInput(
  spec: EncoderModelSpec,
  strip: NormalisedIris,
): { data: Float32Array; height: number; width: number } {
  const { radial: H, angular: W } = spec.strip;
  const { top, bottom, left, right } = spec.padding;
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
  // Unusable pixels are filled by linear interpolation along the angle between the nearest usable
  // ones (circularly): a constant fill would put artificial steps at eyelid boundaries, and those
  // sit at similar places in every eye, correlating codes of different people.
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
  const height = H + top + bottom;
  const width = W + left + right;
  const data = new Float32Array(height * width);
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
 * `maskWindow` (centred on the cell, wrapping in angle) is usable. Returns `rows * cols` 0/1 values.
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
      out[r * cols + c] = usable >= spec.minUsableInWindow * total ? 1 : 0;
    }
  }
  return out;
}

/**
 * Turns model responses (`rows * cols * bitsPerCell`, layout order) into an {@link IrisCode}:
 * bit = response > 0; mask = cell usable AND the response is not among the smallest
 * `fragileFraction` (by magnitude) of its channel over usable cells.
 */
export function responsesToCode(
  spec: EncoderModelSpec,
  responses: Float32Array,
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
        thresholds[b] = mags[Math.min(mags.length - 1, Math.floor(spec.fragileFraction * mags.length))]!;
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
