/**
 * One shard of the sharded-search simulation (see sharded.ts): a child process holding the
 * partition `i % shards === shard` of a seeded population in its own UniquenessIndex, answering
 * search requests over IPC. Started by sharded.ts; not meant to be run by hand.
 */
import { DEFAULT_PROFILE, IrisCode } from "@zkiris/iris-code";
import { type SearchOptions, UniquenessIndex } from "@zkiris/uniqueness";
import { populationCode } from "./population.js";

interface SearchRequest {
  type: "search";
  id: number;
  bits: number[];
  mask: number[];
  options: SearchOptions;
}

async function main(): Promise<void> {
  const [shard, shards, total, workers] = process.argv.slice(2).map(Number) as [
    number,
    number,
    number,
    number,
  ];
  const index = await UniquenessIndex.create({
    profile: DEFAULT_PROFILE,
    workers,
    initialCapacity: Math.ceil(total / shards),
  });
  for (let i = shard; i < total; i += shards) index.add(`id-${i}`, populationCode(i));
  process.send!({ type: "ready", size: index.size });
  process.on("message", async (msg: SearchRequest | { type: "close" }) => {
    if (msg.type === "close") {
      await index.close();
      process.disconnect();
      return;
    }
    const probe = IrisCode.fromPacked(
      DEFAULT_PROFILE.geometry,
      Uint8Array.from(msg.bits),
      Uint8Array.from(msg.mask),
    );
    try {
      const result = await index.search(probe, msg.options);
      process.send!({ type: "result", id: msg.id, result });
    } catch (error) {
      process.send!({ type: "error", id: msg.id, message: (error as Error).message });
    }
  });
}

await main();
