/**
 * Cost of the normalised deduplication decision in the 1:N search.
 *
 *   npx tsx --conditions=zkiris-source bench/uniqueness/normalised.ts [--enrolled 200000] [--workers 2] [--runs 5]
 *
 * Under the normalised rule (Daugman's normalisation capped at the raw distance: never below it)
 * the kernels scan with the raw threshold, and every code under it is decided exactly on the
 * calling thread. Real impostors fall under it far more often than random codes (whose distances
 * sit at 0.5), so codes are planted at raw distances 0.33-0.36 on 1,000-3,000 usable bits, as a
 * fraction of the index: 0 %, 0.2 % and 1 % (far more than the share of real impostor pairs under
 * a raw 0.35 on the two shared cameras, about 1e-4). Prints the median search time of the
 * raw rule (`referenceBits: null`, threshold 0.35) as the baseline and of the normalised rule, and
 * their ratio, for each fraction.
 */
import { DEFAULT_PROFILE, type IrisCode } from "@zkiris/iris-code";
import { mulberry32, randomCode, recapture } from "@zkiris/test-kit";
import { UniquenessIndex } from "@zkiris/uniqueness";

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ENROLLED = arg("enrolled", 200_000);
const WORKERS = arg("workers", 2);
const RUNS = arg("runs", 5);
const profile = DEFAULT_PROFILE;
const g = profile.geometry;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

async function timeSearch(index: UniquenessIndex, probe: IrisCode, normalised: boolean): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    await index.search(probe, normalised ? {} : { thresholdPer10k: 3500, referenceBits: null });
    times.push(performance.now() - t0);
  }
  return median(times);
}

const random = mulberry32(17);
const probe = randomCode(random, g, 0.95);
console.log(
  `normalised deduplication search: ${ENROLLED} enrolled, ${WORKERS} workers, median of ${RUNS} runs`,
);
console.log("candidates  raw rule (ms)  normalised (ms)  ratio  raw matches decided exactly");
for (const fraction of [0, 0.002, 0.01]) {
  const index = await UniquenessIndex.create({ profile, workers: WORKERS });
  try {
    const near = Math.round(fraction * ENROLLED);
    for (let i = 0; i < ENROLLED - near; i++) index.add(`other-${i}`, randomCode(random, g, 0.75));
    // Near codes: the probe with 33-36 % of its bits flipped and a mask of 30-85 % usable bits.
    for (let i = 0; i < near; i++)
      index.add(
        `near-${i}`,
        recapture(random, probe, { flip: 0.33 + 0.03 * random(), drop: 0.15 + 0.55 * random() }),
      );
    const raw = await timeSearch(index, probe, false);
    const normalised = await timeSearch(index, probe, true);
    const scan = await index.search(probe, { thresholdPer10k: 3500, referenceBits: null });
    console.log(
      `${(100 * fraction).toFixed(1).padStart(8)} %  ${raw.toFixed(1).padStart(13)}  ${normalised.toFixed(1).padStart(15)}  ${(normalised / raw).toFixed(2).padStart(5)}  ${scan.matchCount}`,
    );
  } finally {
    await index.close();
  }
}
