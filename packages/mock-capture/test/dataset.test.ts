import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MockCaptureError, renderCapture, writeMockDataset } from "../src/index.js";
import { readGreyPng } from "./read-grey-png.js";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "zkiris-mock-"));
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe("writeMockDataset", () => {
  it("writes DIR/<eye-id>/<capture>.png with progress, reproducible from the seeds", async () => {
    const dir = await tempDir();
    const progress: [number, number][] = [];
    const result = await writeMockDataset(dir, {
      subjects: 2,
      capturesPerSubject: 3,
      seed: "unit",
      capture: { width: 96, height: 84 },
      onProgress: (done, total) => progress.push([done, total]),
    });
    expect(result).toEqual({ eyes: 2, images: 6 });
    expect((await readdir(dir)).sort()).toEqual(["mock-0001", "mock-0002"]);
    expect((await readdir(join(dir, "mock-0002"))).sort()).toEqual(["01.png", "02.png", "03.png"]);
    expect(progress).toEqual([
      [1, 6],
      [2, 6],
      [3, 6],
      [4, 6],
      [5, 6],
      [6, 6],
    ]);
    const decoded = readGreyPng(await readFile(join(dir, "mock-0002", "03.png")));
    expect(decoded.pixels).toEqual(renderCapture("unit/mock-0002", 3, { width: 96, height: 84 }).pixels);
  });

  it("writes the ground truth without label maps when asked", async () => {
    const dir = await tempDir();
    await writeMockDataset(dir, {
      subjects: 1,
      capturesPerSubject: 2,
      writeTruth: true,
      capture: { width: 64, height: 64 },
    });
    const truth = JSON.parse(await readFile(join(dir, "ground-truth.json"), "utf8"));
    expect(truth.length).toBe(2);
    expect(truth[1].file).toBe("mock-0001/02.png");
    expect(truth[1].labels).toBeUndefined();
    expect(truth[1].iris).toEqual(
      renderCapture("zkiris-mock/mock-0001", 2, { width: 64, height: 64 }).truth.iris,
    );
  });

  it("refuses bad counts, seeds, callbacks and capture options before writing anything", async () => {
    const dir = join(await tempDir(), "never");
    const cases: [Record<string, unknown>, string][] = [
      [{ subjects: 0, capturesPerSubject: 1 }, "subjects"],
      [{ subjects: 1.5, capturesPerSubject: 1 }, "subjects"],
      [{ subjects: 1, capturesPerSubject: 1001 }, "capturesPerSubject"],
      [{ subjects: 1, capturesPerSubject: 1, seed: "" }, "seed"],
      [{ subjects: 1, capturesPerSubject: 1, onProgress: 3 }, "onProgress"],
    ];
    for (const [options, field] of cases) {
      const error = await writeMockDataset(dir, options as never).catch((e) => e);
      expect(error).toBeInstanceOf(MockCaptureError);
      expect([error.code, error.field]).toEqual(["INVALID_DATASET_OPTION", field]);
    }
    const bad = await writeMockDataset(dir, {
      subjects: 1,
      capturesPerSubject: 1,
      capture: { variation: { blurSigma: -1 } },
    }).catch((e) => e);
    expect([bad.code, bad.field]).toEqual(["INVALID_OPTION", "variation.blurSigma"]);
    const small = await writeMockDataset(dir, {
      subjects: 1,
      capturesPerSubject: 1,
      capture: { width: 10 },
    }).catch((e) => e);
    expect([small.code, small.field]).toEqual(["INVALID_SIZE", "width"]);
    const noDir = await writeMockDataset("", { subjects: 1, capturesPerSubject: 1 }).catch((e) => e);
    expect([noDir.code, noDir.field]).toEqual(["INVALID_DATASET_OPTION", "dir"]);
    await expect(readdir(dir)).rejects.toThrow();
  });
});
