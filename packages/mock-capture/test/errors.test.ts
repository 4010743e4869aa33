import { ZkirisError } from "@zkiris/iris-code";
import { describe, expect, it } from "vitest";
import { encodeGreyPng, MockCaptureError, renderCapture, resolveVariation } from "../src/index.js";

function refusal(fn: () => unknown): MockCaptureError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MockCaptureError);
    expect(error).toBeInstanceOf(ZkirisError);
    return error as MockCaptureError;
  }
  throw new Error("expected a refusal");
}

describe("parameter checks", () => {
  it.each([
    ["a negative number", -1],
    ["a fraction", 1.5],
    ["NaN", Number.NaN],
    ["an unsafe integer", 2 ** 53],
  ])("rejects a subject seed that is %s", (_, seed) => {
    const e = refusal(() => renderCapture(seed as number, 1));
    expect(e.code).toBe("INVALID_SEED");
    expect(e.field).toBe("subjectSeed");
    expect(e.message).toBe(
      `Parameter 'subjectSeed' must be a non-negative safe integer or a non-empty string, received number ${String(seed)}`,
    );
  });

  it("rejects an empty or overlong string seed", () => {
    const empty = refusal(() => renderCapture("", 1));
    expect([empty.code, empty.field]).toEqual(["INVALID_SEED", "subjectSeed"]);
    expect(empty.message).toBe(
      "Parameter 'subjectSeed' must be a string of 1 to 256 characters, received 0 characters",
    );
    const long = refusal(() => renderCapture(1, "x".repeat(257)));
    expect([long.code, long.field]).toEqual(["INVALID_SEED", "captureSeed"]);
  });

  it.each([
    ["undefined", undefined],
    ["null", null],
    ["object", {}],
    ["bigint", 1n],
  ])("rejects a capture seed of type %s", (type, seed) => {
    const e = refusal(() => renderCapture(1, seed as unknown as number));
    expect(e.code).toBe("INVALID_SEED");
    expect(e.field).toBe("captureSeed");
    expect(e.message).toBe(`Parameter 'captureSeed' is not a number or string, received type: ${type}`);
  });

  it.each([
    ["width", { width: 63 }, "Parameter 'width' must be between 64 and 4096, received 63"],
    ["height", { height: 4097 }, "Parameter 'height' must be between 64 and 4096, received 4097"],
    ["width", { width: 100.5 }, "Parameter 'width' is not an integer, received number 100.5"],
    ["height", { height: "280" }, "Parameter 'height' is not an integer, received string 280"],
  ])("rejects a bad image size in %s", (field, options, message) => {
    const e = refusal(() => renderCapture(1, 1, options as never));
    expect([e.code, e.field, e.message]).toEqual(["INVALID_SIZE", field, message]);
  });

  it("rejects options that are not an object or carry unknown keys", () => {
    const e1 = refusal(() => renderCapture(1, 1, 5 as never));
    expect([e1.code, e1.field]).toEqual(["INVALID_OPTION", "options"]);
    const e2 = refusal(() => renderCapture(1, 1, { blurSigma: 8 } as never));
    expect([e2.code, e2.field]).toEqual(["INVALID_OPTION", "blurSigma"]);
    expect(e2.message).toBe(
      "Parameter 'options.blurSigma' is not an option; known options: width, height, variation, preset, failure",
    );
  });

  it("rejects an unknown preset or failure mode", () => {
    const p = refusal(() => renderCapture(1, 1, { preset: "easy" as never }));
    expect([p.code, p.field, p.message]).toEqual([
      "INVALID_OPTION",
      "preset",
      `Parameter 'preset' must be "default" or "hard", received string easy`,
    ]);
    const f = refusal(() => renderCapture(1, 1, { failure: "asleep" as never }));
    expect([f.code, f.field]).toEqual(["INVALID_OPTION", "failure"]);
  });

  it("rejects variation fields that are unknown, not numbers, not integers or out of range", () => {
    const unknown = refusal(() => renderCapture(1, 1, { variation: { blur: 1 } as never }));
    expect([unknown.code, unknown.field]).toEqual(["INVALID_OPTION", "variation.blur"]);
    const nan = refusal(() => renderCapture(1, 1, { variation: { noiseSigma: Number.NaN } }));
    expect([nan.field, nan.message]).toEqual([
      "variation.noiseSigma",
      "Parameter 'variation.noiseSigma' is not a finite number, received number NaN",
    ]);
    const str = refusal(() => renderCapture(1, 1, { variation: { blurSigma: "2" as never } }));
    expect(str.field).toBe("variation.blurSigma");
    const frac = refusal(() => renderCapture(1, 1, { variation: { specularCount: 2.5 } }));
    expect([frac.field, frac.message]).toEqual([
      "variation.specularCount",
      "Parameter 'variation.specularCount' must be an integer, received 2.5",
    ]);
    const negative = refusal(() => renderCapture(1, 1, { variation: { rotationDeg: -1 } }));
    expect([negative.field, negative.message]).toEqual([
      "variation.rotationDeg",
      "Parameter 'variation.rotationDeg' must be between 0 and 180, received -1",
    ]);
    const closure = refusal(() => renderCapture(1, 1, { variation: { eyelidClosure: 1.5 } }));
    expect(closure.field).toBe("variation.eyelidClosure");
    const notObject = refusal(() => resolveVariation("default", [1]));
    expect([notObject.field, notObject.message]).toEqual([
      "variation",
      "Parameter 'variation' is not an object, received type: array",
    ]);
  });

  it("rejects pixels of the wrong length", () => {
    const size = refusal(() => encodeGreyPng(new Uint8Array(10), 4, 4));
    expect([size.code, size.field, size.message]).toEqual([
      "INVALID_SIZE",
      "pixels",
      "Parameter 'pixels' must hold width × height = 16 bytes, received 10",
    ]);
  });
});
