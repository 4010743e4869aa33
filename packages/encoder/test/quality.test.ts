import { renderCapture } from "@zkiris/mock-capture";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_QUALITY_LIMITS,
  prepareIris,
  type QualityGate,
  QualityGateError,
  resolvePipelineConfig,
} from "../src/index.js";
import { drawEye, type EyeSpec } from "./helpers.js";

const config = resolvePipelineConfig();

function refusal(spec: EyeSpec, limits = {}): QualityGateError {
  try {
    prepareIris(drawEye(spec), resolvePipelineConfig({ quality: limits }));
  } catch (error) {
    expect(error).toBeInstanceOf(QualityGateError);
    return error as QualityGateError;
  }
  throw new Error("expected a quality gate refusal");
}

function expectGate(e: QualityGateError, gate: QualityGate, limit: number): void {
  expect(e.gate).toBe(gate);
  expect(e.code).toBe("QUALITY_GATE");
  expect(e.limit).toBe(limit);
  expect(e.message).toContain(`Quality gate ${gate} failed`);
  expect(e.message).toContain(`limit ${limit}`);
}

describe("quality gates", () => {
  it("accepts a clean crafted eye and measures it", () => {
    const { quality, segmentation } = prepareIris(drawEye({}), config);
    expect(segmentation.pupil.r).toBeCloseTo(38, 0);
    expect(segmentation.iris.r).toBeGreaterThan(92);
    expect(segmentation.iris.r).toBeLessThan(97);
    expect(Math.abs(segmentation.pupil.cx - 160)).toBeLessThan(1.5);
    expect(quality.pupilIrisRatio).toBeGreaterThan(0.38);
    expect(quality.pupilIrisRatio).toBeLessThan(0.42);
    expect(quality.usableFraction).toBeGreaterThan(0.85);
  });

  it("refuses a frame with no pupil: SEGMENTATION_FAILED", () => {
    const e = refusal({ irisR: 0, pupilR: 0, scleraGrey: 128 });
    expectGate(e, "SEGMENTATION_FAILED", 1);
    expect(e.message).toContain("no round dark pupil");
  });

  it("refuses a small iris: IRIS_TOO_SMALL", () => {
    const e = refusal({ irisR: 30, pupilR: 10 });
    expectGate(e, "IRIS_TOO_SMALL", DEFAULT_QUALITY_LIMITS.minIrisRadius);
    expect(e.measured).toBeGreaterThan(28);
    expect(e.measured).toBeLessThan(32);
  });

  it("refuses a pupil dilated over most of the iris: PUPIL_IRIS_RATIO", () => {
    const e = refusal({ pupilR: 75 });
    expectGate(e, "PUPIL_IRIS_RATIO", DEFAULT_QUALITY_LIMITS.maxPupilIrisRatio);
    expect(e.measured).toBeGreaterThan(0.75);
  });

  it("refuses a pinpoint pupil: PUPIL_IRIS_RATIO", () => {
    const e = refusal({ pupilR: 12 });
    expectGate(e, "PUPIL_IRIS_RATIO", DEFAULT_QUALITY_LIMITS.minPupilIrisRatio);
    expect(e.measured).toBeLessThan(0.15);
  });

  it("refuses an elongated (off-axis) pupil: OFF_GAZE", () => {
    const e = refusal({ pupilAspect: 0.5 });
    expectGate(e, "OFF_GAZE", DEFAULT_QUALITY_LIMITS.maxPupilElongation);
    expect(e.measured).toBeGreaterThan(1.8);
  });

  it("refuses an iris cut by the frame edge once the limit asks for less: IRIS_OUT_OF_FRAME", () => {
    // The limbus needs both lateral arcs in the frame, so the default limit (0.25) is reached
    // only through the other gates; a tightened limit shows the measurement and the refusal.
    const spec = { cy: 60, pupilR: 30 };
    const { quality } = prepareIris(drawEye(spec), config);
    expect(quality.outOfFrameFraction).toBeGreaterThan(0.08);
    expect(quality.outOfFrameFraction).toBeLessThan(0.2);
    const e = refusal(spec, { maxOutOfFrame: 0.05 });
    expectGate(e, "IRIS_OUT_OF_FRAME", 0.05);
    expect(e.measured).toBeCloseTo(quality.outOfFrameFraction, 10);
  });

  it("refuses a defocused eye: BLUR", () => {
    const e = refusal({ blurPasses: 6 });
    expectGate(e, "BLUR", DEFAULT_QUALITY_LIMITS.minSharpness);
    expect(e.measured).toBeLessThan(0.1);
  });

  it("refuses an iris mostly hidden by lids once the limit asks for more: OCCLUSION", () => {
    const spec = { lidTop: 100, lidBottom: 180, lidHalfWidth: 80, pupilR: 28 };
    const { quality } = prepareIris(drawEye(spec), config);
    const e = refusal(spec, { minUsableFraction: 0.6 });
    expectGate(e, "OCCLUSION", 0.6);
    expect(e.measured).toBeCloseTo(quality.usableFraction, 10);
    expect(e.measured).toBeLessThan(0.5);
  });

  it("refuses a pupil barely darker than the iris: CONTRAST", () => {
    const e = refusal({}, { minPupilIrisContrast: 150 });
    expectGate(e, "CONTRAST", 150);
    expect(e.measured).toBeGreaterThan(100);
    expect(e.measured).toBeLessThan(125);
  });

  it("refuses mock captures in their failure modes", () => {
    const blur = renderCapture("gate-subject", "blur", { failure: "extreme-blur" });
    expect(() => prepareIris({ width: blur.width, height: blur.height, data: blur.pixels }, config)).toThrow(
      QualityGateError,
    );
    const gaze = renderCapture("subj1", "capgaze", { variation: { gazeOffset: 0.3 } });
    try {
      prepareIris({ width: gaze.width, height: gaze.height, data: gaze.pixels }, config);
      throw new Error("expected OFF_GAZE");
    } catch (error) {
      expect((error as QualityGateError).gate).toBe("OFF_GAZE");
    }
  });
});
