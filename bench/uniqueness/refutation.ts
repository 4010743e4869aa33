/**
 * Where the kernel's exact pruning bound can first refute an impostor's shift: for random default
 * codes and a random probe, the first word w after which `d * 10000 > threshold * (u + rest)`
 * (rest = the smaller of the code's and the shifted probe's usable mask bits in words w..), as a
 * cumulative share of code-shift pairs, and the share refuted at the kernel's checkpoint. This is
 * what `defaultCheckpoints` is chosen from (plain JS, no timing).
 *
 *   npx tsx --conditions=zkiris-source bench/uniqueness/refutation.ts [--codes 400] [--threshold 3500]
 */
import { parseArgs } from "node:util";
import { DEFAULT_PROFILE, IrisCode, packedByteLength } from "@zkiris/iris-code";
import { codeLayout, codeWords, prepareProbeWords, shiftOrder } from "@zkiris/uniqueness";

const { values: args } = parseArgs({
  options: {
    codes: { type: "string", default: "400" },
    threshold: { type: "string", default: "3500" },
  },
});
const CODES = Number(args.codes);
const THRESHOLD = Number(args.threshold);
const g = DEFAULT_PROFILE.geometry;
const n = packedByteLength(g);
const layout = codeLayout(g);
const W = layout.halfWords;
const maxShift = DEFAULT_PROFILE.maxShift;
const nShifts = shiftOrder(maxShift).length;

/** A random code whose mask bytes are the complement of the AND of `k` random bytes (1 - 2^-k usable). */
function randomCode(k: number): IrisCode {
  const bits = new Uint8Array(n);
  const noise = new Uint8Array(k * n);
  globalThis.crypto.getRandomValues(bits);
  globalThis.crypto.getRandomValues(noise);
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let m = 0xff;
    for (let j = 0; j < k; j++) m &= noise[j * n + i]!;
    mask[i] = ~m & 0xff;
  }
  return IrisCode.fromPacked(g, bits, mask);
}

function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

console.log(
  `bench/uniqueness/refutation: ${CODES} random codes x ${nShifts} shifts, threshold ${THRESHOLD}, ${W} words per half, checkpoint ${layout.checkpoints.join(", ")}`,
);
for (const k of [2, 3]) {
  const probe = prepareProbeWords(layout, randomCode(k), maxShift);
  const first = new Array<number>(W + 1).fill(0); // first word count after which the shift is refuted (W: never)
  for (let c = 0; c < CODES; c++) {
    const code = codeWords(layout, randomCode(k));
    const restCode = new Array<number>(W + 1).fill(0);
    for (let w = W - 1; w >= 0; w--)
      restCode[w] = restCode[w + 1]! + popcount(code[2 * W + 2 * w]!) + popcount(code[2 * W + 2 * w + 1]!);
    for (let s = 0; s < nShifts; s++) {
      const p = s * layout.codeWords32;
      const restProbe = new Array<number>(W + 1).fill(0);
      for (let w = W - 1; w >= 0; w--)
        restProbe[w] =
          restProbe[w + 1]! + popcount(probe[p + 2 * W + 2 * w]!) + popcount(probe[p + 2 * W + 2 * w + 1]!);
      let u = 0;
      let d = 0;
      let at = W;
      for (let w = 0; w < W; w++) {
        for (const h of [0, 1]) {
          const m = code[2 * W + 2 * w + h]! & probe[p + 2 * W + 2 * w + h]!;
          u += popcount(m);
          d += popcount((code[2 * w + h]! ^ probe[p + 2 * w + h]!) & m);
        }
        if (d * 10000 > THRESHOLD * (u + Math.min(restCode[w + 1]!, restProbe[w + 1]!))) {
          at = w + 1;
          break;
        }
      }
      first[at]!++;
    }
  }
  const total = CODES * nShifts;
  let cumulative = 0;
  const parts: string[] = [];
  for (let w = 0; w <= W; w++) {
    cumulative += first[w]!;
    if (first[w]! > 0) parts.push(`${w}: ${((100 * cumulative) / total).toFixed(1)}%`);
  }
  const atCheckpoint = first.slice(0, layout.checkpoints[0]! + 1).reduce((a, b) => a + b, 0);
  console.log(
    `${(100 * (1 - 2 ** -k)).toFixed(1)}% usable: refuted by word (cumulative) ${parts.join(", ")}; at the checkpoint: ${((100 * atCheckpoint) / total).toFixed(1)}%`,
  );
}
