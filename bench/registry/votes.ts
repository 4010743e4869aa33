// Accepted votes per second with Semaphore verification in the worker pool, against the same votes
// verified by a single worker (baseline, same process).
//
//   npx tsx --conditions=zkiris-source bench/registry/votes.ts [votes=64] [workers=available cores]
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { Group } from "@semaphore-protocol/group";
import { Identity } from "@semaphore-protocol/identity";
import { generateProof, type SemaphoreProof } from "@semaphore-protocol/proof";
import { DeviceKey, signCapture } from "@zkiris/device";
import { DEFAULT_PROFILE, IrisCode, templateCommitment } from "@zkiris/iris-code";
import { defaultPollScope, ProofVerifierPool, Registry, semaphoreArtifacts } from "@zkiris/registry";

const VOTES = Number(process.argv[2] ?? 64);
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

const REPS = 3;

/**
 * A registry file with the voters' group and one poll, written once. A scope belongs to one poll,
 * so every repetition votes in a fresh copy of this file, where the same proofs are valid and their
 * nullifiers unused.
 */
async function writeTemplate(): Promise<{ file: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "zkiris-bench-votes-"));
  const file = join(dir, "template.sqlite");
  const registry = await Registry.open({ database: file, verifierWorkers: 1, searchWorkers: 1 });
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
    scope,
  });
  await registry.close();
  return { file, dir };
}

/** A fresh copy of the template, opened with `workers` verifier workers, every worker warmed. */
async function openBench(template: string, workers: number): Promise<{ registry: Registry; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "zkiris-bench-votes-"));
  const database = join(dir, "r.sqlite");
  copyFileSync(template, database);
  const registry = await Registry.open({ database, verifierWorkers: workers, searchWorkers: 1 });
  // Warm every worker (module load, curve build) with proofs that reach verification and fail it.
  const broken = { ...proofs[0]!, points: [...proofs[0]!.points].reverse() as SemaphoreProof["points"] };
  await Promise.all(
    Array.from({ length: 2 * workers }, () => registry.vote("bench", broken).catch(() => {})),
  );
  return { registry, dir };
}

async function timeVotes(registry: Registry, poll: string): Promise<number> {
  const start = performance.now();
  await Promise.all(proofs.map((proof) => registry.vote(poll, proof)));
  const ms = performance.now() - start;
  const tally = await registry.tally(poll);
  if (tally.total !== VOTES) throw new Error(`expected ${VOTES} accepted votes, tally says ${tally.total}`);
  return (VOTES * 1000) / ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const template = await writeTemplate();
const rates: { single: number[]; pooled: number[] } = { single: [], pooled: [] };
try {
  // Alternate the two configurations so that load from elsewhere on the machine hits both alike.
  for (let r = 1; r <= REPS; r++) {
    for (const [workers, into] of [
      [1, rates.single],
      [WORKERS, rates.pooled],
    ] as const) {
      const bench = await openBench(template.file, workers);
      try {
        into.push(await timeVotes(bench.registry, "bench"));
      } finally {
        await bench.registry.close();
        rmSync(bench.dir, { recursive: true, force: true });
      }
    }
    console.log(
      `  repetition ${r}/${REPS}: 1 worker ${rates.single.at(-1)!.toFixed(1)} votes/s, ${WORKERS} workers ${rates.pooled.at(-1)!.toFixed(1)} votes/s`,
    );
  }
} finally {
  rmSync(template.dir, { recursive: true, force: true });
}
// Verification alone (no database, no checks): the same proofs through a bare pool.
async function verifyRate(workers: number): Promise<number> {
  const verifier = new ProofVerifierPool(workers);
  try {
    await Promise.all(proofs.slice(0, 2 * workers).map((p) => verifier.verify(p)));
    const start = performance.now();
    const checks = await Promise.all(proofs.map((p) => verifier.verify(p)));
    if (!checks.every((c) => c.valid)) throw new Error("a valid proof did not verify");
    return (VOTES * 1000) / (performance.now() - start);
  } finally {
    await verifier.close();
  }
}
const verifySingle = await verifyRate(1);
const verifyPooled = await verifyRate(WORKERS);
console.log(
  `verification only: 1 worker ${verifySingle.toFixed(1)} proofs/s, ${WORKERS} workers ${verifyPooled.toFixed(1)} proofs/s (${(verifyPooled / verifySingle).toFixed(2)}x)`,
);

const base = median(rates.single);
const pool = median(rates.pooled);
console.log(
  `1 verifier worker (baseline): median ${base.toFixed(1)} accepted votes/s over ${REPS} x ${VOTES} votes`,
);
console.log(
  `${WORKERS} verifier workers: median ${pool.toFixed(1)} accepted votes/s over ${REPS} x ${VOTES} votes`,
);
console.log(
  `ratio pool / 1 worker: ${(pool / base).toFixed(2)}x (machine has ${availableParallelism()} cores)`,
);
process.exit(0);
