/**
 * Distribution of every quality measurement over a dataset with all gates open, to set the
 * quality limits from data. Run:
 *   npx tsx --conditions=zkiris-source bench/encoder/quality-distribution.ts [DIR]
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { prepareIris, QualityGateError, type QualityLimits, resolvePipelineConfig } from "@zkiris/encoder";

const dir =
  process.argv[2] ??
  path.resolve(
    path.dirname(fileURLToPath(import.meta.url)),
    "../../../shared/datasets/casia-iris-interval-sample",
  );
if (!existsSync(dir)) {
  console.log(`dataset ${dir} not found; nothing to measure`);
  process.exit(0);
}
const open: QualityLimits = {
  minIrisRadius: 0,
  minPupilIrisRatio: 0,
  maxPupilIrisRatio: 1,
  minUsableFraction: 0,
  minSharpness: 0,
  maxCentreOffset: 10,
  maxPupilElongation: 100,
  maxOutOfFrame: 1,
  minPupilEdgeSupport: 0,
  minLimbusContrast: Number.NEGATIVE_INFINITY,
  minPupilIrisContrast: Number.NEGATIVE_INFINITY,
};
const config = resolvePipelineConfig({ quality: open });
const values = new Map<string, number[]>();
let failed = 0;
let n = 0;
for (const eye of readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory())) {
  for (const f of readdirSync(path.join(dir, eye.name))) {
    if (!/\.(png|jpe?g|bmp)$/i.test(f)) continue;
    n++;
    try {
      const { quality } = prepareIris(new Uint8Array(readFileSync(path.join(dir, eye.name, f))), config);
      for (const [k, v] of Object.entries(quality)) values.set(k, [...(values.get(k) ?? []), v as number]);
    } catch (e) {
      if (!(e instanceof QualityGateError)) throw e;
      failed++;
    }
  }
}
console.log(`${dir}: ${n} images, ${failed} without boundaries`);
console.log("| measurement | min | p1 | p5 | median | p95 | p99 | max |\n|---|---|---|---|---|---|---|---|");
for (const [k, list] of values) {
  const s = [...list].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(3);
  console.log(
    `| ${k} | ${s[0]!.toFixed(3)} | ${q(0.01)} | ${q(0.05)} | ${q(0.5)} | ${q(0.95)} | ${q(0.99)} | ${s[s.length - 1]!.toFixed(3)} |`,
  );
}
