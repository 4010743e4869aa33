/**
 * A circle in image pixels, x to the right and y downwards: the pupil and iris boundaries that
 * `@zkiris/encoder` segmentation finds and that the `@zkiris/mock-capture` ground truth records
 * (and that accuracy tools compare). It lives here, in the package both read, so that there is one
 * type for it.
 */
export interface Circle {
  /** Centre, x (pixels). */
  readonly cx: number;
  /** Centre, y (pixels). */
  readonly cy: number;
  /** Radius (pixels). */
  readonly r: number;
}
