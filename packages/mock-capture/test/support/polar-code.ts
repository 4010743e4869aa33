import { type CodeGeometry, DEFAULT_PROFILE, IrisCode } from "@zkiris/iris-code";
import { type MockCapture, PixelLabel } from "../../src/index.js";

/**
 * A deliberately simple reference encoder used only to check the generator's texture: Daugman
 * rubber sheet from the *ground-truth* circles (no segmentation), a 1-D complex Gabor filter along
 * the angle in each radial band, two phase-quadrant bits per cell, mask from the ground-truth labels
 * and the response magnitude. It is not the project's encoder.
 */
export interface PolarCodeOptions {
  geometry?: CodeGeometry;
  /** Angular samples of the strip (a multiple of `geometry.cols`). */
  stripCols?: number;
  /** Radial samples per code row. */
  rowsPerBand?: number;
  /** Gabor wavelength in strip samples. */
  wavelength?: number;
}

export function polarCode(capture: MockCapture, options: PolarCodeOptions = {}): IrisCode {
  const geometry = options.geometry ?? DEFAULT_PROFILE.geometry;
  const stripCols = options.stripCols ?? geometry.cols * 4;
  const rowsPerBand = options.rowsPerBand ?? 3;
  const wavelength = options.wavelength ?? 18;
  const stripRows = geometry.rows * rowsPerBand;
  const { width, height, pixels, truth } = capture;
  const { pupil, iris } = truth;
  const strip = new Float64Array(stripRows * stripCols);
  const usable = new Uint8Array(stripRows * stripCols);
  for (let r = 0; r < stripRows; r++) {
    // Keep clear of the boundaries, as real encoders do (ρ in 0.05..0.95).
    const rho = 0.05 + (0.9 * (r + 0.5)) / stripRows;
    for (let c = 0; c < stripCols; c++) {
      const theta = (2 * Math.PI * c) / stripCols;
      const cos = Math.cos(theta);
      const sin = -Math.sin(theta); // angles counter-clockwise on screen, y points down
      const x = (1 - rho) * (pupil.cx + pupil.r * cos) + rho * (iris.cx + iris.r * cos);
      const y = (1 - rho) * (pupil.cy + pupil.r * sin) + rho * (iris.cy + iris.r * sin);
      const i = r * stripCols + c;
      const xi = Math.floor(x);
      const yi = Math.floor(y);
      if (xi < 0 || yi < 0 || xi >= width - 1 || yi >= height - 1) continue;
      const ax = x - xi;
      const ay = y - yi;
      const p = yi * width + xi;
      strip[i] =
        (pixels[p]! * (1 - ax) + pixels[p + 1]! * ax) * (1 - ay) +
        (pixels[p + width]! * (1 - ax) + pixels[p + width + 1]! * ax) * ay;
      usable[i] = truth.labels[Math.round(y) * width + Math.round(x)] === PixelLabel.IRIS ? 1 : 0;
    }
  }

  const half = Math.ceil(wavelength);
  const sigma = wavelength / 2;
  const re: number[] = [];
  const im: number[] = [];
  let reMean = 0;
  for (let k = -half; k <= half; k++) {
    const env = Math.exp((-k * k) / (2 * sigma * sigma));
    re.push(env * Math.cos((2 * Math.PI * k) / wavelength));
    im.push(env * Math.sin((2 * Math.PI * k) / wavelength));
    reMean += re[re.length - 1]!;
  }
  reMean /= re.length;
  for (let k = 0; k < re.length; k++) re[k] = re[k]! - reMean;

  const bits: number[] = [];
  const mask: number[] = [];
  const step = stripCols / geometry.cols;
  const responses: number[] = [];
  for (let band = 0; band < geometry.rows; band++) {
    for (let col = 0; col < geometry.cols; col++) {
      const c0 = col * step;
      let sr = 0;
      let si = 0;
      let ok = true;
      for (let rr = 0; rr < rowsPerBand; rr++) {
        const row = (band * rowsPerBand + rr) * stripCols;
        for (let k = -half; k <= half; k++) {
          const c = (((c0 + k) % stripCols) + stripCols) % stripCols;
          const v = strip[row + c]!;
          sr += re[k + half]! * v;
          si += im[k + half]! * v;
          if (Math.abs(k) <= 2 && usable[row + c] === 0) ok = false;
        }
      }
      bits.push(sr >= 0 ? 1 : 0, si >= 0 ? 1 : 0);
      responses.push(Math.hypot(sr, si));
      mask.push(ok ? 1 : 0, ok ? 1 : 0);
    }
  }
  // Fragile bits: mask the weakest 10% of responses.
  const sorted = [...responses].sort((a, b) => a - b);
  const floor = sorted[Math.floor(sorted.length * 0.1)]!;
  for (let i = 0; i < responses.length; i++) {
    if (responses[i]! < floor) {
      mask[2 * i] = 0;
      mask[2 * i + 1] = 0;
    }
  }
  return IrisCode.fromBits(geometry, bits, mask);
}
