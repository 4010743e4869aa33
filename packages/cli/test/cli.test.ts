import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { encodeGreyPng } from "@zkiris/encoder";
import { fromJson } from "@zkiris/iris-code";
import { renderCapture } from "@zkiris/mock-capture";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../src/index.js";

function collect() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) }, out, err };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "zkiris-cli-"));
  const good = renderCapture("cli-subject", "cli-capture");
  writeFileSync(path.join(dir, "good.png"), good.toPng());
  writeFileSync(path.join(dir, "notes.txt"), "not an image");
  const png = good.toPng();
  writeFileSync(path.join(dir, "cut.png"), png.subarray(0, png.length >> 1));
  writeFileSync(
    path.join(dir, "blank.png"),
    encodeGreyPng({ width: 320, height: 280, data: new Uint8Array(320 * 280).fill(128) }),
  );
  for (let s = 0; s < 3; s++) {
    mkdirSync(path.join(dir, "set", `eye-${s}`), { recursive: true });
    for (let c = 0; c < 3; c++) {
      writeFileSync(
        path.join(dir, "set", `eye-${s}`, `${c}.png`),
        renderCapture(`cli-set-${s}`, `c${c}`).toPng(),
      );
    }
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("zkiris encode", () => {
  it("prints one JSON line per image and exits 1 when any image fails", async () => {
    const { io, out } = collect();
    const files = ["good.png", "notes.txt", "cut.png", "blank.png", "missing.png"].map((f) =>
      path.join(dir, f),
    );
    const code = await runCli(["encode", ...files, "--json", "--backend", "wasm"], io);
    expect(code).toBe(1);
    const lines = out
      .join("")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.file)).toEqual(files);
    expect(Object.keys(lines[0])).toEqual(["file", "version", "geometry", "bits", "mask", "quality"]);
    expect(lines[0].geometry).toEqual({ rows: 16, cols: 112, bitsPerCell: 2 });
    expect(
      fromJson({
        version: lines[0].version,
        geometry: lines[0].geometry,
        bits: lines[0].bits,
        mask: lines[0].mask,
      }).size,
    ).toBe(3584);
    expect(lines.slice(1).map((l) => l.error)).toEqual([
      "UNSUPPORTED_FORMAT",
      "TRUNCATED_IMAGE",
      "QUALITY_GATE",
      "UNREADABLE_FILE",
    ]);
    expect(lines[3].gate).toBe("SEGMENTATION_FAILED");
    expect(lines[1].reason).toBe(
      "Parameter 'image' is not a PNG, JPEG or BMP file (first bytes 6e 6f 74 20)",
    );
  });

  it("exits 0 when every image encodes", async () => {
    const { io, out } = collect();
    expect(await runCli(["encode", path.join(dir, "good.png"), "--backend", "wasm"], io)).toBe(0);
    expect(out.join("").trim().split("\n")).toHaveLength(1);
  });

  it("refuses bad arguments with exit code 2 and the usage", async () => {
    for (const args of [
      ["encode"],
      ["frobnicate"],
      ["encode", "x.png", "--backend", "gpu"],
      ["encode", "--nope"],
      [],
    ]) {
      const { io, err, out } = collect();
      expect(await runCli(args, io)).toBe(2);
      expect(err.join("") + out.join("")).toContain("Usage:");
    }
  });
});

describe("zkiris accuracy", () => {
  it("encodes a dataset, prints the JSON report and writes the report and pictures", async () => {
    const { io, out, err } = collect();
    const outDir = path.join(dir, "report");
    const code = await runCli(["accuracy", path.join(dir, "set"), "--out", outDir, "--backend", "wasm"], io);
    expect(code).toBe(0);
    const report = JSON.parse(out.join(""));
    expect(report.attempted).toBe(9);
    expect(report.enrolled + report.refused.length).toBe(9);
    if (report.enrolled === 9) {
      expect(report.genuine.count + report.notComparable.genuine).toBe(9);
      expect(report.impostor.count + report.notComparable.impostor).toBe(27);
    }
    expect(report.profile).toEqual({
      name: "zkiris-16x112x2",
      geometry: "16x112x2",
      maxShift: 8,
      thresholdPer10k: 3200,
      minUsableBits: 720,
    });
    expect(report.backend).toBe("wasm");
    expect(err.join("")).toContain("encoding  [##############################] 9/9");
    for (const f of ["report.json", "accuracy.svg", "accuracy.html"])
      expect(existsSync(path.join(outDir, f))).toBe(true);
    expect(JSON.parse(readFileSync(path.join(outDir, "report.json"), "utf8")).eer).toBe(report.eer);
  });

  it("refuses a directory without eye folders", async () => {
    const { io, err } = collect();
    expect(await runCli(["accuracy", path.join(dir, "nowhere")], io)).toBe(2);
    expect(err.join("")).toContain("cannot be read");
  });
});

describe("the zkiris binary", () => {
  it("runs from the source checkout through tsx", () => {
    const bin = path.resolve(__dirname, "../bin/zkiris.js");
    const r = spawnSync(process.execPath, [bin, "--help"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("zkiris encode <images...>");
  });
});
