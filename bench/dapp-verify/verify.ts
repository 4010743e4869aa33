/**
 * The dApp example's verification costs (examples/dapp-verify), against a real zkiris service in
 * this process (registry on a temporary SQLite file, server on an ephemeral port):
 *
 * - off-chain: `verifyLivenessAction` (shape, scope, group roots over HTTP, challenge, device roots
 *   over HTTP, nullifier, Groth16, claim) against the bare `verifyLivenessVote` of the same proof
 *   (the SNARK alone); the SDK's `verifyUniqueAction` of a plain Semaphore proof against Semaphore's
 *   bare `verifyProof`; wall and CPU time (`process.cpuUsage`, every thread of the process);
 * - on-chain: gas of `UniqueAction.performAction` (checks, the verifier call, the nullifier's
 *   SSTORE, the event) against the committed `Groth16Verifier.verifyProof` called directly with the
 *   same proof, and the same pair for a plain Semaphore proof (`performPlainAction`, the verifier
 *   snarkjs exports from Semaphore's pinned zkey of its depth), in the same in-process EVM;
 * - one `POST /actions/{action}` end to end per proof (off-chain, root sync, on-chain).
 *
 *   npx tsx --conditions=zkiris-source bench/dapp-verify/verify.ts [--proofs 3] [--repeat 15]
 *
 * Each liveness proof is a real one (about 10 s to make here), one per action, so each has a
 * nullifier of its own for the one-time checks.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Identity } from "@semaphore-protocol/identity";
import { verifyProof } from "@semaphore-protocol/proof";
import { DeviceKey, parseCapturePacket, signCapture } from "@zkiris/device";
import { DEFAULT_PROFILE } from "@zkiris/iris-code";
import {
  type LivenessVoteProof,
  loadLivenessVoteArtifacts,
  proveLivenessVote,
  releaseCurve,
  semaphoreHash,
  verifyLivenessVote,
} from "@zkiris/match-proof";
import { Registry } from "@zkiris/registry";
import { InMemoryNullifierStore, proofToJson, verifyUniqueAction, ZkirisClient } from "@zkiris/sdk";
import { nodeArtifacts, releaseProverThreads } from "@zkiris/sdk/node";
import { startServer } from "@zkiris/server";
import { randomCode, recapture, solcVersion, unit, xorshift32 } from "@zkiris/test-kit";
import { actionScope } from "../../examples/dapp-verify/src/action-scope.js";
import { ActionStore } from "../../examples/dapp-verify/src/action-store.js";
import { UniqueActionChain } from "../../examples/dapp-verify/src/chain.js";
import { LIVENESS_ARTIFACTS_DIR } from "../../examples/dapp-verify/src/paths.js";
import { HttpRegistrySource } from "../../examples/dapp-verify/src/registry-source.js";
import { buildDappServer } from "../../examples/dapp-verify/src/server.js";
import { verifyLivenessAction } from "../../examples/dapp-verify/src/verify-liveness-action.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  const n = i > 0 ? Number(process.argv[i + 1]) : fallback;
  return Number.isInteger(n) && n > 0 ? n : fallback;
};
const proofs = arg("--proofs", 3);
const repeat = arg("--repeat", 15);
const progress = (line: string) => process.stderr.write(`${line}\n`);

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Wall and CPU milliseconds of one call. */
async function timed<T>(work: () => Promise<T>): Promise<{ value: T; wallMs: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const value = await work();
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { value, wallMs, cpuMs: (used.user + used.system) / 1000 };
}

const eye = (seed: number) => randomCode(unit(xorshift32(seed, 0x9e3779b9)), DEFAULT_PROFILE.geometry, 0.9);

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "zkiris-dapp-bench-"));
  const artifacts = await loadLivenessVoteArtifacts(LIVENESS_ARTIFACTS_DIR);
  const registry = await Registry.open({
    database: join(dir, "registry.sqlite"),
    profile: { ...DEFAULT_PROFILE, ...artifacts.profile },
    searchWorkers: 0,
    verifierWorkers: 1,
  });
  const server = await startServer(registry, {
    adminToken: "bench-admin-token-0123456789",
    rateLimit: false,
    log: false,
  });
  const client = new ZkirisClient({ baseUrl: server.url, adminToken: "bench-admin-token-0123456789" });
  const device = DeviceKey.fromSeed("dapp-bench-camera");
  await client.registerDevice(device.publicKey);
  await client.createGroup({ id: "humans", kind: "biometric" });
  await client.createGroup({ id: "citizens", kind: "plain" });
  const alice = new Identity("dapp-bench-alice");
  const carol = new Identity("dapp-bench-carol");
  const aliceEye = eye(11);
  const enrolment = await client.enrol({
    groupId: "humans",
    capture: signCapture(device, aliceEye, (await client.requestChallenge()).challenge, { focus: 1 }),
    member: alice,
  });
  await client.enrol({
    groupId: "citizens",
    capture: signCapture(device, eye(12), (await client.requestChallenge()).challenge, { focus: 1 }),
    member: carol,
  });

  const store = new ActionStore(join(dir, "dapp.sqlite"));
  const source = new HttpRegistrySource({ baseUrl: server.url, groupId: "humans", plainGroupId: "citizens" });
  const chain = await UniqueActionChain.deploy();
  const app = await buildDappServer({ store, registry: source, chain, artifacts });
  const post = async (url: string, body?: object) => {
    const r = await app.inject({ method: "POST", url, ...(body === undefined ? {} : { payload: body }) });
    return { status: r.statusCode, body: r.json() };
  };

  const made: { action: string; proof: LivenessVoteProof; proveMs: number }[] = [];
  for (let i = 0; i < proofs; i++) {
    const action = `bench-${i}`;
    const issued = (await post(`/actions/${action}/challenges`)).body;
    const probe = recapture(unit(xorshift32(100 + i, 7)), aliceEye, { flip: 0.05, shift: 1 });
    const packet = signCapture(device, probe, BigInt(issued.captureChallenge), {});
    const group = await client.semaphoreGroup("humans");
    const { value: proof, wallMs } = await timed(() =>
      proveLivenessVote(
        {
          identity: alice,
          group,
          template: aliceEye,
          salt: enrolment.salt,
          capture: parseCapturePacket(JSON.stringify(packet)),
          deviceProof: registry.deviceProof(device.deviceId),
          scope: actionScope(action),
          message: i,
          challenge: BigInt(issued.challenge),
        },
        { artifacts },
      ),
    );
    made.push({ action, proof, proveMs: wallMs });
    progress(`liveness proof ${i + 1}/${proofs} for '${action}': ${(wallMs / 1000).toFixed(1)} s`);
  }

  // Off-chain, repeated on the first proof: a fresh in-memory nullifier store each time.
  const first = made[0]!;
  const options = (nullifiers: InMemoryNullifierStore) => ({
    scope: actionScope(first.action),
    rootHistory: () => source.groupRoots(),
    deviceRootHistory: () => source.deviceRoots(),
    issuedChallenge: (s: bigint, c: bigint) => store.challenge(s, c),
    nullifiers,
    artifacts,
  });
  const signals = (p: LivenessVoteProof) => [
    BigInt(p.merkleTreeRoot),
    BigInt(p.nullifier),
    semaphoreHash(BigInt(p.message), "message"),
    semaphoreHash(BigInt(p.scope), "scope"),
    BigInt(p.challenge),
    BigInt(p.deviceRoot),
  ];
  const full: { wallMs: number; cpuMs: number }[] = [];
  const bare: { wallMs: number; cpuMs: number }[] = [];
  for (let k = 0; k < repeat; k++) {
    full.push(await timed(() => verifyLivenessAction(first.proof, options(new InMemoryNullifierStore()))));
    const b = await timed(() =>
      verifyLivenessVote(
        first.proof,
        {
          merkleTreeRoots: [BigInt(first.proof.merkleTreeRoot)],
          scope: BigInt(first.proof.scope),
          challenge: BigInt(first.proof.challenge),
          deviceRoot: BigInt(first.proof.deviceRoot),
        },
        { artifacts },
      ),
    );
    if (!b.value) throw new Error("the bare verification refused an honest proof");
    bare.push(b);
  }

  // A plain Semaphore proof (depth of the plain group).
  const semaphoreArtifacts = { artifacts: nodeArtifacts() };
  const plain = proofToJson(
    await client.proveAction(
      "citizens",
      carol,
      { scope: actionScope("plain"), message: 1n },
      semaphoreArtifacts,
    ),
  );
  await releaseProverThreads();
  const sdkFull: { wallMs: number; cpuMs: number }[] = [];
  const sdkBare: { wallMs: number; cpuMs: number }[] = [];
  for (let k = 0; k < repeat; k++) {
    sdkFull.push(
      await timed(() =>
        verifyUniqueAction(plain, {
          scope: actionScope("plain"),
          rootHistory: () => client.roots("citizens"),
          nullifiers: new InMemoryNullifierStore(),
        }),
      ),
    );
    sdkBare.push(await timed(() => verifyProof(plain)));
  }

  // On-chain and end to end: each proof once through POST /actions/{action}.
  const gas: { bare: bigint; bareTx: bigint; full: bigint; fullTx: bigint }[] = [];
  const endToEnd: number[] = [];
  for (const m of made) {
    const direct = await chain.verifyProofDirectly(signals(m.proof), m.proof.proof);
    if (!direct.valid) throw new Error("the verifier refused an honest proof");
    const { value: r, wallMs } = await timed(() => post(`/actions/${m.action}`, { proof: m.proof }));
    if (r.status !== 201) throw new Error(`POST /actions/${m.action}: ${r.status} ${JSON.stringify(r.body)}`);
    endToEnd.push(wallMs);
    gas.push({
      bare: direct.executionGas,
      bareTx: direct.transactionGas,
      full: BigInt(r.body.onChain.executionGas),
      fullTx: BigInt(r.body.onChain.transactionGas),
    });
  }

  // The plain proof once through POST /actions/{action}/semaphore, then its verifier directly.
  const plainPost = await post("/actions/plain/semaphore", { proof: plain });
  if (plainPost.status !== 201) throw new Error(`POST /actions/plain/semaphore: ${plainPost.status}`);
  const plainDirect = await chain.verifySemaphoreProofDirectly(plain);
  if (!plainDirect.valid) throw new Error("the Semaphore verifier refused an honest proof");

  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const row = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  const medianOf = (xs: { wallMs: number; cpuMs: number }[]) => ({
    wall: median(xs.map((x) => x.wallMs)),
    cpu: median(xs.map((x) => x.cpuMs)),
  });
  const [f, b, sf, sb] = [medianOf(full), medianOf(bare), medianOf(sdkFull), medianOf(sdkBare)];
  console.log(
    `\ndapp-verify, Node ${process.version}, ${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)}, solc ${solcVersion()}, ${proofs} liveness proofs (median prove ${(median(made.map((m) => m.proveMs)) / 1000).toFixed(1)} s), ${repeat} verifications each side\n`,
  );
  console.log(row(["off-chain (median)", "wall", "CPU", "bare SNARK wall", "CPU", "ratio (wall)"]));
  console.log(row(["---", "---", "---", "---", "---", "---"]));
  console.log(
    row([
      "liveness: verifyLivenessAction",
      ms(f.wall),
      ms(f.cpu),
      ms(b.wall),
      ms(b.cpu),
      (f.wall / b.wall).toFixed(2),
    ]),
  );
  console.log(
    row([
      "plain: verifyUniqueAction (SDK)",
      ms(sf.wall),
      ms(sf.cpu),
      ms(sb.wall),
      ms(sb.cpu),
      (sf.wall / sb.wall).toFixed(2),
    ]),
  );
  console.log();
  console.log(row(["on-chain gas per proof", "execution", "as a transaction"]));
  console.log(row(["---", "---", "---"]));
  gas.forEach((g, i) => {
    console.log(row([`Groth16Verifier.verifyProof, proof ${i + 1}`, g.bare.toString(), g.bareTx.toString()]));
    console.log(row([`UniqueAction.performAction, proof ${i + 1}`, g.full.toString(), g.fullTx.toString()]));
  });
  console.log(
    row([
      `Semaphore depth-${plain.merkleTreeDepth} verifyProof (exported from its zkey)`,
      plainDirect.executionGas.toString(),
      plainDirect.transactionGas.toString(),
    ]),
  );
  console.log(
    row([
      `UniqueAction.performPlainAction, depth ${plain.merkleTreeDepth}`,
      String(plainPost.body.onChain.executionGas),
      String(plainPost.body.onChain.transactionGas),
    ]),
  );
  const g0 = gas[0]!;
  console.log(
    `\nperformAction over verifyProof: +${g0.full - g0.bare} execution gas (${(Number(g0.full) / Number(g0.bare)).toFixed(3)}x); ` +
      `a liveness action over a plain Semaphore action through the same contract: ${(Number(g0.full) / plainPost.body.onChain.executionGas).toFixed(3)}x execution; ` +
      `transaction ${g0.fullTx} against the ~290,000 quoted for Semaphore's validateProof`,
  );
  console.log(
    `POST /actions/{action} end to end (off-chain + root sync + on-chain), median ${ms(median(endToEnd))}`,
  );
  console.log(
    `deployment: Groth16Verifier ${chain.deployGas.verifier} gas, UniqueAction ${chain.deployGas.uniqueAction} gas (execution)`,
  );

  await app.close();
  store.close();
  await source.close();
  await client.close();
  await server.close();
  await registry.close();
  await artifacts.close();
  await releaseCurve();
  rmSync(dir, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
