/**
 * Simulation: consistency of concurrent enrolments over the uniqueness index.
 *
 *   npx tsx --conditions=zkiris-source bench/uniqueness/enrolment-race.ts [--enrolled 50000] [--eyes 100] [--concurrency 8]
 *
 * Two captures of the same new eye arrive at about the same time. If each enrolment searches and
 * then inserts independently, both searches can run before either insert, so both pass and the
 * eye is enrolled twice. Three registry strategies are simulated against a real index (worker
 * threads, real kernel), with a storage write of a fixed latency between search and insert:
 *
 * - naive: search, then insert; no coordination (the race above).
 * - serialised: one lock held across search-then-insert (what the registry does); correct, but
 *   the lock is held for a whole 1:N search, so enrolments do not overlap.
 * - optimistic: search without the lock, remember the insert sequence number the search saw;
 *   then, under the lock, compare the probe only with codes inserted since (brute force over a
 *   handful), and insert. Correct, and the lock is held only for the delta check and the write.
 *
 * Prints duplicates admitted, genuine eyes refused, throughput and lock hold time per strategy.
 */
import { DEFAULT_PROFILE, type IrisCode } from "@zkiris/iris-code";
import { recapture as kitRecapture, mulberry32, randomCode } from "@zkiris/test-kit";
import { bruteForceSearch, UniquenessIndex } from "@zkiris/uniqueness";

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ENROLLED = arg("enrolled", 50_000);
const EYES = arg("eyes", 100);
const CONCURRENCY = arg("concurrency", 8);
const WRITE_MS = 2;
const profile = DEFAULT_PROFILE;
const g = profile.geometry;

/** Another capture of the same eye: 8% of bits flipped, 5% of mask bits lost, columns rotated by `shift`. */
function recapture(random: () => number, code: IrisCode, shift: number): IrisCode {
  return kitRecapture(random, code, { flip: 0.08, drop: 0.05, shift });
}

class Mutex {
  #tail: Promise<void> = Promise.resolve();
  async lock<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise((r) => {
      release = r;
    });
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Strategy = "naive" | "serialised" | "optimistic";

async function run(strategy: Strategy, base: IrisCode[], requests: Array<{ eye: number; code: IrisCode }>) {
  const index = await UniquenessIndex.create({ profile, initialCapacity: ENROLLED + requests.length });
  try {
    for (let i = 0; i < base.length; i++) index.add(`base-${i}`, base[i]!);
    const mutex = new Mutex();
    const log: Array<readonly [string, IrisCode]> = []; // insert order: the "sequence" of the store
    const admitted = new Map<number, number>();
    let lockHeldMs = 0;
    const enrol = async (r: { eye: number; code: IrisCode }, k: number): Promise<void> => {
      const id = `new-${k}`;
      const insert = async () => {
        await sleep(WRITE_MS); // the storage write
        index.add(id, r.code);
        log.push([id, r.code]);
        admitted.set(r.eye, (admitted.get(r.eye) ?? 0) + 1);
      };
      if (strategy === "naive") {
        if ((await index.search(r.code, { limit: 1 })).matchCount === 0) await insert();
      } else if (strategy === "serialised") {
        await mutex.lock(async () => {
          const t0 = performance.now();
          if ((await index.search(r.code, { limit: 1 })).matchCount === 0) await insert();
          lockHeldMs += performance.now() - t0;
        });
      } else {
        const seen = log.length;
        if ((await index.search(r.code, { limit: 1 })).matchCount > 0) return;
        await mutex.lock(async () => {
          const t0 = performance.now();
          const delta = bruteForceSearch(log.slice(seen), r.code, { profile, limit: 1 });
          if (delta.matchCount === 0) await insert();
          lockHeldMs += performance.now() - t0;
        });
      }
    };
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < requests.length) {
          const k = next++;
          await enrol(requests[k]!, k);
        }
      }),
    );
    const elapsed = performance.now() - t0;
    const duplicates = [...admitted.values()].filter((c) => c > 1).length;
    const missing = EYES - admitted.size;
    return { elapsed, duplicates, missing, lockHeldMs };
  } finally {
    await index.close();
  }
}

async function main(): Promise<void> {
  const random = mulberry32(2026);
  console.log(
    `# Concurrent enrolment simulation: ${ENROLLED} enrolled codes, ${EYES} new eyes each captured twice, ${CONCURRENCY} enrolments in flight, ${WRITE_MS} ms storage write`,
  );
  const base: IrisCode[] = [];
  for (let i = 0; i < ENROLLED; i++) {
    base.push(randomCode(random, g, 0.75));
    if ((i + 1) % Math.floor(ENROLLED / 4) === 0)
      process.stderr.write(`  population: ${i + 1}/${ENROLLED}\n`);
  }
  const requests: Array<{ eye: number; code: IrisCode }> = [];
  for (let e = 0; e < EYES; e++) {
    const eye = randomCode(random, g, 0.75);
    // The two captures are submitted back to back, so they overlap in flight.
    requests.push({ eye: e, code: recapture(random, eye, Math.floor(random() * 7) - 3) });
    requests.push({ eye: e, code: recapture(random, eye, Math.floor(random() * 7) - 3) });
  }
  console.log(
    "| strategy | eyes enrolled twice | eyes refused entirely | enrolments/s | lock held (ms total) |",
  );
  console.log("|---|---:|---:|---:|---:|");
  const results = new Map<Strategy, Awaited<ReturnType<typeof run>>>();
  const order = (
    args.includes("--order")
      ? args[args.indexOf("--order") + 1]!.split(",")
      : ["naive", "serialised", "optimistic"]
  ) as Strategy[];
  for (const strategy of order) {
    const r = await run(strategy, base, requests);
    results.set(strategy, r);
    console.log(
      `| ${strategy} | ${r.duplicates} | ${r.missing} | ${((requests.length / r.elapsed) * 1e3).toFixed(1)} | ${r.lockHeldMs.toFixed(0)} |`,
    );
  }
  const serialised = results.get("serialised");
  const optimistic = results.get("optimistic");
  if (serialised && optimistic)
    console.log(
      `Lock held: serialised / optimistic = ${(serialised.lockHeldMs / optimistic.lockHeldMs).toFixed(1)}x; throughput optimistic / serialised = ${(serialised.elapsed / optimistic.elapsed).toFixed(2)}x.`,
    );
}

await main();
