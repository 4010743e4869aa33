/**
 * Realism card: grey-level and sharpness statistics of mock captures next to the real
 * near-infrared sample set (../shared/datasets/casia-iris-interval-sample, read in place).
 *
 *   npx tsx --conditions=zkiris-source bench/mock-capture/realism.ts [mock images per preset]
 *
 * Baseline, in the same process: the real images. Per image it measures grey percentiles, the
 * share of saturated pixels (>= 250), the share of very dark pixels (< 60: pupil, lashes),
 * gradient energy (mean squared forward difference) and a noise estimate (median absolute
 * Laplacian / (0.6745 × 6), an Immerkær-style estimate: the 3×3 Laplacian mask has a gain of 6
 * on white noise; image structure inflates it); it prints the median
 * over images of each, and the mock/real ratio.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type CapturePreset, renderCapture } from "@zkiris/mock-capture";
import jpeg from "jpeg-js";

const datasetDir = fileURLToPath(
  new URL("../../../shared/datasets/casia-iris-interval-sample", import.meta.url),
);
const mockCount = Number(process.argv[2] ?? 60);

interface ImageStats {
  p1: number;
  p10: number;
  p50: number;
  p90: number;
  saturated: number;
  dark: number;
  gradientEnergy: number;
  noise: number;
}

function measure(pixels: Uint8Array, width: number, height: number): ImageStats {
  const sorted = Uint8Array.from(pixels).sort();
  const q = (p: number) => sorted[Math.floor(p * (sorted.length - 1))]!;
  let saturated = 0;
  let dark = 0;
  for (const v of pixels) {
    if (v >= 250) saturated++;
    if (v < 60) dark++;
  }
  let energy = 0;
  const laplacians: number[] = [];
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const gx = pixels[i + 1]! - pixels[i]!;
      const gy = pixels[i + width]! - pixels[i]!;
      energy += gx * gx + gy * gy;
      const lap =
        4 * pixels[i]! -
        2 * (pixels[i - 1]! + pixels[i + 1]! + pixels[i - width]! + pixels[i + width]!) +
        pixels[i - width - 1]! +
        pixels[i - width + 1]! +
        pixels[i + width - 1]! +
        pixels[i + width + 1]!;
      laplacians.push(Math.abs(lap));
    }
  }
  laplacians.sort((a, b) => a - b);
  const n = pixels.length;
  return {
    p1: q(0.01),
    p10: q(0.1),
    p50: q(0.5),
    p90: q(0.9),
    saturated: saturated / n,
    dark: dark / n,
    gradientEnergy: energy / ((width - 2) * (height - 2)),
    noise: laplacians[laplacians.length >> 1]! / 0.6745 / Math.sqrt(36),
  };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function summary(all: ImageStats[]): ImageStats {
  const keys = Object.keys(all[0]!) as (keyof ImageStats)[];
  return Object.fromEntries(keys.map((k) => [k, median(all.map((s) => s[k]))])) as unknown as ImageStats;
}

if (!existsSync(datasetDir)) {
  console.log(`skipped: the real sample set is not at ${datasetDir}`);
} else {
  const real: ImageStats[] = [];
  for (const eye of readdirSync(datasetDir).sort()) {
    const dir = join(datasetDir, eye);
    if (!statSync(dir).isDirectory()) continue;
    for (const file of readdirSync(dir).sort()) {
      if (!/\.jpe?g$/i.test(file)) continue;
      const image = jpeg.decode(readFileSync(join(dir, file)), { useTArray: true, formatAsRGBA: true });
      const grey = new Uint8Array(image.width * image.height);
      for (let i = 0; i < grey.length; i++) grey[i] = image.data[i * 4]!;
      real.push(measure(grey, image.width, image.height));
    }
    process.stderr.write(`\rreal images read: ${real.length}`);
  }
  process.stderr.write("\n");
  const rows: [string, ImageStats][] = [[`real sample (${real.length} images)`, summary(real)]];
  for (const preset of ["default", "hard"] as CapturePreset[]) {
    const mock: ImageStats[] = [];
    for (let k = 0; k < mockCount; k++) {
      const c = renderCapture(`realism-${k % 20}`, k, { preset });
      mock.push(measure(c.pixels, c.width, c.height));
    }
    rows.push([`mock ${preset} (${mockCount} images)`, summary(mock)]);
  }
  const keys = Object.keys(rows[0]![1]) as (keyof ImageStats)[];
  console.log("median over images".padEnd(30) + keys.map((k) => k.padStart(15)).join(""));
  for (const [label, s] of rows) {
    console.log(
      label.padEnd(30) +
        keys.map((k) => s[k].toFixed(k === "saturated" || k === "dark" ? 3 : 1).padStart(15)).join(""),
    );
  }
  for (const [label, s] of rows.slice(1)) {
    console.log(
      `${`ratio ${label.split(" (")[0]}/real`.padEnd(30)}${keys
        .map((k) => (rows[0]![1][k] === 0 ? "-" : (s[k] / rows[0]![1][k]).toFixed(2)).padStart(15))
        .join("")}`,
    );
  }
}
