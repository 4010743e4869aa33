/**
 * Liveness-bound vote benchmark: witness, prove and verify times, proof size, peak RSS and on-chain
 * gas of the committed default liveness-vote circuit (Semaphore membership, secret, nullifier and
 * message plus the iris match of a device-signed capture), beside a plain Semaphore v4 depth-20
 * proof (artifacts from @zk-kit/semaphore-artifacts@4.13.0, local files, SHA-256 pinned) in the
 * same run. Each side runs in its own child process so that its peak RSS is its own.
 *
 *   npx tsx --conditions=zkiris-source bench/match-proof/liveness-vote.ts [--runs 5]
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Group } from "@semaphore-protocol/group";
import { Identity } from "@semaphore-protocol/identity";
import { generateProof, verifyProof } from "@semaphore-protocol/proof";
import { CIRCUITS_DIR, REPO_DIR } from "../../circuits/scripts/compile.js";
import {
  type LivenessVoteProof,
  loadLivenessVoteArtifacts,
  proveLivenessVote,
  releaseCurve,
  semaphoreHash,
  semaphoreValue,
  verifyLivenessVote,
} from "../../packages/match-proof/src/index.js";
import { deployVerifier, verifyProofCalldata } from "../../packages/match-proof/test/evm-verifier.js";
import { honestVote, makePoll } from "../../packages/match-proof/test/liveness-fixtures.js";

interface SideFigures {
  name: string;
  constraints: number;
  witnessMs: number[];
  proveMs: number[];
  totalMs: number[];
  verifyMs: number[];
  proofJsonBytes: number;
  peakRssMiB: number;
  gas?: { execution: number; transaction: number };
}

const runs = Number(process.argv[process.argv.indexOf("--runs") + 1] ?? 5) || 5;
/** SHA-256 of the depth-20 files of @zk-kit/semaphore-artifacts@4.13.0. */
const SEMAPHORE_20_SHA256 = {
  wasm: "6f71e55586929e520e76027ebe067daac8b41e2f4b8057313a5fd0304e1e44ee",
  zkey: "33f9a067a80c7daf90e085449073613a9559a1904dd40aeb6d603afb7988c2cc",
};
/** Extra verifications after the proofs, for a steadier verify median. */
const VERIFY_RUNS = 20;
const DIR = join(CIRCUITS_DIR, "artifacts", "liveness_vote");

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

function emptyFigures(name: string, constraints: number): SideFigures {
  return {
    name,
    constraints,
    witnessMs: [],
    proveMs: [],
    totalMs: [],
    verifyMs: [],
    proofJsonBytes: 0,
    peakRssMiB: 0,
  };
}

async function livenessSide(): Promise<SideFigures> {
  const artifacts = await loadLivenessVoteArtifacts(DIR);
  const poll = makePoll(artifacts.profile, "bench poll");
  const input = honestVote(poll, poll.voters[0]!, 1n);
  const expected = {
    merkleTreeRoots: [poll.group.root],
    scope: poll.scope,
    challenge: poll.challenge,
    deviceRoot: poll.devices.root,
  };
  const figures = emptyFigures(
    `liveness vote (${artifacts.profile.name}, depth ${artifacts.merkleTreeMaxDepth})`,
    artifacts.manifest.constraints.total,
  );
  let last: LivenessVoteProof | undefined;
  for (let i = 0; i <= runs; i++) {
    const started = performance.now();
    let timings = { witnessMs: 0, proveMs: 0 };
    last = await proveLivenessVote(input, { artifacts, onTimings: (t) => (timings = t) });
    const total = performance.now() - started;
    const v0 = performance.now();
    const ok = await verifyLivenessVote(last, expected, { artifacts });
    const verify = performance.now() - v0;
    if (!ok) throw new Error("liveness vote did not verify");
    progress(
      `  liveness run ${i}${i === 0 ? " (warm-up)" : ""}: witness ${timings.witnessMs.toFixed(0)} ms, prove ${timings.proveMs.toFixed(0)} ms, verify ${verify.toFixed(1)} ms`,
    );
    if (i === 0) continue;
    figures.witnessMs.push(timings.witnessMs);
    figures.proveMs.push(timings.proveMs);
    figures.totalMs.push(total);
    figures.verifyMs.push(verify);
  }
  for (let i = 0; i < VERIFY_RUNS; i++) {
    const v0 = performance.now();
    if (!(await verifyLivenessVote(last!, expected, { artifacts })))
      throw new Error("liveness vote did not verify");
    figures.verifyMs.push(performance.now() - v0);
  }
  figures.proofJsonBytes = JSON.stringify(last!.proof).length;
  const verifier = await deployVerifier(
    readFileSync(join(DIR, artifacts.manifest.files.verifier.path), "utf8"),
  );
  const scope = semaphoreValue(last!.scope, "scope");
  const signals = [
    last!.merkleTreeRoot,
    last!.nullifier,
    semaphoreHash(BigInt(last!.message), "message").toString(),
    semaphoreHash(scope, "scope").toString(),
    last!.challenge,
    last!.deviceRoot,
  ];
  const call = await verifier.call(await verifyProofCalldata(verifier, last!.proof, signals));
  if (!call.result) throw new Error("Solidity verifier rejected the vote");
  figures.gas = { execution: Number(call.executionGas), transaction: Number(call.transactionGas) };
  await artifacts.close();
  figures.peakRssMiB = process.resourceUsage().maxRSS / 1024;
  return figures;
}

async function semaphoreSide(): Promise<SideFigures> {
  const dir = join(REPO_DIR, "node_modules", "@zk-kit", "semaphore-artifacts");
  const files = { wasm: join(dir, "semaphore-20.wasm"), zkey: join(dir, "semaphore-20.zkey") };
  for (const [kind, path] of Object.entries(files)) {
    const actual = createHash("sha256").update(readFileSync(path)).digest("hex");
    if (actual !== SEMAPHORE_20_SHA256[kind as keyof typeof SEMAPHORE_20_SHA256]) {
      throw new Error(
        `${path} has SHA-256 ${actual}, not the pinned @zk-kit/semaphore-artifacts@4.13.0 file`,
      );
    }
  }
  const identity = new Identity("zkiris bench identity");
  const group = new Group([1n, 2n, identity.commitment, 4n]);
  const figures = emptyFigures("Semaphore v4 depth 20", 0);
  let last: Awaited<ReturnType<typeof generateProof>> | undefined;
  for (let i = 0; i <= runs; i++) {
    const started = performance.now();
    last = await generateProof(identity, group, 1n, "bench poll", 20, files);
    const total = performance.now() - started;
    const v0 = performance.now();
    const ok = await verifyProof(last);
    const verify = performance.now() - v0;
    if (!ok) throw new Error("Semaphore proof did not verify");
    progress(
      `  semaphore run ${i}${i === 0 ? " (warm-up)" : ""}: witness+prove ${total.toFixed(0)} ms, verify ${verify.toFixed(1)} ms`,
    );
    if (i === 0) continue;
    figures.totalMs.push(total);
    figures.verifyMs.push(verify);
  }
  for (let i = 0; i < VERIFY_RUNS; i++) {
    const v0 = performance.now();
    if (!(await verifyProof(last!))) throw new Error("Semaphore proof did not verify");
    figures.verifyMs.push(performance.now() - v0);
  }
  figures.proofJsonBytes = JSON.stringify(last!.points).length;
  await releaseCurve();
  figures.peakRssMiB = process.resourceUsage().maxRSS / 1024;
  return figures;
}

async function child(side: string): Promise<void> {
  const figures = side === "liveness" ? await livenessSide() : await semaphoreSide();
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

function runSide(side: string): SideFigures {
  progress(`${side}: ${runs} runs after one warm-up...`);
  const out = execFileSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), "--child", side, "--runs", String(runs)],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 16 << 20 },
  );
  return JSON.parse(out.trim().split("\n").pop()!) as SideFigures;
}

function main(): void {
  const liveness = runSide("liveness");
  const semaphore = runSide("semaphore");
  const f = (n: number) => n.toFixed(0).padStart(8);
  const rows: [string, (s: SideFigures) => string][] = [
    ["witness (median ms)", (s) => (s.witnessMs.length ? f(median(s.witnessMs)) : "       -")],
    ["prove (median ms)", (s) => (s.proveMs.length ? f(median(s.proveMs)) : "       -")],
    ["witness+prove (median ms)", (s) => f(median(s.totalMs))],
    ["verify (median ms)", (s) => median(s.verifyMs).toFixed(1).padStart(8)],
    ["proof JSON (bytes)", (s) => f(s.proofJsonBytes)],
    ["peak RSS (MiB)", (s) => f(s.peakRssMiB)],
  ];
  const load = loadavg().map((l) => l.toFixed(2));
  console.log(
    `\nliveness-vote benchmark, ${runs} proofs and ${runs + VERIFY_RUNS} verifications each after a warm-up (node ${process.version}, ${cpus().length} CPUs, load average ${load.join(" ")})`,
  );
  console.log(`${"".padEnd(28)}${"liveness".padStart(10)}${"semaphore".padStart(12)}${"ratio".padStart(8)}`);
  for (const [label, get] of rows) {
    const a = get(liveness);
    const b = get(semaphore);
    const ratio = Number(a) && Number(b) ? (Number(a) / Number(b)).toFixed(2) : "-";
    console.log(`${label.padEnd(28)}${a.padStart(10)}${b.padStart(12)}${ratio.padStart(8)}`);
  }
  console.log(`${liveness.name}: ${liveness.constraints} constraints`);
  console.log(
    `on-chain verifyProof gas (liveness vote, 6 public signals): ${liveness.gas!.execution} execution, ${liveness.gas!.transaction} as a transaction`,
  );
  console.log("groth16 proof on-chain: 256 bytes (8 field elements) for both");
}

const childIndex = process.argv.indexOf("--child");
if (childIndex >= 0) {
  child(process.argv[childIndex + 1]!).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
} else {
  main();
}
