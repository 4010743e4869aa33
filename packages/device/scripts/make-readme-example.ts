/**
 * Regenerates the example packets and test vectors in packages/device/README.md.
 * Run: npx tsx --conditions=zkiris-source packages/device/scripts/make-readme-example.ts
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { README_BEGIN, README_END, renderReadmeExample } from "./readme-example.js";

const path = fileURLToPath(new URL("../README.md", import.meta.url));
const text = readFileSync(path, "utf8");
const begin = text.indexOf(README_BEGIN);
const end = text.indexOf(README_END);
if (begin < 0 || end < begin) {
  console.error(`README.md has no generated section: add the lines\n${README_BEGIN}\n${README_END}`);
  process.exit(1);
}
writeFileSync(path, text.slice(0, begin) + renderReadmeExample() + text.slice(end + README_END.length));
console.log(`updated ${path}`);
