// Accepted votes per second with Semaphore verification in the worker pool, against the same votes
// verified by a single worker (baseline, same process).
//
//   npx tsx --conditions=zkiris-source bench/registry/votes.ts [votes=32] [workers=available cores]
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { Group } from "@semaphore-protocol/group";
import { Identity } from "@semaphore-protocol/identity";
import { generateProof, type SemaphoreProof } from "@semaphore-protocol/proof";
import { DeviceKey, signCapture } from "@zkiris/device";
import { DEFAULT_PROFILE, IrisCode, templateCommitment } from "@zkiris/iris-code";
import { defaultPollScope, Registry, semaphoreArtifacts } from "@zkiris/registry";

const VOTES = Number(process.argv[2] ?? 32);
const WORKERS = Number(process.argv[3] ?? availableParallelism());
const BYTES =
  (DEFAULT_PROFILE.geometry.rows * DEFAULT_PROFILE.geometry.cols * DEFAULT_PROFILE.geometry.bitsPerCell) / 8;

function randomCode(): IrisCode {
  const bits = new Uint8Array(BYTES);
  const mask = new Uint8Array(BYTES).fill(0xff);
  globalThis.crypto.getRandomValues(bits);
  return IrisCode.fromPacked(DEFAULT_PROFILE.geometry, bits, mask);
}

const identities = Array.from({ length: VOTES }, (_, i) => new Identity(`bench-voter-${i}`));
const group = new Group(identities.map((id) => id.commitment));
const depth = Math.max(1, group.depth);
const scope = defaultPollScope("bench");
const artifacts = await semaphoreArtifacts(depth);

console.log(`generating ${VOTES} Semaphore proofs (tree depth ${depth}) ...`);
const proofs: SemaphoreProof[] = [];
const proveStart = performance.now();
for (const [i, identity] of identities.entries()) {
  proofs.push(await generateProof(identity, group, i % 3, scope, depth, artifacts));
  if ((i + 1) % 8 === 0 || i + 1 === VOTES) {
    process.stdout.write(
      `  ${i + 1}/${VOTES} proofs, ${((performance.now() - proveStart) / (i + 1)).toFixed(0)} ms each\n`,
    );
  }
}

/** A registry with the same group and poll, so the same proofs are valid in each run. */
async function run(workers: number): Promise<{ perSecond: number; ms: number }> {
  const dir = mkdtempSync(join(tmpdir(), "zkiris-bench-votes-"));
  const registry = await Registry.open({
    database: join(dir, "r.sqlite"),
    verifierWorkers: workers,
    searchWorkers: 1,
  });
  try {
    const key = DeviceKey.fromSeed("bench-device");
    await registry.registerDevice(key.publicKey);
    await registry.createGroup({ id: "voters", kind: "plain" });
    for (const identity of identities) {
      const code = randomCode();
      const { challenge } = await registry.issueChallenge();
      await registry.enrol({
        groupId: "voters",
        capture: signCapture(key, code, challenge, {}),
        identityCommitment: identity.commitment,
        templateCommitment: templateCommitment(code, 1n),
        salt: 1n,
      });
    }
    await registry.createPoll({
      id: "bench",
      groupId: "voters",
      options: ["a", "b", "c"],
      opensAt: 0,
      closesAt: Date.now() + 3_600_000,
    });
    // Warm every worker (module load, curve build) before timing.
    await Promise.all(
      Array.from({ length: workers }, () =>
        registry.vote("bench", { ...proofs[0]!, message: "7" }).catch(() => {}),
      ),
    );
    const start = performance.now();
    await Promise.all(proofs.map((proof) => registry.vote("bench", proof)));
    const ms = performance.now() - start;
    const tally = await registry.tally("bench");
    if (tally.total !== VOTES) throw new Error(`expected ${VOTES} accepted votes, tally says ${tally.total}`);
    return { perSecond: (VOTES * 1000) / ms, ms };
  } finally {
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const baseline = await run(1);
console.log(
  `1 verifier worker:  ${VOTES} votes accepted in ${baseline.ms.toFixed(0)} ms = ${baseline.perSecond.toFixed(1)} votes/s`,
);
const pooled = await run(WORKERS);
console.log(
  `${WORKERS} verifier workers: ${VOTES} votes accepted in ${pooled.ms.toFixed(0)} ms = ${pooled.perSecond.toFixed(1)} votes/s`,
);
console.log(
  `ratio pool / 1 worker: ${(pooled.perSecond / baseline.perSecond).toFixed(2)}x (machine has ${availableParallelism()} cores)`,
);
process.exit(0);
