/**
 * Geometry choice by measurement: segments every image of a dataset once, then for each candidate
 * geometry generates the Gabor bank, encodes, compares all pairs over the profile's shifts, and
 * prints EER, FNMR at FMR 1e-3/1e-4 and d'. Run:
 *   npx tsx --conditions=zkiris-source bench/encoder/geometry.ts [DIR] [--only 16x112x2] [--json out.json]
 * DIR defaults to ../shared/datasets/casia-iris-interval-sample.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  buildGaborModel,
  cellMask,
  computeAccuracy,
  type GaborDesign,
  gaborModelSpec,
  loadTensorflow,
  modelInput,
  type PreparedIris,
  pairDistances,
  prepareIris,
  QualityGateError,
  resolvePipelineConfig,
  responsesToCode,
  stripFor,
} from "@zkiris/encoder";
import {
  bitCount,
  type CodeGeometry,
  formatGeometry,
  type IrisCode,
  type IrisProfile,
} from "@zkiris/iris-code";

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const dir =
  args[0] && !args[0].startsWith("--")
    ? args[0]
    : path.resolve(
        path.dirname(fileURLToPath(import.meta.url)),
        "../../../shared/datasets/casia-iris-interval-sample",
      );
if (!existsSync(dir)) {
  console.log(`dataset ${dir} not found; nothing to measure`);
  process.exit(0);
}
const design: GaborDesign = JSON.parse(flag("--design") ?? "{}");
const minUsableFractions = (flag("--min-usable") ?? "0.15").split(",").map(Number);

interface Candidate {
  geometry: CodeGeometry;
  maxShift: number;
  withinBudget: boolean;
}
const candidates: Candidate[] = [
  [8, 112, 2, 8],
  [16, 112, 2, 8],
  [24, 96, 2, 6],
  [32, 112, 2, 8],
  [16, 56, 4, 4],
  [16, 120, 2, 6],
  [16, 256, 4, 15],
].map(([rows, cols, bitsPerCell, maxShift]) => {
  const geometry = { rows: rows!, cols: cols!, bitsPerCell: bitsPerCell! };
  return {
    geometry,
    maxShift: maxShift!,
    withinBudget: bitCount(geometry) <= 7200 && (cols! + maxShift!) * bitsPerCell! <= 252,
  };
});
const only = flag("--only");
const selected = only ? candidates.filter((c) => formatGeometry(c.geometry) === only) : candidates;

const config = resolvePipelineConfig();
const eyes = readdirSync(dir, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();
const prepared = new Map<string, PreparedIris[]>();
const refusals: Record<string, number> = {};
let attempted = 0;
const t0 = performance.now();
for (const eye of eyes) {
  const list: PreparedIris[] = [];
  for (const f of readdirSync(path.join(dir, eye)).sort()) {
    if (!/\.(png|jpe?g|bmp)$/i.test(f)) continue;
    attempted++;
    try {
      list.push(prepareIris(new Uint8Array(readFileSync(path.join(dir, eye, f))), config));
    } catch (e) {
      if (!(e instanceof QualityGateError)) throw e;
      refusals[e.gate] = (refusals[e.gate] ?? 0) + 1;
      if (args.includes("--verbose")) console.error(`${eye}/${f}: ${e.message}`);
    }
  }
  prepared.set(eye, list);
  process.stderr.write(`\rsegmented ${eye} (${attempted} images)`);
}
const segMs = (performance.now() - t0) / attempted;
const enrolled = [...prepared.values()].reduce((a, l) => a + l.length, 0);
process.stderr.write("\n");
console.log(
  `dataset ${dir}: ${attempted} images, ${enrolled} enrolled, refusals ${JSON.stringify(refusals)}, ${segMs.toFixed(1)} ms/image decode+segment`,
);

const { tf, backend } = await loadTensorflow("auto");
console.log(`backend ${backend}, design ${JSON.stringify(design)}`);
console.log(
  "| geometry | bits | max shift | min usable bits | within budget | EER | FNMR@FMR1e-3 | FNMR@FMR1e-4 | d' | genuine mean | impostor mean (std) | thr@1e-4 |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
const results: unknown[] = [];
for (const c of selected) {
  const spec = gaborModelSpec(c.geometry, design);
  const model = buildGaborModel(tf, spec);
  const codes = new Map<string, IrisCode[]>();
  for (const [eye, list] of prepared) {
    codes.set(
      eye,
      list.map((p) => {
        const strip = stripFor(p, spec, config);
        const { data, height, width } = modelInput(spec, strip);
        const out = tf.tidy(
          () =>
            model.predict(
              tf.tensor4d(data, [1, height, width, 1]),
            ) as never as import("@tensorflow/tfjs").Tensor,
        );
        const responses = out.dataSync() as Float32Array;
        out.dispose();
        return responsesToCode(spec, responses, cellMask(spec, strip));
      }),
    );
  }
  model.dispose();
  for (const minUsableFraction of minUsableFractions) {
    const minUsableBits = Math.round(minUsableFraction * bitCount(c.geometry));
    const profile: IrisProfile = {
      name: "candidate",
      geometry: c.geometry,
      maxShift: c.maxShift,
      thresholdPer10k: 3500,
      minUsableBits,
      deduplication: {
        thresholdPer10k: 3500,
        minUsableBits,
        enrolmentMinUsableBits: Math.ceil((bitCount(c.geometry) + minUsableBits) / 2),
      },
    };
    const d = pairDistances(codes, profile);
    const acc = computeAccuracy({ ...d, attempted, enrolled });
    const [p3, p4] = acc.operatingPoints;
    const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
    console.log(
      `| ${formatGeometry(c.geometry)} | ${bitCount(c.geometry)} | ${c.maxShift} | ${profile.minUsableBits} | ${c.withinBudget ? "yes" : "no"} | ${pct(acc.eer)} | ${pct(p3!.fnmr)} | ${pct(p4!.fnmr)} | ${acc.dPrime.toFixed(2)} | ${acc.genuine.mean.toFixed(3)} | ${acc.impostor.mean.toFixed(3)} (${acc.impostor.std.toFixed(3)}) | ${p4!.thresholdPer10k} |`,
    );
    const usable = [...codes.values()].flat().map((k) => k.usableBitCount() / bitCount(c.geometry));
    const usableSorted = [...usable].sort((a, b) => a - b);
    console.error(
      `  usable fraction per code: mean ${(usable.reduce((a, b) => a + b, 0) / usable.length).toFixed(3)}, min ${usableSorted[0]?.toFixed(3)}, p5 ${usableSorted[Math.floor(usable.length * 0.05)]?.toFixed(3)}; not comparable: genuine ${d.genuineNotComparable}/${d.genuine.length + d.genuineNotComparable!}, impostor ${d.impostorNotComparable}/${d.impostor.length + d.impostorNotComparable!}`,
    );
    results.push({
      geometry: c.geometry,
      maxShift: c.maxShift,
      minUsableBits: profile.minUsableBits,
      withinBudget: c.withinBudget,
      accuracy: acc,
      meanUsableFraction: usable.reduce((a, b) => a + b, 0) / usable.length,
    });
  }
}
const jsonOut = flag("--json");
if (jsonOut)
  writeFileSync(
    jsonOut,
    `${JSON.stringify({ dataset: dir, attempted, enrolled, refusals, design, results }, null, 2)}\n`,
  );
