import { type FloatImage, sampleBilinear } from "./image-ops.js";
import { pupilRadiusAt, type Segmentation } from "./segmentation.js";

/** Size and radial span of the rubber-sheet strip. */
export interface NormalisationConfig {
  /** Radial samples (rows), pupil side first. */
  radial: number;
  /** Angular samples (columns); column 0 points to +x (image right), angles grow clockwise on screen. */
  angular: number;
  /** Radial span sampled, as fractions of the pupil-to-limbus distance. Default [0.03, 0.92]. */
  span?: readonly [number, number];
}

/** A rubber-sheet strip: grey levels and the matching usability mask, row-major `radial x angular`. */
export interface NormalisedIris {
  readonly radial: number;
  readonly angular: number;
  /** Grey levels (0..255, reflections filled). */
  readonly strip: Float32Array;
  /** 1 where the strip sample is usable iris. */
  readonly mask: Uint8Array;
}

/**
 * Daugman's rubber sheet: for each angle, samples linearly from the traced pupil boundary to the
 * limbus (the point where the ray from the pupil centre meets the iris circle), so dilation and
 * off-centre pupils map to the same strip coordinates.
 */
export function normaliseIris(seg: Segmentation, config: NormalisationConfig): NormalisedIris {
  const { radial, angular } = config;
  const [r0, r1] = config.span ?? [0.03, 0.92];
  const strip = new Float32Array(radial * angular);
  const mask = new Uint8Array(radial * angular);
  const { pupil, iris, width: w, height: h } = seg;
  const img: FloatImage = seg.filled;
  const ox = pupil.cx - iris.cx;
  const oy = pupil.cy - iris.cy;
  const c = ox * ox + oy * oy - iris.r * iris.r;
  for (let j = 0; j < angular; j++) {
    const a = (2 * Math.PI * j) / angular;
    const ux = Math.cos(a);
    const uy = Math.sin(a);
    const rp = pupilRadiusAt(seg.pupilRadii, a);
    const b = ux * ox + uy * oy;
    const tIris = -b + Math.sqrt(Math.max(0, b * b - c));
    for (let i = 0; i < radial; i++) {
      const rho = r0 + ((r1 - r0) * (i + 0.5)) / radial;
      const t = rp + (tIris - rp) * rho;
      const x = pupil.cx + t * ux;
      const y = pupil.cy + t * uy;
      const k = i * angular + j;
      strip[k] = sampleBilinear(img, x, y);
      const xi = Math.round(x);
      const yi = Math.round(y);
      mask[k] = xi >= 0 && yi >= 0 && xi < w && yi < h && seg.noiseMask[yi * w + xi] === 0 ? 1 : 0;
    }
  }
  return { radial, angular, strip, mask };
}
