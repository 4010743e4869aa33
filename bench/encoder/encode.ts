/**
 * Encoding speed: ms per image and images/s for a batch, for the whole pipeline on the WebAssembly
 * backend, against two baselines run in the same process: the same pipeline on the pure-JavaScript
 * `cpu` backend, and decode + segmentation alone (the part that does not depend on the backend),
 * followed by the time per stage of decode + segmentation + quality (`segmentIris` timings).
 * Uses the real sample set when ../shared is present, else mock captures. Run:
 *   npx tsx --conditions=zkiris-source bench/encoder/encode.ts [--images 100]
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  checkQuality,
  decodeImage,
  type ImageInput,
  IrisEncoder,
  prepareIris,
  QualityGateError,
  resolvePipelineConfig,
  segmentIris,
} from "@zkiris/encoder";
import { renderCapture } from "@zkiris/mock-capture";

const args = process.argv.slice(2);
const count = Number(args[args.indexOf("--images") + 1] ?? 100) || 100;
const real = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../../shared/datasets/casia-iris-interval-sample",
);
const inputs: ImageInput[] = [];
let source: string;
if (existsSync(real)) {
  source = `real CASIA sample (${real}), JPEG bytes`;
  for (const eye of readdirSync(real, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    for (const f of readdirSync(path.join(real, eye.name)))
      inputs.push(new Uint8Array(readFileSync(path.join(real, eye.name, f))));
  }
} else {
  source = "mock captures (raw frames)";
  for (let i = 0; i < count; i++) {
    const c = renderCapture(`bench-${i % 20}`, `capture-${i}`);
    inputs.push({ width: c.width, height: c.height, data: c.pixels });
  }
}
const batch = inputs.slice(0, count);
console.log(`${batch.length} images from ${source}; one process, one thread`);

/** CPU time of this process in ms (all its threads): on a shared machine, what one core spends. */
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function timeEncoder(
  backend: "wasm" | "cpu",
): Promise<{ ms: number; cpu: number; refused: number; name: string }> {
  const encoder = await IrisEncoder.create({ backend });
  for (const x of batch.slice(0, 5)) await encoder.encode(x).catch(() => undefined);
  let refused = 0;
  const c0 = cpuMs();
  const t0 = performance.now();
  for (let i = 0; i < batch.length; i++) {
    try {
      await encoder.encode(batch[i]!);
    } catch (e) {
      if (!(e instanceof QualityGateError)) throw e;
      refused++;
    }
    if ((i + 1) % 25 === 0) process.stderr.write(`\r  ${encoder.backend}: ${i + 1}/${batch.length}`);
  }
  const ms = (performance.now() - t0) / batch.length;
  const cpu = (cpuMs() - c0) / batch.length;
  process.stderr.write("\n");
  const name = encoder.backend;
  encoder.close();
  return { ms, cpu, refused, name };
}

const config = resolvePipelineConfig();
for (const x of batch.slice(0, 5)) {
  try {
    prepareIris(x, config);
  } catch {}
}
let c0 = cpuMs();
let t0 = performance.now();
for (const x of batch) {
  try {
    prepareIris(x, config);
  } catch (e) {
    if (!(e instanceof QualityGateError)) throw e;
  }
}
const segMs = (performance.now() - t0) / batch.length;
const segCpu = (cpuMs() - c0) / batch.length;
const wasm = await timeEncoder("wasm");
const cpu = await timeEncoder("cpu");
const row = (label: string, ms: number, cpuTime: number) =>
  `| ${label} | ${ms.toFixed(1)} | ${cpuTime.toFixed(1)} | ${(1000 / ms).toFixed(1)} | ${(ms / wasm.ms).toFixed(2)} |`;
console.log(
  "| stage | ms/image (wall) | CPU ms/image | images/s | ratio to full pipeline on wasm |\n|---|---|---|---|---|",
);
console.log(row("decode + segmentation + quality (baseline, no model)", segMs, segCpu));
console.log(row(`full pipeline, ${wasm.name} backend`, wasm.ms, wasm.cpu));
console.log(row(`full pipeline, ${cpu.name} backend (baseline)`, cpu.ms, cpu.cpu));
console.log(
  `model + normalisation share on wasm: ${(wasm.ms - segMs).toFixed(1)} ms/image; refused ${wasm.refused}/${batch.length}`,
);

// Per stage, the same work as prepareIris: decode, the stages of segmentIris, the quality gates.
const stages: Record<string, number> = {};
const add = (stage: string, ms: number) => {
  stages[stage] = (stages[stage] ?? 0) + ms;
};
const timings: NonNullable<Parameters<typeof segmentIris>[2]> = {};
c0 = cpuMs();
t0 = performance.now();
for (const x of batch) {
  let t = performance.now();
  const image = decodeImage(x, config.decode);
  add("decode", performance.now() - t);
  const seg = segmentIris(image, config.segmentation, timings);
  t = performance.now();
  try {
    checkQuality(seg, config.quality);
  } catch (e) {
    if (!(e instanceof QualityGateError)) throw e;
  }
  add("quality", performance.now() - t);
}
const stagedMs = (performance.now() - t0) / batch.length;
const stagedCpu = (cpuMs() - c0) / batch.length;
for (const [k, v] of Object.entries(timings)) add(`segmentation: ${k}`, v);
console.log("\n| decode + segmentation + quality, by stage | ms/image |\n|---|---|");
for (const [k, v] of Object.entries(stages)) console.log(`| ${k} | ${(v / batch.length).toFixed(2)} |`);
console.log(`| total (timed per stage) | ${stagedMs.toFixed(1)} (CPU ${stagedCpu.toFixed(1)}) |`);
console.log("wall times include time the process waited for a core; on a loaded machine compare CPU times");
