/**
 * Loading and searching a 100k-member uniqueness index the way the registry does, the current
 * package against the baseline (bench/uniqueness/baseline: the package before the dense layout,
 * the pruning kernel and `addBinary`), in the same process over the same codes.
 *
 *   npx tsx --conditions=zkiris-source bench/uniqueness/fast-path.ts [--members 100000] [--workers 2]
 *     [--runs 7] [--usable 0.875 | 0.75 | 0.5]
 *
 * 1. Load: the registry's rows are iris-code `toBinary` blobs. Baseline: `add(id, fromBinary(blob))`
 *    per row on the baseline index (what Registry.open does). Now: `addBinary(id, blob)`; and
 *    `add(id, fromBinary(blob))` on the current index, for the share of the parse.
 * 2. Search: the registry's deduplication decision (DEFAULT_PROFILE.deduplication, normalised, every
 *    shift) for a fresh eye (an impostor probe: no match) and for a second capture of an enrolled
 *    eye (a match), per capture and per 3-capture enrolment (enrolFromCaptures searches the
 *    template and each capture: 4 searches). Results are checked identical to the baseline's.
 *    Each search is also run on the calling thread (workers 0) for the kernel's CPU cost alone.
 *
 * Codes are random with a fraction `--usable` of mask bits usable (default 0.875, as the registry's
 * synthetic members, bench/registry/synthetic-members.ts; the pruning gain depends on it: the
 * fewer the usable bits, the later an impostor's shift is refuted). CPU time (process.cpuUsage,
 * every thread) is printed beside wall time: on a shared machine wall time measures neighbours.
 */
import { parseArgs } from "node:util";
import { DEFAULT_PROFILE, fromBinary, IrisCode, packedByteLength, toBinary } from "@zkiris/iris-code";
import { type SearchOptions, type SearchResult, UniquenessIndex } from "@zkiris/uniqueness";
import { BaselineUniquenessIndex } from "./baseline/index.js";

const { values: args } = parseArgs({
  options: {
    members: { type: "string", default: "100000" },
    workers: { type: "string", default: "2" },
    runs: { type: "string", default: "7" },
    usable: { type: "string", default: "0.875" },
  },
});
const MEMBERS = Number(args.members);
const WORKERS = Number(args.workers);
const RUNS = Number(args.runs);
const USABLE = Number(args.usable);
const profile = DEFAULT_PROFILE;
const g = profile.geometry;
const n = packedByteLength(g);
const dedup = profile.deduplication;
const OPTIONS: SearchOptions = {
  thresholdPer10k: dedup.thresholdPer10k,
  referenceBits: dedup.referenceBits ?? null,
  minUsableBits: dedup.minUsableBits,
  maxShift: profile.maxShift,
  limit: 1,
};

/** Mask bytes are the complement of the AND of `k` random bytes: a fraction 1 - 2^-k usable. */
const NOISE = Math.round(-Math.log2(1 - USABLE));
if (!(NOISE >= 1 && NOISE <= 8 && Math.abs(1 - 2 ** -NOISE - USABLE) < 1e-9)) {
  throw new Error(`--usable must be 1 - 2^-k for k in 1..8 (0.5, 0.75, 0.875, ...), received ${USABLE}`);
}

function randomCode(): IrisCode {
  const bits = new Uint8Array(n);
  const noise = new Uint8Array(NOISE * n);
  globalThis.crypto.getRandomValues(bits);
  globalThis.crypto.getRandomValues(noise);
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let m = 0xff;
    for (let k = 0; k < NOISE; k++) m &= noise[k * n + i]!;
    mask[i] = ~m & 0xff;
  }
  return IrisCode.fromPacked(g, bits, mask);
}

/** Uniform in [0, 1). */
function random(): number {
  return globalThis.crypto.getRandomValues(new Uint32Array(1))[0]! / 2 ** 32;
}

/** Another capture of the eye `code`: 10% of its bits flipped, 5% of its usable bits lost, shifted by 2 columns. */
function recapture(code: IrisCode): IrisCode {
  const bits = code.bitValues();
  const mask = code.maskValues();
  for (let i = 0; i < bits.length; i++) {
    if (random() < 0.1) bits[i] = bits[i]! ^ 1;
    if (mask[i] === 1 && random() < 0.05) mask[i] = 0;
  }
  const shifted = IrisCode.fromBits(g, bits, mask);
  // column c of the capture is column c - 2 of the eye
  const b2 = shifted.bitValues();
  const m2 = shifted.maskValues();
  const rowBits = g.cols * g.bitsPerCell;
  const ob = new Uint8Array(b2.length);
  const om = new Uint8Array(m2.length);
  for (let r = 0; r < g.rows; r++) {
    for (let j = 0; j < rowBits; j++) {
      const src = r * rowBits + ((j - 2 * g.bitsPerCell + rowBits) % rowBits);
      ob[r * rowBits + j] = b2[src]!;
      om[r * rowBits + j] = m2[src]!;
    }
  }
  return IrisCode.fromBits(g, ob, om);
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

interface Searcher {
  search(probe: IrisCode, options?: SearchOptions): Promise<SearchResult>;
}

/** Median wall and mean CPU ms of `fn` over RUNS runs, after one warm-up run. */
async function time(fn: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  await fn();
  const walls: number[] = [];
  let cpu = 0;
  for (let r = 0; r < RUNS; r++) {
    const c0 = cpuMs();
    const t0 = performance.now();
    await fn();
    walls.push(performance.now() - t0);
    cpu += cpuMs() - c0;
  }
  return { wall: median(walls), cpu: cpu / RUNS };
}

function strip(r: SearchResult): Omit<SearchResult, "elapsedMs"> {
  const { elapsedMs: _, ...rest } = r;
  return rest;
}

console.log(
  `bench/uniqueness/fast-path: ${MEMBERS} members, ${WORKERS} search workers, ${RUNS} runs, ${(USABLE * 100).toFixed(1)}% usable mask bits, decision ${dedup.thresholdPer10k}/10000 at ${dedup.referenceBits} reference bits, >= ${dedup.minUsableBits} usable, shifts -${profile.maxShift}..${profile.maxShift}`,
);
const t0 = performance.now();
const codes: IrisCode[] = [];
const blobs: Uint8Array[] = [];
for (let i = 0; i < MEMBERS; i++) {
  const code = randomCode();
  codes.push(code);
  blobs.push(toBinary(code));
}
console.log(
  `set-up: ${MEMBERS} random codes and their toBinary blobs in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);

// 1. Load
const rss0 = process.memoryUsage().rss;
let c0 = cpuMs();
let w0 = performance.now();
const baseline = await BaselineUniquenessIndex.create({ profile, workers: WORKERS });
for (let i = 0; i < MEMBERS; i++) baseline.add(BigInt(i + 1), fromBinary(blobs[i]!));
const baseLoad = { wall: performance.now() - w0, cpu: cpuMs() - c0 };
const rss1 = process.memoryUsage().rss;

c0 = cpuMs();
w0 = performance.now();
const current = await UniquenessIndex.create({ profile, workers: WORKERS });
for (let i = 0; i < MEMBERS; i++) current.addBinary(BigInt(i + 1), blobs[i]!);
const fastLoad = { wall: performance.now() - w0, cpu: cpuMs() - c0 };
const rss2 = process.memoryUsage().rss;

c0 = cpuMs();
w0 = performance.now();
const parsed = await UniquenessIndex.create({ profile, workers: 0 });
for (let i = 0; i < MEMBERS; i++) parsed.add(BigInt(i + 1), fromBinary(blobs[i]!));
const parsedLoad = { wall: performance.now() - w0, cpu: cpuMs() - c0 };

const inlineBaseline = await BaselineUniquenessIndex.create({ profile, workers: 0 });
for (let i = 0; i < MEMBERS; i++) inlineBaseline.add(BigInt(i + 1), codes[i]!);
const inlineCurrent = parsed;

const ms = (x: number) => `${x.toFixed(0)} ms`;
console.log(`\n1. load of ${MEMBERS} stored rows (toBinary blobs) into a fresh index`);
console.log(
  `   baseline add(id, fromBinary(blob)):  wall ${ms(baseLoad.wall)}, CPU ${ms(baseLoad.cpu)}; arena ${mib(baseline.arenaBytes)}, RSS +${mib(rss1 - rss0)}`,
);
console.log(
  `   now addBinary(id, blob):             wall ${ms(fastLoad.wall)}, CPU ${ms(fastLoad.cpu)}; arena ${mib(current.arenaBytes)}, RSS +${mib(rss2 - rss1)}`,
);
console.log(`   now add(id, fromBinary(blob)):       wall ${ms(parsedLoad.wall)}, CPU ${ms(parsedLoad.cpu)}`);
console.log(
  `   addBinary / baseline: ${(baseLoad.wall / fastLoad.wall).toFixed(1)}x faster (wall), ${(baseLoad.cpu / fastLoad.cpu).toFixed(1)}x (CPU); ${((1000 * fastLoad.cpu) / MEMBERS).toFixed(2)} us CPU per code`,
);

// 2. Search
const fresh = [randomCode(), randomCode(), randomCode()];
const enrolledEye = codes[Math.floor(MEMBERS / 2)]!;
const again = recapture(enrolledEye);
const enrolment = [fresh[0]!, fresh[1]!, fresh[2]!, fresh[0]!]; // template + 3 captures: 4 searches
const cases: Array<{ label: string; probes: IrisCode[] }> = [
  { label: "1 capture, fresh eye (no match)", probes: [fresh[1]!] },
  { label: "1 capture, enrolled eye (a match)", probes: [again] },
  { label: "3-capture enrolment (4 searches)", probes: enrolment },
];
async function runAll(index: Searcher, probes: IrisCode[]): Promise<SearchResult[]> {
  const out: SearchResult[] = [];
  for (const p of probes) out.push(await index.search(p, OPTIONS));
  return out;
}
for (const c of cases) {
  for (const [a, b] of [
    [baseline, current],
    [inlineBaseline, inlineCurrent],
  ] as const) {
    const want = (await runAll(a, c.probes)).map(strip);
    const got = (await runAll(b, c.probes)).map(strip);
    if (
      JSON.stringify(want, (_, v) => (typeof v === "bigint" ? v.toString() : v)) !==
      JSON.stringify(got, (_, v) => (typeof v === "bigint" ? v.toString() : v))
    ) {
      throw new Error(`results differ from the baseline for "${c.label}"`);
    }
  }
}
const matchOf = (await current.search(again, OPTIONS)).best;
console.log(
  `\n2. search (results identical to the baseline's in every case; the enrolled eye's recapture matches at distance ${matchOf?.distance.toFixed(4)}, shift ${matchOf?.shift})`,
);
console.log("   | case | workers | baseline wall | baseline CPU | now wall | now CPU | CPU speed-up |");
for (const c of cases) {
  for (const [w, a, b] of [
    [WORKERS, baseline, current],
    [0, inlineBaseline, inlineCurrent],
  ] as const) {
    const before = await time(() => runAll(a, c.probes));
    const after = await time(() => runAll(b, c.probes));
    console.log(
      `   | ${c.label} | ${w} | ${before.wall.toFixed(1)} ms | ${before.cpu.toFixed(1)} ms | ${after.wall.toFixed(1)} ms | ${after.cpu.toFixed(1)} ms | ${(before.cpu / after.cpu).toFixed(2)}x |`,
    );
  }
}
console.log(`   RSS at the end: ${mib(process.memoryUsage().rss)} (four indexes of ${MEMBERS} codes)`);
await Promise.all([baseline.close(), current.close(), parsed.close(), inlineBaseline.close()]);
