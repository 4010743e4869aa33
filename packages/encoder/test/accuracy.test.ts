import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { DEFAULT_PROFILE, type IrisCode } from "@zkiris/iris-code";
import { renderCapture } from "@zkiris/mock-capture";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  computeAccuracy,
  EncoderError,
  IrisEncoder,
  pairDistances,
  QualityGateError,
  renderAccuracyHtml,
  renderAccuracySvg,
} from "../src/index.js";

describe("computeAccuracy", () => {
  const genuine = [0.1, 0.2, 0.3, 0.35];
  const impostor = [0.32, 0.4, 0.45, 0.5, 0.55];

  it("computes means, deviations, d', EER and operating points exactly", () => {
    const r = computeAccuracy({ genuine, impostor, attempted: 10, enrolled: 9 }, [0.2, 0.1]);
    expect(r.failureToEnrol).toBeCloseTo(0.1, 12);
    expect(r.genuine.count).toBe(4);
    expect(r.genuine.mean).toBeCloseTo(0.2375, 12);
    const gStd = Math.sqrt(genuine.reduce((a, v) => a + (v - 0.2375) ** 2, 0) / 4);
    const iMean = 2.22 / 5;
    const iStd = Math.sqrt(impostor.reduce((a, v) => a + (v - iMean) ** 2, 0) / 5);
    expect(r.genuine.std).toBeCloseTo(gStd, 12);
    expect(r.impostor.mean).toBeCloseTo(iMean, 12);
    expect(r.impostor.std).toBeCloseTo(iStd, 12);
    expect(r.dPrime).toBeCloseTo((iMean - 0.2375) / Math.sqrt((gStd ** 2 + iStd ** 2) / 2), 12);
    // At t = 0.32: one impostor of five matches (0.2), one genuine of four does not (0.25).
    expect(r.eer).toBeCloseTo(0.225, 12);
    expect(r.eerThreshold).toBe(0.32);
    expect(r.notComparable).toEqual({ genuine: 0, impostor: 0 });
    expect(r.operatingPoints).toEqual([
      { fmr: 0.2, measuredFmr: 0.2, fnmr: 0, thresholdPer10k: 3999, resolved: true },
      { fmr: 0.1, measuredFmr: 0, fnmr: 0.25, thresholdPer10k: 3199, resolved: false },
    ]);
  });

  it("counts pairs that cannot be compared as non-matches without giving them a distance", () => {
    const r = computeAccuracy({
      genuine: [0.1],
      impostor: [0.5],
      genuineNotComparable: 1,
      impostorNotComparable: 1,
    });
    expect(r.notComparable).toEqual({ genuine: 1, impostor: 1 });
    expect(r.genuine.mean).toBe(0.1);
    expect(r.eer).toBe(0.5);
    expect(r.eerThreshold).toBe(0.5);
    expect(r.operatingPoints[0]).toEqual({
      fmr: 1e-3,
      measuredFmr: 0,
      fnmr: 0.5,
      thresholdPer10k: 4999,
      resolved: false,
    });
  });

  it("refuses an empty distribution naming it", () => {
    expect(() => computeAccuracy({ genuine: [], impostor })).toThrowError(
      expect.objectContaining({ constructor: EncoderError, code: "INVALID_PARAMETER", field: "genuine" }),
    );
  });

  it("refuses a distance outside [0, 1] naming its index", () => {
    expect(() => computeAccuracy({ genuine, impostor: [0.4, 1.5] })).toThrowError(
      expect.objectContaining({
        field: "impostor[1]",
        message: "Parameter 'impostor[1]' is 1.5; distances lie in [0, 1]",
      }),
    );
    expect(() => computeAccuracy({ genuine: [Number.NaN], impostor })).toThrowError(
      expect.objectContaining({ field: "genuine[0]" }),
    );
  });

  it("renders a self-contained SVG and HTML picture", () => {
    const r = computeAccuracy({ genuine, impostor });
    const d = { genuine: Float64Array.from(genuine), impostor: Float64Array.from(impostor) };
    const svg = renderAccuracySvg(r, d, "t<1>");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("t&lt;1&gt;");
    expect(svg).toContain("EER = 22.50%");
    expect(renderAccuracyHtml(r, d)).toContain('"eer": 0.225');
  });
});

describe("accuracy end to end", () => {
  let encoder: IrisEncoder;
  let mockEncoder: IrisEncoder;
  beforeAll(async () => {
    encoder = await IrisEncoder.create({ backend: "wasm" });
    // Mock captures carry denser lashes than the real sample, so a third of their iris is often
    // masked; the occlusion gate is relaxed to the level those captures need.
    mockEncoder = await IrisEncoder.create({ backend: "wasm", quality: { minUsableFraction: 0.25 } });
  });
  afterAll(() => {
    encoder.close();
    mockEncoder.close();
  });

  it("separates a small mock set clearly", async () => {
    const codesByEye = new Map<string, IrisCode[]>();
    let attempted = 0;
    for (let s = 0; s < 6; s++) {
      const list: IrisCode[] = [];
      for (let c = 0; c < 4; c++) {
        attempted++;
        const cap = renderCapture(`e2e-subject-${s}`, `capture-${c}`);
        try {
          list.push(
            (await mockEncoder.encode({ width: cap.width, height: cap.height, data: cap.pixels })).code,
          );
        } catch (error) {
          if (!(error instanceof QualityGateError)) throw error;
        }
      }
      codesByEye.set(`eye-${s}`, list);
    }
    const report = computeAccuracy({ codesByEye, profile: DEFAULT_PROFILE, attempted });
    console.log(
      `mock set: FTE ${report.failureToEnrol.toFixed(3)}, genuine ${report.genuine.mean.toFixed(3)}±${report.genuine.std.toFixed(3)}, impostor ${report.impostor.mean.toFixed(3)}±${report.impostor.std.toFixed(3)}, d' ${report.dPrime.toFixed(2)}, EER ${report.eer.toFixed(4)}`,
    );
    expect(report.failureToEnrol).toBeLessThanOrEqual(0.15);
    expect(report.genuine.mean).toBeLessThan(0.3);
    expect(report.impostor.mean).toBeGreaterThan(0.4);
    expect(report.dPrime).toBeGreaterThan(3);
    expect(report.eer).toBeLessThanOrEqual(0.05);
  });

  const real = path.resolve(__dirname, "../../../../shared/datasets/casia-iris-interval-sample");
  it.skipIf(!existsSync(real))(`separates five real eyes (skipped when ${real} is absent)`, async () => {
    const codesByEye = new Map<string, IrisCode[]>();
    let attempted = 0;
    const eyes = readdirSync(real, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort()
      .slice(0, 5);
    for (const eye of eyes) {
      const list: IrisCode[] = [];
      for (const f of readdirSync(path.join(real, eye)).sort()) {
        attempted++;
        try {
          list.push((await encoder.encode(new Uint8Array(readFileSync(path.join(real, eye, f))))).code);
        } catch (error) {
          if (!(error instanceof QualityGateError)) throw error;
        }
      }
      codesByEye.set(eye, list);
    }
    const d = pairDistances(codesByEye, DEFAULT_PROFILE);
    const report = computeAccuracy({ ...d, attempted, enrolled: [...codesByEye.values()].flat().length });
    console.log(
      `real subset: FTE ${report.failureToEnrol.toFixed(3)}, genuine ${report.genuine.mean.toFixed(3)}, impostor ${report.impostor.mean.toFixed(3)}, d' ${report.dPrime.toFixed(2)}, EER ${report.eer.toFixed(4)}`,
    );
    expect(report.failureToEnrol).toBeLessThanOrEqual(0.04);
    expect(report.dPrime).toBeGreaterThan(4);
    expect(report.eer).toBeLessThanOrEqual(0.03);
  });
});
