import { describe, expect, it } from "vitest";
import { DEFAULT_VARIATION, PixelLabel, renderCapture } from "../src/index.js";
import { countLabel, labelMean } from "./support/image-stats.js";

const captures = Array.from({ length: 24 }, (_, k) => renderCapture(`subject-${k % 8}`, `capture-${k}`));

describe("ground truth", () => {
  it("keeps every boundary inside the documented ranges", () => {
    for (const { truth, width, height } of captures) {
      expect(truth.iris.r).toBeGreaterThanOrEqual(95);
      expect(truth.iris.r).toBeLessThanOrEqual(125);
      expect(truth.pupilIrisRatio).toBeGreaterThanOrEqual(0.32 - DEFAULT_VARIATION.pupilDilation);
      expect(truth.pupilIrisRatio).toBeLessThanOrEqual(0.5 + DEFAULT_VARIATION.pupilDilation);
      expect(Math.abs(truth.pupil.r - truth.iris.r * truth.pupilIrisRatio)).toBeLessThanOrEqual(
        0.001 * truth.iris.r,
      );
      expect(Math.abs(truth.rotationDeg)).toBeLessThanOrEqual(DEFAULT_VARIATION.rotationDeg);
      const offset = Math.hypot(truth.iris.cx - (width - 1) / 2, truth.iris.cy - (height - 1) / 2);
      expect(offset).toBeLessThanOrEqual(DEFAULT_VARIATION.positionOffset * truth.iris.r + 0.01);
      const gaze = Math.hypot(truth.pupil.cx - truth.iris.cx, truth.pupil.cy - truth.iris.cy);
      expect(gaze).toBeLessThanOrEqual(DEFAULT_VARIATION.gazeOffset * truth.iris.r + 0.01);
      // The whole pupil lies inside the iris.
      expect(gaze + truth.pupilEllipse.a).toBeLessThan(truth.iris.r);
      expect(truth.pupilEllipse.b).toBeLessThanOrEqual(truth.pupilEllipse.a);
      expect(truth.pupilEllipse.a * truth.pupilEllipse.b).toBeCloseTo(truth.pupil.r * truth.pupil.r, 0);
      expect(truth.visibleIrisFraction).toBeGreaterThan(0.3);
      expect(truth.visibleIrisFraction).toBeLessThanOrEqual(truth.irisInFrameFraction);
      expect(truth.irisInFrameFraction).toBeLessThanOrEqual(1);
      expect(truth.labels.length).toBe(width * height);
      expect(truth.upperEyelid.apex.y).toBeLessThan(truth.lowerEyelid.apex.y);
      expect(truth.speculars.length).toBe(8);
    }
  });

  it("keeps a subject's iris radius and moves its iris between captures", () => {
    const a = renderCapture("bob", 1).truth;
    const b = renderCapture("bob", 2).truth;
    expect(b.iris.r).toBe(a.iris.r);
    expect(b.iris.cx === a.iris.cx && b.iris.cy === a.iris.cy).toBe(false);
    expect(renderCapture("carol", 1).truth.iris.r).not.toBe(a.iris.r);
  });

  it("labels pixels consistently with the true pupil and iris boundaries", () => {
    for (const { truth, width } of captures.slice(0, 6)) {
      const e = truth.pupilEllipse;
      const c = Math.cos((e.angleDeg * Math.PI) / 180);
      const s = -Math.sin((e.angleDeg * Math.PI) / 180);
      let maxPupil = 0; // largest ellipse level of a PUPIL pixel (1 = on the boundary)
      let minIris = Number.POSITIVE_INFINITY; // smallest ellipse level of an IRIS pixel
      let maxIrisRadius = 0; // largest distance of an IRIS pixel from the iris centre
      for (let i = 0; i < truth.labels.length; i++) {
        const label = truth.labels[i];
        if (label !== PixelLabel.PUPIL && label !== PixelLabel.IRIS) continue;
        const x = i % width;
        const y = Math.floor(i / width);
        const along = (x - e.cx) * c + (y - e.cy) * s;
        const across = -(x - e.cx) * s + (y - e.cy) * c;
        const level = (along / e.a) ** 2 + (across / e.b) ** 2;
        if (label === PixelLabel.PUPIL) maxPupil = Math.max(maxPupil, level);
        else {
          minIris = Math.min(minIris, level);
          maxIrisRadius = Math.max(maxIrisRadius, Math.hypot(x - truth.iris.cx, y - truth.iris.cy));
        }
      }
      expect(maxPupil).toBeLessThan(1.05);
      expect(maxPupil).toBeGreaterThan(0.9);
      expect(minIris).toBeGreaterThan(0.95);
      expect(minIris).toBeLessThan(1.1);
      expect(maxIrisRadius).toBeLessThanOrEqual(truth.iris.r);
      expect(maxIrisRadius).toBeGreaterThan(truth.iris.r - 1.5);
    }
  });

  it("renders a dark pupil, a mid-grey iris, a bright sclera and saturated reflections", () => {
    for (const capture of captures.slice(0, 6)) {
      const pupil = labelMean(capture, PixelLabel.PUPIL);
      const iris = labelMean(capture, PixelLabel.IRIS);
      const sclera = labelMean(capture, PixelLabel.SCLERA);
      expect(pupil.mean).toBeLessThan(70);
      expect(iris.mean).toBeGreaterThan(pupil.mean + 30);
      expect(sclera.mean).toBeGreaterThan(iris.mean);
      for (const s of capture.truth.speculars) {
        expect(capture.pixels[Math.round(s.cy) * capture.width + Math.round(s.cx)]).toBe(255);
      }
      expect(countLabel(capture, PixelLabel.SPECULAR)).toBeGreaterThan(8 * 4);
    }
  });

  it("describes the eyelid margins where the labels change from skin to eye", () => {
    for (const capture of captures.slice(0, 8)) {
      const { truth, width, height } = capture;
      for (const lid of [truth.upperEyelid, truth.lowerEyelid]) {
        for (const t of [-60, -20, 0, 30]) {
          const k = lid.curvature * t * t;
          const x = lid.apex.x + t * lid.axis.x + k * lid.normal.x;
          const y = lid.apex.y + t * lid.axis.y + k * lid.normal.y;
          const at = (d: number) => {
            const px = Math.round(x + d * lid.normal.x);
            const py = Math.round(y + d * lid.normal.y);
            if (px < 0 || py < 0 || px >= width || py >= height) return undefined;
            return truth.labels[py * width + px];
          };
          // Outside the opening (against the normal) is skin; inside (along it) is eye, unless the
          // other lid is closer than 4 pixels.
          const outside = at(-4);
          if (outside !== undefined) expect(outside).toBe(PixelLabel.SKIN);
          const inside = at(4);
          if (inside !== undefined && at(8) !== PixelLabel.SKIN) expect(inside).not.toBe(PixelLabel.SKIN);
        }
      }
    }
  });

  it("scales every length with the output size", () => {
    const small = renderCapture("dora", 1).truth;
    const large = renderCapture("dora", 1, { width: 640, height: 560 }).truth;
    expect(large.iris.r).toBeCloseTo(2 * small.iris.r, 2);
    expect(large.pupil.r).toBeCloseTo(2 * small.pupil.r, 2);
    // Pixel centres at integers: doubling the frame maps x to 2x + 0.5.
    expect(large.iris.cx).toBeCloseTo(2 * small.iris.cx + 0.5, 2);
    expect(large.rotationDeg).toBe(small.rotationDeg);
    expect(large.labels.length).toBe(640 * 560);
  });
});
