import type { Circle } from "@zkiris/iris-code";
import { describeType } from "@zkiris/iris-code";
import { MockCaptureError } from "./errors.js";
import { type EyelidCurve, type GroundTruth, PixelLabel, type Point } from "./ground-truth.js";
import { encodeGreyPng } from "./png.js";
import { canonicalSeed, type Seed, SeededRandom } from "./random.js";
import { createSubject, type SubjectModel, sampleTexture } from "./subject.js";
import {
  type CaptureFailure,
  type CapturePreset,
  type CaptureVariation,
  resolveVariation,
} from "./variation.js";

/** Options of {@link renderCapture}. */
export interface MockCaptureOptions {
  /** Image width in pixels, 64..4096. Default 320. */
  width?: number;
  /** Image height in pixels, 64..4096. Default 280. */
  height?: number;
  /** Overrides of the preset's variation magnitudes. */
  variation?: Partial<CaptureVariation>;
  /** Variation preset. Default `"default"`. */
  preset?: CapturePreset;
  /**
   * A failure-mode capture for quality-gate tests: `"closed-eye"` (lids nearly shut),
   * `"extreme-blur"` (defocus σ = 8 px) or `"out-of-frame"` (iris centre at a frame edge).
   */
  failure?: CaptureFailure;
}

/** A rendered capture: grey 8-bit pixels plus where everything really is. */
export interface MockCapture {
  width: number;
  height: number;
  /** Grey levels, one byte per pixel, row-major, `width × height` bytes. */
  pixels: Uint8Array;
  truth: GroundTruth;
  /** Encodes the pixels as an 8-bit greyscale PNG (deterministic bytes). */
  toPng(): Uint8Array;
}

/** Width of the reference frame all subject lengths are given in, pixels. */
export const REFERENCE_WIDTH = 320;
/** Height of the reference frame all subject lengths are given in, pixels. */
export const REFERENCE_HEIGHT = 280;
const MIN_SIZE = 64;
const MAX_SIZE = 4096;
const OPTION_KEYS = new Set(["width", "height", "variation", "preset", "failure"]);
const SUBJECT_CACHE_SIZE = 32;
const TWO_PI = 2 * Math.PI;
const DEG = Math.PI / 180;

/**
 * Renders one synthetic near-infrared eye image: the subject seed fixes the eye (iris texture,
 * size, colour, lid shape), the capture seed fixes this capture's variation (tilt, dilation, gaze,
 * position, lids, lashes, reflections, illumination, noise). Same seeds and options give
 * byte-identical pixels on every machine.
 *
 * Throws {@link MockCaptureError}: `INVALID_SEED` (field `subjectSeed` / `captureSeed`),
 * `INVALID_SIZE` (`width` / `height` not an integer in 64..4096) and `INVALID_OPTION` (unknown
 * option, preset, failure mode or variation field, or a variation value out of range).
 */
export function renderCapture(
  subjectSeed: Seed,
  captureSeed: Seed,
  options: MockCaptureOptions = {},
): MockCapture {
  const subjectKey = canonicalSeed(subjectSeed, "subjectSeed");
  const captureKey = canonicalSeed(captureSeed, "captureSeed");
  const { width, height, variation, outOfFrame } = checkCaptureOptions(options);
  const subject = cachedSubject(subjectKey);
  return render(subject, captureKey, width, height, variation, outOfFrame);
}

/**
 * Checks render options without rendering (so a dataset writer can refuse bad options before it
 * touches the disk). Throws the `INVALID_SIZE` and `INVALID_OPTION` errors of {@link renderCapture}.
 */
export function checkCaptureOptions(options: unknown): {
  width: number;
  height: number;
  variation: CaptureVariation;
  outOfFrame: boolean;
} {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new MockCaptureError(
      "INVALID_OPTION",
      `Parameter 'options' is not an object, received type: ${describeType(options)}`,
      { field: "options" },
    );
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) {
      throw new MockCaptureError(
        "INVALID_OPTION",
        `Parameter 'options.${key}' is not an option; known options: ${[...OPTION_KEYS].join(", ")}`,
        { field: key },
      );
    }
  }
  const o = options as MockCaptureOptions;
  const width = checkSize(o.width, "width", REFERENCE_WIDTH);
  const height = checkSize(o.height, "height", REFERENCE_HEIGHT);
  const variation = resolveVariation(o.preset ?? "default", o.variation ?? {}, o.failure);
  return { width, height, variation, outOfFrame: o.failure === "out-of-frame" };
}

function checkSize(value: unknown, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new MockCaptureError(
      "INVALID_SIZE",
      `Parameter '${field}' is not an integer, received ${describeType(value)} ${String(value)}`,
      { field },
    );
  }
  if (value < MIN_SIZE || value > MAX_SIZE) {
    throw new MockCaptureError(
      "INVALID_SIZE",
      `Parameter '${field}' must be between ${MIN_SIZE} and ${MAX_SIZE}, received ${value}`,
      { field },
    );
  }
  return value;
}

// Subject models are pure functions of the seed; a small cache saves rebuilding the texture when
// rendering many captures of one eye. It is not observable apart from speed.
const subjectCache = new Map<string, SubjectModel>();

function cachedSubject(key: string): SubjectModel {
  const hit = subjectCache.get(key);
  if (hit !== undefined) {
    subjectCache.delete(key);
    subjectCache.set(key, hit);
    return hit;
  }
  const subject = createSubject(key);
  subjectCache.set(key, subject);
  if (subjectCache.size > SUBJECT_CACHE_SIZE) subjectCache.delete(subjectCache.keys().next().value!);
  return subject;
}

/** Lengths derived for one capture, in output pixels, in the eye frame (x right, w up, origin at the iris centre). */
interface EyeGeometry {
  cx: number;
  cy: number;
  cosR: number;
  sinR: number;
  ri: number;
  /** Pupil centre in the eye frame. */
  px: number;
  pw: number;
  /** Pupil semi-axes: `minor` along the gaze direction (ux, uw), `major` across it. */
  minor: number;
  major: number;
  gx: number;
  gw: number;
  /** Lids in iris radii: w = apex - k (x/ri - shift)² (upper), w = -apex' + k' (...)² (lower). */
  upperApex: number;
  upperK: number;
  lowerApex: number;
  lowerK: number;
  lidShift: number;
}

function render(
  subject: SubjectModel,
  captureKey: string,
  width: number,
  height: number,
  v: CaptureVariation,
  outOfFrame: boolean,
): MockCapture {
  const stream = `${subject.seed}\u0000${captureKey}`;
  const rng = new SeededRandom(`zkiris-mock-capture\u0000${stream}`);
  const scale = Math.min(width / REFERENCE_WIDTH, height / REFERENCE_HEIGHT);

  // Draw every random quantity in a fixed order whatever the magnitudes, so changing one option
  // leaves the others' draws (and so the rest of the image) unchanged.
  const uRotation = rng.signed();
  const uDilation = rng.signed();
  const uGazeRadius = rng.next();
  const uGazeAngle = rng.next();
  const uPosRadius = rng.next();
  const uPosAngle = rng.next();
  const uGain = rng.signed();
  const uGradRadius = rng.next();
  const uGradAngle = rng.next();
  const uLid = rng.next();
  const uEdgeSide = rng.int(0, 3);
  const uEdgeDepth = rng.next();
  const uEdgeAlong = rng.signed();
  const uRingX = rng.signed();
  const uRingY = rng.signed();
  const uRingRadius = rng.next();
  const uDotRadius = rng.next();

  const ri = subject.irisRadius * scale;
  const rotationDeg = v.rotationDeg * uRotation;
  const rot = rotationDeg * DEG;
  const gazeFraction = v.gazeOffset * Math.sqrt(uGazeRadius);
  const gazeAngle = uGazeAngle * TWO_PI;
  const flatten = 1 - 2 * gazeFraction;
  let ratio = subject.pupilRatio + v.pupilDilation * uDilation;
  // Keep the pupil inside the iris with a margin of at least 6% of the iris radius.
  const maxRatio = (1 - gazeFraction - 0.06) * Math.sqrt(flatten);
  ratio = Math.min(Math.max(ratio, 0.15), Math.min(0.8, maxRatio));
  const rp = ratio * ri;

  let cx = width / 2;
  let cy = height / 2;
  if (outOfFrame) {
    const depth = (uEdgeDepth * 0.3 - 0.2) * ri; // centre from 0.2 ri outside to 0.1 ri inside the edge
    const along = uEdgeAlong * 0.3;
    if (uEdgeSide === 0) [cx, cy] = [depth, height / 2 + along * height];
    else if (uEdgeSide === 1) [cx, cy] = [width - depth, height / 2 + along * height];
    else if (uEdgeSide === 2) [cx, cy] = [width / 2 + along * width, depth];
    else [cx, cy] = [width / 2 + along * width, height - depth];
  } else {
    const pr = v.positionOffset * Math.sqrt(uPosRadius) * ri;
    cx += pr * Math.cos(uPosAngle * TWO_PI);
    cy += pr * Math.sin(uPosAngle * TWO_PI);
  }

  const closure = Math.min(1, v.eyelidClosure + v.eyelidJitter * uLid);
  const meet = -0.55 * subject.lowerLidHeight;
  const g: EyeGeometry = {
    cx,
    cy,
    cosR: Math.cos(rot),
    sinR: Math.sin(rot),
    ri,
    px: gazeFraction * ri * Math.cos(gazeAngle),
    pw: gazeFraction * ri * Math.sin(gazeAngle),
    minor: rp * Math.sqrt(flatten),
    major: rp / Math.sqrt(flatten),
    gx: Math.cos(gazeAngle),
    gw: Math.sin(gazeAngle),
    upperApex: subject.upperLidHeight + closure * (meet - subject.upperLidHeight),
    upperK: subject.upperLidCurvature * (1 - closure) + 0.02 * closure,
    lowerApex: -subject.lowerLidHeight + closure * (meet + subject.lowerLidHeight),
    lowerK: subject.lowerLidCurvature * (1 - closure) + 0.02 * closure,
    lidShift: subject.lidApexShift,
  };

  const gain = 1 + v.illumination * uGain;
  const gradMagnitude = (v.illumination * Math.sqrt(uGradRadius)) / Math.hypot(width / 2, height / 2);
  const gradX = gradMagnitude * Math.cos(uGradAngle * TWO_PI);
  const gradY = gradMagnitude * Math.sin(uGradAngle * TWO_PI);

  const n = width * height;
  const image = new Float32Array(n);
  const labels = new Uint8Array(n);
  const annulus = new Uint8Array(n); // 1 where the pixel centre lies in the iris annulus
  paintEye(
    subject,
    g,
    width,
    height,
    image,
    labels,
    annulus,
    new SeededRandom(`zkiris-mock-skin\u0000${stream}`),
  );

  const lashCount = Math.round(subject.lashCount * v.eyelashes);
  paintLashes(
    subject,
    g,
    width,
    height,
    image,
    labels,
    lashCount,
    new SeededRandom(`zkiris-mock-lashes\u0000${stream}`),
  );

  // Illuminator reflections: a ring of LEDs fixed to the camera, so the ring does not rotate with
  // the head; it sits on the cornea near the pupil centre.
  const [pupilX, pupilY] = toImage(g, g.px, g.pw);
  const speculars: Circle[] = [];
  const ringRadius = ri * (0.13 + 0.03 * uRingRadius);
  const ringX = pupilX + uRingX * 0.04 * ri;
  const ringY = pupilY + uRingY * 0.04 * ri;
  const dotRadius = ri * (0.018 + 0.008 * uDotRadius);
  for (let k = 0; k < v.specularCount; k++) {
    const a = (k / v.specularCount) * TWO_PI + Math.PI / 8;
    speculars.push({
      cx: ringX + ringRadius * Math.cos(a),
      cy: ringY + ringRadius * Math.sin(a),
      r: dotRadius,
    });
  }
  for (const s of speculars) paintSpot(image, labels, width, height, s, 420, 0.8);
  const visibleSpeculars = speculars.filter(
    (s) => labelAt(labels, width, height, { x: s.cx, y: s.cy }) === PixelLabel.SPECULAR,
  );
  const reflections: Circle[] = [];
  const reflectionRng = new SeededRandom(`zkiris-mock-reflections\u0000${stream}`);
  for (let k = 0; k < v.irisReflections; k++) {
    const rho = reflectionRng.uniform(0.25, 0.85);
    const theta = reflectionRng.uniform(0, TWO_PI);
    const dist = rp + rho * (ri - rp);
    const [x, y] = toImage(g, dist * Math.cos(theta), dist * Math.sin(theta));
    const r = ri * reflectionRng.uniform(0.06, 0.13);
    paintSpot(image, labels, width, height, { cx: x, cy: y, r }, reflectionRng.uniform(70, 140), 0.35 * r);
    if (labelAt(labels, width, height, { x, y }) === PixelLabel.SPECULAR)
      reflections.push({ cx: x, cy: y, r });
  }

  // Defocus, then illumination gain and gradient (both linear, so their order only matters for
  // rounding), then sensor noise and 8-bit quantisation.
  if (v.blurSigma > 0) gaussianBlur(image, width, height, v.blurSigma);
  const noise = new SeededRandom(`zkiris-mock-noise\u0000${stream}`);
  const pixels = new Uint8Array(n);
  const sigma = v.noiseSigma;
  const stepGain = gain * gradX;
  for (let y = 0; y < height; y++) {
    let pixelGain = gain * (1 + gradY * (y + 0.5 - height / 2)) + stepGain * (0.5 - width / 2);
    for (let x = 0, i = y * width; x < width; x++, i++) {
      const value = Math.round(image[i]! * pixelGain + sigma * noise.normalFast());
      pixels[i] = value < 0 ? 0 : Math.min(value, 255);
      pixelGain += stepGain;
    }
  }

  let inFrame = 0;
  let visible = 0;
  for (let i = 0; i < n; i++) {
    if (annulus[i] === 1) {
      inFrame++;
      if (labels[i] === PixelLabel.IRIS) visible++;
    }
  }
  const annulusArea = Math.PI * (ri * ri - g.minor * g.major);
  // Major axis: across the gaze direction, rotated onto the screen (counter-clockwise degrees).
  const pupilAngleDeg = Math.atan2(g.gx * g.sinR + g.gw * g.cosR, g.gx * g.cosR - g.gw * g.sinR) / DEG + 90;
  const truth: GroundTruth = {
    subject: subject.seed,
    capture: captureKey,
    pupil: truthCircle({ cx: pupilX, cy: pupilY, r: rp }),
    pupilEllipse: {
      cx: r3(pupilX - 0.5),
      cy: r3(pupilY - 0.5),
      a: r3(g.major),
      b: r3(g.minor),
      angleDeg: r3(normaliseDeg(pupilAngleDeg)),
    },
    iris: truthCircle({ cx, cy, r: ri }),
    rotationDeg: r3(rotationDeg),
    pupilIrisRatio: r3(ratio),
    eyelidClosure: r3(closure),
    upperEyelid: eyelidCurve(g, g.upperApex, g.upperK, -1),
    lowerEyelid: eyelidCurve(g, g.lowerApex, g.lowerK, 1),
    speculars: visibleSpeculars.map(truthCircle),
    irisReflections: reflections.map(truthCircle),
    eyelashes: lashCount,
    blurSigma: r3(v.blurSigma),
    noiseSigma: r3(v.noiseSigma),
    illuminationGain: r3(gain),
    illuminationGradient: { x: r6(gradX), y: r6(gradY) },
    irisInFrameFraction: r3(Math.min(1, inFrame / annulusArea)),
    visibleIrisFraction: r3(Math.min(1, visible / annulusArea)),
    labels,
  };
  return {
    width,
    height,
    pixels,
    truth,
    toPng: () => encodeGreyPng(pixels, width, height),
  };
}

function labelAt(labels: Uint8Array, width: number, height: number, p: Point): number {
  const x = Math.floor(p.x);
  const y = Math.floor(p.y);
  if (x < 0 || y < 0 || x >= width || y >= height) return -1;
  return labels[y * width + x]!;
}

/** Eye-frame point (x right, w up, relative to the iris centre) to image pixels. */
function toImage(g: EyeGeometry, x: number, w: number): [number, number] {
  // Rotate by +rotation (counter-clockwise on screen, i.e. in the w-up frame), then flip w to y-down.
  const sx = x * g.cosR - w * g.sinR;
  const sw = x * g.sinR + w * g.cosR;
  return [g.cx + sx, g.cy - sw];
}

function eyelidCurve(g: EyeGeometry, apex: number, k: number, bend: 1 | -1): EyelidCurve {
  const [ax, ay] = toImage(g, g.lidShift * g.ri, apex * g.ri);
  const [ex, ey] = toImage(g, g.lidShift * g.ri + 1, apex * g.ri);
  const [nx, ny] = toImage(g, g.lidShift * g.ri, apex * g.ri + bend);
  return {
    apex: { x: r3(ax - 0.5), y: r3(ay - 0.5) },
    axis: roundPoint({ x: ex - ax, y: ey - ay }),
    normal: roundPoint({ x: nx - ax, y: ny - ay }),
    curvature: r6(k / g.ri),
  };
}

/**
 * Paints skin, eyelids, sclera, iris and pupil. The iris texture is placed by Daugman's rubber
 * sheet model: the point at normalised radius ρ and angle θ is (1-ρ)·P(θ) + ρ·I(θ), P on the
 * (elliptical, decentred) pupil boundary and I on the limbus, so the same texture maps back to the
 * same polar strip whatever the dilation and gaze.
 */
function paintEye(
  s: SubjectModel,
  g: EyeGeometry,
  width: number,
  height: number,
  image: Float32Array,
  labels: Uint8Array,
  annulus: Uint8Array,
  rng: SeededRandom,
): void {
  const ri = g.ri;
  // Low-frequency skin shading, separable so it costs one sine per row and column.
  const fx = new Float32Array(width);
  const fy = new Float32Array(height);
  const kx = rng.uniform(1, 3);
  const ky = rng.uniform(1, 3);
  const phx = rng.uniform(0, TWO_PI);
  const phy = rng.uniform(0, TWO_PI);
  for (let x = 0; x < width; x++) fx[x] = 0.05 * Math.sin((kx * TWO_PI * x) / width + phx);
  for (let y = 0; y < height; y++) fy[y] = 0.05 * Math.sin((ky * TWO_PI * y) / height + phy);

  const dx0 = -g.px; // iris centre minus pupil centre, eye frame
  const dw0 = -g.pw;
  const dd = dx0 * dx0 + dw0 * dw0;
  const invRi = 1 / ri;
  const edgeLimbus = 1.5 + 1.5 * (ri / 110); // the limbus is a soft edge in NIR
  const margin = 0.05 * ri;
  const crease = 0.45 * ri;
  const lidShadow = 0.12 * ri;
  const sheet = new Float64Array(2);
  for (let y = 0; y < height; y++) {
    const sy = g.cy - (y + 0.5); // screen w (up)
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const sx = x + 0.5 - g.cx;
      // Screen to eye frame: rotate by -rotation.
      const ex = sx * g.cosR + sy * g.sinR;
      const ew = -sx * g.sinR + sy * g.cosR;
      const xr = ex * invRi - g.lidShift;
      const upper = (g.upperApex - g.upperK * xr * xr) * ri - ew; // > 0 below the upper lid
      const lower = ew - (g.lowerApex + g.lowerK * xr * xr) * ri; // > 0 above the lower lid
      const open = Math.min(upper, lower);

      // Skin and lid margin.
      let skin = s.skinLevel * (1 + fx[x]! + fy[y]!);
      if (open < 0 && -open < margin) skin *= 0.55 + 0.45 * (-open / margin);
      const dc = (-upper - crease) / (0.08 * ri);
      if (dc * dc < 1) skin *= 1 - 0.18 * (1 - dc * dc);
      if (open <= -1) {
        image[i] = skin;
        labels[i] = PixelLabel.SKIN;
        markAnnulus(annulus, i, ex, ew, g, dx0, dw0, dd);
        continue;
      }

      // Eye content: sclera, iris, pupil.
      const rI = Math.sqrt(ex * ex + ew * ew);
      let eye = s.scleraLevel * (1 - 0.12 * Math.min(1, Math.max(0, (Math.abs(ex) * invRi - 1) / 1.5)));
      let label: number = PixelLabel.SCLERA;
      if (rI < ri + 3) {
        const rho = rubberSheetRadius(ex, ew, g, dx0, dw0, dd, sheet);
        const theta = sheet[0]!;
        const annulusWidth = ri - sheet[1]!;
        let iris = s.irisLevel * (1 + s.textureContrast * sampleTexture(s.texture, rho, theta));
        const tp = rho * annulusWidth * 1.25 + 0.5; // pupil edge about 0.8 px wide
        if (tp < 1) {
          const a = Math.max(tp, 0);
          iris = s.pupilLevel * (1 - a) + iris * a;
        }
        const tl = (rI - ri) / edgeLimbus + 0.5;
        if (tl <= 0) eye = iris;
        else if (tl < 1) eye = iris * (1 - tl) + eye * tl;
        if (rho < 0) label = PixelLabel.PUPIL;
        else if (rI <= ri) {
          label = PixelLabel.IRIS;
          annulus[i] = 1;
        }
      }
      if (upper > 0 && upper < lidShadow) eye *= 1 - 0.3 * (1 - upper / lidShadow);
      if (open >= 1) {
        image[i] = eye;
        labels[i] = label;
      } else {
        const t = (open + 1) / 2;
        image[i] = skin * (1 - t) + eye * t;
        labels[i] = open > 0 ? label : PixelLabel.SKIN;
        if (label !== PixelLabel.IRIS) markAnnulus(annulus, i, ex, ew, g, dx0, dw0, dd);
      }
    }
  }
}

const scratchless = new Float64Array(0);

function markAnnulus(
  annulus: Uint8Array,
  i: number,
  ex: number,
  ew: number,
  g: EyeGeometry,
  dx0: number,
  dw0: number,
  dd: number,
): void {
  if (ex * ex + ew * ew > g.ri * g.ri) return;
  if (rubberSheetRadius(ex, ew, g, dx0, dw0, dd) >= 0) annulus[i] = 1;
}

/**
 * Inverts the rubber sheet model at eye-frame point (ex, ew): returns ρ (negative inside the
 * pupil, above 1 outside the limbus) and leaves θ and the pupil radius along θ in side outputs.
 * Solves |w - ρ·d| = (1-ρ)·rp(θ) + ρ·ri for ρ, with w the point and d the iris centre relative to
 * the pupil centre, refining θ once because the elliptical pupil radius depends on it. When `out`
 * has two slots it receives θ (radians, counter-clockwise in the eye frame) and the pupil radius along θ.
 */
function rubberSheetRadius(
  ex: number,
  ew: number,
  g: EyeGeometry,
  dx: number,
  dw: number,
  dd: number,
  out: Float64Array = scratchless,
): number {
  const wx = ex - g.px;
  const ww = ew - g.pw;
  const ww2 = wx * wx + ww * ww;
  const wd = wx * dx + ww * dw;
  let cx = wx;
  let cw = ww;
  let rho = 0;
  let rp = g.minor;
  for (let iter = 0; iter < 2; iter++) {
    const len = Math.sqrt(cx * cx + cw * cw);
    const ux = len > 0 ? cx / len : 1;
    const uw = len > 0 ? cw / len : 0;
    // Elliptical pupil radius along (ux, uw): minor semi-axis along the gaze direction.
    const along = ux * g.gx + uw * g.gw;
    const across = -ux * g.gw + uw * g.gx;
    const ea = along * g.major;
    const eb = across * g.minor;
    rp = (g.minor * g.major) / Math.sqrt(ea * ea + eb * eb);
    const span = g.ri - rp;
    const a = dd - span * span;
    const b = wd + rp * span;
    const c = ww2 - rp * rp;
    const disc = b * b - a * c;
    rho = (b - Math.sqrt(Math.max(disc, 0))) / a;
    cx = wx - rho * dx;
    cw = ww - rho * dw;
  }
  if (out.length === 2) {
    out[0] = Math.atan2(cw, cx);
    out[1] = rp;
  }
  return rho;
}

/** Draws eyelashes as dark tapered curves into `image`, marking covered eye pixels as EYELASH. */
function paintLashes(
  s: SubjectModel,
  g: EyeGeometry,
  width: number,
  height: number,
  image: Float32Array,
  labels: Uint8Array,
  count: number,
  rng: SeededRandom,
): void {
  if (count === 0) return;
  const ri = g.ri;
  const cover = new Float32Array(width * height);
  const lowerCount = Math.round(count / 4);
  for (let k = 0; k < count + lowerCount; k++) {
    const upperLash = k < count;
    const xr = rng.uniform(-1.7, 1.7); // root position along the lid, iris radii from the apex
    const hanging = rng.next() < 0.35; // hangs over the eye rather than curling away from it
    const lengthFactor = rng.uniform(0.5, 1.3);
    const spread = rng.uniform(-0.5, 0.5);
    const curl = rng.uniform(0.15, 0.5);
    const thick = rng.uniform(0.5, 1.0) * Math.max(0.6, ri / 110);
    const level = rng.uniform(20, 50);
    const apex = upperLash ? g.upperApex : g.lowerApex;
    const k2 = upperLash ? -g.upperK : g.lowerK;
    const x0 = (xr + g.lidShift) * ri;
    const w0 = (apex + k2 * xr * xr) * ri;
    const len = s.lashLength * ri * lengthFactor * (upperLash ? 1 : 0.55);
    // Direction in the eye frame: down over the eye (hanging upper lashes) or away from the eye,
    // fanning outwards towards the corners.
    const out = 0.5 * xr + spread;
    const down = !upperLash || hanging;
    const norm = Math.sqrt(out * out + 1);
    const ux = out / norm;
    const uw = (down ? -1 : 1) / norm;
    // Quadratic Bézier: root, control, tip; the tip curls upwards (lashes curve away from the lid).
    const cxp = x0 + ux * len * 0.5;
    const cwp = w0 + uw * len * 0.5;
    const tx = x0 + ux * len + (xr >= 0 ? 1 : -1) * curl * len * 0.3;
    const tw = w0 + uw * len * (1 - curl * 0.6) + curl * len * 0.4;
    const steps = Math.max(4, Math.ceil(len * 2));
    for (let st = 0; st <= steps; st++) {
      const t = st / steps;
      const bx = (1 - t) * (1 - t) * x0 + 2 * (1 - t) * t * cxp + t * t * tx;
      const bw = (1 - t) * (1 - t) * w0 + 2 * (1 - t) * t * cwp + t * t * tw;
      const [px, py] = toImage(g, bx, bw);
      const radius = thick * (1 - 0.6 * t);
      const opacity = 0.85 * (1 - 0.3 * t);
      const x0i = Math.max(0, Math.floor(px - radius - 1));
      const x1i = Math.min(width - 1, Math.ceil(px + radius + 1));
      const y0i = Math.max(0, Math.floor(py - radius - 1));
      const y1i = Math.min(height - 1, Math.ceil(py + radius + 1));
      for (let yy = y0i; yy <= y1i; yy++) {
        for (let xx = x0i; xx <= x1i; xx++) {
          const ddx = xx + 0.5 - px;
          const ddy = yy + 0.5 - py;
          const d = Math.sqrt(ddx * ddx + ddy * ddy);
          let a = radius + 0.5 - d;
          if (a <= 0) continue;
          a = Math.min(a, 1) * opacity;
          const i = yy * width + xx;
          if (a > cover[i]!) {
            cover[i] = a;
            image[i] = image[i]! * (1 - a) + level * a;
          }
        }
      }
    }
  }
  for (let i = 0; i < cover.length; i++) {
    if (cover[i]! >= 0.4 && labels[i] !== PixelLabel.SKIN) labels[i] = PixelLabel.EYELASH;
  }
}

/** Adds a bright reflection over the eye opening: core of radius `r`, soft edge `soft` pixels wide. */
function paintSpot(
  image: Float32Array,
  labels: Uint8Array,
  width: number,
  height: number,
  spot: Circle,
  amplitude: number,
  soft: number,
): void {
  const reach = spot.r + soft + 1;
  const x0 = Math.max(0, Math.floor(spot.cx - reach));
  const x1 = Math.min(width - 1, Math.ceil(spot.cx + reach));
  const y0 = Math.max(0, Math.floor(spot.cy - reach));
  const y1 = Math.min(height - 1, Math.ceil(spot.cy + reach));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const dx = x + 0.5 - spot.cx;
      const dy = y + 0.5 - spot.cy;
      const d = Math.sqrt(dx * dx + dy * dy);
      let a: number;
      if (d <= spot.r) a = 1;
      else if (d < spot.r + soft) {
        const t = 1 - (d - spot.r) / soft;
        a = t * t;
      } else continue;
      const i = y * width + x;
      // Reflections form on the wet cornea, not on the lids.
      if (labels[i] === PixelLabel.SKIN) continue;
      image[i] = image[i]! + amplitude * a;
      if (a >= 0.5) labels[i] = PixelLabel.SPECULAR;
    }
  }
}

/** In-place separable Gaussian blur with clamped edges. */
function gaussianBlur(image: Float32Array, width: number, height: number, sigma: number): void {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let k = -radius; k <= radius; k++) {
    const v = Math.exp((-k * k) / (2 * sigma * sigma));
    kernel[k + radius] = v;
    sum += v;
  }
  for (let k = 0; k < kernel.length; k++) kernel[k] = kernel[k]! / sum;
  // Pad each line by `radius` copies of its end samples (clamped edges), then convolve.
  const tmp = new Float32Array(image.length);
  const line = new Float64Array(Math.max(width, height) + 2 * radius);
  const taps = kernel.length;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let k = 0; k < radius; k++) {
      line[k] = image[row]!;
      line[radius + width + k] = image[row + width - 1]!;
    }
    for (let x = 0; x < width; x++) line[radius + x] = image[row + x]!;
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let k = 0; k < taps; k++) acc += kernel[k]! * line[x + k]!;
      tmp[row + x] = acc;
    }
  }
  for (let x = 0; x < width; x++) {
    for (let k = 0; k < radius; k++) {
      line[k] = tmp[x]!;
      line[radius + height + k] = tmp[(height - 1) * width + x]!;
    }
    for (let y = 0; y < height; y++) line[radius + y] = tmp[y * width + x]!;
    for (let y = 0; y < height; y++) {
      let acc = 0;
      for (let k = 0; k < taps; k++) acc += kernel[k]! * line[y + k]!;
      image[y * width + x] = acc;
    }
  }
}

function normaliseDeg(deg: number): number {
  let d = deg % 180;
  if (d < 0) d += 180;
  return d;
}

function r3(v: number): number {
  return Math.round(v * 1000) / 1000 + 0; // + 0 turns -0 into 0
}

function r6(v: number): number {
  return Math.round(v * 1e6) / 1e6 + 0;
}

/**
 * Rendering works with the origin at the top-left corner of the top-left pixel; the ground truth
 * puts pixel centres at integer coordinates (pixel (i, j) is at x = i, y = j), as array indices,
 * OpenCV and most segmenters do.
 */
function truthCircle(c: Circle): Circle {
  return { cx: r3(c.cx - 0.5), cy: r3(c.cy - 0.5), r: r3(c.r) };
}

function roundPoint(p: Point): Point {
  return { x: r6(p.x), y: r6(p.y) };
}
