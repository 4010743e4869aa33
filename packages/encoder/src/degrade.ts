import type { GreyImage } from "./decode.js";
import { EncoderError } from "./errors.js";
import { boxBlur, greyPercentile, sampleBilinear, toFloat } from "./image-ops.js";

/**
 * The degradations accuracy runs apply to real images at run time (so that no derived picture of
 * a dataset is ever stored):
 * - `far`: the eye seen from further away: scaled by 0.4–0.55 (an iris radius of about 40–60 px
 *   for the 100–120 px of the sample sets) and placed anywhere in a frame of the original size;
 * - `offcentre`: a crop of 85 % of the width and height taken at a corner, so the eye sits near
 *   an edge and a little of the iris may leave the frame;
 * - `dark`: contrast halved, the image darkened, sensor noise added;
 * - `defocus`: a blur of about 1.5 px standard deviation;
 * - `eyelid`: a drooping upper lid with lashes whose edge comes down to between 12 % and 35 % of
 *   the frame height (for the sample sets, over the top fifth to the top half of the iris).
 */
export const DEGRADATIONS = ["far", "offcentre", "dark", "defocus", "eyelid"] as const;

/** One of {@link DEGRADATIONS}. */
export type Degradation = (typeof DEGRADATIONS)[number];

/** Small deterministic generator (mulberry32); the same seed gives the same degradation. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function clampByte(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

function gauss(next: () => number): number {
  return Math.sqrt(-2 * Math.log(Math.max(1e-12, next()))) * Math.cos(2 * Math.PI * next());
}

/**
 * A degraded copy of an eye image (see {@link DEGRADATIONS}); `seed` picks the random parameters.
 * Pure: the input is not modified. Throws `INVALID_PARAMETER` for an unknown kind.
 */
export function degradeImage(image: GreyImage, kind: Degradation, seed: number): GreyImage {
  const next = rng(seed * 2654435761 + kind.length);
  const { width: w, height: h, data } = image;
  const src = toFloat(w, h, data);
  const out = new Uint8Array(w * h);
  switch (kind) {
    case "far": {
      const s = 0.4 + 0.15 * next();
      const sw = Math.round(w * s);
      const sh = Math.round(h * s);
      const ox = Math.floor(next() * (w - sw));
      const oy = Math.floor(next() * (h - sh));
      // Anti-alias before sampling, as a lens and sensor of lower resolution would.
      const pre = boxBlur(src, Math.max(1, Math.round(0.5 / s - 0.5)));
      out.fill(greyPercentile(data, 0.5));
      for (let y = 0; y < sh; y++)
        for (let x = 0; x < sw; x++)
          out[(oy + y) * w + ox + x] = clampByte(
            sampleBilinear(pre, (x + 0.5) / s - 0.5, (y + 0.5) / s - 0.5),
          );
      return { width: w, height: h, data: out };
    }
    case "offcentre": {
      const cw = Math.round(w * 0.85);
      const ch = Math.round(h * 0.85);
      const ox = next() < 0.5 ? 0 : w - cw;
      const oy = next() < 0.5 ? 0 : h - ch;
      const crop = new Uint8Array(cw * ch);
      for (let y = 0; y < ch; y++) crop.set(data.subarray((oy + y) * w + ox, (oy + y) * w + ox + cw), y * cw);
      return { width: cw, height: ch, data: crop };
    }
    case "dark": {
      const gain = 0.45 + 0.1 * next();
      for (let i = 0; i < w * h; i++) out[i] = clampByte(data[i]! * gain + 8 + 3 * gauss(next));
      return { width: w, height: h, data: out };
    }
    case "defocus": {
      // Three box passes approximate a Gaussian; radius 1 three times is sigma ~1.4 px.
      let img = src;
      for (let k = 0; k < 3; k++) img = boxBlur(img, 1);
      for (let i = 0; i < w * h; i++) out[i] = clampByte(img.data[i]!);
      return { width: w, height: h, data: out };
    }
    case "eyelid": {
      const skin = greyPercentile(data, 0.85);
      // The lid edge: a downward-bulging curve whose lowest point lies in the upper third of the
      // frame, over the upper part of the iris in the sample sets.
      const lowest = h * (0.12 + 0.23 * next());
      const cx = w * (0.4 + 0.2 * next());
      const curve = (1.2 * h) / (w * w);
      out.set(data);
      for (let x = 0; x < w; x++) {
        const edge = lowest - curve * (x - cx) ** 2;
        for (let y = 0; y < Math.min(h, Math.ceil(edge)); y++) {
          const v = skin - 20 * ((edge - y) / h) + 4 * gauss(next);
          out[y * w + x] = clampByte(v);
        }
      }
      // Lashes: dark slightly curved strokes hanging from the lid edge.
      const lashes = Math.round(w / 4);
      for (let k = 0; k < lashes; k++) {
        let x = next() * w;
        let y = lowest - curve * (x - cx) ** 2;
        const len = h * (0.03 + 0.06 * next());
        const slant = (next() - 0.5) * 0.8;
        for (let t = 0; t < len; t++) {
          const xi = Math.round(x);
          const yi = Math.round(y);
          if (xi >= 0 && yi >= 0 && xi < w && yi < h) out[yi * w + xi] = clampByte(25 + 15 * next());
          x += slant;
          y += 1;
        }
      }
      return { width: w, height: h, data: out };
    }
    default:
      throw new EncoderError(
        "INVALID_PARAMETER",
        `Parameter 'kind' must be one of ${DEGRADATIONS.join(", ")}, received ${String(kind)}`,
        { field: "kind" },
      );
  }
}
