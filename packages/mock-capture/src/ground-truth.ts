import type { Circle } from "@zkiris/iris-code";

/**
 * A point in image pixels: x to the right, y down, pixel centres at integer coordinates (the
 * centre of pixel `pixels[j * width + i]` is x = i, y = j).
 */
export interface Point {
  x: number;
  y: number;
}

/**
 * An ellipse in image pixels: semi-axis `a` along the direction `angleDeg` (counter-clockwise on
 * screen from the +x axis), semi-axis `b` perpendicular to it.
 */
export interface Ellipse {
  cx: number;
  cy: number;
  a: number;
  b: number;
  angleDeg: number;
}

/**
 * A parabolic eyelid margin in image pixels: the points `apex + t·axis + curvature·t²·normal` for
 * every real `t` (pixels). `axis` is a unit vector along the lid; `normal` is a unit vector pointing
 * from the apex into the eye opening's side (down on screen for the upper lid of an upright eye, up
 * for the lower lid), so both margins bend towards each other at the eye corners.
 */
export interface EyelidCurve {
  apex: Point;
  axis: Point;
  normal: Point;
  /** Curvature coefficient, 1/pixels. */
  curvature: number;
}

/** Per-pixel labels of {@link GroundTruth.labels}, before blur and noise. */
export const PixelLabel = Object.freeze({
  /** Eyelid or other skin. */
  SKIN: 0,
  /** Visible sclera. */
  SCLERA: 1,
  /** Visible iris (between the pupil and the limbus, not covered by lids, lashes or reflections). */
  IRIS: 2,
  /** Visible pupil. */
  PUPIL: 3,
  /** An eyelash covering the eye opening. */
  EYELASH: 4,
  /** A specular reflection covering the eye opening. */
  SPECULAR: 5,
});

/**
 * Where everything really is in a mock capture. For tests and accuracy measurement only: a
 * segmenter must find boundaries from pixels. Every number is rounded to 1/1000 so values compare
 * exactly across machines.
 */
export interface GroundTruth {
  /** Canonical subject seed. */
  subject: string;
  /** Canonical capture seed. */
  capture: string;
  /** Pupil as a circle of the ellipse's centre and geometric-mean radius √(a·b). */
  pupil: Circle;
  /** The pupil boundary (elliptical under off-axis gaze). */
  pupilEllipse: Ellipse;
  /** Iris outer boundary (limbus). */
  iris: Circle;
  /** In-plane rotation of the eye (head tilt) applied to iris texture and eyelids, degrees counter-clockwise on screen. */
  rotationDeg: number;
  /** Pupil radius (√(a·b)) over iris radius. */
  pupilIrisRatio: number;
  /** Eyelid closure applied, 0 = the subject's natural opening, 1 = closed. */
  eyelidClosure: number;
  upperEyelid: EyelidCurve;
  lowerEyelid: EyelidCurve;
  /** Centres and radii of the illuminator reflections visible on the eye (their centre pixel is not covered by a lid). */
  speculars: Circle[];
  /** Centres and radii of the visible larger reflections on the iris. */
  irisReflections: Circle[];
  /** Number of eyelashes drawn. */
  eyelashes: number;
  blurSigma: number;
  noiseSigma: number;
  /** Illumination gain applied (1 = the subject's natural levels). */
  illuminationGain: number;
  /** Relative brightness change per pixel along x and y. */
  illuminationGradient: Point;
  /** Share of the iris annulus (between pupil and limbus) area that lies inside the frame. */
  irisInFrameFraction: number;
  /** Share of the iris annulus area visible: inside the frame and not covered by lids, lashes or reflections. */
  visibleIrisFraction: number;
  /** One {@link PixelLabel} per pixel, row-major, as rendered before blur and noise. */
  labels: Uint8Array;
}
