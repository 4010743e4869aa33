import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { hammingDistance } from "@zkiris/iris-code";
import { describe, expect, it } from "vitest";
import { renderCapture } from "../src/index.js";
import { polarCode } from "./support/polar-code.js";

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

describe("renderCapture determinism", () => {
  it("renders byte-identical pixels and PNG bytes for the same seeds", () => {
    const a = renderCapture("alice", 3);
    const b = renderCapture("alice", 3);
    expect(b.pixels).toEqual(a.pixels);
    expect(b.toPng()).toEqual(a.toPng());
    expect(b.truth).toEqual(a.truth);
  });

  it("treats a number seed and its decimal string as the same seed", () => {
    expect(renderCapture(7, 2).pixels).toEqual(renderCapture("7", "2").pixels);
  });

  it("renders the pinned reference image for a fixed seed pair", () => {
    // Pins the output across machines and releases: any change to the renderer shows up here.
    const capture = renderCapture("reference-subject", "reference-capture");
    expect(sha256(capture.pixels)).toBe(REFERENCE_PIXELS_SHA256);
    expect(sha256(capture.toPng())).toBe(REFERENCE_PNG_SHA256);
  });

  it("renders the same bytes in a separate process with the JIT compiler disabled", () => {
    // Floating-point results must not depend on which V8 tier ran the code.
    const script = fileURLToPath(new URL("./support/render-hash.ts", import.meta.url));
    const output = execFileSync(
      process.execPath,
      [
        "--jitless",
        "--import",
        "tsx",
        "--conditions=zkiris-source",
        script,
        "reference-subject",
        "jit",
        "hard",
      ],
      { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
    );
    expect(output.trim()).toBe(sha256(renderCapture("reference-subject", "jit", { preset: "hard" }).pixels));
  });

  it("renders a different image for a different capture seed", () => {
    const a = renderCapture("alice", 1);
    const b = renderCapture("alice", 2);
    let differing = 0;
    for (let i = 0; i < a.pixels.length; i++) if (a.pixels[i] !== b.pixels[i]) differing++;
    expect(differing / a.pixels.length).toBeGreaterThan(0.5);
    expect(b.truth.rotationDeg).not.toBe(a.truth.rotationDeg);
    expect(b.truth.iris.r).toBe(a.truth.iris.r);
  });

  it("keeps one subject's texture across captures and separates different subjects", () => {
    // Reference polar unwrapping from the true circles, 16x112x2 code, ±8 column shifts.
    const codes = [1, 2, 3].map((subject) =>
      [1, 2, 3].map((capture) => polarCode(renderCapture(subject, capture))),
    );
    const genuine: number[] = [];
    const impostor: number[] = [];
    const unshiftedImpostor: number[] = [];
    for (let s = 0; s < 3; s++) {
      for (let a = 0; a < 3; a++) {
        for (let b = a + 1; b < 3; b++) {
          genuine.push(
            hammingDistance(codes[s]![a]!, codes[s]![b]!, { maxShift: 8, minUsableBits: 1 }).distance,
          );
        }
      }
      for (let t = s + 1; t < 3; t++) {
        impostor.push(
          hammingDistance(codes[s]![0]!, codes[t]![0]!, { maxShift: 8, minUsableBits: 1 }).distance,
        );
        unshiftedImpostor.push(
          hammingDistance(codes[s]![0]!, codes[t]![0]!, { maxShift: 0, minUsableBits: 1 }).distance,
        );
      }
    }
    expect(Math.max(...genuine)).toBeLessThan(0.3);
    expect(Math.min(...impostor)).toBeGreaterThan(0.38);
    // Without shifts, codes of different subjects disagree on about half their bits; this small
    // reference encoder has strongly correlated neighbouring bits, hence the loose bound per pair.
    for (const d of unshiftedImpostor) expect(Math.abs(d - 0.5)).toBeLessThan(0.12);
    const mean = unshiftedImpostor.reduce((a, b) => a + b) / unshiftedImpostor.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.06);
  });
});

const REFERENCE_PIXELS_SHA256 = "77288a988a6ec6c41dde9da48aaf6a6efdba6a8b34076141a6c41a23a60d56e7";
const REFERENCE_PNG_SHA256 = "0f2fff98c2fae8ec8a8bcdbc2c2a33ce488b07189a7acdfc91df8b79b8d87756";
