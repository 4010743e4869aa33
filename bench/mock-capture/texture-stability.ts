/**
 * Texture stability of the mock capture device: genuine (same subject) and impostor (different
 * subjects) fractional Hamming distances of a simple reference code (rubber sheet from the
 * ground-truth circles, 1-D Gabor phase, 16x112x2, ±8 column shifts; see
 * packages/mock-capture/test/support/polar-code.ts). This measures the generator, not the
 * project's encoder or segmenter.
 *
 *   npx tsx --conditions=zkiris-source bench/mock-capture/texture-stability.ts [subjects] [captures]
 *
 * Baseline, in the same process: the impostor distribution without shifts (independent codes
 * give 0.5), and the genuine distribution of identical images (0).
 */
import { hammingDistance, type IrisCode } from "@zkiris/iris-code";
import { type CapturePreset, renderCapture } from "@zkiris/mock-capture";
import { polarCode } from "../../packages/mock-capture/test/support/polar-code.js";

const subjects = Number(process.argv[2] ?? 30);
const captures = Number(process.argv[3] ?? 4);

function stats(values: number[]): { mean: number; sd: number; min: number; max: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  return { mean, sd, min: Math.min(...values), max: Math.max(...values) };
}

function line(label: string, values: number[]): ReturnType<typeof stats> {
  const s = stats(values);
  console.log(
    `  ${label.padEnd(28)} n=${String(values.length).padStart(5)} mean ${s.mean.toFixed(4)} sd ${s.sd.toFixed(4)} min ${s.min.toFixed(4)} max ${s.max.toFixed(4)}`,
  );
  return s;
}

for (const preset of ["default", "hard"] as CapturePreset[]) {
  const started = performance.now();
  const codes: IrisCode[][] = [];
  for (let s = 0; s < subjects; s++) {
    const row: IrisCode[] = [];
    for (let c = 1; c <= captures; c++) row.push(polarCode(renderCapture(`stability-${s}`, c, { preset })));
    codes.push(row);
    process.stderr.write(`\r${preset}: encoded ${s + 1}/${subjects} subjects`);
  }
  process.stderr.write("\n");
  const genuine: number[] = [];
  const impostor: number[] = [];
  const impostorNoShift: number[] = [];
  const usable: number[] = [];
  for (let s = 0; s < subjects; s++) {
    for (let a = 0; a < captures; a++) {
      for (let b = a + 1; b < captures; b++) {
        const r = hammingDistance(codes[s]![a]!, codes[s]![b]!, { maxShift: 8, minUsableBits: 1 });
        genuine.push(r.distance);
        usable.push(r.usableBits);
      }
    }
    for (let t = s + 1; t < subjects; t++) {
      impostor.push(
        hammingDistance(codes[s]![0]!, codes[t]![0]!, { maxShift: 8, minUsableBits: 1 }).distance,
      );
      impostorNoShift.push(
        hammingDistance(codes[s]![0]!, codes[t]![0]!, { maxShift: 0, minUsableBits: 1 }).distance,
      );
    }
  }
  const identical = codes.map(
    (row) => hammingDistance(row[0]!, row[0]!, { maxShift: 0, minUsableBits: 1 }).distance,
  );
  console.log(
    `preset ${preset}: ${subjects} subjects x ${captures} captures (${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
  const g = line("genuine, shifts ±8", genuine);
  const i = line("impostor, shifts ±8", impostor);
  line("baseline: impostor, no shift", impostorNoShift);
  line("baseline: identical image", identical);
  const dPrime = (i.mean - g.mean) / Math.sqrt((i.sd ** 2 + g.sd ** 2) / 2);
  const overlap = genuine.filter((d) => d >= i.min).length;
  console.log(
    `  d' = ${dPrime.toFixed(2)}; genuine at or above the lowest impostor: ${overlap}/${genuine.length}; mean usable bits ${stats(usable).mean.toFixed(0)} of 3584`,
  );
}
