import { type MockCapture, PixelLabel } from "../../src/index.js";

/** Mean squared horizontal plus vertical forward difference: high for sharp images, low for blurred ones. */
export function gradientEnergy(pixels: Uint8Array, width: number, height: number): number {
  let sum = 0;
  let count = 0;
  for (let y = 0; y < height - 1; y++) {
    for (let x = 0; x < width - 1; x++) {
      const i = y * width + x;
      const gx = pixels[i + 1]! - pixels[i]!;
      const gy = pixels[i + width]! - pixels[i]!;
      sum += gx * gx + gy * gy;
      count++;
    }
  }
  return sum / count;
}

/** Mean grey level of the pixels carrying `label`, and how many there are. */
export function labelMean(capture: MockCapture, label: number): { mean: number; count: number } {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < capture.pixels.length; i++) {
    if (capture.truth.labels[i] === label) {
      sum += capture.pixels[i]!;
      count++;
    }
  }
  return { mean: count === 0 ? Number.NaN : sum / count, count };
}

export function countLabel(capture: MockCapture, label: number): number {
  let count = 0;
  for (const l of capture.truth.labels) if (l === label) count++;
  return count;
}

export { PixelLabel };
