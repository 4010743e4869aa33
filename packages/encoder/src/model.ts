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

/** Float32 represents every integer of magnitude up to this exactly (2^24). */
export const FLOAT32_EXACT_INTEGER_LIMIT = 2 ** 24;

/**
 * Subtracted from the 0..255 grey levels: model inputs are integers in [-128, 127], so no input
 * has a magnitude above 128.
 */
export const INPUT_OFFSET = 128;

/**
 * The integer semantics of a version-2 model (the `integer` field of `zkiris-encoder.json`).
 *
 * The model is one strided, unbiased Conv2D whose weights are integers. Its input is integral
 * (grey levels rounded to 0..255 minus {@link INPUT_OFFSET}), so every product and every partial
 * sum is an integer of magnitude at most `128 * kernelAbsSum[b]`. The loader refuses a model
 * where that is not below 2^24: then float32 arithmetic (what TensorFlow.js computes in) is exact
 * whatever the summation order, and every backend returns the same integer responses as the
 * plain-integer reference ({@link referenceEncodeStrip}).
 */
export interface IntegerSemantics {
  /** Subtracted from the quantised grey levels; always {@link INPUT_OFFSET}. */
  readonly inputOffset: typeof INPUT_OFFSET;
  /**
   * Fixed-point scale of the kernel: integer tap = scale x unit-L2 float tap (rounded, see
   * {@link gaborIntegerKernel}). A positive integer; informative for a learned kernel.
   */
  readonly kernelScale: number;
  /** Sum of absolute integer taps per output channel; `128 * kernelAbsSum[b] < 2^24`. */
  readonly kernelAbsSum: readonly number[];
}

/**
 * The contract between the pipeline and an encoder model (stored as `zkiris-encoder.json`).
 *
 * The pipeline feeds the model one float32 tensor `[1, strip.radial + padding.top +
 * padding.bottom, strip.angular + padding.left + padding.right, 1]` of integers (see
 * {@link integerStrip}): the rubber-sheet strip's grey levels rounded to 0..255, unusable pixels
 * filled by integer interpolation along the angle, minus 128, padded circularly left and right
 * (angle wraps) and by edge replication top and bottom. The model is one strided, unbiased Conv2D
 * with integer weights `[kernel[0], kernel[1], 1, bitsPerCell]`, each channel summing to zero
 * ({@link IntegerSemantics}); it returns `[1, geometry.rows, geometry.cols, geometry.bitsPerCell]`
 * integer responses; code bit `(r, c, b)` is `output > 0`. Output cell `(r, c)` is centred on strip
 * pixel `(r * stride[0] + stride[0] / 2, c * stride[1] + stride[1] / 2)` and sees `kernel` pixels
 * around it: the pipeline masks a cell when less than `minUsableInWindow` of its `maskWindow` is
 * usable, and masks a bit whose absolute response is among the smallest `fragileFraction` of its
 * channel (fragile bits; see {@link responsesToCode} for the exact rule).
 */
export interface EncoderModelSpec {
  readonly format: "zkiris-encoder";
  readonly version: 2;
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
  /** Integer semantics: fixed-point scale and the float32-exactness bound. */
  readonly integer: IntegerSemantics;
}

/** Tuning knobs of {@link gaborModelSpec}. */
export interface GaborDesign {
  /** Strip height in pixels (rounded to a multiple of the rows). Default 64. */
  stripRadial?: number;
  /** Strip width in pixels (rounded to a multiple of the columns). Default 512. */
  stripAngular?: number;
  /** Wavelength of the first filter as a fraction of the strip width. Default 1/24. */
  wavelengthFraction?: number;
  /**
   * Envelope width over wavelength along the angle. Default 0.35 (a shorter envelope, so a wider frequency band, than 0.5: on both
   * real sets it lowered FNMR at FMR 1e-4 and thinned the impostor tail; 0.28 and 0.7 lost).
   */
  sigmaPerWavelength?: number;
  /**
   * Radial envelope as a fraction of the strip height. Default 1/16 (less overlap between the 16
   * rows than 1/12: independent rows, a far thinner impostor tail at the same FNMR).
   */
  radialSigmaFraction?: number;
  /** Fraction of each channel's bits masked as fragile. Default 0.1. */
  fragileFraction?: number;
  /** Usable share of a cell's mask window below which the cell is masked. Default 0.5. */
  minUsableInWindow?: number;
}

/**
 * The Gabor-bank design for a geometry: one complex filter per two bits per cell, each further
 * filter at twice the previous wavelength; strip sized to a multiple of the grid. The integer
 * kernel's scale is the largest power of two that keeps `128 * sum|K| < 2^24` in every channel
 * (recorded in `integer`). Pure: the same inputs always give the same spec.
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
      sigmaAngular: wavelength * (design.sigmaPerWavelength ?? 0.35),
      sigmaRadial: Math.max(1, radial * (design.radialSigmaFraction ?? 1 / 16)) * (1 + 0.5 * f),
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
  const kernel: [number, number] = [kh, kw];
  const { scale, absSum } = chooseKernelScale(kernel, filters);
  return {
    format: "zkiris-encoder",
    version: 2,
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
    kernel,
    maskWindow: [Math.max(sy, kh >> 1), Math.max(sx, kw >> 1)],
    minUsableInWindow: design.minUsableInWindow ?? 0.5,
    fragileFraction: design.fragileFraction ?? 0.1,
    filters,
    integer: { inputOffset: INPUT_OFFSET, kernelScale: scale, kernelAbsSum: absSum },
  };
}

/**
 * Unit-L2, zero-DC float taps of each filter, layout `[kh, kw, 1, 2 * filters]` (real, imaginary
 * per filter), in float64.
 */
function unitGaborTaps(kernel: readonly [number, number], filters: readonly GaborFilter[]): Float64Array {
  const [kh, kw] = kernel;
  const out = filters.length * 2;
  const w = new Float64Array(kh * kw * out);
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

/**
 * Float Conv2D weights `[kh, kw, 1, bitsPerCell]` of a spec's Gabor filters (real, imaginary per
 * filter; unit L2 norm, zero DC): the version-1 kernel, kept to measure what quantisation costs.
 * The shipped model runs {@link gaborIntegerKernel}.
 */
export function gaborKernel(spec: EncoderModelSpec): Float32Array {
  return Float32Array.from(unitGaborTaps(spec.kernel, spec.filters ?? []));
}

/** Rounds half away from zero, so `round(-x) === -round(x)`. */
function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/**
 * Integer taps at a fixed-point scale: each unit-L2 float tap times `scale`, rounded half away
 * from zero. The imaginary (odd) part is rounded on the right half and mirrored with its sign
 * flipped, so it is exactly antisymmetric (and sums to zero). The real (even) part's rounding
 * residue `r = sum of rounded taps` is removed by rounding the other way the `|r|` taps whose
 * scaled value lay nearest the rounding midpoint on the side of the residue (ties: lowest tap
 * index first), the smallest change to the rounded kernel that makes it sum to exactly zero.
 */
function integerGaborTaps(
  kernel: readonly [number, number],
  filters: readonly GaborFilter[],
  scale: number,
): Int32Array {
  const [kh, kw] = kernel;
  const out = filters.length * 2;
  const unit = unitGaborTaps(kernel, filters);
  const w = new Int32Array(kh * kw * out);
  const cx = kw >> 1;
  for (let fi = 0; fi < filters.length; fi++) {
    const reCh = 2 * fi;
    const imCh = 2 * fi + 1;
    // Imaginary: odd in the angular offset.
    for (let y = 0; y < kh; y++) {
      w[(y * kw + cx) * out + imCh] = 0;
      for (let dx = 1; dx <= cx; dx++) {
        const v = roundHalfAway(scale * unit[(y * kw + cx + dx) * out + imCh]!);
        w[(y * kw + cx + dx) * out + imCh] = v;
        w[(y * kw + cx - dx) * out + imCh] = -v;
      }
    }
    // Real: round, then remove the residue.
    let residue = 0;
    const error = new Float64Array(kh * kw);
    for (let k = 0; k < kh * kw; k++) {
      const exact = scale * unit[k * out + reCh]!;
      const v = roundHalfAway(exact);
      w[k * out + reCh] = v;
      error[k] = v - exact;
      residue += v;
    }
    if (residue !== 0) {
      const step = residue > 0 ? -1 : 1;
      // Taps rounded furthest in the direction of the residue first.
      const order = Array.from({ length: kh * kw }, (_, k) => k).sort(
        (a, b) => -step * (error[b]! - error[a]!) || a - b,
      );
      for (let i = 0; i < Math.abs(residue); i++) w[order[i]! * out + reCh]! += step;
    }
  }
  return w;
}

/** Sum of absolute taps per output channel of a `[kh, kw, 1, channels]` kernel. */
function absSums(kernel: ArrayLike<number>, channels: number): number[] {
  const sums = new Array<number>(channels).fill(0);
  for (let k = 0; k < kernel.length; k++) sums[k % channels]! += Math.abs(kernel[k]!);
  return sums;
}

/**
 * The fixed-point scale of a Gabor bank: the largest power of two (at most 2^17, beyond which no
 * unit-L2 kernel can meet the bound) for which the rounded kernel has `128 * sum|K| < 2^24` in
 * every channel.
 */
function chooseKernelScale(
  kernel: readonly [number, number],
  filters: readonly GaborFilter[],
): { scale: number; absSum: number[] } {
  const channels = filters.length * 2;
  for (let e = 17; e >= 0; e--) {
    const scale = 2 ** e;
    const absSum = absSums(integerGaborTaps(kernel, filters, scale), channels);
    if (absSum.every((s) => INPUT_OFFSET * s < FLOAT32_EXACT_INTEGER_LIMIT)) return { scale, absSum };
  }
  throw new EncoderError(
    "INVALID_PARAMETER",
    `Parameter 'design' gives a ${kernel.join("x")} kernel that cannot meet the float32 bound at any scale`,
    { field: "design" },
  );
}

/**
 * Integer Conv2D weights `[kh, kw, 1, bitsPerCell]` of a spec's Gabor filters at the spec's
 * `integer.kernelScale`. Each unit-L2 float tap times the scale is rounded half away from zero;
 * the imaginary (odd) part is rounded on one side and mirrored, so it is exactly antisymmetric;
 * the real (even) part's rounding residue `r` is removed by rounding the other way the `|r|` taps
 * that lay nearest the rounding midpoint (ties: lowest tap index), so it sums to exactly zero.
 * This is the shipped model's kernel. Throws `INVALID_MODEL` when the spec has no filters or the result breaks
 * the bound recorded in the spec.
 */
export function gaborIntegerKernel(spec: EncoderModelSpec): Int32Array {
  const filters = spec.filters ?? [];
  if (filters.length * 2 !== spec.geometry.bitsPerCell) {
    throw new EncoderError(
      "INVALID_MODEL",
      `Field 'filters' of ${ENCODER_SPEC_FILE} must hold bitsPerCell / 2 = ${spec.geometry.bitsPerCell / 2} Gabor filters to generate a kernel`,
      { field: "filters" },
    );
  }
  const w = integerGaborTaps(spec.kernel, filters, spec.integer.kernelScale);
  return checkIntegerKernel(spec, w, "kernel");
}

/**
 * Checks a kernel against a spec's integer contract and returns it as integers: length
 * `kh * kw * bitsPerCell`, every tap an integer, every channel summing to zero (brightness does
 * not change a response, since the strip is not standardised), `128 * sum|K| < 2^24` per channel
 * (float32 exactness) and the per-channel sums equal to the spec's `integer.kernelAbsSum`. Throws
 * `INVALID_MODEL` naming `field` (or the spec field) otherwise.
 */
export function checkIntegerKernel(
  spec: EncoderModelSpec,
  kernel: ArrayLike<number>,
  field = "weights",
): Int32Array {
  const [kh, kw] = spec.kernel;
  const p = spec.geometry.bitsPerCell;
  const bad = (why: string, f = field): never => {
    throw new EncoderError("INVALID_MODEL", `Kernel '${f}' ${why}`, { field: f });
  };
  if (kernel.length !== kh * kw * p) bad(`has ${kernel.length} taps; the spec needs ${kh}x${kw}x1x${p}`);
  const out = new Int32Array(kernel.length);
  for (let k = 0; k < kernel.length; k++) {
    const v = kernel[k]!;
    if (!Number.isInteger(v) || Math.abs(v) >= FLOAT32_EXACT_INTEGER_LIMIT) {
      bad(`tap ${k} is ${v}; taps must be integers (fixed point, see integer.kernelScale)`);
    }
    out[k] = v;
  }
  const sums = new Array<number>(p).fill(0);
  for (let k = 0; k < out.length; k++) sums[k % p]! += out[k]!;
  const abs = absSums(out, p);
  for (let b = 0; b < p; b++) {
    if (sums[b] !== 0) bad(`channel ${b} sums to ${sums[b]}; every channel must sum to zero`);
    if (INPUT_OFFSET * abs[b]! >= FLOAT32_EXACT_INTEGER_LIMIT) {
      bad(
        `channel ${b} has sum|K| = ${abs[b]}: 128 x ${abs[b]} = ${INPUT_OFFSET * abs[b]!} is not below 2^24, so float32 sums would not be exact`,
      );
    }
    if (abs[b] !== spec.integer.kernelAbsSum[b]) {
      bad(
        `channel ${b} has sum|K| = ${abs[b]} but the spec records ${spec.integer.kernelAbsSum[b]}`,
        `integer.kernelAbsSum[${b}]`,
      );
    }
  }
  return out;
}

/** Multiply-accumulates of the model per code: `rows * cols * kh * kw * bitsPerCell`. */
export function macsPerCode(spec: EncoderModelSpec): number {
  const g = spec.geometry;
  return g.rows * g.cols * spec.kernel[0] * spec.kernel[1] * g.bitsPerCell;
}

/**
 * Builds the Gabor bank of a spec as a one-layer tfjs Layers model (a strided, unbiased Conv2D)
 * with the integer kernel ({@link gaborIntegerKernel}), or with `weights` when given (the float
 * kernel, to measure quantisation).
 */
export function buildGaborModel(
  tf: typeof tfTypes,
  spec: EncoderModelSpec,
  weights: ArrayLike<number> = gaborIntegerKernel(spec),
): tfTypes.LayersModel {
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
  const kernel = tf.tensor4d(Float32Array.from(weights), [kh, kw, 1, spec.geometry.bitsPerCell]);
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
  /** The model's integer kernel `[kh, kw, 1, bitsPerCell]`, checked by {@link checkIntegerKernel}. */
  readonly kernel: Int32Array;
  predict(input: tfTypes.Tensor4D): tfTypes.Tensor4D;
  dispose(): void;
}

/**
 * Loads a model from a directory with `model.json` (tfjs Layers or Graph format), its weight
 * files and `zkiris-encoder.json`, straight from disk (no network). Throws `MODEL_NOT_FOUND`
 * when a file is missing and `INVALID_MODEL` when a file is malformed or the contract is broken:
 * a spec that is not version 2, weights other than one float32 `[kh, kw, 1, bitsPerCell]` kernel,
 * a tap that is not an integer, a channel that does not sum to zero or breaks the float32 bound
 * (`field: "weights"`), or recorded sums that are not the kernel's (`integer.kernelAbsSum[b]`).
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
  const kernel = checkIntegerKernel(spec, kernelWeights(spec, weightSpecs, weightData));
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
  return { spec, kernel, predict: run, dispose };
}

/** The one float32 kernel tensor of a weights manifest, or `INVALID_MODEL` (`field: "weights"`). */
function kernelWeights(
  spec: EncoderModelSpec,
  weightSpecs: readonly tfTypes.io.WeightsManifestEntry[],
  data: ArrayBuffer,
): Float32Array {
  const [kh, kw] = spec.kernel;
  const shape = [kh, kw, 1, spec.geometry.bitsPerCell];
  const bad = (why: string): never => {
    throw new EncoderError("INVALID_MODEL", `Model weights ${why}`, { field: "weights" });
  };
  if (weightSpecs.length !== 1)
    bad(`hold ${weightSpecs.length} tensors; an integer model is one Conv2D kernel`);
  const w = weightSpecs[0]!;
  if ((w.dtype ?? "float32") !== "float32" || w.quantization !== undefined)
    bad(`'${w.name}' must be plain float32 (dtype ${w.dtype}${w.quantization ? ", quantised" : ""})`);
  if (w.shape.length !== 4 || w.shape.some((d, i) => d !== shape[i]))
    bad(`'${w.name}' has shape [${w.shape.join(", ")}]; the spec needs [${shape.join(", ")}]`);
  if (data.byteLength !== 4 * kh * kw * spec.geometry.bitsPerCell)
    bad(
      `are ${data.byteLength} bytes; [${shape.join(", ")}] float32 is ${4 * kh * kw * spec.geometry.bitsPerCell}`,
    );
  return new Float32Array(data.slice(0));
}

function checkSpec(raw: Record<string, unknown>): EncoderModelSpec {
  const bad = (field: string, why: string): never => {
    throw new EncoderError("INVALID_MODEL", `Field '${field}' of ${ENCODER_SPEC_FILE} ${why}`, { field });
  };
  if (raw.format !== "zkiris-encoder") bad("format", 'must be "zkiris-encoder"');
  if (raw.version !== 2) bad("version", "must be 2 (integer semantics; version 1 models were float)");
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
  const integer = (raw.integer ?? {}) as Record<string, unknown>;
  if (integer.inputOffset !== INPUT_OFFSET) bad("integer.inputOffset", `must be ${INPUT_OFFSET}`);
  const kernelScale = posInt(integer.kernelScale, "integer.kernelScale");
  const absSum = integer.kernelAbsSum;
  if (!Array.isArray(absSum) || absSum.length !== geometry.bitsPerCell)
    bad("integer.kernelAbsSum", `must be an array of ${geometry.bitsPerCell} sums (one per channel)`);
  const kernelAbsSum = (absSum as unknown[]).map((v, b) => {
    const f = `integer.kernelAbsSum[${b}]`;
    const n = posInt(v, f);
    if (INPUT_OFFSET * n >= FLOAT32_EXACT_INTEGER_LIMIT)
      bad(f, `is ${n}: 128 x ${n} = ${INPUT_OFFSET * n} must be below 2^24 for exact float32 sums`);
    return n;
  });
  return {
    format: "zkiris-encoder",
    version: 2,
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
    integer: { inputOffset: INPUT_OFFSET, kernelScale, kernelAbsSum },
  };
}
