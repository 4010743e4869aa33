import { hammingDistance } from "@zkiris/iris-code";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_VARIATION,
  HARD_VARIATION,
  PixelLabel,
  renderCapture,
  resolveVariation,
} from "../src/index.js";
import { countLabel, gradientEnergy, labelMean } from "./support/image-stats.js";
import { polarCode } from "./support/polar-code.js";

const still = {
  rotationDeg: 0,
  pupilDilation: 0,
  gazeOffset: 0,
  positionOffset: 0,
  illumination: 0,
  eyelidJitter: 0,
};

describe("capture variation", () => {
  it("rotates the iris texture by the drawn angle, seen as a column shift of the code", () => {
    const upright = renderCapture("erin", 4, { variation: { rotationDeg: 0 } });
    const tilted = renderCapture("erin", 4, { variation: { rotationDeg: 14 } });
    expect(upright.truth.rotationDeg).toBe(0);
    expect(Math.abs(tilted.truth.rotationDeg)).toBeGreaterThan(3);
    const result = hammingDistance(polarCode(upright), polarCode(tilted), { maxShift: 8, minUsableBits: 1 });
    // Counter-clockwise rotation moves texture from angle θ to θ + rotation: the probe's column
    // c + rotation/step matches the template's column c, i.e. a shift of +rotation/step.
    const columns = tilted.truth.rotationDeg / (360 / 112);
    expect(Math.abs(result.shift - columns)).toBeLessThanOrEqual(1);
    expect(result.distance).toBeLessThan(0.25);
  });

  it("keeps the subject's pupil ratio without dilation and varies it with dilation", () => {
    const fixed = [1, 2, 3].map((c) => renderCapture("fay", c, { variation: { pupilDilation: 0 } }).truth);
    expect(new Set(fixed.map((t) => t.pupilIrisRatio)).size).toBe(1);
    const varied = [1, 2, 3, 4].map(
      (c) => renderCapture("fay", c, { variation: { pupilDilation: 0.15 } }).truth,
    );
    const ratios = varied.map((t) => t.pupilIrisRatio);
    expect(new Set(ratios).size).toBe(4);
    for (const r of ratios) expect(Math.abs(r - fixed[0]!.pupilIrisRatio)).toBeLessThanOrEqual(0.15 + 1e-9);
  });

  it("centres a round pupil without gaze offset and decentres and flattens it with one", () => {
    const centred = renderCapture("gil", 1, { variation: { gazeOffset: 0 } }).truth;
    expect(centred.pupil.cx).toBe(centred.iris.cx);
    expect(centred.pupil.cy).toBe(centred.iris.cy);
    expect(centred.pupilEllipse.a).toBe(centred.pupilEllipse.b);
    const off = renderCapture("gil", 1, { variation: { gazeOffset: 0.2 } }).truth;
    const offset = Math.hypot(off.pupil.cx - off.iris.cx, off.pupil.cy - off.iris.cy) / off.iris.r;
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThanOrEqual(0.2);
    expect(off.pupilEllipse.b / off.pupilEllipse.a).toBeCloseTo((1 - 2 * offset) / 1, 1);
  });

  it("centres the eye in the frame without position offset", () => {
    const t = renderCapture("hal", 1, { variation: { positionOffset: 0 } }).truth;
    // Pixel centres are at integer coordinates, so the frame centre is (159.5, 139.5).
    expect(t.iris.cx).toBe(159.5);
    expect(t.iris.cy).toBe(139.5);
    const moved = renderCapture("hal", 1, { variation: { positionOffset: 1 } }).truth;
    expect(Math.hypot(moved.iris.cx - 159.5, moved.iris.cy - 139.5)).toBeGreaterThan(0);
  });

  it("reduces gradient energy as defocus blur grows", () => {
    const energies = [0, 1, 3, 8].map((blurSigma) => {
      const c = renderCapture("ida", 1, { variation: { blurSigma, noiseSigma: 0 } });
      expect(c.truth.blurSigma).toBe(blurSigma);
      return gradientEnergy(c.pixels, c.width, c.height);
    });
    for (let k = 1; k < energies.length; k++) expect(energies[k]!).toBeLessThan(energies[k - 1]! * 0.8);
  });

  it("adds sensor noise of the requested standard deviation", () => {
    const clean = renderCapture("jon", 1, { variation: { noiseSigma: 0 } });
    const noisy = renderCapture("jon", 1, { variation: { noiseSigma: 10 } });
    let sum = 0;
    let sq = 0;
    let n = 0;
    for (let i = 0; i < clean.pixels.length; i++) {
      const v = clean.pixels[i]!;
      if (v < 40 || v > 215) continue; // away from clipping
      const d = noisy.pixels[i]! - v;
      sum += d;
      sq += d * d;
      n++;
    }
    const mean = sum / n;
    const sd = Math.sqrt(sq / n - mean * mean);
    expect(Math.abs(mean)).toBeLessThan(0.2);
    expect(sd).toBeGreaterThan(9.5);
    expect(sd).toBeLessThan(10.5);
  });

  it("applies the drawn illumination gain and gradient", () => {
    const flat = renderCapture("kim", 2, { variation: { ...still, illumination: 0 } });
    expect(flat.truth.illuminationGain).toBe(1);
    expect(flat.truth.illuminationGradient).toEqual({ x: 0, y: 0 });
    const lit = renderCapture("kim", 2, { variation: { ...still, illumination: 0.5, noiseSigma: 0 } });
    const base = renderCapture("kim", 2, { variation: { ...still, illumination: 0, noiseSigma: 0 } });
    expect(lit.truth.illuminationGain).not.toBe(1);
    const centre = 140 * 320 + 160; // the gradient is nearly zero at the frame centre
    const expected = base.pixels[centre]! * lit.truth.illuminationGain;
    expect(Math.abs(lit.pixels[centre]! - Math.min(255, expected))).toBeLessThanOrEqual(1.5);
  });

  it("covers more of the iris as eyelid closure grows", () => {
    const visible = [0, 0.3, 0.6, 0.95].map(
      (eyelidClosure) =>
        renderCapture("lea", 1, { variation: { ...still, eyelidClosure, eyelashes: 0 } }).truth
          .visibleIrisFraction,
    );
    for (let k = 1; k < visible.length; k++) expect(visible[k]!).toBeLessThan(visible[k - 1]!);
    expect(visible[3]!).toBeLessThan(0.1);
    // Closure comes from above: the iris rows above the centre are the first to go.
    const half = renderCapture("lea", 1, { variation: { ...still, eyelidClosure: 0.3, eyelashes: 0 } });
    const { iris } = half.truth;
    let top = 0;
    let bottom = 0;
    for (let i = 0; i < half.truth.labels.length; i++) {
      if (half.truth.labels[i] !== PixelLabel.IRIS) continue;
      if (Math.floor(i / half.width) < iris.cy) top++;
      else bottom++;
    }
    expect(top).toBeLessThan(bottom * 0.8);
  });

  it("draws no lashes at zero density and more at higher density", () => {
    const counts = [0, 1, 2].map((eyelashes) => {
      const c = renderCapture("max", 1, { variation: { eyelashes } });
      expect(c.truth.eyelashes).toBe(eyelashes === 0 ? 0 : c.truth.eyelashes);
      return countLabel(c, PixelLabel.EYELASH);
    });
    expect(counts[0]).toBe(0);
    expect(counts[1]!).toBeGreaterThan(0);
    expect(counts[2]!).toBeGreaterThan(counts[1]!);
  });

  it("places the requested number of saturated illuminator reflections", () => {
    const none = renderCapture("ned", 1, { variation: { specularCount: 0 } });
    expect(none.truth.speculars).toEqual([]);
    expect(countLabel(none, PixelLabel.SPECULAR)).toBe(0);
    expect(labelMean(none, PixelLabel.PUPIL).mean).toBeLessThan(70);
    const four = renderCapture("ned", 1, { variation: { specularCount: 4 } });
    expect(four.truth.speculars.length).toBe(4);
    for (const s of four.truth.speculars) {
      expect(four.pixels[Math.round(s.cy) * 320 + Math.round(s.cx)]).toBe(255);
      expect(Math.hypot(s.cx - four.truth.pupil.cx, s.cy - four.truth.pupil.cy)).toBeLessThan(
        four.truth.pupil.r,
      );
    }
  });

  it("adds larger reflections on the iris when asked", () => {
    const plain = renderCapture("oli", 1, { variation: { ...still, irisReflections: 0 } });
    const shiny = renderCapture("oli", 1, { variation: { ...still, irisReflections: 3 } });
    expect(plain.truth.irisReflections).toEqual([]);
    expect(shiny.truth.irisReflections.length).toBeGreaterThan(0);
    for (const r of shiny.truth.irisReflections) {
      const i = Math.round(r.cy) * 320 + Math.round(r.cx);
      expect(shiny.pixels[i]!).toBeGreaterThan(plain.pixels[i]! + 40);
    }
    expect(shiny.truth.visibleIrisFraction).toBeLessThan(plain.truth.visibleIrisFraction);
  });

  it("keeps the rest of the capture unchanged when one option changes", () => {
    // Without blur, so that lashes do not spread into neighbouring pixels.
    const base = renderCapture("rae", 5, { variation: { blurSigma: 0 } });
    const lashless = renderCapture("rae", 5, { variation: { blurSigma: 0, eyelashes: 0 } });
    const { labels: _a, eyelashes: _b, visibleIrisFraction: _c, ...rest } = base.truth;
    const { labels: _d, eyelashes: _e, visibleIrisFraction: _f, ...restLashless } = lashless.truth;
    expect(restLashless).toEqual(rest);
    // Iris pixels not covered by a lash are identical, apart from faint lash edges.
    let same = 0;
    let compared = 0;
    for (let i = 0; i < base.pixels.length; i++) {
      if (base.truth.labels[i] === PixelLabel.IRIS && lashless.truth.labels[i] === PixelLabel.IRIS) {
        compared++;
        if (base.pixels[i] === lashless.pixels[i]) same++;
      }
    }
    expect(compared).toBeGreaterThan(10_000);
    expect(same / compared).toBeGreaterThan(0.95);
  });

  it("varies more under the hard preset", () => {
    const spread = (preset: "default" | "hard") => {
      const rotations = Array.from(
        { length: 40 },
        (_, k) => renderCapture("pia", k, { preset, width: 64, height: 64 }).truth.rotationDeg,
      );
      return Math.max(...rotations.map(Math.abs));
    };
    expect(spread("default")).toBeLessThanOrEqual(10);
    expect(spread("hard")).toBeGreaterThan(10);
    expect(resolveVariation("hard")).toEqual(HARD_VARIATION);
    expect(resolveVariation()).toEqual(DEFAULT_VARIATION);
  });
});

describe("failure-mode captures", () => {
  it("closes the eye so almost no iris is visible", () => {
    for (let k = 1; k <= 6; k++) {
      const c = renderCapture("quinn", k, { failure: "closed-eye" });
      expect(c.truth.eyelidClosure).toBeGreaterThanOrEqual(0.97);
      expect(c.truth.visibleIrisFraction).toBeLessThan(0.03);
    }
  });

  it("blurs the capture heavily", () => {
    const sharp = renderCapture("quinn", 1, { variation: { noiseSigma: 0 } });
    const blurred = renderCapture("quinn", 1, { failure: "extreme-blur", variation: { noiseSigma: 0 } });
    expect(blurred.truth.blurSigma).toBe(8);
    expect(gradientEnergy(blurred.pixels, 320, 280)).toBeLessThan(
      gradientEnergy(sharp.pixels, 320, 280) * 0.1,
    );
  });

  it("puts the iris centre at a frame edge so a large part of the iris is out of frame", () => {
    for (let k = 1; k <= 8; k++) {
      const t = renderCapture("quinn", k, { failure: "out-of-frame" }).truth;
      expect(t.irisInFrameFraction).toBeLessThan(0.7);
      // Distance from the iris centre to the nearest frame edge (the outer pixel edges are at -0.5
      // and width - 0.5).
      const edge = Math.min(t.iris.cx + 0.5, 319.5 - t.iris.cx, t.iris.cy + 0.5, 279.5 - t.iris.cy);
      expect(edge).toBeLessThanOrEqual(0.1 * t.iris.r + 0.01);
    }
  });
});
