/**
 * Simulation: the uniqueness search sharded over worker processes, each holding a partition.
 *
 *   npx tsx --conditions=zkiris-source bench/uniqueness/sharded.ts [--total 100000] [--shards 2] [--workers 1]
 *
 * A coordinator forks `shards` child processes (shard-process.ts); each builds its partition
 * (`i % shards`) of a deterministic population in its own UniquenessIndex. A search fans the
 * probe out to every shard, waits for all of them, and merges by exact distance then id. The
 * merged answer is compared with a single in-process index over the whole population (it must be
 * identical), the latencies are compared, and finally one shard is killed to show that a search
 * with a shard missing fails instead of answering "unique" from a partial population.
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { DEFAULT_PROFILE, type IrisCode } from "@zkiris/iris-code";
import {
  compareMatches,
  type SearchMatch,
  type SearchOptions,
  type SearchResult,
  UniquenessIndex,
} from "@zkiris/uniqueness";
import { populationCode } from "./population.js";

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const TOTAL = arg("total", 100_000);
const SHARDS = arg("shards", 2);
const WORKERS = arg("workers", 1);

interface Shard {
  child: ChildProcess;
  pending: Map<number, { resolve: (r: SearchResult) => void; reject: (e: Error) => void }>;
}

class ShardedSearch {
  readonly #shards: Shard[] = [];
  #next = 1;

  static async start(total: number, shards: number, workers: number): Promise<ShardedSearch> {
    const self = new ShardedSearch();
    const script = fileURLToPath(new URL("./shard-process.ts", import.meta.url));
    await Promise.all(
      Array.from({ length: shards }, (_, shard) => {
        const child = fork(script, [shard, shards, total, workers].map(String), {
          execArgv: ["--import", "tsx", "--conditions=zkiris-source"],
        });
        const s: Shard = { child, pending: new Map() };
        self.#shards.push(s);
        child.on("exit", (code, signal) => {
          for (const p of s.pending.values())
            p.reject(new Error(`shard ${shard} exited (${signal ?? code}) during a search`));
          s.pending.clear();
        });
        return new Promise<void>((resolve) => {
          child.on(
            "message",
            (msg: { type: string; id: number; result: SearchResult; size: number; message: string }) => {
              if (msg.type === "ready") {
                process.stderr.write(`  shard ${shard} ready with ${msg.size} codes\n`);
                resolve();
              } else if (msg.type === "result") {
                s.pending.get(msg.id)?.resolve(msg.result);
                s.pending.delete(msg.id);
              } else if (msg.type === "error") {
                s.pending.get(msg.id)?.reject(new Error(`shard ${shard}: ${msg.message}`));
                s.pending.delete(msg.id);
              }
            },
          );
        });
      }),
    );
    return self;
  }

  /** Fan-out to every shard, merge. Fails if any shard fails: a partial answer is not "unique". */
  async search(probe: IrisCode, options: SearchOptions = {}): Promise<SearchResult & { shardMs: number[] }> {
    const t0 = performance.now();
    const id = this.#next++;
    const payload = { type: "search", id, bits: [...probe.bits], mask: [...probe.mask], options };
    const down = this.#shards.findIndex((s) => s.child.exitCode !== null || s.child.signalCode !== null);
    if (down >= 0) throw new Error(`shard ${down} is down`);
    const parts = await Promise.all(
      this.#shards.map(
        (s) =>
          new Promise<SearchResult>((resolve, reject) => {
            s.pending.set(id, { resolve, reject });
            s.child.send(payload);
          }),
      ),
    );
    const matches: SearchMatch[] = parts.flatMap((p) => p.matches).sort(compareMatches);
    return {
      matches,
      best: matches[0] ?? null,
      matchCount: parts.reduce((a, p) => a + p.matchCount, 0),
      // Ids as each shard sent them (a bigint id would arrive as a string over IPC); not re-limited.
      undecidable: parts.flatMap((p) => p.undecidable),
      undecidableCount: parts.reduce((a, p) => a + p.undecidableCount, 0),
      compared: parts.reduce((a, p) => a + p.compared, 0),
      elapsedMs: performance.now() - t0,
      shardMs: parts.map((p) => p.elapsedMs),
    };
  }

  kill(i: number): void {
    this.#shards[i]!.child.kill("SIGKILL");
  }

  async close(): Promise<void> {
    await Promise.all(
      this.#shards.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.child.exitCode !== null || s.child.signalCode !== null) return resolve();
            s.child.once("exit", () => resolve());
            s.child.send({ type: "close" });
          }),
      ),
    );
  }
}

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

async function main(): Promise<void> {
  console.log(
    `# Sharded search simulation: ${TOTAL} codes over ${SHARDS} shard processes x ${WORKERS} worker threads`,
  );
  const sharded = await ShardedSearch.start(TOTAL, SHARDS, WORKERS);
  const single = await UniquenessIndex.create({ profile: DEFAULT_PROFILE, initialCapacity: TOTAL });
  try {
    for (let i = 0; i < TOTAL; i++) single.add(`id-${i}`, populationCode(i));
    // Probes: enrolled codes (one exact match each) at various positions, and a fresh code.
    const probes = [0, 1, Math.floor(TOTAL / 2), TOTAL - 1].map(populationCode);
    probes.push(populationCode(TOTAL + 7));
    const singleMs: number[] = [];
    const shardedMs: number[] = [];
    const shardInner: number[] = [];
    let identical = true;
    for (let round = 0; round < 3; round++) {
      for (const probe of probes) {
        // A loose threshold gives thousands of matches, so the merge order is exercised too.
        const loose = { thresholdPer10k: 4700 };
        const a = await single.search(probe, loose);
        const a2 = await sharded.search(probe, loose);
        identical &&=
          JSON.stringify(a.matches) === JSON.stringify(a2.matches) && a.matchCount === a2.matchCount;
        const b = await sharded.search(probe);
        const c = await single.search(probe);
        identical &&= JSON.stringify(b.matches) === JSON.stringify(c.matches) && b.compared === c.compared;
        singleMs.push(c.elapsedMs);
        shardedMs.push(b.elapsedMs);
        shardInner.push(Math.max(...b.shardMs));
      }
    }
    console.log(`Merged sharded answers identical to the single index: ${identical}`);
    console.log("| setup | ms/search (median) |");
    console.log("|---|---:|");
    console.log(`| one process, ${single.workerCount} worker threads | ${median(singleMs).toFixed(1)} |`);
    console.log(
      `| ${SHARDS} shard processes x ${WORKERS} workers, fan-out + merge | ${median(shardedMs).toFixed(1)} |`,
    );
    console.log(`| slowest shard's own search time | ${median(shardInner).toFixed(1)} |`);
    console.log(
      `Fan-out/merge overhead (IPC, serialisation, merge): ${(median(shardedMs) - median(shardInner)).toFixed(1)} ms per search; sharded / single-process time: ${(median(shardedMs) / median(singleMs)).toFixed(2)}x.`,
    );
    sharded.kill(SHARDS - 1);
    await new Promise((r) => setTimeout(r, 200));
    try {
      await sharded.search(probes[0]!);
      console.log("Search with a shard down: answered (WRONG: a partial population cannot prove uniqueness)");
    } catch (error) {
      console.log(`Search with a shard down: refused (${(error as Error).message})`);
    }
  } finally {
    await single.close();
    await sharded.close();
  }
}

await main();
