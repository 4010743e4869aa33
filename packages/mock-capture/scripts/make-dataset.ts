/**
 * Writes a synthetic iris dataset: DIR/<eye-id>/<capture>.png.
 *
 *   npx tsx --conditions=zkiris-source packages/mock-capture/scripts/make-dataset.ts DIR \
 *     --subjects N --captures M [--seed S] [--preset default|hard] [--width W] [--height H] [--truth]
 */
import { parseArgs } from "node:util";
import { ZkirisError } from "@zkiris/iris-code";
import { type CapturePreset, writeMockDataset } from "../src/index.js";

const USAGE =
  "usage: make-dataset.ts DIR --subjects N --captures M [--seed S] [--preset default|hard] [--width W] [--height H] [--truth]";

function integer(value: string | undefined, name: string, fallback?: number): number {
  if (value === undefined) {
    if (fallback !== undefined) return fallback;
    throw new Error(`--${name} is required`);
  }
  if (!/^\d+$/.test(value)) throw new Error(`--${name} must be a positive integer, received ${value}`);
  return Number(value);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      subjects: { type: "string" },
      captures: { type: "string" },
      seed: { type: "string" },
      preset: { type: "string" },
      width: { type: "string" },
      height: { type: "string" },
      truth: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help === true) {
    console.log(USAGE);
    return;
  }
  if (positionals.length !== 1) throw new Error("exactly one output directory is required");
  const dir = positionals[0]!;
  const subjects = integer(values.subjects, "subjects");
  const captures = integer(values.captures, "captures");
  const width = integer(values.width, "width", 320);
  const height = integer(values.height, "height", 280);
  const started = performance.now();
  let lastReport = 0;
  const result = await writeMockDataset(dir, {
    subjects,
    capturesPerSubject: captures,
    ...(values.seed === undefined ? {} : { seed: values.seed }),
    writeTruth: values.truth === true,
    capture: { width, height, preset: (values.preset ?? "default") as CapturePreset },
    onProgress: (done, total) => {
      const now = performance.now();
      if (done === total || now - lastReport > 1000) {
        lastReport = now;
        const rate = done / ((now - started) / 1000);
        process.stderr.write(`\r${done}/${total} images (${rate.toFixed(0)} images/s)`);
      }
    },
  });
  const seconds = (performance.now() - started) / 1000;
  process.stderr.write("\n");
  console.log(`wrote ${result.images} images of ${result.eyes} eyes to ${dir} in ${seconds.toFixed(1)} s`);
}

main().catch((error: unknown) => {
  if (ZkirisError.is(error)) console.error(`error ${error.code}: ${error.message}`);
  else console.error(`error: ${(error as Error).message}\n${USAGE}`);
  process.exitCode = 2;
});
