import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DEFAULT_PROFILE, hammingDistance, OPEN_IRIS_PROFILE, toBinary } from "@zkiris/iris-code";
import { encodeGreyPng, renderCapture } from "@zkiris/mock-capture";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  defaultModelDir,
  EncoderError,
  gaborIntegerKernel,
  gaborModelSpec,
  ImageDecodeError,
  IrisEncoder,
  QualityGateError,
} from "../src/index.js";
import { drawEye } from "./helpers.js";

const vectors = JSON.parse(
  readFileSync(new URL("./vectors/encoder-vectors.json", import.meta.url), "utf8"),
) as {
  vectors: { name: string; usableBits: number; sha256: string }[];
};
const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const mockFrame = (subject: string, capture: string) => {
  const c = renderCapture(subject, capture);
  return { width: c.width, height: c.height, data: c.pixels };
};

let encoder: IrisEncoder;
beforeAll(async () => {
  encoder = await IrisEncoder.create({ backend: "wasm" });
});
afterAll(() => encoder.close());

describe("IrisEncoder", () => {
  it("encodes the crafted eye and the mock capture to the committed vectors", async () => {
    const inputs = [drawEye({}), mockFrame("vector-subject", "vector-capture")];
    for (let i = 0; i < inputs.length; i++) {
      const { code } = await encoder.encode(inputs[i]!);
      expect(code.geometry).toEqual(DEFAULT_PROFILE.geometry);
      expect(code.usableBitCount()).toBe(vectors.vectors[i]!.usableBits);
      expect(sha(toBinary(code))).toBe(vectors.vectors[i]!.sha256);
    }
  });

  it("is deterministic across calls, input forms and encoder instances", async () => {
    const frame = drawEye({ seed: 7 });
    const a = (await encoder.encode(frame)).code;
    const b = (await encoder.encode(encodeGreyPng(frame.data, frame.width, frame.height))).code;
    const other = await IrisEncoder.create({ backend: "wasm" });
    const c = (await other.encode(frame)).code;
    other.close();
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(true);
  });

  it("gives the bit-identical code on the pure-JavaScript cpu backend", async () => {
    const cpu = await IrisEncoder.create({ backend: "cpu" });
    expect(cpu.backend).toBe("cpu");
    for (const frame of [mockFrame("vector-subject", "vector-capture"), drawEye({ seed: 7 })]) {
      const x = (await cpu.encode(frame)).code;
      const y = (await encoder.encode(frame)).code;
      // Integer kernel and input, partial sums below 2^24: float32 is exact in any order.
      expect(x.equals(y)).toBe(true);
      expect(sha(toBinary(x))).toBe(sha(toBinary(y)));
    }
    cpu.close();
  });

  it("reports the backend that runs and why tfjs-node was skipped", async () => {
    const auto = await IrisEncoder.create();
    try {
      expect(["tensorflow", "wasm"]).toContain(auto.backend);
      if (auto.backend === "wasm")
        expect(auto.backendFallbacks[0]).toContain("@tensorflow/tfjs-node unavailable");
      expect(auto.modelSource).toBe(defaultModelDir());
    } finally {
      auto.close();
    }
  });

  it("ships a model whose weights are exactly the generated integer Gabor bank", () => {
    const spec = JSON.parse(readFileSync(path.join(defaultModelDir(), "zkiris-encoder.json"), "utf8"));
    expect(spec).toEqual(JSON.parse(JSON.stringify(gaborModelSpec(DEFAULT_PROFILE.geometry))));
    const weights = readFileSync(path.join(defaultModelDir(), "weights.bin"));
    const shipped = new Float32Array(
      weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    );
    expect(Array.from(shipped)).toEqual(Array.from(gaborIntegerKernel(spec)));
  });

  it("separates two captures of one mock eye from captures of another", async () => {
    const a1 = (await encoder.encode(mockFrame("sep-a", "1"))).code;
    const a2 = (await encoder.encode(mockFrame("sep-a", "2"))).code;
    const b1 = (await encoder.encode(mockFrame("sep-b", "1"))).code;
    const opts = { maxShift: DEFAULT_PROFILE.maxShift, minUsableBits: DEFAULT_PROFILE.minUsableBits };
    expect(hammingDistance(a1, a2, opts).rawDistance).toBeLessThan(DEFAULT_PROFILE.thresholdPer10k / 10_000);
    expect(hammingDistance(a1, b1, opts).rawDistance).toBeGreaterThan(0.4);
  });

  it("refuses undecodable input and failed quality gates with typed errors", async () => {
    await expect(encoder.encode(new TextEncoder().encode("not an image"))).rejects.toMatchObject({
      constructor: ImageDecodeError,
      code: "UNSUPPORTED_FORMAT",
    });
    await expect(encoder.encode(drawEye({ irisR: 0, pupilR: 0, scleraGrey: 128 }))).rejects.toBeInstanceOf(
      QualityGateError,
    );
  });

  it("refuses a missing model directory with MODEL_NOT_FOUND", async () => {
    await expect(
      IrisEncoder.create({ modelDir: "/nonexistent/zkiris-model", backend: "wasm" }),
    ).rejects.toMatchObject({
      constructor: EncoderError,
      code: "MODEL_NOT_FOUND",
      field: "modelDir",
    });
  });

  it("refuses a model whose geometry is not the profile's with INVALID_MODEL", async () => {
    const e = await IrisEncoder.create({
      modelDir: defaultModelDir(),
      profile: OPEN_IRIS_PROFILE,
      backend: "wasm",
    }).catch((error: unknown) => error);
    expect(e).toBeInstanceOf(EncoderError);
    expect((e as EncoderError).code).toBe("INVALID_MODEL");
    expect((e as EncoderError).message).toBe(
      "Model geometry 16x112x2 does not match profile 'open-iris-16x256x4' (16x256x4)",
    );
  });

  it("refuses a malformed model contract with INVALID_MODEL naming the field", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "zkiris-model-"));
    try {
      cpSync(defaultModelDir(), dir, { recursive: true });
      const spec = JSON.parse(readFileSync(path.join(dir, "zkiris-encoder.json"), "utf8"));
      writeFileSync(path.join(dir, "zkiris-encoder.json"), JSON.stringify({ ...spec, stride: [0, 5] }));
      await expect(IrisEncoder.create({ modelDir: dir, backend: "wasm" })).rejects.toMatchObject({
        code: "INVALID_MODEL",
        field: "stride[0]",
      });
      writeFileSync(path.join(dir, "model.json"), "{ not json");
      writeFileSync(path.join(dir, "zkiris-encoder.json"), JSON.stringify(spec));
      await expect(IrisEncoder.create({ modelDir: dir, backend: "wasm" })).rejects.toMatchObject({
        code: "INVALID_MODEL",
        message: "Model file 'model.json' is not valid JSON",
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses use after close with CLOSED", async () => {
    const e = await IrisEncoder.create({ backend: "wasm" });
    e.close();
    e.close();
    await expect(e.encode(drawEye({}))).rejects.toMatchObject({ code: "CLOSED" });
  });
});
