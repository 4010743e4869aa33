/**
 * Comparisons per second of the masked fractional Hamming distance over all shifts
 * (-maxShift..maxShift) for the default profile, against the bit-by-bit reference in the same run.
 *
 *   npx tsx --conditions=zkiris-source bench/iris-code/distance.ts [--templates N]
 */

import {
  bitCount,
  DEFAULT_PROFILE,
  hammingDistance,
  type IrisCode,
  type IrisProfile,
  OPEN_IRIS_PROFILE,
  PreparedProbe,
  referenceHammingDistance,
  rowWords,
} from "@zkiris/iris-code";
import { randomCode as kitRandomCode, mulberry32 } from "@zkiris/test-kit";

function randomCode(profile: IrisProfile, seed: number): IrisCode {
  return kitRandomCode(mulberry32(seed), profile.geometry, 0.85);
}

function timeIt(fn: () => number, minMs = 1500): { perSecond: number; ops: number } {
  let ops = 0;
  const start = performance.now();
  while (performance.now() - start < minMs) ops += fn();
  return { perSecond: (ops * 1000) / (performance.now() - start), ops };
}

const argTemplates = process.argv.indexOf("--templates");
const templates = argTemplates > 0 ? Number(process.argv[argTemplates + 1]) : 2000;

for (const profile of [DEFAULT_PROFILE, OPEN_IRIS_PROFILE]) {
  const g = profile.geometry;
  const shifts = 2 * profile.maxShift + 1;
  console.log(
    `\nprofile ${profile.name}: ${bitCount(g)} bits, ${shifts} shifts, ${templates} templates (one core, plain TypeScript)`,
  );
  const probe = randomCode(profile, 1);
  const codes = Array.from({ length: templates }, (_, i) => randomCode(profile, i + 2));
  const words = codes.map((c) => ({
    bits: rowWords(c.packedBitsView() as Uint8Array, g),
    mask: rowWords(c.packedMaskView() as Uint8Array, g),
  }));

  const reference = timeIt(() => {
    referenceHammingDistance(codes[0]!, probe, profile.maxShift);
    return 1;
  });
  const single = timeIt(() => {
    for (let i = 0; i < 50; i++)
      hammingDistance(codes[i % codes.length]!, probe, { maxShift: profile.maxShift });
    return 50;
  });
  const prepared = new PreparedProbe(probe, profile.maxShift);
  const scan = timeIt(() => {
    for (const w of words) prepared.compareWords(w.bits, w.mask);
    return words.length;
  });
  const row = (name: string, r: { perSecond: number }) =>
    console.log(
      `  ${name.padEnd(44)} ${r.perSecond.toFixed(0).padStart(10)} comparisons/s  ${(r.perSecond * shifts).toExponential(2)} code-shift pairs/s  ${(r.perSecond / reference.perSecond).toFixed(1).padStart(7)}x reference`,
    );
  row("reference (bit by bit)", reference);
  row("hammingDistance (prepares the probe per call)", single);
  row("PreparedProbe.compareWords (1:N scan)", scan);
}
