import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type * as tfTypes from "@tensorflow/tfjs";
import { DEFAULT_PROFILE, type IrisCode } from "@zkiris/iris-code";
import { renderCapture } from "@zkiris/mock-capture";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cellMask,
  defaultModelDir,
  type EncoderModelSpec,
  FLOAT32_EXACT_INTEGER_LIMIT,
  fragileCount,
  type GaborDesign,
  gaborIntegerKernel,
  gaborKernel,
  gaborModelSpec,
  INPUT_OFFSET,
  IrisEncoder,
  integerModelInput,
  integerStrip,
  type LoadedEncoderModel,
  loadEncoderModel,
  loadTensorflow,
  macsPerCode,
  type NormalisedIris,
  prepareIris,
  quantiseGrey,
  referenceEncodeStrip,
  referenceResponses,
  resolvePipelineConfig,
  responsesToCode,
  stripFor,
} from "../src/index.js";
import { drawEye } from "./helpers.js";

const DESIGNS: GaborDesign[] = [
  {},
  { wavelengthFraction: 1 / 16 },
  { wavelengthFraction: 1 / 32, sigmaPerWavelength: 0.8 },
  { radialSigmaFraction: 1 / 6, fragileFraction: 0.2 },
  { stripRadial: 128, stripAngular: 1024 },
];

let tf: typeof tfTypes;
let model: LoadedEncoderModel;
const spec = gaborModelSpec(DEFAULT_PROFILE.geometry);
const config = resolvePipelineConfig();

beforeAll(async () => {
  tf = (await loadTensorflow("wasm")).tf;
  model = await loadEncoderModel(tf, defaultModelDir());
});
afterAll(() => model.dispose());

/** The shipped model's raw outputs on one backend. */
async function tfjsResponses(backend: "wasm" | "cpu", strip: NormalisedIris): Promise<Float32Array> {
  await tf.setBackend(backend);
  const { data, height, width } = integerModelInput(spec, strip);
  const out = tf.tidy(() => model.predict(tf.tensor4d(Float32Array.from(data), [1, height, width, 1])));
  try {
    return (await out.data()) as Float32Array;
  } finally {
    out.dispose();
  }
}

function sameCode(a: IrisCode, b: IrisCode): boolean {
  for (let i = 0; i < a.size; i++) if (a.bitAt(i) !== b.bitAt(i) || a.maskAt(i) !== b.maskAt(i)) return false;
  return true;
}

/** Checks both backends against the integer reference: identical responses, bits and mask. */
async function expectBitIdentical(strip: NormalisedIris): Promise<void> {
  const reference = referenceResponses(spec, model.kernel, strip);
  const expected = referenceEncodeStrip(spec, model.kernel, strip);
  const cells = cellMask(spec, strip);
  for (const backend of ["wasm", "cpu"] as const) {
    const got = await tfjsResponses(backend, strip);
    expect(got.length).toBe(reference.length);
    let differing = 0;
    for (let k = 0; k < got.length; k++) if (got[k] !== reference[k]) differing++;
    expect(differing).toBe(0);
    expect(sameCode(responsesToCode(spec, got, cells), expected)).toBe(true);
  }
}

function stripOf(frame: { width: number; height: number; data: Uint8Array }): NormalisedIris {
  return stripFor(prepareIris(frame, config), spec, config);
}

describe("integer kernel", () => {
  it.each(DESIGNS)("is integer, zero-sum, antisymmetric and within the float32 bound for %j", (design) => {
    const s = gaborModelSpec(DEFAULT_PROFILE.geometry, design);
    const k = gaborIntegerKernel(s);
    const f = gaborKernel(s);
    const [kh, kw] = s.kernel;
    const p = s.geometry.bitsPerCell;
    const scale = s.integer.kernelScale;
    expect(Math.log2(scale) % 1).toBe(0);
    const sums = [0, 0];
    const abs = [0, 0];
    const absAtDouble = [0, 0];
    let worst = 0;
    for (let i = 0; i < k.length; i++) {
      expect(Number.isInteger(k[i])).toBe(true);
      sums[i % p]! += k[i]!;
      abs[i % p]! += Math.abs(k[i]!);
      absAtDouble[i % p]! += Math.abs(Math.round(2 * scale * f[i]!));
      worst = Math.max(worst, Math.abs(k[i]! - scale * f[i]!));
    }
    expect(sums).toEqual([0, 0]);
    expect(abs).toEqual(s.integer.kernelAbsSum);
    for (const a of abs) expect(INPUT_OFFSET * a).toBeLessThan(FLOAT32_EXACT_INTEGER_LIMIT);
    // The scale is the largest power of two within the bound: twice it breaks the bound.
    expect(Math.max(...absAtDouble) * INPUT_OFFSET).toBeGreaterThanOrEqual(FLOAT32_EXACT_INTEGER_LIMIT);
    // Rounding moves a tap by at most 1/2; the zero-sum correction by at most 1 in all.
    expect(worst).toBeLessThanOrEqual(1);
    for (let y = 0; y < kh; y++) {
      for (let x = 0; x < kw; x++) {
        expect(k[(y * kw + x) * p + 1]! + k[(y * kw + (kw - 1 - x)) * p + 1]!).toBe(0);
        // The even part is symmetric up to the residue correction (at most 1).
        const mirrored = k[((kh - 1 - y) * kw + (kw - 1 - x)) * p]!;
        expect(Math.abs(k[(y * kw + x) * p]! - mirrored)).toBeLessThanOrEqual(1);
      }
    }
  });

  it("records the shipped scale, bound and multiply-accumulate count", () => {
    expect(spec.kernel).toEqual([17, 43]);
    expect(spec.integer).toEqual({ inputOffset: 128, kernelScale: 4096, kernelAbsSum: [73894, 72086] });
    expect(macsPerCode(spec)).toBe(16 * 112 * 17 * 43 * 2);
    expect(macsPerCode(spec)).toBe(2_619_904);
    expect(Array.from(model.kernel)).toEqual(Array.from(gaborIntegerKernel(spec)));
  });
});

describe("integer strip", () => {
  const tiny: EncoderModelSpec = {
    ...spec,
    strip: { radial: 3, angular: 8 },
  };
  const strip = (values: number[], mask: number[]): NormalisedIris => ({
    radial: 3,
    angular: 8,
    strip: Float32Array.from(values),
    mask: Uint8Array.from(mask),
  });

  it("quantises grey levels by one rule: round half up, clamped to 0..255", () => {
    expect([0.49, 0.5, 1.5, 2.5, 254.49, 254.5, 255, 300, -0.5, -7, Number.NaN].map(quantiseGrey)).toEqual([
      0, 1, 2, 3, 254, 255, 255, 255, 0, 0, 0,
    ]);
  });

  it("fills gaps by integer interpolation along the angle and empty rows by the rounded mean", () => {
    // Row 0: usable at x = 1 (10.4 -> 10) and x = 5 (20.5 -> 21), gaps of 4 both ways round.
    // Row 1: one usable pixel (100), so the row is constant. Row 2: nothing usable.
    const values = [0, 10.4, 0, 0, 0, 20.5, 0, 0, 9, 9, 9, 100, 9, 9, 9, 9, 0, 0, 0, 0, 0, 0, 0, 0];
    const mask = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const z = Array.from(integerStrip(tiny, strip(values, mask)), (v) => v + 128);
    // From 10 to 21 over 4: floor((10*(4-k) + 21*k + 2) / 4) = 10, 13, 16, 18; back from 21 to 10.
    expect(z.slice(0, 8)).toEqual([13, 10, 13, 16, 18, 21, 18, 16]);
    expect(z.slice(8, 16)).toEqual([100, 100, 100, 100, 100, 100, 100, 100]);
    // Mean of 10, 21, 100 = 43.67, rounded half up to 44.
    expect(z.slice(16)).toEqual([44, 44, 44, 44, 44, 44, 44, 44]);
    // No usable pixel at all: 128, i.e. 0 after centring.
    expect(Array.from(integerStrip(tiny, strip(values, new Array(24).fill(0))))).toEqual(
      new Array(24).fill(0),
    );
  });

  it("refuses a strip of the wrong size with INVALID_PARAMETER", () => {
    expect(() => integerStrip(spec, strip(new Array(24).fill(0), new Array(24).fill(1)))).toThrow(
      expect.objectContaining({ code: "INVALID_PARAMETER", field: "strip" }),
    );
  });

  it("gives identical responses when every usable grey level moves by the same integer", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: -60, max: 60 }), (seed, offset) => {
        const s = randomStrip(seed, { lo: 60, hi: 195, integral: true });
        const moved = { ...s, strip: s.strip.map((v) => v + offset) };
        expect(Array.from(referenceResponses(spec, model.kernel, moved))).toEqual(
          Array.from(referenceResponses(spec, model.kernel, s)),
        );
      }),
      { numRuns: 6 },
    );
  });
});

describe("fragile bits", () => {
  it("masks floor(n * fraction) in exact arithmetic, keeping every tie at the cut-off", () => {
    expect(fragileCount(0.1, 3584)).toBe(358);
    expect(fragileCount(0.29, 100)).toBe(29); // 0.29 * 100 is 28.999999999999996 in doubles
    expect(fragileCount(0, 50)).toBe(0);
    const g = { rows: 1, cols: 10, bitsPerCell: 2 };
    const s: EncoderModelSpec = { ...spec, geometry: g, fragileFraction: 0.3 };
    // Channel 0 magnitudes 5 1 3 3 3 0 7 -3 9 2: cut-off at rank floor(10 * 0.3) = 3 of
    // [0 1 2 3 3 3 3 5 7 9] is 3, so 0, 1 and 2 are masked and all four 3s kept.
    const r0 = [5, 1, 3, 3, 3, 0, 7, -3, 9, 2];
    const responses = new Int32Array(20);
    r0.forEach((v, i) => {
      responses[2 * i] = v;
      responses[2 * i + 1] = i - 4;
    });
    const code = responsesToCode(s, responses, new Uint8Array(10).fill(1));
    expect(Array.from({ length: 10 }, (_, i) => code.maskAt(2 * i))).toEqual([1, 0, 1, 1, 1, 0, 1, 1, 1, 0]);
    expect(Array.from({ length: 10 }, (_, i) => code.bitAt(2 * i))).toEqual([1, 1, 1, 1, 1, 0, 1, 0, 1, 1]);
    // Channel 1 magnitudes 4 3 2 1 0 1 2 3 4 5: cut-off 2, so 1, 0, 1 masked.
    expect(Array.from({ length: 10 }, (_, i) => code.maskAt(2 * i + 1))).toEqual([
      1, 1, 1, 0, 0, 0, 1, 1, 1, 1,
    ]);
  });
});

/** A random strip from a seed: smooth texture, noise, a random mask with empty rows and runs. */
function randomStrip(
  seed: number,
  opts: { lo?: number; hi?: number; integral?: boolean; usable?: number; emptyRows?: number } = {},
): NormalisedIris {
  const { radial: H, angular: W } = spec.strip;
  let s = seed >>> 0 || 1;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const lo = opts.lo ?? -20;
  const hi = opts.hi ?? 280;
  const phases = Array.from({ length: 8 }, () => rand() * 2 * Math.PI);
  const strip = new Float32Array(H * W);
  const mask = new Uint8Array(H * W);
  const usable = opts.usable ?? rand();
  const empty = new Set(
    Array.from({ length: opts.emptyRows ?? Math.floor(rand() * 6) }, () => Math.floor(rand() * H)),
  );
  for (let y = 0; y < H; y++) {
    let run = 0;
    let on = rand() < usable;
    for (let x = 0; x < W; x++) {
      if (run-- <= 0) {
        on = rand() < usable;
        run = Math.floor(rand() * 40);
      }
      let v = 0.5;
      for (let k = 0; k < 4; k++)
        v += 0.12 * Math.sin(((k + 3) * x * 2 * Math.PI) / W + (k + 1) * 0.3 * y + phases[k]!);
      v += 0.25 * (rand() - 0.5);
      const g = lo + (hi - lo) * Math.min(1, Math.max(0, v));
      strip[y * W + x] = opts.integral ? Math.round(g) : g;
      mask[y * W + x] = on && !empty.has(y) ? 1 : 0;
    }
  }
  return { radial: H, angular: W, strip, mask };
}

/** A strip driving one cell to the largest response the bound allows: grey 255 where the kernel is positive, 0 where negative. */
function adversarialStrip(channel: number, sign: 1 | -1): NormalisedIris {
  const { radial: H, angular: W } = spec.strip;
  const [kh, kw] = spec.kernel;
  const p = spec.geometry.bitsPerCell;
  const strip = new Float32Array(H * W).fill(128);
  // Cell (8, 50) reads padded rows 32..54 and columns 250..310, i.e. strip rows 23..45, columns 222..282.
  const y0 = 8 * spec.stride[0] - spec.padding.top;
  const x0 = 50 * spec.stride[1] - spec.padding.left;
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      const t = sign * model.kernel[(y * kw + x) * p + channel]!;
      strip[(y0 + y) * W + x0 + x] = t > 0 ? 255 : t < 0 ? 0 : 128;
    }
  }
  return { radial: H, angular: W, strip, mask: new Uint8Array(H * W).fill(1) };
}

describe("bit-identical codes on every backend", () => {
  it("wasm and cpu equal the integer reference on mock captures", async () => {
    for (const [subject, capture] of [
      ["vector-subject", "vector-capture"],
      ["sep-a", "1"],
      ["sep-b", "1"],
      ["int-c", "2"],
    ] as const) {
      const c = renderCapture(subject, capture);
      await expectBitIdentical(stripOf({ width: c.width, height: c.height, data: c.pixels }));
    }
  });

  it("wasm and cpu equal the integer reference on crafted eyes", async () => {
    for (const eye of [
      drawEye({}),
      drawEye({ seed: 7 }),
      drawEye({ seed: 3, pupilDx: 6, pupilAspect: 1.2 }),
      drawEye({ seed: 11, irisR: 80, pupilR: 30 }),
    ]) {
      await expectBitIdentical(stripOf(eye));
    }
  });

  it("wasm and cpu equal the integer reference on random strips", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 }), async (seed) => {
        await expectBitIdentical(randomStrip(seed));
      }),
      { numRuns: 12 },
    );
  });

  it("stays exact at the largest responses the bound allows", async () => {
    const { rows, cols, bitsPerCell: p } = spec.geometry;
    for (const channel of [0, 1]) {
      for (const sign of [1, -1] as const) {
        const strip = adversarialStrip(channel, sign);
        const r = referenceResponses(spec, model.kernel, strip);
        const v = r[(8 * cols + 50) * p + channel]!;
        // 127 x the positive taps + 128 x the negative ones (or the mirror): above 2^23.
        expect(Math.abs(v)).toBeGreaterThan(2 ** 23);
        expect(Math.abs(v)).toBeLessThan(FLOAT32_EXACT_INTEGER_LIMIT);
        expect(Math.sign(v)).toBe(sign);
        expect(r.length).toBe(rows * cols * p);
        await expectBitIdentical(strip);
      }
    }
  });

  it("IrisEncoder codes equal the reference for the encoder's own kernel", async () => {
    for (const backend of ["wasm", "cpu"] as const) {
      const encoder = await IrisEncoder.create({ backend });
      try {
        const strip = stripOf(drawEye({ seed: 5 }));
        const code = await encoder.encodeStrip(strip);
        expect(sameCode(code, referenceEncodeStrip(encoder.spec, encoder.kernel, strip))).toBe(true);
      } finally {
        encoder.close();
      }
    }
    await tf.setBackend("wasm");
  });
});

describe("model refusals", () => {
  const withModel = async (
    edit: (dir: string, spec: Record<string, unknown>, weights: Float32Array) => void,
  ): Promise<unknown> => {
    const dir = mkdtempSync(path.join(tmpdir(), "zkiris-int-model-"));
    try {
      cpSync(defaultModelDir(), dir, { recursive: true });
      const s = JSON.parse(readFileSync(path.join(dir, "zkiris-encoder.json"), "utf8"));
      const bytes = readFileSync(path.join(dir, "weights.bin"));
      const w = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      edit(dir, s, w);
      return await loadEncoderModel(tf, dir).then(
        (m) => {
          m.dispose();
          return "loaded";
        },
        (e: unknown) => e,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const writeWeights = (dir: string, w: Float32Array) =>
    writeFileSync(path.join(dir, "weights.bin"), Buffer.from(w.buffer, w.byteOffset, w.byteLength));
  const writeSpec = (dir: string, s: Record<string, unknown>) =>
    writeFileSync(path.join(dir, "zkiris-encoder.json"), JSON.stringify(s));

  it("loads the shipped model unchanged", async () => {
    expect(await withModel(() => {})).toBe("loaded");
  });

  it("refuses a kernel tap that is not an integer", async () => {
    const e = await withModel((dir, _s, w) => {
      w[100] = w[100]! + 0.5;
      writeWeights(dir, w);
    });
    expect(e).toMatchObject({ code: "INVALID_MODEL", field: "weights" });
    expect((e as Error).message).toContain("tap 100 is");
  });

  it("refuses a kernel that breaks the float32 bound, even when its sums are recorded honestly", async () => {
    const doubled = (dir: string, w: Float32Array) =>
      writeWeights(
        dir,
        w.map((v) => 2 * v),
      );
    const e = await withModel((dir, _s, w) => doubled(dir, w));
    expect(e).toMatchObject({ code: "INVALID_MODEL", field: "weights" });
    expect((e as Error).message).toBe(
      "Kernel 'weights' channel 0 has sum|K| = 147788: 128 x 147788 = 18916864 is not below 2^24, so float32 sums would not be exact",
    );
    const honest = await withModel((dir, s, w) => {
      doubled(dir, w);
      writeSpec(dir, { ...s, integer: { ...(s.integer as object), kernelAbsSum: [147788, 144172] } });
    });
    expect(honest).toMatchObject({ code: "INVALID_MODEL", field: "integer.kernelAbsSum[0]" });
    expect((honest as Error).message).toBe(
      "Field 'integer.kernelAbsSum[0]' of zkiris-encoder.json is 147788: 128 x 147788 = 18916864 must be below 2^24 for exact float32 sums",
    );
  });

  it("refuses a channel with a DC response and sums that are not the kernel's", async () => {
    const dc = await withModel((dir, _s, w) => {
      w[0] = w[0]! + 1;
      writeWeights(dir, w);
    });
    expect(dc).toMatchObject({ code: "INVALID_MODEL", field: "weights" });
    expect((dc as Error).message).toBe(
      "Kernel 'weights' channel 0 sums to 1; every channel must sum to zero",
    );
    const wrong = await withModel((dir, s) =>
      writeSpec(dir, { ...s, integer: { ...(s.integer as object), kernelAbsSum: [73894, 72087] } }),
    );
    expect(wrong).toMatchObject({ code: "INVALID_MODEL", field: "integer.kernelAbsSum[1]" });
  });

  it("refuses a version-1 (float) spec and malformed integer fields", async () => {
    for (const [patch, field] of [
      [{ version: 1 }, "version"],
      [{ integer: undefined }, "integer.inputOffset"],
      [
        { integer: { inputOffset: 0, kernelScale: 4096, kernelAbsSum: [73894, 72086] } },
        "integer.inputOffset",
      ],
      [
        { integer: { inputOffset: 128, kernelScale: 0.5, kernelAbsSum: [73894, 72086] } },
        "integer.kernelScale",
      ],
      [{ integer: { inputOffset: 128, kernelScale: 4096, kernelAbsSum: [73894] } }, "integer.kernelAbsSum"],
    ] as const) {
      const e = await withModel((dir, s) => writeSpec(dir, { ...s, ...patch }));
      expect(e).toMatchObject({ code: "INVALID_MODEL", field });
    }
  });

  it("refuses weights of the wrong shape or type", async () => {
    const e = await withModel((dir) => {
      const m = JSON.parse(readFileSync(path.join(dir, "model.json"), "utf8"));
      m.weightsManifest[0].weights[0].dtype = "int32";
      writeFileSync(path.join(dir, "model.json"), JSON.stringify(m));
    });
    expect(e).toMatchObject({ code: "INVALID_MODEL", field: "weights" });
  });

  it("refuses to encode with a model whose outputs are not the integer responses", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "zkiris-int-model-"));
    try {
      cpSync(defaultModelDir(), dir, { recursive: true });
      const m = JSON.parse(readFileSync(path.join(dir, "model.json"), "utf8"));
      m.modelTopology.config.layers[0].config.activation = "selu";
      writeFileSync(path.join(dir, "model.json"), JSON.stringify(m));
      const encoder = await IrisEncoder.create({ modelDir: dir, backend: "wasm" });
      try {
        await expect(encoder.encode(drawEye({}))).rejects.toMatchObject({
          code: "INVALID_MODEL",
          field: "modelDir",
          message: expect.stringContaining("is not an integer response within 128 x sum|K|"),
        });
      } finally {
        encoder.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the reference refuses a kernel that is not integer or breaks the bound", () => {
    const strip = randomStrip(1);
    const half = Float64Array.from(model.kernel, (v) => v + 0.25);
    expect(() => referenceEncodeStrip(spec, half, strip)).toThrow(
      expect.objectContaining({ code: "INVALID_MODEL", field: "kernel" }),
    );
    const big = Int32Array.from(model.kernel, (v) => 2 * v);
    expect(() => referenceEncodeStrip(spec, big, strip)).toThrow(
      expect.objectContaining({ code: "INVALID_MODEL", field: "kernel" }),
    );
    expect(() => referenceEncodeStrip(spec, model.kernel.subarray(1), strip)).toThrow(
      expect.objectContaining({ code: "INVALID_MODEL", field: "kernel" }),
    );
  });
});
