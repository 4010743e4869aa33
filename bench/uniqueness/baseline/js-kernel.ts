import type { CodeLayout } from "./layout.js";

/**
 * The plain-JavaScript kernel: the same computation and output as the WebAssembly `scan`, over
 * the same arena words read as 32-bit halves with a SWAR popcount. It is the baseline the
 * benchmarks compare against and a second implementation the tests cross-check.
 *
 * Scans `count` codes starting at 32-bit word `codes32` of `memory` against the pre-shifted probe
 * at `probe32` (`nShifts` shifts), and appends a match record `(code index, shift index,
 * differing, usable)` to `out` for each code whose best shift has `usable >= minUsable` and
 * `differing * 10000 <= thresholdPer10k * usable`, and `(code index, -1, 0, 0)` for each code that
 * is undecidable (no shift has `minUsable` usable bits). Returns the number of records appended.
 */
export function scanJs(
  layout: CodeLayout,
  memory: Uint32Array,
  probe32: number,
  nShifts: number,
  codes32: number,
  count: number,
  minUsable: number,
  thresholdPer10k: number,
  out: number[],
): number {
  const half = layout.halfWords * 2;
  const stride = layout.codeWords32;
  let found = 0;
  for (let i = 0; i < count; i++) {
    const t = codes32 + i * stride;
    let bestU = 0;
    let bestD = 0;
    let bestK = -1;
    for (let k = 0; k < nShifts; k++) {
      const p = probe32 + k * stride;
      let u = 0;
      let d = 0;
      for (let w = 0; w < half; w++) {
        const m = memory[t + half + w]! & memory[p + half + w]!;
        const x = (memory[t + w]! ^ memory[p + w]!) & m;
        let v = m - ((m >>> 1) & 0x55555555);
        v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
        u += Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
        v = x - ((x >>> 1) & 0x55555555);
        v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
        d += Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
      }
      if (u >= minUsable && (bestU === 0 || d * bestU < bestD * u)) {
        bestU = u;
        bestD = d;
        bestK = k;
      }
    }
    // Undecidable codes (bestU = bestD = 0, bestK = -1) pass this test too: they are reported.
    if (bestD * 10000 <= thresholdPer10k * bestU) {
      out.push(i, bestK, bestD, bestU);
      found++;
    }
  }
  return found;
}
