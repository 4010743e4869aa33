import { bitCount, type CodeGeometry, IrisCode } from "@zkiris/iris-code";

/** A random code: each bit 0 or 1 with probability 1/2, each mask bit set with probability `usable`. */
export function randomCode(random: () => number, geometry: CodeGeometry, usable = 0.8): IrisCode {
  const n = bitCount(geometry);
  const bits = new Uint8Array(n);
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    bits[i] = random() < 0.5 ? 1 : 0;
    mask[i] = random() < usable ? 1 : 0;
  }
  return IrisCode.fromBits(geometry, bits, mask);
}

/** How {@link recapture} changes a code. */
export interface RecaptureOptions {
  /** Probability that a bit is flipped. */
  readonly flip: number;
  /** Probability that a usable bit is lost from the mask (default 0). */
  readonly drop?: number;
  /** Columns the new capture is rotated by: column `c` of the result is column `c + shift` of the code. */
  readonly shift?: number;
}

/**
 * Another capture of the same eye: bits flipped and mask bits dropped at random (draws in bit
 * order of the result: one for the flip, then one for the drop when `drop` > 0), columns rotated.
 */
export function recapture(random: () => number, code: IrisCode, options: RecaptureOptions): IrisCode {
  const g = code.geometry;
  const { flip, drop = 0, shift = 0 } = options;
  const bits = code.bitValues();
  const mask = code.maskValues();
  const outBits = new Uint8Array(bits.length);
  const outMask = new Uint8Array(mask.length);
  const p = g.bitsPerCell;
  for (let r = 0; r < g.rows; r++) {
    for (let c = 0; c < g.cols; c++) {
      const src = (((c + shift) % g.cols) + g.cols) % g.cols;
      for (let b = 0; b < p; b++) {
        const i = (r * g.cols + c) * p + b;
        const j = (r * g.cols + src) * p + b;
        outBits[i] = random() < flip ? 1 - bits[j]! : bits[j]!;
        outMask[i] = drop > 0 && random() < drop ? 0 : mask[j]!;
      }
    }
  }
  return IrisCode.fromBits(g, outBits, outMask);
}
