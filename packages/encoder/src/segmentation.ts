import type { Circle } from "@zkiris/iris-code";
import type { GreyImage } from "./decode.js";
import {
  boxBlur,
  cropImage,
  downsample2,
  type FloatImage,
  fitCircle,
  fitEllipseConic,
  greyPercentile,
  median,
  rankFilter,
  rankFilterBytes,
  sampleBilinear,
  squaredDistanceTransform,
  toFloat,
} from "./image-ops.js";

/** Settings of {@link segmentIris}. */
export interface SegmentationConfig {
  /** Number of rays used to trace the pupil boundary. Default 64. */
  pupilRays: number;
  /** Largest iris centre offset from the pupil centre searched, as a fraction of the pupil radius (at least 4 px). Default 0.3. */
  irisCentreSearch: number;
  /** Half-width in degrees of the left and right arcs used to find the limbus (eyelids avoided). Default 35. */
  limbusArcDegrees: number;
  /** Bright-outlier limit over the iris median, in robust standard deviations. Default 3.5. */
  brightSigmas: number;
  /** Dark-outlier (eyelash) limit under the iris median, in robust standard deviations. Default 3.5. */
  darkSigmas: number;
}

/** Default segmentation settings. */
export const DEFAULT_SEGMENTATION_CONFIG: Readonly<SegmentationConfig> = Object.freeze({
  pupilRays: 64,
  irisCentreSearch: 0.2,
  limbusArcDegrees: 35,
  brightSigmas: 3.5,
  darkSigmas: 3.5,
});

/**
 * Result of {@link segmentIris}: boundaries, the noise mask and measurements for the quality
 * gates. `pupilRadii[k]` is the traced pupil boundary distance from `pupil.cx, pupil.cy` at angle
 * `2πk / pupilRadii.length` (smoothed, outliers replaced by the circle fit), so a non-circular or
 * off-gaze pupil is followed exactly.
 */
export interface Segmentation {
  readonly width: number;
  readonly height: number;
  readonly pupil: Circle;
  readonly pupilRadii: Float32Array;
  readonly iris: Circle;
  /** 1 where the pixel is not usable iris: eyelid, eyelash, reflection, or outside the frame. Image-sized. */
  readonly noiseMask: Uint8Array;
  /** The image with specular reflections filled in (what the normaliser samples). */
  readonly filled: FloatImage;
  readonly measurements: SegmentationMeasurements;
}

/** Numbers the quality gates check. */
export interface SegmentationMeasurements {
  /** Fraction of pupil rays whose edge agreed with the fitted circle (0..1). */
  pupilEdgeSupport: number;
  /** Mean grey level inside the pupil. */
  pupilMean: number;
  /** Median grey level of unoccluded iris. */
  irisMedian: number;
  /** Mean step in grey levels across the limbus on the lateral arcs. */
  limbusContrast: number;
  /** Pupil edge sharpness: the steepest grey-level slope across the pupil edge per pixel, divided by the pupil-iris contrast. */
  sharpness: number;
  /** Fraction of the iris annulus (between pupil and limbus) that is usable. */
  usableFraction: number;
  /** Fraction of the iris disc that falls outside the image. */
  outOfFrameFraction: number;
  /** Distance between pupil and iris centres divided by the iris radius. */
  centreOffset: number;
  /** Pupil major/minor axis ratio (from the traced boundary and the dark blob's moments). */
  pupilElongation: number;
}

/** Why segmentation could not even produce boundaries. */
export class SegmentationFailure {
  constructor(
    readonly reason: string,
    readonly measured: number,
    readonly limit: number,
  ) {}
}

interface Component {
  area: number;
  sx: number;
  sy: number;
  minX: number;
  maxX: number;
  minY: number;
  maxY: number;
  sum: number;
  sxx: number;
  syy: number;
  sxy: number;
  touchesBorder: boolean;
}

/** Grey level that the core of a reflection reaches in a well-exposed image. */
const SPOT_CORE_LEVEL = 235;

/** 99th-percentile grey level of a well-exposed eye image; dimmer images scale the reflection limits. */
const FULL_EXPOSURE = 220;

/**
 * Removes small bright specular spots (the LED ring in the pupil, glints on the cornea): a grey
 * opening with radius `r` estimates the image without them. Pixels more than `excess` above it
 * and brighter than `minBrightness` are thin bright structures; those within 2 px of one at least
 * {@link SPOT_CORE_LEVEL}, or of one inside a solid 5×5 block of them, are reflections. The limits
 * are for a well-exposed image and scale down with the exposure (its 99th-percentile grey level
 * under 220): a dim image has dim reflections.
 * Returns the image with the reflections replaced by the opening (`filled`, `specular` the
 * replaced pixels) and with every thin bright structure replaced (`filledThin`, `thinBright`
 * the structures before the 1 px growth).
 */
export function fillSpecularities(
  img: FloatImage,
  r = 6,
  excess = 30,
  minBrightness = 150,
): {
  filled: FloatImage;
  filledThin: FloatImage;
  specular: Uint8Array;
  thinBright: Uint8Array;
  opened: FloatImage;
} {
  const n = img.width * img.height;
  // An image of whole grey levels 0..255 (every decoded image) is opened on bytes: same values.
  let bytes: Uint8Array | undefined = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = img.data[i]!;
    if (!(v >= 0 && v <= 255 && Math.floor(v) === v)) {
      bytes = undefined;
      break;
    }
    bytes[i] = v;
  }
  const opened: FloatImage = bytes
    ? {
        width: img.width,
        height: img.height,
        data: new Float32Array(
          rankFilterBytes(
            rankFilterBytes(bytes, img.width, img.height, r, false),
            img.width,
            img.height,
            r,
            true,
          ),
        ),
      }
    : rankFilter(rankFilter(img, r, false), r, true);
  const exposure = Math.min(1, greyPercentile(img.data, 0.99) / FULL_EXPOSURE);
  const minStep = Math.max(10, excess * exposure);
  const minLevel = minBrightness * exposure;
  const candidate = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = img.data[i]!;
    candidate[i] = v - opened.data[i]! > minStep && v > minLevel ? 1 : 0;
  }
  // The opening also leaves out every bright structure thinner than its window that is not a
  // reflection: the light fibres between the crypts of a light iris, skin between lashes, the iris
  // next to the dark pupil. A reflection either reaches near the top of the grey scale (a glint) or
  // is a solid blob (a broad reflection on the iris), where fibres are lines: its core is the thin
  // bright pixels at least SPOT_CORE_LEVEL (scaled by the exposure) or with a whole 5×5
  // neighbourhood of them, and the spot is the thin bright pixels within 2 px of a core pixel.
  const w = img.width;
  const h = img.height;
  const coreLevel = SPOT_CORE_LEVEL * exposure;
  const core = new Uint8Array(n);
  const solid = erode(candidate, w, h, 2);
  for (let i = 0; i < n; i++) core[i] = candidate[i]! && (img.data[i]! >= coreLevel || solid[i]) ? 1 : 0;
  const raw = dilate(core, w, h, 2);
  for (let i = 0; i < n; i++) if (!candidate[i]) raw[i] = 0;
  // Grown by one pixel: the halo of a spot is also brighter than the surface under it.
  const specular = dilate(raw, w, h, 1);
  const thinBright = dilate(candidate, w, h, 1);
  const fill = (mask: Uint8Array): FloatImage => {
    const out = img.data.slice();
    for (let i = 0; i < n; i++) if (mask[i]) out[i] = opened.data[i]!;
    return { width: w, height: h, data: out };
  };
  return { filled: fill(specular), filledThin: fill(thinBright), specular, thinBright: candidate, opened };
}

/** A binary mask eroded by a (2k+1)×(2k+1) square (outside the frame counts as set). */
function erode(mask: Uint8Array, w: number, h: number, k: number): Uint8Array {
  return windowed(mask, w, h, k, false);
}

/** A binary mask dilated by a (2k+1)×(2k+1) square. */
function dilate(mask: Uint8Array, w: number, h: number, k: number): Uint8Array {
  return windowed(mask, w, h, k, true);
}

/**
 * Dilation (`any`: some pixel of the window set) or erosion (every pixel of the window set; outside
 * the frame counts as set) by a (2k+1)×(2k+1) square of a 0/1 mask. Separable: a running count over
 * each row's window, then over each column's, of the set pixels (dilation) or the unset ones
 * (erosion), so the cost does not grow with k.
 */
function windowed(mask: Uint8Array, w: number, h: number, k: number, any: boolean): Uint8Array {
  const flip = any ? 0 : 1;
  const rows = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const o = y * w;
    let count = 0;
    for (let x = 0; x < Math.min(k, w); x++) count += mask[o + x]! ^ flip;
    for (let x = 0; x < w; x++) {
      if (x + k < w) count += mask[o + x + k]! ^ flip;
      if (x - k - 1 >= 0) count -= mask[o + x - k - 1]! ^ flip;
      rows[o + x] = count > 0 ? 1 : 0;
    }
  }
  const out = new Uint8Array(w * h);
  for (let x = 0; x < w; x++) {
    let count = 0;
    for (let y = 0; y < Math.min(k, h); y++) count += rows[y * w + x]!;
    for (let y = 0; y < h; y++) {
      if (y + k < h) count += rows[(y + k) * w + x]!;
      if (y - k - 1 >= 0) count -= rows[(y - k - 1) * w + x]!;
      out[y * w + x] = (count > 0 ? 1 : 0) ^ flip;
    }
  }
  return out;
}

/**
 * The 4-connected components of the pixels darker than each threshold of an increasing list, for
 * every threshold in turn: `visit(m, components)` receives the components of area at least
 * `minArea` at threshold `thresholds[m]`, ordered by their first pixel in row-major order (as a
 * scan-line flood fill would find them). Pixels join in order of the first threshold they are
 * under and are merged into their darker neighbours' components (union-find by size with path
 * halving), so each pixel is visited once for all thresholds; the statistics are integer sums
 * and do not depend on the merge order.
 */
function darkComponentsByThreshold(
  img: FloatImage,
  thresholds: readonly number[],
  minArea: number,
  visit: (m: number, components: readonly Component[]) => void,
): void {
  const { width: w, height: h, data } = img;
  const n = w * h;
  const nT = thresholds.length;
  if (nT === 0) return;
  // Level of each pixel: the first threshold it is under (nT when none), bucketed by level.
  const level = new Int32Array(n);
  const bucketStart = new Int32Array(nT + 2);
  const t0 = thresholds[0]!;
  const step = nT > 1 ? (thresholds[nT - 1]! - t0) / (nT - 1) : 1;
  for (let p = 0; p < n; p++) {
    const v = data[p]!;
    let m = step > 0 ? Math.min(nT, Math.max(0, Math.floor((v - t0) / step))) : 0;
    while (m > 0 && v < thresholds[m - 1]!) m--;
    while (m < nT && !(v < thresholds[m]!)) m++;
    level[p] = m;
    bucketStart[m + 1]!++;
  }
  for (let m = 0; m <= nT; m++) bucketStart[m + 1]! += bucketStart[m]!;
  const order = new Int32Array(n);
  const fillAt = bucketStart.slice(0, nT + 1);
  for (let p = 0; p < n; p++) order[fillAt[level[p]!]!++] = p;
  const parent = new Int32Array(n).fill(-1);
  const comps: (Component & { first: number })[] = new Array(n);
  const find = (p: number): number => {
    while (parent[p] !== p) {
      const g = parent[parent[p]!]!;
      parent[p] = g;
      p = g;
    }
    return p;
  };
  const union = (a: number, b: number): number => {
    let ra = find(a);
    let rb = find(b);
    if (ra === rb) return ra;
    if (comps[ra]!.area < comps[rb]!.area) [ra, rb] = [rb, ra];
    parent[rb] = ra;
    const A = comps[ra]!;
    const B = comps[rb]!;
    A.area += B.area;
    A.sx += B.sx;
    A.sy += B.sy;
    A.sum += B.sum;
    A.sxx += B.sxx;
    A.syy += B.syy;
    A.sxy += B.sxy;
    if (B.minX < A.minX) A.minX = B.minX;
    if (B.maxX > A.maxX) A.maxX = B.maxX;
    if (B.minY < A.minY) A.minY = B.minY;
    if (B.maxY > A.maxY) A.maxY = B.maxY;
    if (B.first < A.first) A.first = B.first;
    A.touchesBorder ||= B.touchesBorder;
    comps[rb] = undefined as unknown as Component & { first: number };
    return ra;
  };
  let large: number[] = [];
  const isLarge = new Uint8Array(n);
  for (let m = 0; m < nT; m++) {
    for (let q = bucketStart[m]!; q < bucketStart[m + 1]!; q++) {
      const p = order[q]!;
      const x = p % w;
      const y = (p - x) / w;
      parent[p] = p;
      comps[p] = {
        area: 1,
        sx: x,
        sy: y,
        minX: x,
        maxX: x,
        minY: y,
        maxY: y,
        sum: data[p]!,
        sxx: x * x,
        syy: y * y,
        sxy: x * y,
        touchesBorder: x === 0 || y === 0 || x === w - 1 || y === h - 1,
        first: p,
      };
      let root = p;
      if (x > 0 && parent[p - 1]! >= 0) root = union(root, p - 1);
      if (x < w - 1 && parent[p + 1]! >= 0) root = union(root, p + 1);
      if (y > 0 && parent[p - w]! >= 0) root = union(root, p - w);
      if (y < h - 1 && parent[p + w]! >= 0) root = union(root, p + w);
      if (comps[root]!.area >= minArea && !isLarge[root]) {
        isLarge[root] = 1;
        large.push(root);
      }
    }
    // Roots absorbed into another component since they were listed drop out.
    large = large.filter((r) => parent[r] === r);
    const list = large.map((r) => comps[r]!);
    list.sort((a, b) => a.first - b.first);
    visit(m, list);
  }
}

/** The half-resolution, lightly smoothed image both pupil searches run on. */
function halfResolution(dark: FloatImage): FloatImage {
  return boxBlur(downsample2(dark), 1);
}

/**
 * Coarse pupil: the largest round dark blob over a sweep of thresholds on the half-resolution,
 * reflection-free image `small` (see {@link halfResolution}). Searches the whole frame (no central
 * window) and every size above 3 px. Circles are returned in full-resolution pixels.
 */
function coarsePupils(small: FloatImage): (Circle & { elongation: number })[] {
  const n = small.width * small.height;
  let lo = 255;
  for (let i = 0; i < n; i++) if (small.data[i]! < lo) lo = small.data[i]!;
  const found: { score: number; circle: Circle; elongation: number }[] = [];
  const thresholds: number[] = [];
  for (let t = lo + 4; t <= lo + 110; t += 5) thresholds.push(t);
  darkComponentsByThreshold(small, thresholds, 12, (_, components) => {
    for (const c of components) {
      if (c.touchesBorder) continue;
      const bw = c.maxX - c.minX + 1;
      const bh = c.maxY - c.minY + 1;
      const aspect = Math.min(bw, bh) / Math.max(bw, bh);
      const fill = c.area / ((Math.PI / 4) * bw * bh);
      if (aspect < 0.4 || fill < 0.75 || fill > 1.15) continue;
      // Axis ratio from second moments (an off-gaze pupil is an ellipse, possibly rotated).
      const mx = c.sx / c.area;
      const my = c.sy / c.area;
      const vxx = c.sxx / c.area - mx * mx;
      const vyy = c.syy / c.area - my * my;
      const vxy = c.sxy / c.area - mx * my;
      const tr = (vxx + vyy) / 2;
      const disc = Math.sqrt(Math.max(0, tr * tr - (vxx * vyy - vxy * vxy)));
      const elongation = Math.sqrt((tr + disc) / Math.max(1e-9, tr - disc));
      // A filled ellipse has area pi * a * b with a, b = 2 * sqrt(eigenvalues).
      const ellipseFill = c.area / (4 * Math.PI * Math.sqrt(Math.max(1e-9, (tr + disc) * (tr - disc))));
      if (elongation > 2.5 || ellipseFill < 0.85 || ellipseFill > 1.15) continue;
      found.push({
        score: c.area * ellipseFill * ellipseFill * Math.min(aspect, 1 / elongation) ** 0.5,
        circle: { cx: mx * 2 + 0.5, cy: my * 2 + 0.5, r: Math.sqrt(c.area / Math.PI) * 2 },
        elongation,
      });
    }
  });
  found.sort((a, b) => b.score - a.score);
  const kept: (Circle & { elongation: number })[] = [];
  for (const f of found) {
    const c = { ...f.circle, elongation: f.elongation };
    const dup = kept.some(
      (k) =>
        Math.hypot(k.cx - c.cx, k.cy - c.cy) < 0.3 * Math.max(k.r, c.r) &&
        Math.max(k.r, c.r) / Math.min(k.r, c.r) < 1.25,
    );
    if (!dup) kept.push(c);
    if (kept.length >= 4) break;
  }
  return kept;
}

/**
 * Pupil candidates as the largest discs inscribed in the dark region at a sweep of grey-level
 * thresholds (peaks of the distance transform of the half-resolution image below the threshold).
 * A pupil that touches eyelashes or the lid joins them in one dark region, but the largest disc
 * inside that region is still the pupil's; lashes are thin and give small discs. `small` is the
 * half-resolution image of {@link halfResolution}; circles are in full-resolution pixels.
 */
function inscribedDiscPupils(small: FloatImage, maxCandidates = 6): (Circle & { elongation: number })[] {
  const { width: w, height: h, data } = small;
  const n = w * h;
  let lo = 255;
  for (let i = 0; i < n; i++) if (data[i]! < lo) lo = data[i]!;
  const inside = new Uint8Array(n);
  const dt = new Float64Array(n);
  const covered = new Uint8Array(n);
  const found: { r: number; cx: number; cy: number }[] = [];
  const minR = Math.max(1.5, 0.01 * Math.min(w, h));
  for (let t = lo + 8; t <= lo + 120; t += 14) {
    let count = 0;
    for (let i = 0; i < n; i++) {
      inside[i] = data[i]! < t ? 1 : 0;
      count += inside[i]!;
    }
    // Past the point where most of the frame is "dark" the threshold no longer separates anything.
    if (count > 0.4 * n) break;
    squaredDistanceTransform(inside, w, h, dt);
    // The two largest separated discs at this threshold.
    for (let pick = 0; pick < 2; pick++) {
      let best = -1;
      let bestD = minR * minR;
      for (let i = 0; i < n; i++) {
        if (dt[i]! <= bestD || (pick > 0 && covered[i])) continue;
        bestD = dt[i]!;
        best = i;
      }
      if (best < 0) break;
      const x = best % w;
      const y = (best - x) / w;
      const r = Math.sqrt(bestD);
      found.push({ r, cx: x, cy: y });
      // Mark the pixels inside this disc: a second pick is never inside a disc found before.
      // (hypot is at least the larger offset, so the disc lies within its bounding box.)
      for (let yy = Math.max(0, Math.floor(y - r)); yy <= Math.min(h - 1, Math.ceil(y + r)); yy++)
        for (let xx = Math.max(0, Math.floor(x - r)); xx <= Math.min(w - 1, Math.ceil(x + r)); xx++)
          if (r > 0 && Math.hypot(x - xx, y - yy) < r) covered[yy * w + xx] = 1;
      // Suppress this disc for the second pick.
      for (let yy = Math.max(0, Math.floor(y - 2 * r)); yy <= Math.min(h - 1, y + 2 * r); yy++)
        for (let xx = Math.max(0, Math.floor(x - 2 * r)); xx <= Math.min(w - 1, x + 2 * r); xx++)
          if ((xx - x) ** 2 + (yy - y) ** 2 <= 4 * r * r) dt[yy * w + xx] = 0;
    }
  }
  found.sort((a, b) => b.r - a.r);
  const out: (Circle & { elongation: number })[] = [];
  for (const f of found) {
    const c = { cx: f.cx * 2 + 1, cy: f.cy * 2 + 1, r: f.r * 2 + 1, elongation: 1 };
    if (
      out.some(
        (o) => Math.hypot(o.cx - c.cx, o.cy - c.cy) < 0.3 * o.r && o.r / c.r < 1.25 && c.r / o.r < 1.25,
      )
    )
      continue;
    out.push(c);
    if (out.length >= maxCandidates) break;
  }
  return out;
}

function smoothCircular(values: Float32Array, radius: number): Float32Array {
  const n = values.length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = -radius; k <= radius; k++) s += values[(i + k + n) % n]!;
    out[i] = s / (2 * radius + 1);
  }
  return out;
}

/** Lashes are looked for where the direction from the pupil is more than 30 degrees from horizontal. */
const LASH_ZONE_SINE = 0.5;

/** Spreads of the iris's grey levels beyond which a pixel above or below the pupil counts as lid. */
const LID_SIGMAS = 2.5;

/** A limbus candidate must rise at least this fraction of the strongest rise on its arcs. */
const LIMBUS_RELATIVE = 0.6;

/**
 * Weight of a limbus rise seen on one lateral arc only, where the other arc has left the frame at
 * that radius: one-sided evidence is weaker than an edge at the same radius on both sides.
 */
const ONE_SIDED_LIMBUS = 0.8;

/**
 * Largest share of the way from the iris level (next to the pupil) to the level outside a limbus
 * candidate that the level just inside it may have come; more is sclera inside the candidate.
 */
const INNER_SCLERA = 0.7;

/** Largest share of a one-sided limbus circle's perimeter that may lie beyond the frame. */
const MAX_ONE_SIDED_OUTSIDE = 0.5;

/** Smallest share of an arc's rays that must cross a one-sided limbus as a rise. */
const MIN_ONE_SIDED_SUPPORT = 0.7;

/**
 * Share of 16 rays over the arc of half-width `arc` around angle `about` whose own rise across
 * radius r (outer minus inner over `step` px) is at least half the rays' mean rise; rays leaving
 * the frame do not vote, and fewer than 8 voting rays give 0.
 */
function raySupport(
  img: FloatImage,
  cx: number,
  cy: number,
  r: number,
  about: number,
  arc: number,
  step: number,
): number {
  const inside = (x: number, y: number): boolean =>
    x >= 0 && y >= 0 && x <= img.width - 1 && y <= img.height - 1;
  const rises: number[] = [];
  let sum = 0;
  for (let i = 0; i < 16; i++) {
    const a = about - arc + (2 * arc * (i + 0.5)) / 16;
    const ca = Math.cos(a);
    const sa = Math.sin(a);
    const xo = cx + (r + step) * ca;
    const yo = cy + (r + step) * sa;
    const xi = cx + (r - step) * ca;
    const yi = cy + (r - step) * sa;
    if (!inside(xo, yo) || !inside(xi, yi)) continue;
    let d = 0;
    for (let k = 1; k <= step; k++)
      d +=
        sampleBilinear(img, cx + (r + k) * ca, cy + (r + k) * sa) -
        sampleBilinear(img, cx + (r - k) * ca, cy + (r - k) * sa);
    rises.push(d);
    sum += d;
  }
  if (rises.length < 8 || sum <= 0) return 0;
  const half = (0.5 * sum) / rises.length;
  return rises.filter((d) => d >= half).length / rises.length;
}

/** The first value of a profile that is not NaN (NaN when there is none). */
function firstFinite(profile: Float32Array): number {
  for (const v of profile) if (!Number.isNaN(v)) return v;
  return Number.NaN;
}

/** Share of 64 points on a circle that lie outside a w × h frame. */
function perimeterOutside(cx: number, cy: number, r: number, w: number, h: number): number {
  let out = 0;
  for (let k = 0; k < 64; k++) {
    const a = (2 * Math.PI * k) / 64;
    const x = cx + r * Math.cos(a);
    const y = cy + r * Math.sin(a);
    if (x < 0 || y < 0 || x > w - 1 || y > h - 1) out++;
  }
  return out / 64;
}

/** Pupil/iris ratio above which an outer limbus candidate is looked for. */
const LARGE_PUPIL_RATIO = 0.6;

/** An outer limbus candidate replaces the first when its step is at least this fraction of it. */
const OUTER_LIMBUS_RELATIVE = 0.4;

/** A pupil edge on a ray is the first rise of at least this fraction of the ray's strongest. */
const PUPIL_RELATIVE = 0.4;

/**
 * First strong outward rise along a ray: the innermost local maximum of the radial derivative
 * reaching `PUPIL_RELATIVE` of the ray's strongest (the pupil is the darkest region, so its edge
 * is the first rise met from inside; eyelid and lash edges further out can be stronger).
 */
function firstRise(
  smooth: FloatImage,
  cx: number,
  cy: number,
  ca: number,
  sa: number,
  rMin: number,
  rMax: number,
  buf: Float32Array,
): { r: number; d: number } {
  let n = 0;
  let dmax = 0;
  for (let r = rMin; r <= rMax && n < buf.length; r += 0.5) {
    const d =
      sampleBilinear(smooth, cx + (r + 1.5) * ca, cy + (r + 1.5) * sa) -
      sampleBilinear(smooth, cx + (r - 1.5) * ca, cy + (r - 1.5) * sa);
    buf[n++] = d;
    if (d > dmax) dmax = d;
  }
  if (dmax <= 0) return { r: -1, d: 0 };
  for (let i = 0; i < n; i++) {
    const d = buf[i]!;
    if (d >= PUPIL_RELATIVE * dmax && (i === 0 || d >= buf[i - 1]!) && (i === n - 1 || d >= buf[i + 1]!)) {
      // The edge's steepness is the strongest slope within 3 px of it: pixel noise can split one
      // edge into a small first peak and the real one.
      let peak = d;
      for (let j = Math.max(0, i - 6); j <= Math.min(n - 1, i + 6); j++) if (buf[j]! > peak) peak = buf[j]!;
      return { r: rMin + 0.5 * i, d: peak };
    }
  }
  return { r: -1, d: 0 };
}

/** Pupil candidates whose traced edge agrees with the fit on at least this share of rays compete on darkness. */
const TRACED_SUPPORT = 0.5;

/**
 * Grey levels by which a pupil candidate's interior may exceed the darkest ringed candidate's (see
 * {@link SURROUND_SPREAD}).
 */
const PUPIL_INTERIOR_MARGIN = 25;

/**
 * A pupil is ringed by iris: the interquartile range of the grey levels around it is a small part
 * of its step to them (0.14 on clean CASIA pupils). A clump of lashes at a lid's edge is as dark or
 * darker, but half its surround is skin and half lashes (0.45 to 1.7). Only ringed candidates set
 * the darkness reference (when there is one).
 */
const SURROUND_SPREAD = 0.35;

/**
 * Mean and standard deviation of the grey level inside 0.7 of a circle's radius (polar samples),
 * leaving out samples brighter than `ceiling` (a lid over part of the pupil), with the share kept.
 * When less than half would be kept, every sample counts (share 1): no pupil is mostly occluder.
 */
function interiorStats(
  img: FloatImage,
  c: Circle,
  ceiling = Number.POSITIVE_INFINITY,
): { mean: number; std: number; kept: number } {
  const values: number[] = [];
  for (let i = 1; i <= 4; i++) {
    const rr = (0.7 * c.r * i) / 4;
    for (let k = 0; k < 16; k++) {
      const a = (2 * Math.PI * k) / 16;
      values.push(sampleBilinear(img, c.cx + rr * Math.cos(a), c.cy + rr * Math.sin(a)));
    }
  }
  const below = values.filter((v) => v <= ceiling);
  const share = below.length / values.length;
  const lidded = share >= 0.5;
  const used = lidded ? below : values;
  const kept = lidded ? share : 1;
  let s = 0;
  let s2 = 0;
  for (const v of used) {
    s += v;
    s2 += v * v;
  }
  const mean = s / used.length;
  return { mean, std: Math.sqrt(Math.max(0, s2 / used.length - mean * mean)), kept };
}

/**
 * Median over rays of the steepest grey-level slope per pixel within 3 px of the traced pupil
 * boundary, measured on the image the contrast is measured on (an opened image would understate
 * the iris level of a noisy sensor and so the slope).
 */
function edgeSlope(img: FloatImage, pupil: Circle, radii: Float32Array): number {
  const slopes: number[] = [];
  for (let k = 0; k < radii.length; k++) {
    const a = (2 * Math.PI * k) / radii.length;
    const ca = Math.cos(a);
    const sa = Math.sin(a);
    let best = 0;
    for (let r = radii[k]! - 3; r <= radii[k]! + 3; r += 0.5) {
      const d =
        (sampleBilinear(img, pupil.cx + (r + 1.5) * ca, pupil.cy + (r + 1.5) * sa) -
          sampleBilinear(img, pupil.cx + (r - 1.5) * ca, pupil.cy + (r - 1.5) * sa)) /
        3;
      if (d > best) best = d;
    }
    slopes.push(best);
  }
  return median(slopes);
}

/** Quartiles of the grey level on the ring from 1.15 to 1.4 radii around a circle (polar samples). */
function surroundQuartiles(img: FloatImage, c: Circle): { q1: number; median: number; q3: number } {
  const values: number[] = [];
  for (const f of [1.15, 1.25, 1.4]) {
    for (let k = 0; k < 32; k++) {
      const a = (2 * Math.PI * k) / 32;
      values.push(sampleBilinear(img, c.cx + f * c.r * Math.cos(a), c.cy + f * c.r * Math.sin(a)));
    }
  }
  values.sort((a, b) => a - b);
  const at = (q: number): number => values[Math.round(q * (values.length - 1))]!;
  return { q1: at(0.25), median: at(0.5), q3: at(0.75) };
}

/** Fewest rays meeting an occluder for a pupil to be fitted as a partly hidden circle. */
const MIN_OCCLUDED_RAYS = 4;

/**
 * A ray meets an occluder when the level just inside its edge is already more than this share of
 * the way from the pupil's level to the iris's: the ray left the pupil under a lid before any
 * rise, and its "edge" is noise in the lid.
 */
const OCCLUDER_LEVEL = 0.5;

/**
 * Rays (of `radii`, traced from `centre`; non-positive = no edge) that meet an occluder (see
 * {@link OCCLUDER_LEVEL}; pupil level: lower quartile of the levels 3 px inside the edges; iris
 * level: median of the levels 4 px beyond them). A lid is one arc: only the longest run of such
 * rays around the circle counts (gaps of one ray bridged), and a run shorter than
 * {@link MIN_OCCLUDED_RAYS} or longer than half the rays counts as none.
 */
function occludedRays(
  img: FloatImage,
  centre: Circle,
  radii: Float32Array,
): { mask: Uint8Array; count: number } {
  const n = radii.length;
  const mask = new Uint8Array(n);
  const inner = new Float32Array(n);
  const insides: number[] = [];
  const outsides: number[] = [];
  for (let k = 0; k < n; k++) {
    const r = radii[k]!;
    if (r <= 0) continue;
    const a = (2 * Math.PI * k) / n;
    const ca = Math.cos(a);
    const sa = Math.sin(a);
    const ri = Math.max(0, r - 3);
    inner[k] = sampleBilinear(img, centre.cx + ri * ca, centre.cy + ri * sa);
    insides.push(inner[k]!);
    outsides.push(sampleBilinear(img, centre.cx + (r + 4) * ca, centre.cy + (r + 4) * sa));
  }
  if (insides.length < n / 2) return { mask, count: 0 };
  insides.sort((a, b) => a - b);
  const pupilLevel = insides[Math.floor(0.25 * (insides.length - 1))]!;
  const irisLevel = median(outsides);
  if (irisLevel <= pupilLevel) return { mask, count: 0 };
  const flagged = new Uint8Array(n);
  let any = false;
  for (let k = 0; k < n; k++) {
    if (radii[k]! > 0 && inner[k]! - pupilLevel > OCCLUDER_LEVEL * (irisLevel - pupilLevel)) {
      flagged[k] = 1;
      any = true;
    }
  }
  if (!any) return { mask, count: 0 };
  // The longest circular run of flagged rays, a single unflagged ray between two flagged ones
  // bridged: scattered rays are reflections or lashes, which the fits reject anyway.
  const on = (k: number): boolean =>
    flagged[(k + n) % n] === 1 || (flagged[(k + n - 1) % n] === 1 && flagged[(k + 1) % n] === 1);
  let start = 0;
  while (start < n && on(start)) start++;
  if (start === n) return { mask, count: 0 };
  let bestStart = 0;
  let bestLength = 0;
  for (let i = 1, run = 0; i <= n; i++) {
    const k = (start + i) % n;
    if (on(k)) {
      run++;
      if (run > bestLength) {
        bestLength = run;
        bestStart = (k - run + 1 + n) % n;
      }
    } else run = 0;
  }
  // More than half is no pupil under a lid but a trace from the wrong centre.
  if (bestLength < MIN_OCCLUDED_RAYS || 2 * bestLength > n) return { mask, count: 0 };
  for (let i = 0; i < bestLength; i++) mask[(bestStart + i) % n] = 1;
  return { mask, count: bestLength };
}

/**
 * Traces the pupil edge on rays from the coarse centre and fits a circle, rejecting outliers. When
 * the rays traced from that circle's centre show an occluder ({@link occludedRays}: a lid over the
 * top of the pupil), the trace starts again with the occluded rays left out of every fit
 * (`underLid`): the lid's edge would pull the circle and flatten the ellipse.
 */
function refinePupil(
  smooth: FloatImage,
  coarse: Circle,
  rays: number,
  underLid = false,
):
  | { pupil: Circle; radii: Float32Array; support: number; slope: number; occluded: boolean }
  | SegmentationFailure {
  let centre = coarse;
  const buf = new Float32Array(4096);
  /** First rise per ray from `c` between rMin and rMax (-1: none), and its slope per pixel. */
  const trace = (c: Circle, rMin: number, rMax: number): { radii: Float32Array; slopes: Float32Array } => {
    const radii = new Float32Array(rays);
    const slopes = new Float32Array(rays);
    for (let k = 0; k < rays; k++) {
      const a = (2 * Math.PI * k) / rays;
      const { r, d } = firstRise(smooth, c.cx, c.cy, Math.cos(a), Math.sin(a), rMin, rMax, buf);
      radii[k] = r;
      slopes[k] = d / 3;
    }
    return { radii, slopes };
  };
  for (let pass = 0; pass < 2; pass++) {
    const rMin = Math.max(1.5, centre.r * (pass === 0 ? 0.5 : 0.7));
    const rMax = pass === 0 ? centre.r * 1.5 + 3 : centre.r * 1.3 + 3;
    const { radii } = trace(centre, rMin, rMax);
    const hidden = underLid ? occludedRays(smooth, centre, radii).mask : undefined;
    const xs: number[] = [];
    const ys: number[] = [];
    for (let k = 0; k < rays; k++) {
      if (radii[k]! <= 0 || hidden?.[k]) continue;
      const a = (2 * Math.PI * k) / rays;
      xs.push(centre.cx + radii[k]! * Math.cos(a));
      ys.push(centre.cy + radii[k]! * Math.sin(a));
    }
    const fit = robustCircle(xs, ys);
    if (fit === undefined)
      return new SegmentationFailure("pupil edge could not be traced", xs.length, rays / 2);
    centre = fit.circle;
  }
  // Final per-angle radii relative to the fitted centre. The band is wide so that an elliptical
  // (off-gaze) pupil is traced too; rays that disagree with their neighbours are outliers and take
  // the neighbours' median.
  const { radii: raw, slopes: rawSlope } = trace(centre, Math.max(1.5, centre.r * 0.6), centre.r * 1.5 + 2);
  const occluded = occludedRays(smooth, centre, raw);
  // The centre is first found from every ray, as for an open eye; only when the edge traced from it
  // shows a lid over the pupil is it found again without the lid's rays.
  if (!underLid && occluded.count > 0) return refinePupil(smooth, coarse, rays, true);
  // A pupil partly under a lid is the circle fitted above: its visible arc does not fix an ellipse.
  const circular = occluded.count > 0;
  // Robust ellipse through the traced edge points (an off-gaze pupil is an ellipse); rays whose
  // edge is far from it are outliers (lashes, reflections) and take the ellipse's radius.
  const ok: number[] = [];
  for (let k = 0; k < rays; k++) if (raw[k]! > 0 && !occluded.mask[k]) ok.push(k);
  let keep = ok;
  let conic: number[] | undefined;
  const ellipseRadius = (k: number, q: number[]): number => {
    const a = (2 * Math.PI * k) / rays;
    const ux = Math.cos(a);
    const uy = Math.sin(a);
    const qa = q[0]! * ux * ux + q[1]! * ux * uy + q[2]! * uy * uy;
    const qb = q[3]! * ux + q[4]! * uy;
    return (-qb + Math.sqrt(qb * qb + 4 * qa)) / (2 * qa);
  };
  for (let it = 0; it < 3 && !circular; it++) {
    const xs = keep.map((k) => raw[k]! * Math.cos((2 * Math.PI * k) / rays));
    const ys = keep.map((k) => raw[k]! * Math.sin((2 * Math.PI * k) / rays));
    const q = fitEllipseConic(xs, ys);
    if (!q) break;
    conic = q;
    const res = ok.map((k) => Math.abs(raw[k]! - ellipseRadius(k, q)));
    const tol = Math.max(1.5, 2.5 * median(res));
    keep = ok.filter((_, i) => res[i]! <= tol);
    if (keep.length < 8) break;
  }
  const radii = new Float32Array(rays);
  let inliers = 0;
  const slopeIn: number[] = [];
  for (let k = 0; k < rays; k++) {
    const model = conic ? ellipseRadius(k, conic) : centre.r;
    const v = raw[k]!;
    if (v > 0 && !occluded.mask[k] && Math.abs(v - model) <= Math.max(2, 0.06 * model)) {
      radii[k] = v;
      inliers++;
      slopeIn.push(rawSlope[k]!);
    } else radii[k] = Number.isFinite(model) && model > 0 ? model : centre.r;
  }
  let mean = 0;
  for (const r of radii) mean += r;
  mean /= rays;
  return {
    pupil: { cx: centre.cx, cy: centre.cy, r: mean },
    radii: smoothCircular(radii, 2),
    support: inliers / rays,
    slope: slopeIn.length ? median(slopeIn) : 0,
    occluded: circular,
  };
}

function robustCircle(xs: number[], ys: number[]): { circle: Circle } | undefined {
  let fx = xs;
  let fy = ys;
  let circle = fitCircle(fx, fy);
  for (let it = 0; it < 3 && circle; it++) {
    const c: Circle = circle;
    const res = fx.map((x, i) => Math.abs(Math.hypot(x - c.cx, fy[i]! - c.cy) - c.r));
    const tol = Math.max(1.5, 2.5 * median(res));
    const keepX: number[] = [];
    const keepY: number[] = [];
    for (let i = 0; i < fx.length; i++) {
      if (res[i]! <= tol) {
        keepX.push(fx[i]!);
        keepY.push(fy[i]!);
      }
    }
    if (keepX.length < 8) return undefined;
    fx = keepX;
    fy = keepY;
    circle = fitCircle(fx, fy);
  }
  return circle ? { circle } : undefined;
}

/**
 * Limbus: maximises the outward grey-level step of mean intensities on left and right arcs
 * (the eyelids cover top and bottom) over centres near the pupil centre and radii from just
 * outside the pupil to the frame.
 */
function findLimbus(
  smooth: FloatImage,
  pupil: Circle,
  cfg: SegmentationConfig,
  maxRatio = 0.8,
): { iris: Circle; contrast: number } | SegmentationFailure {
  const rMin = Math.max(pupil.r / maxRatio, pupil.r + 8);
  const rMax = Math.min(pupil.r / 0.1, Math.max(smooth.width, smooth.height) * 0.6);
  if (rMax <= rMin + 4)
    return new SegmentationFailure("no room for an iris around the pupil", rMax, rMin + 4);
  const arc = (cfg.limbusArcDegrees * Math.PI) / 180;
  const nA = 16;
  const angles: number[] = [];
  for (let i = 0; i < nA; i++) {
    const a = -arc + (2 * arc * (i + 0.5)) / nA;
    angles.push(a, Math.PI - a);
  }
  const cos = angles.map(Math.cos);
  const sin = angles.map(Math.sin);
  const STEP = 6;
  const nR = Math.floor(rMax - rMin) + 2 * STEP + 1;
  // Left and right arcs separately: the limbus is a rise at the same radius on both sides, while
  // eye corners, lids and lashes usually make an edge on one side only.
  const profiles = [new Float32Array(nR), new Float32Array(nR)];
  const deriv = new Float32Array(nR);
  const search = Math.max(4, cfg.irisCentreSearch * pupil.r);
  const pupilGuard2 = (pupil.r * 1.2 + 3) ** 2;
  let best = { score: Number.NEGATIVE_INFINITY, cx: pupil.cx, cy: pupil.cy, r: rMin };
  // Ray offsets r * cos, r * sin per radius and angle, the same for every centre.
  const nAngles = angles.length;
  const offX = new Float64Array(nR * nAngles);
  const offY = new Float64Array(nR * nAngles);
  for (let j = 0; j < nR; j++) {
    const r = rMin - STEP + j;
    for (let k = 0; k < nAngles; k++) {
      offX[j * nAngles + k] = r * cos[k]!;
      offY[j * nAngles + k] = r * sin[k]!;
    }
  }
  const { width: sw, height: sh, data: sd } = smooth;
  const pcx = pupil.cx;
  const pcy = pupil.cy;
  const [pr, pl] = profiles as [Float32Array, Float32Array];
  // A side whose arc has left the frame at a radius has no profile there; the limbus may then be
  // seen on the other side alone (an iris cut by the frame edge).
  const clipped = [new Uint8Array(nR), new Uint8Array(nR)];
  const [clipR, clipL] = clipped as [Uint8Array, Uint8Array];
  const oneSided = new Uint8Array(nR);
  const sideProfile = (side: number, cx: number, cy: number): void => {
    const profile = side === 0 ? pr : pl;
    const clip = side === 0 ? clipR : clipL;
    for (let j = 0; j < nR; j++) {
      let s = 0;
      let n = 0;
      let outside = 0;
      const o = j * nAngles;
      for (let k = side; k < nAngles; k += 2) {
        const x = cx + offX[o + k]!;
        const y = cy + offY[o + k]!;
        // Samples near the pupil edge would reward the pupil boundary itself.
        const gx = x - pcx;
        const gy = y - pcy;
        if (gx * gx + gy * gy < pupilGuard2) continue;
        // sampleBilinear(smooth, x, y), inlined: first the common case of a point inside the
        // frame, then the clamped one.
        if (x >= 0 && y >= 0 && x < sw - 1 && y < sh - 1) {
          const x0 = x | 0;
          const y0 = y | 0;
          const fx = x - x0;
          const fy = y - y0;
          const i0 = y0 * sw + x0;
          const a = sd[i0]!;
          const b = sd[i0 + 1]!;
          const c = sd[i0 + sw]!;
          const d = sd[i0 + sw + 1]!;
          s += a + (b - a) * fx + (c - a) * fy + (a - b - c + d) * fx * fy;
          n++;
          continue;
        }
        outside++;
        const xc = x < 0 ? 0 : Math.min(x, sw - 1);
        const yc = y < 0 ? 0 : Math.min(y, sh - 1);
        const x0 = xc | 0;
        const y0 = yc | 0;
        const x1 = x0 + 1 < sw ? x0 + 1 : x0;
        const y1 = y0 + 1 < sh ? y0 + 1 : y0;
        const fx = xc - x0;
        const fy = yc - y0;
        const a = sd[y0 * sw + x0]!;
        const b = sd[y0 * sw + x1]!;
        const c = sd[y1 * sw + x0]!;
        const d = sd[y1 * sw + x1]!;
        s += a + (b - a) * fx + (c - a) * fy + (a - b - c + d) * fx * fy;
        n++;
      }
      // More than half of the arc beyond the frame: the clamped border says nothing about an edge.
      clip[j] = 2 * outside > n ? 1 : 0;
      profile[j] = n > nA / 4 && !clip[j] ? s / n : Number.NaN;
    }
  };
  const scleraInside = (profile: Float32Array, iris: number, j: number): boolean =>
    profile[j - 2 * STEP]! - iris > INNER_SCLERA * (profile[j + STEP]! - iris);
  /** The rise at radius index j: the weaker side's, or one side's alone where the other is clipped. */
  const rise = (dr: number, dl: number, j: number): number => {
    if (!Number.isNaN(dr) && !Number.isNaN(dl)) return Math.min(dr, dl) / STEP;
    const outer = j + STEP;
    if (Number.isNaN(dl) && !Number.isNaN(dr) && clipL[outer]) return (ONE_SIDED_LIMBUS * dr) / STEP;
    if (Number.isNaN(dr) && !Number.isNaN(dl) && clipR[outer]) return (ONE_SIDED_LIMBUS * dl) / STEP;
    return 0;
  };
  const evalCentre = (cx: number, cy: number): void => {
    sideProfile(0, cx, cy);
    // A centre's score is at most the right side's strongest step (the score takes the smaller
    // side's, or a share of the left side's where the right is clipped): when that cannot beat the
    // best so far, the left side is not sampled.
    // The share of a circle beyond the (convex) frame only grows with its radius, so once the first
    // clipped radius has too much of its circle outside, no one-sided rise further out can count.
    let bound = 0;
    let clipChecked = false;
    for (let j = STEP; j < nR - STEP; j++) {
      if (clipR[j + STEP] && !clipChecked) {
        clipChecked = true;
        if (perimeterOutside(cx, cy, rMin - STEP + j, sw, sh) <= MAX_ONE_SIDED_OUTSIDE) {
          bound = Number.POSITIVE_INFINITY;
          break;
        }
      }
      let dr = 0;
      for (let k = 1; k <= STEP; k++) dr += pr[j + k]! - pr[j - k]!;
      const q = Math.fround(dr / STEP);
      if (q > bound) bound = q;
    }
    if (bound <= best.score) return;
    sideProfile(1, cx, cy);
    let dmax = 0;
    deriv.fill(0);
    for (let j = STEP; j < nR - STEP; j++) {
      let dr = 0;
      let dl = 0;
      for (let k = 1; k <= STEP; k++) {
        dr += pr[j + k]! - pr[j - k]!;
        dl += pl[j + k]! - pl[j - k]!;
      }
      deriv[j] = rise(dr, dl, j);
      // 1: seen on the right arc alone, 2: on the left arc alone.
      oneSided[j] = Number.isNaN(dl) ? 1 : Number.isNaN(dr) ? 2 : 0;
      if (!oneSided[j] && deriv[j]! > dmax) dmax = deriv[j]!;
    }
    // A rise on one side only competes where it is at least the strongest edge seen on both
    // sides: past the frame edge on one side, the other side's eye corner or lid would otherwise
    // pass for the outermost limbus.
    for (let j = STEP; j < nR - STEP; j++) if (oneSided[j] && deriv[j]! < dmax) deriv[j] = 0;
    // Inside a limbus lies iris. A rise whose inside has, on either arc, already come most of the
    // way from that arc's iris level (next to the pupil) to the level outside it has sclera inside:
    // the edge of an eye corner or of the skin.
    const irisR = firstFinite(pr);
    const irisL = firstFinite(pl);
    dmax = 0;
    for (let j = STEP; j < nR - STEP; j++) {
      if (deriv[j]! <= 0) continue;
      if (j >= 2 * STEP && (scleraInside(pr, irisR, j) || scleraInside(pl, irisL, j))) deriv[j] = 0;
      else if (deriv[j]! > dmax) dmax = deriv[j]!;
    }
    // The limbus is the outermost strong rise: the collarette of a dark iris can be as steep.
    for (let j = nR - STEP - 2; j > STEP; j--) {
      const d = deriv[j]!;
      if (d >= LIMBUS_RELATIVE * dmax && d >= deriv[j - 1]! && d >= deriv[j + 1]!) {
        // A one-sided limbus whose circle lies mostly beyond the frame is an edge of something else.
        // So is one that only part of the arc's rays cross as a rise (a pattern, not a boundary).
        const r = rMin - STEP + j;
        if (oneSided[j]) {
          if (perimeterOutside(cx, cy, r, sw, sh) > MAX_ONE_SIDED_OUTSIDE) continue;
          if (
            raySupport(smooth, cx, cy, r, oneSided[j] === 1 ? 0 : Math.PI, arc, STEP) < MIN_ONE_SIDED_SUPPORT
          )
            continue;
        }
        if (d > best.score) best = { score: d, cx, cy, r };
        break;
      }
    }
  };
  const step = Math.max(1, Math.round(search / 4));
  for (let dy = -search; dy <= search + 1e-9; dy += step) {
    for (let dx = -search; dx <= search + 1e-9; dx += step) evalCentre(pupil.cx + dx, pupil.cy + dy);
  }
  const coarse = best;
  for (let dy = -step; dy <= step; dy += 1) {
    // The coarse best itself would score the same again and change nothing.
    for (let dx = -step; dx <= step; dx += 1)
      if (dx !== 0 || dy !== 0) evalCentre(coarse.cx + dx, coarse.cy + dy);
  }
  if (best.score === Number.NEGATIVE_INFINITY)
    return new SegmentationFailure("no limbus (iris/sclera edge) around the pupil", 0, 1);
  return { iris: { cx: best.cx, cy: best.cy, r: best.r }, contrast: best.score };
}

/**
 * Refines the limbus circle from edges traced ray by ray on the lateral arcs. The arc-averaged
 * profile of {@link findLimbus} fixes the radius well but the vertical centre only weakly (moving
 * the centre along the arcs' symmetry axis changes the mean crossing radius only to second order);
 * a circle fitted to per-ray edge points sees the shift to first order. Each of 24 rays per arc
 * takes its strongest outward step within 12 % of the radius; rays with less than half the median
 * step are dropped, and the result is kept only when it stays within 10 % (centre) and 8 %
 * (radius) of the search result.
 */
function refineLimbus(smooth: FloatImage, pupil: Circle, iris: Circle, cfg: SegmentationConfig): Circle {
  const arc = (cfg.limbusArcDegrees * Math.PI) / 180;
  const nA = 24;
  const xs: number[] = [];
  const ys: number[] = [];
  const strengths: number[] = [];
  const guard2 = (pupil.r * 1.2 + 3) ** 2;
  const r0 = iris.r * 0.88;
  const r1 = iris.r * 1.12;
  const H = 2;
  for (let side = 0; side < 2; side++) {
    for (let i = 0; i < nA; i++) {
      const a0 = -arc + (2 * arc * (i + 0.5)) / nA;
      const a = side ? Math.PI - a0 : a0;
      const ca = Math.cos(a);
      const sa = Math.sin(a);
      let best = 0;
      let bestR = -1;
      for (let r = r0; r <= r1; r += 0.5) {
        const xi = iris.cx + (r - H) * ca;
        const yi = iris.cy + (r - H) * sa;
        const xo = iris.cx + (r + H) * ca;
        const yo = iris.cy + (r + H) * sa;
        if (xi < 0 || yi < 0 || xo < 0 || yo < 0) continue;
        if (xi > smooth.width - 1 || xo > smooth.width - 1) continue;
        if (yi > smooth.height - 1 || yo > smooth.height - 1) continue;
        if ((xi - pupil.cx) ** 2 + (yi - pupil.cy) ** 2 < guard2) continue;
        const d = sampleBilinear(smooth, xo, yo) - sampleBilinear(smooth, xi, yi);
        if (d > best) {
          best = d;
          bestR = r;
        }
      }
      if (bestR < 0) continue;
      xs.push(iris.cx + bestR * ca);
      ys.push(iris.cy + bestR * sa);
      strengths.push(best);
    }
  }
  if (xs.length < nA) return iris;
  // Rays whose best step is weak (lashes, lids, a reflection) do not vote.
  const typical = median(strengths);
  const keepX: number[] = [];
  const keepY: number[] = [];
  for (let k = 0; k < xs.length; k++) {
    if (strengths[k]! >= 0.5 * typical) {
      keepX.push(xs[k]!);
      keepY.push(ys[k]!);
    }
  }
  if (keepX.length < nA) return iris;
  const fit = robustCircle(keepX, keepY);
  if (!fit) return iris;
  const c = fit.circle;
  // A fit far from the profile search is a fit to something else (lid, lash or collarette edges).
  if (Math.hypot(c.cx - iris.cx, c.cy - iris.cy) > 0.1 * iris.r) return iris;
  if (Math.abs(c.r - iris.r) > 0.08 * iris.r) return iris;
  return c;
}

/** Pupil boundary radius at an angle (radians), interpolated from the traced radii. */
export function pupilRadiusAt(radii: Float32Array, angle: number): number {
  const n = radii.length;
  let t = (angle / (2 * Math.PI)) * n;
  t = ((t % n) + n) % n;
  const i = Math.floor(t);
  const f = t - i;
  return radii[i]! * (1 - f) + radii[(i + 1) % n]! * f;
}

/** The stages of {@link segmentIris}, in order, as named in {@link SegmentationTimings}. */
export const SEGMENTATION_STAGES = [
  "reflections",
  "smoothing",
  "blobPupils",
  "discPupils",
  "tracePupils",
  "limbus",
  "noiseMask",
  "eyelids",
  "measurements",
] as const;

/** One stage of {@link segmentIris}. */
export type SegmentationStage = (typeof SEGMENTATION_STAGES)[number];

/**
 * Milliseconds spent in each stage of {@link segmentIris}, added to over calls (for benchmarks):
 * pass the same object to every call and read it afterwards. A stage a call did not reach (a
 * failure returns early) adds nothing.
 */
export type SegmentationTimings = Partial<Record<SegmentationStage, number>>;

/**
 * Finds pupil and iris boundaries and the noise mask (eyelids, eyelashes, reflections) of a grey
 * eye image. Returns a {@link SegmentationFailure} (never throws) when no plausible boundary
 * exists; the quality gates turn that into a refusal. `timings`, when given, receives the time
 * spent per stage.
 */
export function segmentIris(
  image: GreyImage,
  config: Partial<SegmentationConfig> = {},
  timings?: SegmentationTimings,
): Segmentation | SegmentationFailure {
  let mark = timings ? performance.now() : 0;
  const lap = (stage: SegmentationStage): void => {
    if (!timings) return;
    const now = performance.now();
    timings[stage] = (timings[stage] ?? 0) + (now - mark);
    mark = now;
  };
  const cfg = { ...DEFAULT_SEGMENTATION_CONFIG, ...config };
  const { width: w, height: h } = image;
  const src = toFloat(w, h, image.data);
  const { filled, filledThin, specular, thinBright } = fillSpecularities(src);
  // The pupil, its darkness and the iris's grey-level statistics are measured with every thin
  // bright structure filled (the glow around an LED ring, the light fibres); the limbus, the mask
  // and the texture see only the reflections filled.
  const locate = filledThin;
  lap("reflections");
  // The pupil is searched on the reflection-filled image, smoothed (sigma ~1.2 px) against pixel
  // noise. Not on the grey opening used to find the reflections: its minimum filter turns a band
  // of thin dark eyelashes into a solid dark blob that wins over the pupil.
  const filledSmooth = boxBlur(locate, 1);
  const dark = boxBlur(filledSmooth, 1);
  const small = halfResolution(dark);
  const smooth = boxBlur(dark, 1);
  lap("smoothing");
  const blobs = coarsePupils(small);
  lap("blobPupils");
  const candidates = [...blobs, ...inscribedDiscPupils(small)];
  lap("discPupils");
  if (candidates.length === 0)
    return new SegmentationFailure("no round dark pupil found at any threshold", 0, 1);
  type Refined = Exclude<ReturnType<typeof refinePupil>, SegmentationFailure>;
  let refined: Refined | undefined;
  let coarseElongation = 1;
  let lastFailure: SegmentationFailure | undefined;
  const traced: { r: Refined; elongation: number }[] = [];
  let fallbackScore = Number.NEGATIVE_INFINITY;
  for (const coarse of candidates) {
    const r = refinePupil(smooth, coarse, cfg.pupilRays);
    if (r instanceof SegmentationFailure) {
      lastFailure = r;
      continue;
    }
    if (r.support >= TRACED_SUPPORT) traced.push({ r, elongation: coarse.elongation });
    else if (r.support * r.slope > fallbackScore) {
      fallbackScore = r.support * r.slope;
      refined = r;
      coarseElongation = coarse.elongation;
    }
  }
  if (traced.length > 0) {
    // Among well-traced candidates that are about as dark inside as the darkest (a brighter one is
    // iris taken for a pupil), the pupil is the one with the strongest step to its surround,
    // along most of its boundary, at the largest size: lash clumps and nostril-like shadows are
    // small, and their surround is uneven.
    // The interior of a pupil traced under a lid leaves out what is brighter than the surround's
    // median: the lid (the score then counts only the dark share). Elsewhere bright samples inside
    // are a lash clump's gaps, and count against it.
    const rated = traced.map((t) => {
      const ring = surroundQuartiles(smooth, t.r.pupil);
      const inner = interiorStats(smooth, t.r.pupil, t.r.occluded ? ring.median : Number.POSITIVE_INFINITY);
      return { ...t, ...inner, step: ring.median - inner.mean, spread: ring.q3 - ring.q1 };
    });
    const ringed = rated.filter((t) => t.spread <= SURROUND_SPREAD * t.step);
    const darkest = Math.min(...(ringed.length > 0 ? ringed : rated).map((t) => t.mean));
    let bestScore = Number.NEGATIVE_INFINITY;
    for (const t of rated) {
      if (t.mean > darkest + PUPIL_INTERIOR_MARGIN) continue;
      const score = t.r.support * t.kept * Math.max(0, t.step - 2 * t.std) * t.r.pupil.r;
      if (score > bestScore) {
        bestScore = score;
        refined = t.r;
        coarseElongation = t.elongation;
      }
    }
  }
  if (refined === undefined)
    return lastFailure ?? new SegmentationFailure("pupil edge could not be traced", 0, 1);
  const { pupil, radii } = refined;
  lap("tracePupils");
  const limbusImage = boxBlur(filled, 3);
  let limbus = findLimbus(limbusImage, pupil, cfg);
  if (limbus instanceof SegmentationFailure) return limbus;
  // A pupil over 60% of the iris is rare; an edge there is more often the collarette of a dark
  // iris. Prefer a clear edge further out when there is one.
  if (pupil.r / limbus.iris.r > LARGE_PUPIL_RATIO) {
    const outer = findLimbus(limbusImage, pupil, cfg, LARGE_PUPIL_RATIO);
    if (
      !(outer instanceof SegmentationFailure) &&
      outer.contrast >= OUTER_LIMBUS_RELATIVE * limbus.contrast
    ) {
      limbus = outer;
    }
  }
  limbus = { ...limbus, iris: refineLimbus(limbusImage, pupil, limbus.iris, cfg) };
  const { iris } = limbus;
  lap("limbus");

  // Pupil darkness and iris statistics from the lateral middle band of the annulus.
  let pupilSum = 0;
  let pupilN = 0;
  const lateral: number[] = [];
  const pr = pupil.r * 0.8;
  for (let y = Math.max(0, Math.floor(pupil.cy - pr)); y <= Math.min(h - 1, Math.ceil(pupil.cy + pr)); y++) {
    for (
      let x = Math.max(0, Math.floor(pupil.cx - pr));
      x <= Math.min(w - 1, Math.ceil(pupil.cx + pr));
      x++
    ) {
      if ((x - pupil.cx) ** 2 + (y - pupil.cy) ** 2 <= pr * pr) {
        pupilSum += locate.data[y * w + x]!;
        pupilN++;
      }
    }
  }
  const pupilMean = pupilN ? pupilSum / pupilN : 0;
  for (let i = 0; i < 24; i++) {
    const a0 = (((i % 12) - 5.5) / 12) * ((2 * cfg.limbusArcDegrees * Math.PI) / 180);
    const a = i < 12 ? a0 : Math.PI - a0;
    for (let t = 0.25; t <= 0.75; t += 0.05) {
      const pr0 = pupilRadiusAt(radii, a);
      const x = pupil.cx + pr0 * Math.cos(a);
      const y = pupil.cy + pr0 * Math.sin(a);
      const xi = iris.cx + iris.r * Math.cos(a);
      const yi = iris.cy + iris.r * Math.sin(a);
      const sx = x + (xi - x) * t;
      const sy = y + (yi - y) * t;
      if (sx >= 0 && sy >= 0 && sx <= w - 1 && sy <= h - 1) lateral.push(sampleBilinear(locate, sx, sy));
    }
  }
  const irisMedian = median(lateral);
  const mad = median(lateral.map((v) => Math.abs(v - irisMedian))) * 1.4826;
  const spread = Math.max(mad, 4);
  const brightLimit = irisMedian + Math.max(cfg.brightSigmas * spread, 25);

  // Eyelashes: thin dark structures (a grey closing removes them) or very dark masses. The dark
  // limit sits at 25 % of the pupil-to-iris step: the crypts and furrows of light irises reach 35 %,
  // and masking them cost usable bits and genuine matches on both real sets (15 % let the mock's
  // lateral lashes through).
  const darkLimit = pupilMean + 0.25 * (irisMedian - pupilMean);
  const lashStep = Math.max(cfg.darkSigmas * spread, 0.4 * (irisMedian - pupilMean));

  // Noise mask over the iris disc bounding box; everything outside the annulus is noise anyway.
  const noise = new Uint8Array(w * h).fill(1);
  const lidEvidence = new Uint8Array(w * h);
  const lidDark = irisMedian - LID_SIGMAS * spread;
  const lidBright = irisMedian + LID_SIGMAS * spread;
  let annulus = 0;
  let usable = 0;
  let outside = 0;
  const x0 = Math.floor(iris.cx - iris.r);
  const x1 = Math.ceil(iris.cx + iris.r);
  const y0 = Math.floor(iris.cy - iris.r);
  const y1 = Math.ceil(iris.cy + iris.r);
  const r2 = iris.r * iris.r;
  // The grey closing (dilate then erode, radius 2 each) is only read inside the iris box, so it is
  // computed on that box widened by 4 px: every window it needs lies inside, the values are the
  // same as on the whole image.
  const bx0 = Math.max(0, x0 - 4);
  const by0 = Math.max(0, y0 - 4);
  const bw = Math.min(w - 1, x1 + 4) - bx0 + 1;
  const bh = Math.min(h - 1, y1 + 4) - by0 + 1;
  const closed =
    bw > 0 && bh > 0
      ? rankFilter(rankFilter(cropImage(filled, bx0, by0, bw, bh), 2, true), 2, false).data
      : new Float32Array(0);
  // Beyond the largest traced radius a pixel is outside the pupil whatever its angle, and within
  // the smallest it is inside, so the angle is only computed in between. The margins (relative
  // 1e-9) are far wider than the rounding of hypot against the squared distance.
  let pupilMax = 0;
  let pupilMin = Number.POSITIVE_INFINITY;
  let finite = true;
  for (const r of radii) {
    if (!Number.isFinite(r)) finite = false;
    if (r > pupilMax) pupilMax = r;
    if (r < pupilMin) pupilMin = r;
  }
  const beyondPupil2 = (pupilMax * (1 + 1e-9) + 1e-6) ** 2;
  const innerPupil = finite ? pupilMin * (1 - 1e-9) - 1e-6 : 0;
  const withinPupil2 = innerPupil > 0 ? innerPupil * innerPupil : -1;
  for (let y = y0; y <= y1; y++) {
    const dy = y - pupil.cy;
    for (let x = x0; x <= x1; x++) {
      if ((x - iris.cx) ** 2 + (y - iris.cy) ** 2 > r2) continue;
      const dx = x - pupil.cx;
      const d2 = dx * dx + dy * dy;
      if (d2 < withinPupil2) continue;
      if (d2 <= beyondPupil2 && Math.hypot(dx, dy) <= pupilRadiusAt(radii, Math.atan2(dy, dx))) continue;
      annulus++;
      if (x < 0 || y < 0 || x >= w || y >= h) {
        outside++;
        continue;
      }
      const i = y * w + x;
      const v = filled.data[i]!;
      // Above and below the pupil, grey levels well outside the iris's own spread are evidence of a
      // lid (lashes in a mass, skin) for the eyelid walk, though not noise by themselves.
      if (v < lidDark || v > lidBright) {
        const q = dy * dy;
        if (q > LASH_ZONE_SINE * LASH_ZONE_SINE * d2) lidEvidence[i] = 1;
      }
      if (specular[i] || v > brightLimit || v < darkLimit) continue;
      // Thin dark structures are lashes only where lids hang over the iris (away from the lateral
      // sectors); in the lateral sectors they are crypts and furrows, the texture the code needs.
      // Thin bright structures likewise: skin between lashes over the lids, light fibres of the
      // iris in the lateral sectors.
      if (thinBright[i] || closed[(y - by0) * bw + (x - bx0)]! - v > lashStep) {
        // In the lash zone when |dy| > sin(30°) * hypot(dx, dy); decided on squares unless too
        // close to call.
        const q = dy * dy;
        const zone = LASH_ZONE_SINE * LASH_ZONE_SINE * d2;
        if (q > zone * (1 + 1e-12)) continue;
        if (q >= zone * (1 - 1e-12) && Math.abs(dy) > LASH_ZONE_SINE * Math.hypot(dx, dy)) continue;
      }
      noise[i] = 0;
    }
  }
  lap("noiseMask");
  maskEyelids(noise, lidEvidence, w, h, pupil, iris);
  lap("eyelids");
  for (let y = Math.max(0, y0); y <= Math.min(h - 1, y1); y++) {
    for (let x = Math.max(0, x0); x <= Math.min(w - 1, x1); x++) if (!noise[y * w + x]) usable++;
  }

  // Elongation from the second angular harmonic of the traced radii (an ellipse's signature),
  // which single noisy rays do not move much.
  let h0 = 0;
  let hc = 0;
  let hs = 0;
  for (let k = 0; k < radii.length; k++) {
    const a = (4 * Math.PI * k) / radii.length;
    h0 += radii[k]!;
    hc += radii[k]! * Math.cos(a);
    hs += radii[k]! * Math.sin(a);
  }
  h0 /= radii.length;
  const h2 = (2 * Math.hypot(hc, hs)) / radii.length;
  const tracedElongation = h0 > h2 ? (h0 + h2) / (h0 - h2) : Number.POSITIVE_INFINITY;
  const sharpness =
    irisMedian > pupilMean ? edgeSlope(filledSmooth, pupil, radii) / (irisMedian - pupilMean) : 0;
  lap("measurements");
  return {
    width: w,
    height: h,
    pupil,
    pupilRadii: radii,
    iris,
    noiseMask: noise,
    filled,
    measurements: {
      pupilEdgeSupport: refined.support,
      pupilMean,
      irisMedian,
      limbusContrast: limbus.contrast,
      sharpness,
      usableFraction: annulus ? usable / annulus : 0,
      outOfFrameFraction: annulus ? outside / annulus : 1,
      centreOffset: Math.hypot(pupil.cx - iris.cx, pupil.cy - iris.cy) / iris.r,
      // The dark blob of a pupil partly under a lid is cut by it: its shape says nothing of gaze.
      pupilElongation: refined.occluded ? tracedElongation : Math.max(coarseElongation, tracedElongation),
    },
  };
}

/**
 * Eyelids: walking from the pupil towards the top (bottom) of the iris in each column, the lid
 * starts where most pixels of a 20-row window are noise or lid evidence (skin is brighter, lashes darker than the
 * iris). The boundary is median-filtered across columns and everything beyond it is masked.
 */
function maskEyelids(
  noise: Uint8Array,
  lidEvidence: Uint8Array,
  w: number,
  h: number,
  pupil: Circle,
  iris: Circle,
): void {
  const xs0 = Math.max(0, Math.ceil(iris.cx - iris.r));
  const xs1 = Math.min(w - 1, Math.floor(iris.cx + iris.r));
  const cols = xs1 - xs0 + 1;
  if (cols <= 0) return;
  // Every window row lies between the pupil centre row and the iris top (bottom). Per column, a
  // running count over rows of the noisy pixels of the 5-pixel-wide row (outside the frame counts
  // as noise) gives any window's count by one subtraction.
  const ry0 = Math.min(Math.floor(iris.cy - iris.r), Math.round(pupil.cy)) - 1;
  const ry1 = Math.max(Math.ceil(iris.cy + iris.r), Math.round(pupil.cy)) + 1;
  const nRows = ry1 - ry0 + 1;
  const counts = new Int32Array((nRows + 1) * cols);
  const badIn = (from: number, to: number, c: number): number =>
    counts[(to - ry0 + 1) * cols + c]! - counts[(from - ry0) * cols + c]!;
  for (const dir of [-1, 1]) {
    for (let j = 0; j < nRows; j++) {
      const yy = ry0 + j;
      const o = j * cols;
      const inFrame = yy >= 0 && yy < h;
      for (let c = 0; c < cols; c++) {
        let bad = 5;
        if (inFrame) {
          bad = 0;
          const x = xs0 + c;
          for (let xx = x - 2; xx <= x + 2; xx++)
            if (xx < 0 || xx >= w || noise[yy * w + xx] || lidEvidence[yy * w + xx]) bad++;
        }
        counts[o + cols + c] = counts[o + c]! + bad;
      }
    }
    const boundary = new Float32Array(cols);
    for (let x = xs0; x <= xs1; x++) {
      const half = Math.sqrt(Math.max(0, iris.r * iris.r - (x - iris.cx) ** 2));
      const yEdge = iris.cy + dir * half;
      const dxp = x - pupil.cx;
      const inPupil = Math.abs(dxp) < pupil.r ? Math.sqrt(pupil.r * pupil.r - dxp * dxp) : 0;
      const start = inPupil + 0.45 * Math.max(0, half - inPupil);
      let y = Math.round(pupil.cy + dir * start);
      let found = yEdge;
      // A lid is a long run of noise; a window this deep does not stop at a clump of lashes
      // hanging over the iris. Only the part of the window inside the iris counts: beyond the
      // limbus everything is noise, which would otherwise end the walk a window's depth before
      // the edge.
      const win = 20;
      const c = x - xs0;
      if (dir < 0) {
        const edgeRow = Math.ceil(yEdge);
        for (; y >= yEdge; y--) {
          const from = Math.max(edgeRow, y - win + 1);
          if (badIn(from, y, c) >= 0.8 * (5 * (y - from + 1))) {
            found = y;
            break;
          }
        }
      } else {
        const edgeRow = Math.floor(yEdge);
        for (; y <= yEdge; y++) {
          const to = Math.min(edgeRow, y + win - 1);
          if (badIn(y, to, c) >= 0.8 * (5 * (to - y + 1))) {
            found = y;
            break;
          }
        }
      }
      boundary[c] = found;
    }
    const filtered = new Float32Array(cols);
    const rad = 10;
    for (let i = 0; i < cols; i++) {
      const vals: number[] = [];
      for (let k = Math.max(0, i - rad); k <= Math.min(cols - 1, i + rad); k++) vals.push(boundary[k]!);
      filtered[i] = median(vals);
    }
    for (let x = xs0; x <= xs1; x++) {
      const b = filtered[x - xs0]!;
      if (dir < 0)
        for (let y = Math.max(0, Math.floor(b)); y >= 0 && y >= iris.cy - iris.r - 1; y--)
          noise[y * w + x] = 1;
      else
        for (let y = Math.min(h - 1, Math.ceil(b)); y < h && y <= iris.cy + iris.r + 1; y++)
          noise[y * w + x] = 1;
    }
  }
}
