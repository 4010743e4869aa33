/**
 * Renders the README contact sheet: rows are subjects, columns are captures (three with the
 * default preset, one with the hard preset, one failure mode).
 *
 *   npx tsx --conditions=zkiris-source packages/mock-capture/scripts/contact-sheet.ts [out.png]
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { encodeGreyPng, type MockCaptureOptions, renderCapture } from "../src/index.js";

const out = process.argv[2] ?? fileURLToPath(new URL("../docs/mock-captures.png", import.meta.url));
const tileWidth = 160;
const tileHeight = 140;
const gap = 4;
const subjects = ["ada", "ben", "cleo", "dev"];
const columns: { capture: number; options: MockCaptureOptions }[] = [
  { capture: 1, options: {} },
  { capture: 2, options: {} },
  { capture: 3, options: {} },
  { capture: 5, options: { preset: "hard" } },
];
const failures: MockCaptureOptions["failure"][] = [
  "closed-eye",
  "extreme-blur",
  "out-of-frame",
  "closed-eye",
];

const cols = columns.length + 1;
const width = cols * tileWidth + (cols + 1) * gap;
const height = subjects.length * tileHeight + (subjects.length + 1) * gap;
const sheet = new Uint8Array(width * height).fill(255);
subjects.forEach((subject, row) => {
  const tiles = [
    ...columns.map((c) => ({ capture: c.capture, options: c.options })),
    { capture: 6, options: { failure: failures[row] } },
  ];
  tiles.forEach(({ capture, options }, col) => {
    const image = renderCapture(subject, capture, { ...options, width: tileWidth, height: tileHeight });
    const x0 = gap + col * (tileWidth + gap);
    const y0 = gap + row * (tileHeight + gap);
    for (let y = 0; y < tileHeight; y++) {
      sheet.set(image.pixels.subarray(y * tileWidth, (y + 1) * tileWidth), (y0 + y) * width + x0);
    }
  });
  process.stderr.write(`\rsubject ${row + 1}/${subjects.length}`);
});
const png = encodeGreyPng(sheet, width, height);
writeFileSync(out, png);
process.stderr.write("\n");
console.log(`wrote ${out}: ${width}x${height}, ${(png.length / 1024).toFixed(0)} KiB`);
