import jpeg from "jpeg-js";

/** A deterministic grey test pattern. */
export function pattern(width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) out[y * width + x] = (x * 7 + y * 13 + ((x * y) % 17)) & 0xff;
  return out;
}

/** Writes an uncompressed BMP (8-bit with a grey palette, 24- or 32-bit BGR(A)), bottom-up unless topDown. */
export function makeBmp(
  width: number,
  height: number,
  grey: Uint8Array,
  bpp: 8 | 24 | 32,
  topDown = false,
): Uint8Array {
  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  const palette = bpp === 8 ? 256 * 4 : 0;
  const offset = 14 + 40 + palette;
  const size = offset + stride * height;
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  out[0] = 0x42;
  out[1] = 0x4d;
  v.setUint32(2, size, true);
  v.setUint32(10, offset, true);
  v.setUint32(14, 40, true);
  v.setInt32(18, width, true);
  v.setInt32(22, topDown ? -height : height, true);
  v.setUint16(26, 1, true);
  v.setUint16(28, bpp, true);
  v.setUint32(30, 0, true);
  v.setUint32(34, stride * height, true);
  if (bpp === 8) for (let i = 0; i < 256; i++) out.set([i, i, i, 0], 54 + 4 * i);
  for (let y = 0; y < height; y++) {
    const row = offset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const g = grey[y * width + x]!;
      if (bpp === 8) out[row + x] = g;
      else out.set(bpp === 24 ? [g, g, g] : [g, g, g, 255], row + x * (bpp / 8));
    }
  }
  return out;
}

/** Encodes grey pixels as a baseline JPEG. */
export function makeJpeg(width: number, height: number, grey: Uint8Array, quality = 95): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) rgba.set([grey[i]!, grey[i]!, grey[i]!, 255], 4 * i);
  return new Uint8Array(jpeg.encode({ width, height, data: rgba }, quality).data);
}

/** Parameters of {@link drawEye}, a crafted synthetic eye for quality-gate tests. */
export interface EyeSpec {
  width?: number;
  height?: number;
  cx?: number;
  cy?: number;
  irisR?: number;
  pupilR?: number;
  /** Pupil centre offset from the iris centre, pixels. */
  pupilDx?: number;
  /** Pupil vertical/horizontal axis ratio (1 = circle). */
  pupilAspect?: number;
  pupilGrey?: number;
  irisGrey?: number;
  scleraGrey?: number;
  /** Rows above this are upper eyelid skin. */
  lidTop?: number;
  /** Rows below this are lower eyelid skin. */
  lidBottom?: number;
  /** Lids cover only columns within this distance of the iris centre (default: the whole width). */
  lidHalfWidth?: number;
  /** Amplitude of the iris texture in grey levels. Default 9. */
  texture?: number;
  /** Box blur passes of radius 3. */
  blurPasses?: number;
  seed?: number;
}

/** Draws a grey eye: textured iris annulus, dark pupil, bright sclera, optional lids and blur. */
export function drawEye(spec: EyeSpec = {}): { width: number; height: number; data: Uint8Array } {
  const w = spec.width ?? 320;
  const h = spec.height ?? 280;
  const cx = spec.cx ?? 160;
  const cy = spec.cy ?? 140;
  const R = spec.irisR ?? 95;
  const r = spec.pupilR ?? 38;
  const pdx = spec.pupilDx ?? 0;
  const aspect = spec.pupilAspect ?? 1;
  let s = (spec.seed ?? 1) >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const phases = Array.from({ length: 12 }, () => rand() * 2 * Math.PI);
  const img = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const dx = x - cx;
      const dy = y - cy;
      const d = Math.hypot(dx, dy);
      const px = x - cx - pdx;
      const pd = Math.hypot(px, (y - cy) / aspect);
      let v: number;
      if (pd <= r) v = spec.pupilGrey ?? 25;
      else if (d <= R) {
        const a = Math.atan2(dy, dx);
        const t = (d - r) / (R - r);
        let tex = 0;
        for (let k = 0; k < 6; k++)
          tex +=
            Math.sin((7 + 5 * k) * a + phases[k]! + 6 * t * (k % 3)) *
            Math.cos((2 + k) * Math.PI * t + phases[k + 6]!);
        v = (spec.irisGrey ?? 140) + (spec.texture ?? 9) * tex + (rand() - 0.5) * 6;
      } else v = spec.scleraGrey ?? 215;
      const underLid = Math.abs(dx) <= (spec.lidHalfWidth ?? w);
      if (underLid && spec.lidTop !== undefined && y < spec.lidTop) v = 200;
      if (underLid && spec.lidBottom !== undefined && y > spec.lidBottom) v = 200;
      img[y * w + x] = v;
    }
  }
  let cur = img;
  for (let p = 0; p < (spec.blurPasses ?? 0); p++) {
    const next = new Float32Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let sum = 0;
        let n = 0;
        for (let k = -3; k <= 3; k++) {
          for (let j = -3; j <= 3; j++) {
            const yy = Math.min(h - 1, Math.max(0, y + k));
            const xx = Math.min(w - 1, Math.max(0, x + j));
            sum += cur[yy * w + xx]!;
            n++;
          }
        }
        next[y * w + x] = sum / n;
      }
    }
    cur = next;
  }
  const data = new Uint8Array(w * h);
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, Math.round(cur[i]!)));
  return { width: w, height: h, data };
}
