import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderCapture, writeMockDataset } from "../src/index.js";

describe("README example", () => {
  it("runs the README example as written", async () => {
    const dir = await mkdtemp(join(tmpdir(), "zkiris-readme-"));
    try {
      // README-EXAMPLE-START
      const capture = renderCapture("subject-42", 1); // 320x280, default preset
      const png = capture.toPng(); // 8-bit greyscale PNG bytes
      const { pupil, iris, rotationDeg } = capture.truth; // for tests and measurement only

      const closed = renderCapture("subject-42", 2, { failure: "closed-eye" });
      const blurred = renderCapture("subject-42", 3, { variation: { blurSigma: 4 } });
      const careless = renderCapture("subject-42", 4, { preset: "hard" });

      await writeMockDataset(dir, { subjects: 2, capturesPerSubject: 3, seed: "readme" });
      // README-EXAMPLE-END
      expect(png.length).toBeGreaterThan(1000);
      expect(pupil.r).toBeLessThan(iris.r);
      expect(Math.abs(rotationDeg)).toBeLessThanOrEqual(10);
      expect(closed.truth.visibleIrisFraction).toBeLessThan(0.03);
      expect(blurred.truth.blurSigma).toBe(4);
      expect(careless.truth.noiseSigma).toBe(4);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("shows exactly the code this test runs", () => {
    const source = readFileSync(new URL(import.meta.url), "utf8");
    const start = source.indexOf("// README-EXAMPLE-START\n");
    const end = source.indexOf("      // README-EXAMPLE-END");
    const block = source
      .slice(start + "// README-EXAMPLE-START\n".length, end)
      .split("\n")
      .map((line) => line.replace(/^ {6}/, ""))
      .join("\n")
      .trimEnd();
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    expect(readme).toContain(block);
  });
});
