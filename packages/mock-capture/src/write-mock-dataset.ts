import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describeType } from "@zkiris/iris-code";
import { MockCaptureError } from "./errors.js";
import { checkCaptureOptions, type MockCaptureOptions, renderCapture } from "./render-capture.js";

/** Options of {@link writeMockDataset}. */
export interface MockDatasetOptions {
  /** Number of eyes (subjects), 1..100000. */
  subjects: number;
  /** Captures per eye, 1..1000. */
  capturesPerSubject: number;
  /** Dataset seed; eye `mock-0001` of seed `s` has subject seed `s/mock-0001`. Default `"zkiris-mock"`. */
  seed?: string;
  /** Called after each image is written, with images done and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Render options for every capture (size, preset, variation). */
  capture?: MockCaptureOptions;
  /** Also write `DIR/ground-truth.json` (truth of every capture without the label maps). Default false. */
  writeTruth?: boolean;
}

/**
 * Writes a synthetic dataset in the layout every accuracy tool reads: `DIR/<eye-id>/<capture>.png`,
 * eye ids `mock-0001`, `mock-0002`, ... (at least four digits) and captures `01.png`, `02.png`, ...
 * (at least two digits). Capture `c` of eye `e` has capture seed `c` (1-based). Creates `dir` if
 * needed and overwrites files of the same names. Throws `INVALID_DATASET_OPTION` naming the field
 * for bad counts, seeds or callbacks, and the errors of {@link renderCapture} for bad capture options.
 */
export async function writeMockDataset(
  dir: string,
  options: MockDatasetOptions,
): Promise<{ eyes: number; images: number }> {
  if (typeof dir !== "string" || dir.length === 0) {
    throw new MockCaptureError(
      "INVALID_DATASET_OPTION",
      `Parameter 'dir' must be a non-empty string, received type: ${describeType(dir)}`,
      { field: "dir" },
    );
  }
  if (typeof options !== "object" || options === null) {
    throw new MockCaptureError(
      "INVALID_DATASET_OPTION",
      `Parameter 'options' is not an object, received type: ${describeType(options)}`,
      { field: "options" },
    );
  }
  const subjects = checkCount(options.subjects, "subjects", 100_000);
  const captures = checkCount(options.capturesPerSubject, "capturesPerSubject", 1000);
  const seed = options.seed ?? "zkiris-mock";
  if (typeof seed !== "string" || seed.length === 0 || seed.length > 200) {
    throw new MockCaptureError(
      "INVALID_DATASET_OPTION",
      `Parameter 'seed' must be a string of 1 to 200 characters, received ${describeType(seed)} ${String(seed)}`,
      { field: "seed" },
    );
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== "function") {
    throw new MockCaptureError(
      "INVALID_DATASET_OPTION",
      `Parameter 'onProgress' is not a function, received type: ${describeType(options.onProgress)}`,
      { field: "onProgress" },
    );
  }
  // Validate the capture options once, before creating anything on disk.
  checkCaptureOptions(options.capture ?? {});

  const eyeDigits = Math.max(4, String(subjects).length);
  const captureDigits = Math.max(2, String(captures).length);
  const total = subjects * captures;
  const truths: unknown[] = [];
  let done = 0;
  await mkdir(dir, { recursive: true });
  for (let e = 1; e <= subjects; e++) {
    const eyeId = `mock-${String(e).padStart(eyeDigits, "0")}`;
    const eyeDir = join(dir, eyeId);
    await mkdir(eyeDir, { recursive: true });
    for (let c = 1; c <= captures; c++) {
      const name = String(c).padStart(captureDigits, "0");
      const capture = renderCapture(`${seed}/${eyeId}`, c, options.capture);
      await writeFile(join(eyeDir, `${name}.png`), capture.toPng());
      if (options.writeTruth === true) {
        const { labels: _labels, ...truth } = capture.truth;
        truths.push({ eye: eyeId, file: `${eyeId}/${name}.png`, ...truth });
      }
      done++;
      options.onProgress?.(done, total);
    }
  }
  if (options.writeTruth === true) {
    await writeFile(join(dir, "ground-truth.json"), `${JSON.stringify(truths, null, 1)}\n`);
  }
  return { eyes: subjects, images: total };
}

function checkCount(value: unknown, field: string, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) {
    throw new MockCaptureError(
      "INVALID_DATASET_OPTION",
      `Parameter '${field}' must be an integer between 1 and ${max}, received ${describeType(value)} ${String(value)}`,
      { field },
    );
  }
  return value;
}
