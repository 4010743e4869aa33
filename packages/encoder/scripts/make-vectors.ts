/**
 * Writes test/vectors/encoder-vectors.json: the expected codes (SHA-256 of the binary form,
 * usable bits) of a crafted eye and of a mock capture, encoded with the shipped model. Rerun only
 * when the pipeline changes on purpose, and say why in the commit.
 *   npx tsx --conditions=zkiris-source packages/encoder/scripts/make-vectors.ts
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { toBinary } from "@zkiris/iris-code";
import { renderCapture } from "@zkiris/mock-capture";
import { IrisEncoder } from "../src/index.js";
import { drawEye } from "../test/helpers.js";

const encoder = await IrisEncoder.create({ backend: "wasm" });
const inputs = {
  "crafted-eye": drawEye({}),
  "mock-capture vector-subject/vector-capture": (() => {
    const c = renderCapture("vector-subject", "vector-capture");
    return { width: c.width, height: c.height, data: c.pixels };
  })(),
};
const vectors = [];
for (const [name, frame] of Object.entries(inputs)) {
  const { code } = await encoder.encode(frame);
  vectors.push({
    name,
    geometry: code.geometry,
    usableBits: code.usableBitCount(),
    sha256: createHash("sha256").update(toBinary(code)).digest("hex"),
  });
}
encoder.close();
const out = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../test/vectors/encoder-vectors.json",
);
writeFileSync(out, `${JSON.stringify({ model: "gabor-v1", vectors }, null, 2)}\n`);
console.log(JSON.stringify(vectors, null, 2));
