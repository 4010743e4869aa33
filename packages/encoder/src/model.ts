import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type * as tfTypes from "@tensorflow/tfjs";
import { type CodeGeometry, checkGeometry } from "@zkiris/iris-code";
import { EncoderError } from "./errors.js";

/** File name of the zkiris contract stored next to a tfjs `model.json`. */
export const ENCODER_SPEC_FILE = "zkiris-encoder.json";

/** One complex Gabor filter, in strip pixels. */
export interface GaborFilter {
  /** Wavelength along the angular axis. */
  readonly wavelength: number;
  /** Gaussian envelope standard deviation along the angular axis. */
  readonly sigmaAngular: number;
  /** Gaussian envelope standard deviation along the radial axis. */
  readonly sigmaRadial: number;
}

/**
 * The contract between the pipeline and an encoder model (stored as `zkiris-encoder.json`).
 *
 * The pipeline feeds the model one float32 tensor `[1, strip.radial + padding.top +
 * padding.bottom, strip.angular + padding.left + padding.right, 1]`: the rubber-sheet strip
 * standardised over its usable pixels (zero mean, unit variance; unusable pixels set to 0), padded
 * circularly left and right (angle wraps) and by edge replication top and bottom. The model must
 * return `[1, geometry.rows, geometry.cols, geometry.bitsPerCell]`; code bit `(r, c, b)` is
 * `output > 0`. Output cell `(r, c)` is centred on strip pixel `(r * stride[0] + stride[0] / 2,
 * c * stride[1] + stride[1] / 2)` and sees `kernel` pixels around it: the pipeline masks a cell when
 * less than `minUsableInWindow` of its `maskWindow` is usable, and masks a bit whose absolute
 * response is among the smallest `fragileFraction` of its channel (fragile bits).
 */
export interface EncoderModelSpec {
  readonly format: "zkiris-encoder";
  readonly version: 1;
  readonly name: string;
  readonly geometry: CodeGeometry;
  readonly strip: { readonly radial: number; readonly angular: number };
  readonly padding: {
    readonly top: number;
    readonly bottom: number;
    readonly left: number;
    readonly right: number;
  };
  readonly stride: readonly [number, number];
  readonly kernel: readonly [number, number];
  readonly maskWindow: readonly [number, number];
  readonly minUsableInWindow: number;
  readonly fragileFraction: number;
  /** The Gabor filters the shipped model was generated from (informative; a learned model may omit them). */
  readonly filters?: readonly GaborFilter[];
}

/** Tuning knobs of {@link gaborModelSpec}. */
export interface GaborDesign {
  /** Strip height in pixels (rounded to a multiple of the rows). Default 64. */
  stripRadial?: number;
  /** Strip width in pixels (rounded to a multiple of the columns). Default 512. */
  stripAngular?: number;
  /** Wavelength of the first filter as a fraction of the strip width. Default 1/24. */
  wavelengthFraction?: number;
  /** Envelope width over wavelength along the angle. Default 0.5. */
  sigmaPerWavelength?: number;
  /** Radial envelope as a fraction of the strip height. Default 1/12. */
  radialSigmaFraction?: number;
  /** Fraction of each channel's bits masked as fragile. Default 0.1. */
  fragileFraction?: number;
  /** Usable share of a cell's mask window below which the cell is masked. Default 0.5. */
  minUsableInWindow?: number;
}

/**
 * The Gabor-bank design for a geometry: one complex filter per two bits per cell, each further
 * filter at twice the previous wavelength; strip sized to a multiple of the grid. Pure: the same
 * inputs always give the same spec.
 */
export function gaborModelSpec(geometry: CodeGeometry, design: GaborDesign = {}): EncoderModelSpec {
  const g = checkGeometry(geometry);
  if (g.bitsPerCell % 2 !== 0) {
    throw new EncoderError(
      "INVALID_PARAMETER",
      `Parameter 'geometry.bitsPerCell' must be even for a complex Gabor bank, received ${g.bitsPerCell}`,
      {
        field: "geometry.bitsPerCell",
      },
    );
  }
  const sy = Math.max(1, Math.round((design.stripRadial ?? 64) / g.rows));
  const sx = Math.max(1, Math.round((design.stripAngular ?? 512) / g.cols));
  const radial = sy * g.rows;
  const angular = sx * g.cols;
  const filters: GaborFilter[] = [];
  const baseWave = angular * (design.wavelengthFraction ?? 1 / 24);
  for (let f = 0; f < g.bitsPerCell / 2; f++) {
    const wavelength = baseWave * 2 ** f;
    filters.push({
      wavelength,
      sigmaAngular: wavelength * (design.sigmaPerWavelength ?? 0.5),
      sigmaRadial: Math.max(1, radial * (design.radialSigmaFraction ?? 1 / 12)) * (1 + 0.5 * f),
    });
  }
  let kh = 1;
  let kw = 1;
  for (const f of filters) {
    kh = Math.max(kh, 2 * Math.ceil(2 * f.sigmaRadial) + 1);
    kw = Math.max(kw, 2 * Math.ceil(2.5 * f.sigmaAngular) + 1);
  }
  kh = Math.max(Math.min(kh, 2 * radial + 1), 2 * (sy >> 1) + 1);
  kw = Math.max(Math.min(kw, 2 * Math.floor(angular / 2) + 1), 2 * (sx >> 1) + 1);
  const top = (kh >> 1) - (sy >> 1);
  const left = (kw >> 1) - (sx >> 1);
  return {
    format: "zkiris-encoder",
    version: 1,
    name: `gabor-${g.rows}x${g.cols}x${g.bitsPerCell}`,
    geometry: g,
    strip: { radial, angular },
    padding: {
      top,
      bottom: (g.rows - 1) * sy + kh - radial - top,
      left,
      right: (g.cols - 1) * sx + kw - angular - left,
    },
    stride: [sy, sx],
    kernel: [kh, kw],
    maskWindow: [Math.max(sy, kh >> 1), Math.max(sx, kw >> 1)],
    minUsableInWindow: design.minUsableInWindow ?? 0.5,
    fragileFraction: design.fragileFraction ?? 0.1,
    filters,
  };
}

/** Conv2D weights `[kh, kw, 1, bitsPerCell]` of a spec's Gabor filters (real, imaginary per filter). */
export function gaborKernel(spec: EncoderModelSpec): Float32Array {
  const [kh, kw] = spec.kernel;
  const filters = spec.filters ?? [];
  const out = filters.length * 2;
  const w = new Float32Array(kh * kw * out);
  filters.forEach((f, fi) => {
    const re = new Float64Array(kh * kw);
    const im = new Float64Array(kh * kw);
    const env = new Float64Array(kh * kw);
    let envSum = 0;
    let reSum = 0;
    for (let y = 0; y < kh; y++) {
      for (let x = 0; x < kw; x++) {
        const dy = y - (kh >> 1);
        const dx = x - (kw >> 1);
        const e = Math.exp(-(dx * dx) / (2 * f.sigmaAngular ** 2) - (dy * dy) / (2 * f.sigmaRadial ** 2));
        const k = y * kw + x;
        env[k] = e;
        re[k] = e * Math.cos((2 * Math.PI * dx) / f.wavelength);
        im[k] = e * Math.sin((2 * Math.PI * dx) / f.wavelength);
        envSum += e;
        reSum += re[k]!;
      }
    }
    // Zero DC: the even (cosine) part must not respond to brightness.
    let nr = 0;
    let ni = 0;
    for (let k = 0; k < kh * kw; k++) {
      re[k]! -= (env[k]! * reSum) / envSum;
      nr += re[k]! ** 2;
      ni += im[k]! ** 2;
    }
    nr = Math.sqrt(nr);
    ni = Math.sqrt(ni);
    for (let k = 0; k < kh * kw; k++) {
      w[k * out + 2 * fi] = re[k]! / nr;
      w[k * out + 2 * fi + 1] = im[k]! / ni;
    }
  });
  return w;
}

/** Builds the Gabor bank of a spec as a one-layer tfjs Layers model (a strided, unbiased Conv2D). */
export function buildGaborModel(tf: typeof tfTypes, spec: EncoderModelSpec): tfTypes.LayersModel {
  const [kh, kw] = spec.kernel;
  const inputShape = [
    spec.strip.radial + spec.padding.top + spec.padding.bottom,
    spec.strip.angular + spec.padding.left + spec.padding.right,
    1,
  ];
  const model = tf.sequential({ name: spec.name });
  model.add(
    tf.layers.conv2d({
      inputShape,
      filters: spec.geometry.bitsPerCell,
      kernelSize: [kh, kw],
      strides: [spec.stride[0], spec.stride[1]],
      padding: "valid",
      useBias: false,
      name: "gabor_bank",
    }),
  );
  const kernel = tf.tensor4d(gaborKernel(spec), [kh, kw, 1, spec.geometry.bitsPerCell]);
  model.layers[0]!.setWeights([kernel]);
  kernel.dispose();
  return model;
}

/** Writes a model in the tfjs format (`model.json` + `weights.bin`) plus its `zkiris-encoder.json`. */
export async function saveEncoderModel(
  tf: typeof tfTypes,
  model: tfTypes.LayersModel,
  spec: EncoderModelSpec,
  dir: string,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      const buffers = data === undefined ? [] : Array.isArray(data) ? data : [data];
      const bytes = Buffer.concat(buffers.map((b) => Buffer.from(b)));
      await writeFile(path.join(dir, "weights.bin"), bytes);
      const modelJson = {
        format: "layers-model",
        generatedBy: "@zkiris/encoder scripts/make-model.ts",
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs }],
      };
      await writeFile(path.join(dir, "model.json"), `${JSON.stringify(modelJson)}\n`);
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: "JSON" } };
    }),
  );
  await writeFile(path.join(dir, ENCODER_SPEC_FILE), `${JSON.stringify(spec, null, 2)}\n`);
}

/** A loaded encoder model: a tfjs Layers or Graph model and its contract. */
export interface LoadedEncoderModel {
  readonly spec: EncoderModelSpec;
  predict(input: tfTypes.Tensor4D): tfTypes.Tensor4D;
  dispose(): void;
}

/**
 * Loads a model from a directory with `model.json` (tfjs Layers or Graph format), its weight
 * files and `zkiris-encoder.json`, straight from disk (no network). Throws `MODEL_NOT_FOUND`
 * when a file is missing and `INVALID_MODEL` when a file is malformed or the contract is broken.
 */
export async function loadEncoderModel(tf: typeof tfTypes, dir: string): Promise<LoadedEncoderModel> {
  const read = async (name: string): Promise<Buffer> => {
    try {
      return await readFile(path.join(dir, name));
    } catch (cause) {
      throw new EncoderError("MODEL_NOT_FOUND", `Model file '${path.join(dir, name)}' cannot be read`, {
        field: "modelDir",
        cause,
      });
    }
  };
  const parse = (name: string, bytes: Buffer): Record<string, unknown> => {
    try {
      return JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;
    } catch (cause) {
      throw new EncoderError("INVALID_MODEL", `Model file '${name}' is not valid JSON`, {
        field: "modelDir",
        cause,
      });
    }
  };
  const spec = checkSpec(parse(ENCODER_SPEC_FILE, await read(ENCODER_SPEC_FILE)));
  const modelJson = parse("model.json", await read("model.json"));
  const manifest = modelJson.weightsManifest as
    | { paths: string[]; weights: tfTypes.io.WeightsManifestEntry[] }[]
    | undefined;
  if (!Array.isArray(manifest)) {
    throw new EncoderError("INVALID_MODEL", "Model file 'model.json' has no weightsManifest", {
      field: "modelDir",
    });
  }
  const weightSpecs: tfTypes.io.WeightsManifestEntry[] = [];
  const chunks: Buffer[] = [];
  for (const group of manifest) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) chunks.push(await read(p));
  }
  const all = Buffer.concat(chunks);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  const handler = tf.io.fromMemory({
    modelTopology: modelJson.modelTopology as object,
    weightSpecs,
    weightData,
  });
  let run: (x: tfTypes.Tensor4D) => tfTypes.Tensor4D;
  let dispose: () => void;
  try {
    if (modelJson.format === "graph-model") {
      const graph = await tf.loadGraphModel(handler);
      run = (x) => graph.predict(x) as tfTypes.Tensor4D;
      dispose = () => graph.dispose();
    } else {
      const layers = await tf.loadLayersModel(handler);
      run = (x) => layers.predict(x) as tfTypes.Tensor4D;
      dispose = () => layers.dispose();
    }
  } catch (cause) {
    throw new EncoderError(
      "INVALID_MODEL",
      `Model in '${dir}' cannot be loaded: ${(cause as Error).message}`,
      {
        field: "modelDir",
        cause,
      },
    );
  }
  return { spec, predict: run, dispose };
}

function checkSpec(raw: Record<string, unknown>): EncoderModelSpec {
  const bad = (field: string, why: string): never => {
    throw new EncoderError("INVALID_MODEL", `Field '${field}' of ${ENCODER_SPEC_FILE} ${why}`, { field });
  };
  if (raw.format !== "zkiris-encoder") bad("format", 'must be "zkiris-encoder"');
  if (raw.version !== 1) bad("version", "must be 1");
  const geometry = checkGeometry(raw.geometry, "geometry");
  const posInt = (v: unknown, f: string): number =>
    typeof v === "number" && Number.isInteger(v) && v > 0 ? v : bad(f, "must be a positive integer");
  const nonNegInt = (v: unknown, f: string): number =>
    typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : bad(f, "must be a non-negative integer");
  const strip = (raw.strip ?? {}) as Record<string, unknown>;
  const pad = (raw.padding ?? {}) as Record<string, unknown>;
  const pair = (v: unknown, f: string): [number, number] =>
    Array.isArray(v) && v.length === 2
      ? [posInt(v[0], `${f}[0]`), posInt(v[1], `${f}[1]`)]
      : bad(f, "must be a pair");
  const fraction = (v: unknown, f: string): number =>
    typeof v === "number" && v >= 0 && v < 1 ? v : bad(f, "must be a number in [0, 1)");
  return {
    format: "zkiris-encoder",
    version: 1,
    name: typeof raw.name === "string" ? raw.name : "unnamed",
    geometry,
    strip: { radial: posInt(strip.radial, "strip.radial"), angular: posInt(strip.angular, "strip.angular") },
    padding: {
      top: nonNegInt(pad.top, "padding.top"),
      bottom: nonNegInt(pad.bottom, "padding.bottom"),
      left: nonNegInt(pad.left, "padding.left"),
      right: nonNegInt(pad.right, "padding.right"),
    },
    stride: pair(raw.stride, "stride"),
    kernel: pair(raw.kernel, "kernel"),
    maskWindow: pair(raw.maskWindow, "maskWindow"),
    minUsableInWindow: fraction(raw.minUsableInWindow, "minUsableInWindow"),
    fragileFraction: fraction(raw.fragileFraction, "fragileFraction"),
    ...(Array.isArray(raw.filters) ? { filters: raw.filters as GaborFilter[] } : {}),
  };
}
