/** Prints the SHA-256 of the pixels of one capture: `render-hash.ts SUBJECT CAPTURE [preset]`. */
import { createHash } from "node:crypto";
import { type CapturePreset, renderCapture } from "../../src/index.js";

const [subject, capture, preset] = process.argv.slice(2);
const image = renderCapture(subject!, capture!, { preset: (preset ?? "default") as CapturePreset });
console.log(createHash("sha256").update(image.pixels).digest("hex"));
