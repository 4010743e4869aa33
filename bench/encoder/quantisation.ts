/**
 * What integer-exact encoding costs: every image of each real set is segmented once, then its
 * strip is encoded twice in the same process, by the version-1 float pipeline (strip
 * standardised over usable pixels, float unit-norm Gabor kernel) and by the integer pipeline
 * (grey levels rounded to 0..255, integer interpolation, centred, fixed-point kernel). Prints per
 * set, for both: FTE, d', EER, FNMR at FMR 1e-4 and the impostor pairs at or under the
 * verification (0.32) and deduplication (0.34) thresholds of DEFAULT_PROFILE; how far the two
 * codes of an image differ; how many integer codes differ between TensorFlow.js and the plain
 * integer reference (must be 0); and the multiply-accumulates per code. Run:
 *   npx tsx --conditions=zkiris-source bench/encoder/quantisation.ts [DIR...] [--backend wasm|cpu]
 *       [--design '{"wavelengthFraction":0.05}'] [--limit N] [--json out.json]
 * DIRs (a folder per eye) default to every set under ../shared/datasets, read in place.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type * as tfTypes from "@tensorflow/tfjs";
import {
  type AccuracyReport,
  buildGaborModel,
  cellMask,
  computeAccuracy,
  evaluateThresholds,
  type GaborDesign,
  gaborIntegerKernel,
  gaborKernel,
  gaborModelSpec,
  listDataset,
  loadTensorflow,
  macsPerCode,
  modelInput,
  pairDistances,
  prepareIris,
  QualityGateError,
  referenceResponses,
  resolvePipelineConfig,
  responsesToCode,
  standardisedModelInput,
  stripFor,
} from "@zkiris/encoder";
import { DEFAULT_PROFILE, formatGeometry, type IrisCode } from "@zkiris/iris-code";
import { datasetArgs } from "./datasets.js";

const { flag, dirs } = datasetArgs(["--backend", "--design", "--limit", "--json"]);
const design: GaborDesign = JSON.parse(flag("--design") ?? "{}");
const limit = Number(flag("--limit") ?? Number.POSITIVE_INFINITY);
const profile = DEFAULT_PROFILE;
const config = resolvePipelineConfig();
const spec = gaborModelSpec(profile.geometry, design);
const intKernel = gaborIntegerKernel(spec);
const { tf, backend } = await loadTensorflow((flag("--backend") as "wasm" | "cpu" | undefined) ?? "wasm");
const floatModel = buildGaborModel(tf, spec, gaborKernel(spec));
const intModel = buildGaborModel(tf, spec, intKernel);
const run = (model: tfTypes.LayersModel, input: { data: Float32Array; height: number; width: number }) => {
  const out = tf.tidy(
    () => model.predict(tf.tensor4d(input.data, [1, input.height, input.width, 1])) as tfTypes.Tensor,
  );
  const r = out.dataSync() as Float32Array;
  out.dispose();
  return r;
};

console.log(
  `geometry ${formatGeometry(spec.geometry)}, kernel ${spec.kernel.join("x")}, stride ${spec.stride.join("x")}, ` +
    `scale ${spec.integer.kernelScale}, sum|K| ${spec.integer.kernelAbsSum.join("/")} ` +
    `(128 x max = ${128 * Math.max(...spec.integer.kernelAbsSum)} < 2^24 = ${2 ** 24}), backend ${backend}`,
);
console.log(`multiply-accumulates per code: ${macsPerCode(spec).toLocaleString("en")}`);

interface SetResult {
  name: string;
  attempted: number;
  enrolled: number;
  float: Figures;
  integer: Figures;
  /** Per image: bits differing between the float and integer codes, among bits usable in both. */
  bitFlips: { total: number; usableBoth: number; maskChanged: number; size: number };
  referenceMismatches: number;
  referenceMsPerCode: number;
}
interface Figures {
  accuracy: AccuracyReport;
  under032: number;
  under034: number;
  impostorPairs: number;
}

const results: SetResult[] = [];
for (const dir of dirs) {
  const name = path.basename(dir);
  const listing = listDataset(dir);
  const floatCodes = new Map<string, IrisCode[]>();
  const intCodes = new Map<string, IrisCode[]>();
  const flips = { total: 0, usableBoth: 0, maskChanged: 0, size: 0 };
  let attempted = 0;
  let enrolled = 0;
  let mismatches = 0;
  let refMs = 0;
  for (const eye of listing.eyes) {
    const fl: IrisCode[] = [];
    const il: IrisCode[] = [];
    for (const { file } of listing.images.filter((i) => i.eye === eye)) {
      if (attempted >= limit) continue;
      attempted++;
      let strip: ReturnType<typeof stripFor>;
      try {
        strip = stripFor(prepareIris(new Uint8Array(readFileSync(file)), config), spec, config);
      } catch (e) {
        if (e instanceof QualityGateError) continue;
        throw e;
      }
      enrolled++;
      const cells = cellMask(spec, strip);
      const fc = responsesToCode(spec, run(floatModel, standardisedModelInput(spec, strip)), cells);
      const intResponses = run(intModel, modelInput(spec, strip));
      const ic = responsesToCode(spec, intResponses, cells);
      const t0 = performance.now();
      const ref = referenceResponses(spec, intKernel, strip);
      refMs += performance.now() - t0;
      let same = true;
      for (let k = 0; k < ref.length; k++) if (ref[k] !== intResponses[k]) same = false;
      if (!same || !responsesToCode(spec, ref, cells).equals(ic)) mismatches++;
      for (let i = 0; i < fc.size; i++) {
        const fm = fc.maskAt(i);
        const im = ic.maskAt(i);
        if (fm !== im) flips.maskChanged++;
        if (fm && im) {
          flips.usableBoth++;
          if (fc.bitAt(i) !== ic.bitAt(i)) flips.total++;
        }
      }
      flips.size += fc.size;
      fl.push(fc);
      il.push(ic);
    }
    floatCodes.set(eye, fl);
    intCodes.set(eye, il);
    process.stderr.write(`\r${name}: ${eye} (${attempted} images)`);
  }
  process.stderr.write("\n");
  const figures = (codes: Map<string, IrisCode[]>): Figures => {
    const d = pairDistances(codes, profile);
    const accuracy = computeAccuracy({ ...d, attempted, enrolled }, [1e-3, 1e-4]);
    const [t32, t34] = evaluateThresholds(d, [
      { label: "0.32", thresholdPer10k: 3200 },
      { label: "0.34", thresholdPer10k: 3400 },
    ]);
    return {
      accuracy,
      under032: t32!.impostorPairsAtOrUnder,
      under034: t34!.impostorPairsAtOrUnder,
      impostorPairs: t32!.impostorPairs,
    };
  };
  results.push({
    name,
    attempted,
    enrolled,
    float: figures(floatCodes),
    integer: figures(intCodes),
    bitFlips: flips,
    referenceMismatches: mismatches,
    referenceMsPerCode: refMs / Math.max(1, enrolled),
  });
}
floatModel.dispose();
intModel.dispose();

const pct = (x: number, d = 2) => `${(100 * x).toFixed(d)} %`;
console.log(
  "\n| set | encoder | FTE | d' | EER | FNMR at FMR 1e-4 | impostors ≤ 0.32 / 0.34 | genuine mean | impostor mean (sd) |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const r of results) {
  for (const [label, f] of [
    ["float (v1)", r.float],
    ["integer", r.integer],
  ] as const) {
    const a = f.accuracy;
    const p4 = a.operatingPoints[1]!;
    console.log(
      `| ${r.name} | ${label} | ${pct(a.failureToEnrol, 1)} | ${a.dPrime.toFixed(3)} | ${pct(a.eer, 3)} | ${pct(p4.fnmr)}${p4.resolved ? "" : " (u)"} | ${f.under032} / ${f.under034} of ${f.impostorPairs.toLocaleString("en")} | ${a.genuine.mean.toFixed(4)} | ${a.impostor.mean.toFixed(4)} (${a.impostor.std.toFixed(4)}) |`,
    );
  }
}
console.log("");
for (const r of results) {
  const b = r.bitFlips;
  console.log(
    `${r.name}: ${r.enrolled} codes; float vs integer code of the same image: ${pct(b.total / Math.max(1, b.usableBoth), 3)} of bits usable in both differ, ` +
      `${pct(b.maskChanged / Math.max(1, b.size), 3)} of mask bits differ; integer codes differing between ${backend} and the reference: ${r.referenceMismatches}; ` +
      `reference ${r.referenceMsPerCode.toFixed(1)} ms/code`,
  );
}
const jsonOut = flag("--json");
if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify({ spec, backend, results }, null, 2)}\n`);
