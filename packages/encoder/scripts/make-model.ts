/**
 * Generates the shipped encoder model, packages/encoder/model/gabor-v1/ (tfjs Layers format:
 * model.json + weights.bin, plus zkiris-encoder.json with the pipeline contract), from the Gabor
 * filter design for DEFAULT_PROFILE's geometry, with the integer (fixed-point) kernel whose scale
 * and float32 bound the spec records. Deterministic: rerunning gives identical files.
 *   npm run model -w @zkiris/encoder
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_PROFILE, formatGeometry } from "@zkiris/iris-code";
import { buildGaborModel, gaborModelSpec, loadTensorflow, saveEncoderModel } from "../src/index.js";

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../model/gabor-v1");
const { tf } = await loadTensorflow("cpu");
const spec = gaborModelSpec(DEFAULT_PROFILE.geometry);
const model = buildGaborModel(tf, spec);
await saveEncoderModel(tf, model, spec, dir);
model.dispose();
for (const f of ["model.json", "weights.bin", "zkiris-encoder.json"]) {
  const hash = createHash("sha256")
    .update(readFileSync(path.join(dir, f)))
    .digest("hex");
  console.log(`${f} sha256 ${hash}`);
}
console.log(
  `wrote ${dir} for geometry ${formatGeometry(spec.geometry)} (kernel ${spec.kernel.join("x")}, stride ${spec.stride.join("x")}, scale ${spec.integer.kernelScale}, sum|K| ${spec.integer.kernelAbsSum.join("/")})`,
);
