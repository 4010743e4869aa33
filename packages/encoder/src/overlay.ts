import { PNG } from "pngjs";
import type { GreyImage } from "./decode.js";
import { pupilRadiusAt, type Segmentation, SegmentationFailure } from "./segmentation.js";

/** An 8-bit RGBA image, row-major, four bytes per pixel. */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

type Rgb = readonly [number, number, number];

const PUPIL_COLOUR: Rgb = [255, 220, 0];
const IRIS_COLOUR: Rgb = [0, 200, 255];
const NOISE_TINT: Rgb = [255, 40, 200];
const ACCEPTED: Rgb = [40, 200, 60];
const REFUSED: Rgb = [230, 40, 40];

function put(img: RgbaImage, x: number, y: number, c: Rgb, alpha = 1): void {
  const xi = Math.round(x);
  const yi = Math.round(y);
  if (xi < 0 || yi < 0 || xi >= img.width || yi >= img.height) return;
  const k = (yi * img.width + xi) * 4;
  for (let i = 0; i < 3; i++) img.data[k + i] = Math.round(img.data[k + i]! * (1 - alpha) + c[i]! * alpha);
}

/**
 * The segmentation drawn over the eye: the traced pupil boundary (yellow), the limbus circle
 * (cyan), the pupil and iris centres, and the noise mask inside the iris (magenta tint). A
 * refused or failed image gets a red frame, an accepted one a green frame.
 */
export function renderSegmentationOverlay(
  image: GreyImage,
  seg: Segmentation | SegmentationFailure,
  accepted: boolean,
): RgbaImage {
  const { width: w, height: h } = image;
  const out: RgbaImage = { width: w, height: h, data: new Uint8Array(w * h * 4) };
  for (let i = 0; i < w * h; i++) {
    const v = image.data[i]!;
    out.data.set([v, v, v, 255], 4 * i);
  }
  if (!(seg instanceof SegmentationFailure)) {
    const { pupil, iris, noiseMask, pupilRadii } = seg;
    for (let y = Math.max(0, Math.floor(iris.cy - iris.r)); y <= Math.min(h - 1, iris.cy + iris.r); y++) {
      for (let x = Math.max(0, Math.floor(iris.cx - iris.r)); x <= Math.min(w - 1, iris.cx + iris.r); x++) {
        if ((x - iris.cx) ** 2 + (y - iris.cy) ** 2 > iris.r ** 2) continue;
        const a = Math.atan2(y - pupil.cy, x - pupil.cx);
        if (Math.hypot(x - pupil.cx, y - pupil.cy) <= pupilRadiusAt(pupilRadii, a)) continue;
        if (noiseMask[y * w + x]) put(out, x, y, NOISE_TINT, 0.35);
      }
    }
    const steps = Math.ceil(2 * Math.PI * iris.r * 2);
    for (let k = 0; k < steps; k++) {
      const a = (2 * Math.PI * k) / steps;
      put(out, iris.cx + iris.r * Math.cos(a), iris.cy + iris.r * Math.sin(a), IRIS_COLOUR);
      const rp = pupilRadiusAt(pupilRadii, a);
      put(out, pupil.cx + rp * Math.cos(a), pupil.cy + rp * Math.sin(a), PUPIL_COLOUR);
    }
    for (let d = -3; d <= 3; d++) {
      put(out, pupil.cx + d, pupil.cy, PUPIL_COLOUR);
      put(out, pupil.cx, pupil.cy + d, PUPIL_COLOUR);
      put(out, iris.cx + d, iris.cy + d, IRIS_COLOUR);
      put(out, iris.cx + d, iris.cy - d, IRIS_COLOUR);
    }
  }
  const frame = accepted ? ACCEPTED : REFUSED;
  for (let t = 0; t < 3; t++) {
    for (let x = 0; x < w; x++) {
      put(out, x, t, frame);
      put(out, x, h - 1 - t, frame);
    }
    for (let y = 0; y < h; y++) {
      put(out, t, y, frame);
      put(out, w - 1 - t, y, frame);
    }
  }
  return out;
}

// 3x5 digits, one row of three bits per entry, for tile numbers.
const DIGITS = [
  [7, 5, 5, 5, 7],
  [2, 6, 2, 2, 7],
  [7, 1, 7, 4, 7],
  [7, 1, 7, 1, 7],
  [5, 5, 7, 1, 1],
  [7, 4, 7, 1, 7],
  [7, 4, 7, 5, 7],
  [7, 1, 1, 1, 1],
  [7, 5, 7, 5, 7],
  [7, 5, 7, 1, 7],
];

function drawNumber(img: RgbaImage, n: number, x0: number, y0: number, scale: number): void {
  const text = String(n);
  const bw = (text.length * 4 + 1) * scale;
  for (let y = 0; y < 7 * scale; y++) for (let x = 0; x < bw; x++) put(img, x0 + x, y0 + y, [0, 0, 0], 0.8);
  for (let i = 0; i < text.length; i++) {
    const glyph = DIGITS[text.charCodeAt(i) - 48]!;
    for (let gy = 0; gy < 5; gy++) {
      for (let gx = 0; gx < 3; gx++) {
        if (!((glyph[gy]! >> (2 - gx)) & 1)) continue;
        for (let sy = 0; sy < scale; sy++)
          for (let sx = 0; sx < scale; sx++)
            put(img, x0 + (1 + i * 4 + gx) * scale + sx, y0 + (1 + gy) * scale + sy, [255, 255, 255]);
      }
    }
  }
}

/**
 * Lays tiles out in a grid, each scaled (nearest neighbour) to `tileWidth` and numbered from
 * `firstNumber` in its top-left corner, so a contact sheet can be matched with its index.
 */
export function contactSheet(
  tiles: readonly RgbaImage[],
  options: { columns?: number; tileWidth?: number; firstNumber?: number } = {},
): RgbaImage {
  const columns = Math.max(1, Math.min(options.columns ?? 6, tiles.length));
  const tw = options.tileWidth ?? 240;
  const th = Math.round(tw * Math.max(0.5, ...tiles.map((t) => (t.width > 0 ? t.height / t.width : 1)), 0.5));
  const rows = Math.ceil(tiles.length / columns);
  const gap = 4;
  const W = columns * (tw + gap) + gap;
  const H = rows * (th + gap) + gap;
  const sheet: RgbaImage = { width: W, height: H, data: new Uint8Array(W * H * 4).fill(40) };
  for (let i = 3; i < sheet.data.length; i += 4) sheet.data[i] = 255;
  tiles.forEach((tile, i) => {
    const ox = gap + (i % columns) * (tw + gap);
    const oy = gap + Math.floor(i / columns) * (th + gap);
    const s = tile.width / tw;
    const hh = Math.min(th, Math.floor(tile.height / s));
    for (let y = 0; y < hh; y++) {
      const sy = Math.min(tile.height - 1, Math.floor(y * s));
      for (let x = 0; x < tw; x++) {
        const sx = Math.min(tile.width - 1, Math.floor(x * s));
        const src = (sy * tile.width + sx) * 4;
        const dst = ((oy + y) * W + ox + x) * 4;
        sheet.data.set(tile.data.subarray(src, src + 4), dst);
      }
    }
    drawNumber(sheet, (options.firstNumber ?? 1) + i, ox + 4, oy + 4, 2);
  });
  return sheet;
}

/** PNG file bytes of an RGBA image. */
export function encodeRgbaPng(img: RgbaImage): Uint8Array {
  const png = new PNG({ width: img.width, height: img.height });
  png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return new Uint8Array(PNG.sync.write(png));
}
