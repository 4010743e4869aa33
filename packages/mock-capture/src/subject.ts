import { SeededRandom } from "./random.js";

/** Radial samples of a subject's iris texture (pupil boundary to limbus). */
export const TEXTURE_RADIAL = 96;
/** Angular samples of a subject's iris texture over one turn. */
export const TEXTURE_ANGULAR = 768;

const TWO_PI = 2 * Math.PI;

/**
 * The stable traits of one synthetic eye, drawn from its subject seed. Lengths are in pixels of a
 * 320×280 reference frame (scaled with the output size) or in iris radii where stated.
 */
export interface SubjectModel {
  /** Canonical subject seed. */
  readonly seed: string;
  /** Iris (limbus) radius in reference pixels. */
  readonly irisRadius: number;
  /** Base pupil/iris radius ratio, before per-capture dilation. */
  readonly pupilRatio: number;
  /** Mean grey level of the iris, 0..255. */
  readonly irisLevel: number;
  /** Relative contrast of the iris texture. */
  readonly textureContrast: number;
  readonly pupilLevel: number;
  readonly scleraLevel: number;
  readonly skinLevel: number;
  /** Upper lid apex height above the iris centre, in iris radii. */
  readonly upperLidHeight: number;
  /** Upper lid curvature: the lid drops by this × (u / irisRadius)² iris radii at horizontal offset u. */
  readonly upperLidCurvature: number;
  /** Lower lid apex depth below the iris centre, in iris radii. */
  readonly lowerLidHeight: number;
  readonly lowerLidCurvature: number;
  /** Horizontal offset of both lid apexes from the iris centre, in iris radii. */
  readonly lidApexShift: number;
  /** Natural number of upper lashes crossing the eye opening. */
  readonly lashCount: number;
  /** Typical lash length, in iris radii. */
  readonly lashLength: number;
  /**
   * Iris texture, zero mean and unit standard deviation, on a polar grid: row = normalised
   * radius ρ from 0 (pupil boundary) to 1 (limbus) in {@link TEXTURE_RADIAL} samples, column =
   * angle θ over one turn in {@link TEXTURE_ANGULAR} samples (θ counter-clockwise on screen, 0 = right).
   */
  readonly texture: Float32Array;
}

/** Draws the subject model of a canonical subject seed. Pure: the same seed gives the same model. */
export function createSubject(seed: string): SubjectModel {
  const rng = new SeededRandom(`zkiris-mock-subject\u0000${seed}`);
  const irisRadius = rng.uniform(95, 125);
  const pupilRatio = rng.uniform(0.32, 0.5);
  const irisLevel = rng.uniform(125, 190);
  const textureContrast = rng.uniform(0.13, 0.2);
  const pupilLevel = rng.uniform(28, 70);
  const scleraLevel = rng.uniform(185, 230);
  // Skin is often overexposed under NIR illuminators: levels above 255 clip.
  const skinLevel = rng.uniform(205, 265);
  const upperLidHeight = rng.uniform(0.7, 1.0);
  const upperLidCurvature = rng.uniform(0.18, 0.3);
  const lowerLidHeight = rng.uniform(0.85, 1.1);
  const lowerLidCurvature = rng.uniform(0.1, 0.2);
  const lidApexShift = rng.uniform(-0.2, 0.2);
  const lashCount = rng.int(90, 190);
  const lashLength = rng.uniform(0.2, 0.38);
  const texture = irisTexture(rng);
  return Object.freeze({
    seed,
    irisRadius,
    pupilRatio,
    irisLevel,
    textureContrast,
    pupilLevel,
    scleraLevel,
    skinLevel,
    upperLidHeight,
    upperLidCurvature,
    lowerLidHeight,
    lowerLidCurvature,
    lidApexShift,
    lashCount,
    lashLength,
    texture,
  });
}

/**
 * Builds the polar iris texture from anatomical features: fine stroma noise, radial fibres,
 * a wavy collarette separating the pupillary and ciliary zones, crypts, concentric contraction
 * furrows and pigment spots. Everything lives in (ρ, θ), so dilation stretches it radially.
 */
function irisTexture(rng: SeededRandom): Float32Array {
  const nr = TEXTURE_RADIAL;
  const nt = TEXTURE_ANGULAR;
  const tex = new Float32Array(nr * nt);

  // Fine stroma: white noise smoothed by a small binomial kernel in both directions.
  const noise = new Float32Array(nr * nt);
  for (let i = 0; i < noise.length; i++) noise[i] = rng.signed();
  const tmp = new Float32Array(nr * nt);
  for (let r = 0; r < nr; r++) {
    const row = r * nt;
    for (let t = 0; t < nt; t++) {
      tmp[row + t] =
        0.25 * noise[row + ((t + nt - 1) % nt)]! +
        0.5 * noise[row + t]! +
        0.25 * noise[row + ((t + 1) % nt)]!;
    }
  }
  for (let r = 0; r < nr; r++) {
    const up = Math.max(0, r - 1) * nt;
    const down = Math.min(nr - 1, r + 1) * nt;
    for (let t = 0; t < nt; t++)
      tex[r * nt + t] = 0.8 * (0.25 * tmp[up + t]! + 0.5 * tmp[r * nt + t]! + 0.25 * tmp[down + t]!);
  }

  // Collarette radius as a function of angle: a wavy ring.
  const collaretteBase = rng.uniform(0.28, 0.42);
  const harmonics = [1, 2, 3, 5, 7].map((k) => ({ k, a: rng.uniform(0, 0.025), p: rng.uniform(0, TWO_PI) }));
  const collarette = new Float32Array(nt);
  for (let t = 0; t < nt; t++) {
    const theta = (t / nt) * TWO_PI;
    let c = collaretteBase;
    for (const h of harmonics) c += h.a * Math.sin(h.k * theta + h.p);
    collarette[t] = c;
  }
  const pupillaryZone = rng.uniform(-0.5, 0.5);
  const ridge = rng.uniform(0.5, 1.1);
  for (let r = 0; r < nr; r++) {
    const rho = r / (nr - 1);
    for (let t = 0; t < nt; t++) {
      const d = (rho - collarette[t]!) / 0.045;
      let v = 0;
      if (d * d < 1) v += ridge * (1 - d * d);
      if (rho < collarette[t]!) v += pupillaryZone;
      // Pupillary ruff: dark frill at the pupil margin; limbus: darker outer rim.
      if (rho < 0.05) v -= 0.8 * (1 - rho / 0.05);
      if (rho > 0.82) v -= 1.0 * ((rho - 0.82) / 0.18);
      tex[r * nt + t] = tex[r * nt + t]! + v;
    }
  }

  // Radial fibres: thin, slightly curved and wavy streaks, mostly in the ciliary zone.
  const fibres = rng.int(260, 420);
  for (let f = 0; f < fibres; f++) {
    const theta0 = rng.uniform(0, nt);
    const start = rng.uniform(0.02, 0.45);
    const end = Math.min(1, start + rng.uniform(0.2, 0.7));
    const width = rng.uniform(1, 3);
    const amp = (rng.next() < 0.6 ? 1 : -1) * rng.uniform(0.15, 0.6);
    const curl = rng.uniform(-12, 12);
    const waveAmp = rng.uniform(0, 3);
    const waveFreq = rng.uniform(4, 14);
    const wavePhase = rng.uniform(0, TWO_PI);
    const r0 = Math.floor(start * (nr - 1));
    const r1 = Math.ceil(end * (nr - 1));
    for (let r = r0; r <= r1; r++) {
      const rho = r / (nr - 1);
      const along = (rho - start) / (end - start);
      const taper = along < 0.15 ? along / 0.15 : along > 0.85 ? (1 - along) / 0.15 : 1;
      if (taper <= 0) continue;
      const centre = theta0 + curl * rho + waveAmp * Math.sin(waveFreq * rho + wavePhase);
      splatRow(tex, r, centre, width, amp * taper);
    }
  }

  // Crypts: dark lens-shaped pits with a faint bright rim, near and outside the collarette.
  const crypts = rng.int(8, 30);
  for (let c = 0; c < crypts; c++) {
    const t0 = rng.uniform(0, nt);
    const rc = collarette[Math.floor(t0) % nt]! + rng.uniform(-0.06, 0.3);
    const hr = rng.uniform(0.025, 0.08);
    const ht = rng.uniform(4, 22);
    const depth = rng.uniform(1.0, 2.2);
    blob(tex, rc, t0, hr, ht, -depth, 0.25 * depth);
  }

  // Contraction furrows: partial concentric dark arcs in the outer ciliary zone.
  const furrows = rng.int(2, 7);
  for (let f = 0; f < furrows; f++) {
    const rc = rng.uniform(0.58, 0.9);
    const t0 = rng.uniform(0, nt);
    const extent = rng.uniform(0.1, 0.5) * nt;
    const halfWidth = rng.uniform(0.012, 0.025);
    const depth = rng.uniform(0.5, 1.2);
    const wave = rng.uniform(0, 0.02);
    const waveFreq = rng.uniform(6, 20);
    for (let k = 0; k < extent; k++) {
      const t = Math.floor(t0 + k) % nt;
      const along = k / extent;
      const taper = Math.min(1, along / 0.1, (1 - along) / 0.1);
      const centre = rc + wave * Math.sin((waveFreq * TWO_PI * k) / nt);
      for (let r = 0; r < nr; r++) {
        const d = (r / (nr - 1) - centre) / halfWidth;
        if (d * d < 1) tex[r * nt + t] = tex[r * nt + t]! - depth * taper * (1 - d * d);
      }
    }
  }

  // Stroma mottling: many small soft light and dark patches between the fibres.
  const patches = rng.int(250, 450);
  for (let k = 0; k < patches; k++) {
    const hr = rng.uniform(0.015, 0.045);
    blob(tex, rng.uniform(0.03, 0.97), rng.uniform(0, nt), hr, rng.uniform(2, 8), rng.uniform(-0.7, 0.6), 0);
  }

  // Pigment spots (freckles): small dark or bright round marks.
  const spots = rng.int(0, 6);
  for (let s = 0; s < spots; s++) {
    const size = rng.uniform(0.02, 0.045);
    blob(tex, rng.uniform(0.15, 0.85), rng.uniform(0, nt), size, size * 300, rng.uniform(-1.5, 1.2), 0);
  }

  // Normalise to zero mean and unit standard deviation.
  let sum = 0;
  for (let i = 0; i < tex.length; i++) sum += tex[i]!;
  const mean = sum / tex.length;
  let sq = 0;
  for (let i = 0; i < tex.length; i++) {
    const v = tex[i]! - mean;
    sq += v * v;
  }
  const scale = 1 / Math.sqrt(sq / tex.length);
  for (let i = 0; i < tex.length; i++) tex[i] = (tex[i]! - mean) * scale;
  return tex;
}

/** Adds a one-row streak profile centred at angular sample `centre` (wraps around), half-width `width` samples. */
function splatRow(tex: Float32Array, r: number, centre: number, width: number, amp: number): void {
  const nt = TEXTURE_ANGULAR;
  const lo = Math.floor(centre - width);
  const hi = Math.ceil(centre + width);
  const row = r * nt;
  for (let t = lo; t <= hi; t++) {
    const d = (t - centre) / width;
    if (d * d >= 1) continue;
    const idx = ((t % nt) + nt) % nt;
    tex[row + idx] = tex[row + idx]! + amp * (1 - d * d);
  }
}

/** Adds an elliptical blob at (ρ, θ-sample) with radial half-size `hr` and angular half-size `ht` samples, plus an optional rim. */
function blob(
  tex: Float32Array,
  rc: number,
  tc: number,
  hr: number,
  ht: number,
  amp: number,
  rim: number,
): void {
  const nr = TEXTURE_RADIAL;
  const nt = TEXTURE_ANGULAR;
  const rLo = Math.max(0, Math.floor((rc - 1.4 * hr) * (nr - 1)));
  const rHi = Math.min(nr - 1, Math.ceil((rc + 1.4 * hr) * (nr - 1)));
  const tLo = Math.floor(tc - 1.4 * ht);
  const tHi = Math.ceil(tc + 1.4 * ht);
  for (let r = rLo; r <= rHi; r++) {
    const dr = (r / (nr - 1) - rc) / hr;
    for (let t = tLo; t <= tHi; t++) {
      const dt = (t - tc) / ht;
      const d2 = dr * dr + dt * dt;
      const idx = r * nt + (((t % nt) + nt) % nt);
      if (d2 < 1) tex[idx] = tex[idx]! + amp * (1 - d2) * (1 - d2);
      else if (rim !== 0 && d2 < 1.96) {
        const x = (d2 - 1) / 0.96;
        tex[idx] = tex[idx]! + rim * (1 - x) * x * 4;
      }
    }
  }
}

/** Bilinear sample of a subject texture at normalised radius `rho` (clamped to 0..1) and angle `theta` in radians. */
export function sampleTexture(tex: Float32Array, rho: number, theta: number): number {
  const nr = TEXTURE_RADIAL;
  const nt = TEXTURE_ANGULAR;
  const fr = (rho <= 0 ? 0 : Math.min(rho, 1)) * (nr - 1);
  let ft = (theta / TWO_PI) * nt;
  ft -= Math.floor(ft / nt) * nt;
  const r0 = Math.min(nr - 2, Math.floor(fr));
  const t0 = Math.floor(ft) % nt;
  const t1 = (t0 + 1) % nt;
  const ar = fr - r0;
  const at = ft - Math.floor(ft);
  const a = tex[r0 * nt + t0]! * (1 - at) + tex[r0 * nt + t1]! * at;
  const b = tex[(r0 + 1) * nt + t0]! * (1 - at) + tex[(r0 + 1) * nt + t1]! * at;
  return a * (1 - ar) + b * ar;
}
