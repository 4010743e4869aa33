/**
 * Segmentation and quality gates over real datasets: per-set failure-to-enrol by gate and the
 * time per image, optionally on degraded copies derived at run time, and with --measurements the
 * percentiles of every quality measurement. Run:
 *   npx tsx --conditions=zkiris-source bench/encoder/segmentation.ts [DIR...] [--degrade all|none|<kind>]
 *       [--measurements] [--limit N]
 * DIRs default to every set under ../shared/datasets. Each line ends with the segmentation time per
 * image split by stage (`segmentIris` timings). To look at the segmentations, use
 * `zkiris overlays DIR --out OUT [--refused] [--degrade KIND]` (written outside the repository).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  checkQuality,
  DEGRADATIONS,
  type Degradation,
  decodeImage,
  degradeImage,
  listDataset,
  QualityGateError,
  resolvePipelineConfig,
  segmentIris,
} from "@zkiris/encoder";
import { datasetArgs } from "./datasets.js";

const { flag, has, dirs } = datasetArgs(["--degrade", "--limit"]);
const degradeArg = flag("--degrade") ?? "none";
const kinds: (Degradation | "none")[] =
  degradeArg === "all" ? ["none", ...DEGRADATIONS] : (degradeArg.split(",") as (Degradation | "none")[]);
const limit = Number(flag("--limit") ?? Number.POSITIVE_INFINITY);
const config = resolvePipelineConfig();

for (const dir of dirs) {
  const files = listDataset(dir).images.map((i) => i.file);
  const chosen = files.slice(0, limit);
  for (const kind of kinds) {
    const refusals: Record<string, number> = {};
    let ms = 0;
    const timings: NonNullable<Parameters<typeof segmentIris>[2]> = {};
    const measured: Record<string, number[]> = {};
    chosen.forEach((file, i) => {
      let image = decodeImage(new Uint8Array(readFileSync(file)));
      if (kind !== "none") image = degradeImage(image, kind, i);
      const t0 = performance.now();
      const seg = segmentIris(image, config.segmentation, timings);
      if (!("reason" in seg)) {
        const m = {
          ...seg.measurements,
          irisRadius: seg.iris.r,
          ratio: seg.pupil.r / seg.iris.r,
          scaledSharpness: seg.measurements.sharpness * seg.iris.r,
        };
        for (const [k, v] of Object.entries(m)) {
          const list = measured[k] ?? [];
          list.push(v);
          measured[k] = list;
        }
      }
      try {
        checkQuality(seg, config.quality);
      } catch (error) {
        if (!(error instanceof QualityGateError)) throw error;
        refusals[error.gate] = (refusals[error.gate] ?? 0) + 1;
      }
      ms += performance.now() - t0;
    });
    const refused = Object.values(refusals).reduce((a, b) => a + b, 0);
    console.log(
      `${path.basename(dir)} [${kind}] ${chosen.length} images: FTE ${((100 * refused) / chosen.length).toFixed(1)} %` +
        ` ${JSON.stringify(refusals)}  ${(ms / chosen.length).toFixed(1)} ms/image`,
    );
    console.log(
      `  stages (ms/image): ${Object.entries(timings)
        .map(([k, v]) => `${k} ${(v / chosen.length).toFixed(2)}`)
        .join(", ")}`,
    );
    if (has("--measurements")) {
      const pct = (a: number[], p: number) =>
        a.slice().sort((x, y) => x - y)[Math.floor(p * (a.length - 1))]!;
      for (const [k, a] of Object.entries(measured))
        console.log(
          `  ${k}: p1 ${pct(a, 0.01).toFixed(3)} p5 ${pct(a, 0.05).toFixed(3)} p50 ${pct(a, 0.5).toFixed(3)} p95 ${pct(a, 0.95).toFixed(3)} p99 ${pct(a, 0.99).toFixed(3)}`,
        );
    }
  }
}
