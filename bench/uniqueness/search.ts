/**
 * Exact 1:N search benchmark of @zkiris/uniqueness.
 *
 *   npx tsx --conditions=zkiris-source bench/uniqueness/search.ts [--sizes 10000,100000,300000,1000000] [--quick]
 *     [--only kernels|index|growth]
 *
 * Prints, on random codes (75% of mask bits usable, impostor distances ~0.5; the kernel's exact
 * pruning abandons an impostor's shift at 0.79 of its words, so genuine or low-mask data cost more;
 * bench/uniqueness/fast-path.ts compares with the kernel before pruning):
 * 1. the kernels on one core over the same 100k-code arena: WebAssembly i64.popcnt versus the
 *    plain-JS baseline, and both versus the sequential-read bandwidth measured in this process;
 * 2. the index end to end (probe pre-shifting, partitioning over workers, merge) at 0/1/2 workers;
 * 3. growth of search time, RSS and arena bytes at each size (default profile), and the open-iris
 *    16x256x4 geometry at 100k for reference.
 */
import { availableParallelism, loadavg } from "node:os";
import {
  type CodeGeometry,
  DEFAULT_PROFILE,
  IrisCode,
  type IrisProfile,
  OPEN_IRIS_PROFILE,
  packedByteLength,
} from "@zkiris/iris-code";
import {
  bruteForceSearch,
  codeLayout,
  codeWords,
  emitKernelModule,
  prepareProbeWords,
  scanChunk,
  scanJs,
  UniquenessIndex,
  type WasmKernel,
} from "@zkiris/uniqueness";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : undefined;
const sizesArg = args[args.indexOf("--sizes") + 1];
const SIZES =
  args.includes("--sizes") && sizesArg
    ? sizesArg.split(",").map(Number)
    : quick
      ? [10_000, 100_000]
      : [10_000, 100_000, 300_000, 1_000_000];

/** xorshift128 filling bytes: fast, seeded, good enough for random codes. */
function byteSource(seed: number): (out: Uint8Array) => void {
  let x = seed | 1;
  let y = 362436069;
  let z = 521288629;
  let w = 88675123;
  return (out) => {
    const words = new Uint32Array(out.buffer, out.byteOffset, out.byteLength >>> 2);
    for (let i = 0; i < words.length; i++) {
      const t = x ^ (x << 11);
      x = y;
      y = z;
      z = w;
      w = (w ^ (w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
      words[i] = w;
    }
  };
}

/** A random code with 75% of its mask bits usable (OR of two random masks). */
function codeFactory(g: CodeGeometry, seed: number): () => IrisCode {
  const fill = byteSource(seed);
  const n = packedByteLength(g);
  const bits = new Uint8Array(n);
  const m1 = new Uint8Array(n);
  const m2 = new Uint8Array(n);
  return () => {
    fill(bits);
    fill(m1);
    fill(m2);
    for (let i = 0; i < n; i++) m1[i] = m1[i]! | m2[i]!;
    return IrisCode.fromPacked(g, bits, m1);
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function mb(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

function progress(label: string, done: number, total: number): void {
  if (process.stderr.isTTY) process.stderr.write(`\r  ${label}: ${done}/${total}   `);
  else if (done === total || done % Math.max(1, Math.floor(total / 4)) === 0)
    process.stderr.write(`  ${label}: ${done}/${total}\n`);
}

async function fill(index: UniquenessIndex, n: number, make: () => IrisCode, label: string): Promise<number> {
  const t0 = performance.now();
  const step = Math.max(1, Math.floor(n / 40));
  for (let i = index.size; i < n; i++) {
    index.add(`id-${i}`, make());
    if ((i + 1) % step === 0 || i + 1 === n) progress(label, i + 1, n);
  }
  if (process.stderr.isTTY) process.stderr.write("\n");
  return performance.now() - t0;
}

async function timeSearches(
  index: UniquenessIndex,
  probe: IrisCode,
  runs: number,
): Promise<{ ms: number; cpuMs: number; matches: number }> {
  await index.search(probe);
  const times: number[] = [];
  let matches = 0;
  const cpu0 = cpuMs();
  for (let r = 0; r < runs; r++) {
    const result = await index.search(probe);
    times.push(result.elapsedMs);
    matches = result.matchCount;
  }
  return { ms: median(times), cpuMs: (cpuMs() - cpu0) / runs, matches };
}

/** CPU time of the whole process (every thread), in ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
}

/**
 * Median wall time and mean CPU time of `runs` calls. CPU time is the robust figure on a shared
 * machine: with other processes running, a process gets a share of the cores whatever its
 * thread count, so wall time measures the neighbours as much as the code.
 */
function measure(runs: number, fn: () => void): { ms: number; cpuMs: number } {
  fn();
  const times: number[] = [];
  const c0 = cpuMs();
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return { ms: median(times), cpuMs: (cpuMs() - c0) / runs };
}

/** Section 1: both kernels and the bandwidth probes on one core, over one arena. */
function kernelSection(profile: IrisProfile, n: number): void {
  const layout = codeLayout(profile.geometry);
  const make = codeFactory(profile.geometry, 7);
  const nShifts = 2 * profile.maxShift + 1;
  // the pre-shifted probe, then the kernel's pruning bounds (one u32 per shift and checkpoint)
  const probeBytes = nShifts * (layout.codeBytes + 4 * layout.checkpoints.length);
  const outPtr = probeBytes;
  const codesPtr = Math.ceil((outPtr + 4096 * 16) / 64) * 64;
  const total = codesPtr + n * layout.codeBytes;
  const pages = Math.ceil((total * 2) / 65536); // room for a memcpy destination
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  const kernel = new WebAssembly.Instance(
    new WebAssembly.Module(emitKernelModule(layout.halfWords, pages, pages)),
    {
      env: { memory },
    },
  ).exports as unknown as WasmKernel;
  const words = new Uint32Array(memory.buffer);
  for (let i = 0; i < n; i++) {
    words.set(codeWords(layout, make()), codesPtr / 4 + i * layout.codeWords32);
    if ((i + 1) % Math.floor(n / 4) === 0) progress("kernel arena", i + 1, n);
  }
  const probe = make();
  words.set(prepareProbeWords(layout, probe, profile.maxShift), 0);
  const arenaBytes = n * layout.codeBytes;

  const wasmRun = () => {
    let found = 0;
    for (let first = 0; first < n; first += 4096) {
      found += scanChunk(
        kernel,
        memory,
        0,
        nShifts,
        codesPtr + first * layout.codeBytes,
        layout.codeBytes,
        Math.min(4096, n - first),
        profile.minUsableBits,
        profile.thresholdPer10k,
        outPtr,
      );
    }
    return found;
  };
  const wasm = measure(7, wasmRun);
  const js = measure(2, () =>
    scanJs(layout, words, 0, nShifts, codesPtr / 4, n, profile.minUsableBits, profile.thresholdPer10k, []),
  );
  const sweep = measure(7, () => kernel.readSweep(codesPtr, arenaBytes - (arenaBytes % 64)));
  const bytes = new Uint8Array(memory.buffer);
  const copy = measure(5, () => bytes.copyWithin(total, codesPtr, codesPtr + arenaBytes));
  const gbs = (b: number, ms: number) => (b / ms / 1e6).toFixed(1);
  console.log(
    `\n## Kernels on one core: ${profile.name}, ${n} codes, ${nShifts} shifts, ${layout.codeBytes} B/code`,
  );
  console.log(
    "| kernel | wall ms/search | CPU ms/search | comparisons per CPU-s | code-shift pairs per CPU-s | GB/s of codes (CPU) | vs JS (CPU) |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|");
  const row = (name: string, m: { ms: number; cpuMs: number }) =>
    console.log(
      `| ${name} | ${m.ms.toFixed(1)} | ${m.cpuMs.toFixed(1)} | ${((n / m.cpuMs) * 1e3).toExponential(2)} | ${(((n * nShifts) / m.cpuMs) * 1e3).toExponential(2)} | ${gbs(arenaBytes, m.cpuMs)} | ${(js.cpuMs / m.cpuMs).toFixed(1)}x |`,
    );
  row("WebAssembly i64.popcnt", wasm);
  row("plain JS (SWAR popcount)", js);
  console.log(
    `Sequential read (wasm i64 loads): ${gbs(arenaBytes, sweep.cpuMs)} GB/s per CPU-s (${sweep.ms.toFixed(1)} ms wall for the arena); memcpy: ${gbs(arenaBytes * 2, copy.cpuMs)} GB/s read+write.`,
  );
  console.log(
    `Bandwidth bound of one search: ${sweep.cpuMs.toFixed(1)} ms (each code read once at the sequential-read rate); the kernel takes ${(wasm.cpuMs / sweep.cpuMs).toFixed(0)}x that: compute-bound, ${((wasm.cpuMs * 1e6) / (n * nShifts * layout.halfWords)).toFixed(2)} ns of CPU per 64-bit word pair and shift (2 popcnt each).`,
  );
}

async function indexSection(): Promise<void> {
  const cores = availableParallelism();
  const profile = DEFAULT_PROFILE;
  const n = 100_000;
  console.log(
    `\n## Index end to end: ${profile.name}, ${n} codes, all ${2 * profile.maxShift + 1} shifts (machine: ${cores} cores)`,
  );
  console.log(
    "| workers | wall ms/search (median of 9) | CPU ms/search | comparisons per CPU-s | code-shift pairs/s (wall) | wall speed-up vs 0 workers |",
  );
  console.log("|---:|---:|---:|---:|---:|---:|");
  let base = 0;
  const make = codeFactory(profile.geometry, 11);
  const probeSource = make();
  const workerCounts = [...new Set([0, 1, cores])];
  for (const workers of workerCounts) {
    const index = await UniquenessIndex.create({ profile, workers, initialCapacity: n });
    const again = codeFactory(profile.geometry, 11);
    again();
    await fill(index, n, again, `fill (${workers} workers)`);
    const { ms, cpuMs: cpu } = await timeSearches(index, probeSource, 9);
    if (workers === 0) base = ms;
    console.log(
      `| ${workers} | ${ms.toFixed(1)} | ${cpu.toFixed(1)} | ${(n / (cpu / 1e3)).toExponential(2)} | ${((n * (2 * profile.maxShift + 1)) / (ms / 1e3)).toExponential(2)} | ${(base / ms).toFixed(2)}x |`,
    );
    await index.close();
  }
  const t0 = performance.now();
  for (let i = 0; i < 20; i++) prepareProbeWords(codeLayout(profile.geometry), probeSource, profile.maxShift);
  console.log(
    `Probe pre-shifting (serial part of a search): ${((performance.now() - t0) / 20).toFixed(2)} ms.`,
  );
}

async function growthSection(profile: IrisProfile, sizes: number[]): Promise<void> {
  console.log(
    `\n## Growth: ${profile.name}, default workers (${availableParallelism()}), all ${2 * profile.maxShift + 1} shifts`,
  );
  console.log(
    "| codes | fill s | wall ms/search (median) | CPU ms/search | CPU ns per code | RSS | arena bytes | matches |",
  );
  console.log("|---:|---:|---:|---:|---:|---:|---:|---:|");
  const make = codeFactory(profile.geometry, 23);
  const index = await UniquenessIndex.create({ profile });
  let fillMs = 0;
  try {
    // The probe is an enrolled code: exactly one match is expected (itself).
    const probe = make();
    index.add("probe-itself", probe);
    for (const n of sizes) {
      fillMs += await fill(index, n, make, `fill to ${n}`);
      if (n === sizes[0]) {
        const small = await index.search(probe, { thresholdPer10k: 4800 });
        // Cross-check the index against brute force once, on a fresh copy of the population.
        const again = codeFactory(profile.geometry, 23);
        const entries: Array<[string, IrisCode]> = [["probe-itself", again()]];
        for (let i = 1; i < n; i++) entries.push([`id-${i}`, again()]);
        const want = bruteForceSearch(entries, probe, { profile, thresholdPer10k: 4800 });
        const same =
          JSON.stringify(want.matches.map((m) => [String(m.id), m.shift, m.differingBits])) ===
          JSON.stringify(small.matches.map((m) => [String(m.id), m.shift, m.differingBits]));
        console.log(
          `(check at ${n}: index ${small.matchCount} matches at threshold 0.48, brute force ${want.matchCount}, identical: ${same}; brute force took ${want.elapsedMs.toFixed(0)} ms)`,
        );
      }
      const runs = n >= 1_000_000 ? 5 : 9;
      const { ms, cpuMs: cpu, matches } = await timeSearches(index, probe, runs);
      console.log(
        `| ${n} | ${(fillMs / 1e3).toFixed(1)} | ${ms.toFixed(1)} | ${cpu.toFixed(1)} | ${((cpu * 1e6) / n).toFixed(0)} | ${mb(process.memoryUsage().rss)} | ${mb(index.arenaBytes)} | ${matches} |`,
      );
    }
  } finally {
    await index.close();
  }
}

async function main(): Promise<void> {
  console.log(
    `# @zkiris/uniqueness search benchmark (node ${process.version}, ${availableParallelism()} cores)`,
  );
  const load = () =>
    loadavg()
      .map((x) => x.toFixed(1))
      .join(" ");
  console.log(`Load average at start: ${load()} (other work on this machine slows every figure alike).`);
  const run = (section: string) => only === undefined || only === section;
  if (run("kernels")) {
    kernelSection(DEFAULT_PROFILE, 100_000);
    kernelSection(OPEN_IRIS_PROFILE, quick ? 10_000 : 30_000);
  }
  if (run("index")) await indexSection();
  if (run("growth")) {
    await growthSection(DEFAULT_PROFILE, SIZES);
    await growthSection(OPEN_IRIS_PROFILE, quick ? [10_000] : [10_000, 100_000]);
  }
  console.log(`\nLoad average at end: ${load()}.`);
}

await main();
