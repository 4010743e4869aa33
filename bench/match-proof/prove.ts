/**
 * Match proof benchmark: witness, prove and verify times, proof size, peak RSS and on-chain gas
 * of the committed default match circuit, against a Semaphore v4 depth-20 proof (artifacts from
 * @zk-kit/semaphore-artifacts@4.13.0) as the baseline in the same run. Each side runs in its own
 * child process so that its peak RSS is its own.
 *
 *   npx tsx --conditions=zkiris-source bench/match-proof/prove.ts [--runs 5]
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CIRCUITS_DIR, REPO_DIR } from "../../circuits/scripts/compile.js";
import {
  loadMatchArtifacts,
  proveMatch,
  releaseCurve,
  verifyMatch,
} from "../../packages/match-proof/src/index.js";
import { deployVerifier, verifyProofCalldata } from "../../packages/match-proof/test/evm-verifier.js";
import { codePair, honestInput } from "../../packages/match-proof/test/fixtures.js";

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
const require = createRequire(import.meta.url);
/** SHA-256 of the depth-20 files of @zk-kit/semaphore-artifacts@4.13.0. */
const SEMAPHORE_20_SHA256 = {
  wasm: "6f71e55586929e520e76027ebe067daac8b41e2f4b8057313a5fd0304e1e44ee",
  zkey: "33f9a067a80c7daf90e085449073613a9559a1904dd40aeb6d603afb7988c2cc",
};
/** Extra verifications after the proofs, for a steadier verify median. */
const VERIFY_RUNS = 20;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function matchSide(): Promise<SideFigures> {
  const artifacts = await loadMatchArtifacts(join(CIRCUITS_DIR, "artifacts", "iris_match"));
  const { template, probe } = codePair(artifacts.profile, {
    shift: 2,
    usable: 2400,
    differing: 600,
    seed: 9,
  });
  const input = honestInput(template, probe);
  const figures: SideFigures = {
    name: `zkiris match (${artifacts.profile.name})`,
    constraints: artifacts.manifest.constraints.total,
    witnessMs: [],
    proveMs: [],
    totalMs: [],
    verifyMs: [],
    proofJsonBytes: 0,
    peakRssMiB: 0,
  };
  let last: Awaited<ReturnType<typeof proveMatch>> | undefined;
  for (let i = 0; i <= runs; i++) {
    const started = performance.now();
    let timings = { witnessMs: 0, proveMs: 0 };
    last = await proveMatch(input, { artifacts, onTimings: (t) => (timings = t) });
    const total = performance.now() - started;
    const v0 = performance.now();
    const ok = await verifyMatch(last, last, { artifacts });
    const verify = performance.now() - v0;
    if (!ok) throw new Error("match proof did not verify");
    progress(
      `  match run ${i}${i === 0 ? " (warm-up)" : ""}: witness ${timings.witnessMs.toFixed(0)} ms, prove ${timings.proveMs.toFixed(0)} ms, verify ${verify.toFixed(1)} ms`,
    );
    if (i === 0) continue;
    figures.witnessMs.push(timings.witnessMs);
    figures.proveMs.push(timings.proveMs);
    figures.totalMs.push(total);
    figures.verifyMs.push(verify);
  }
  for (let i = 0; i < VERIFY_RUNS; i++) {
    const v0 = performance.now();
    if (!(await verifyMatch(last!, last!, { artifacts }))) throw new Error("match proof did not verify");
    figures.verifyMs.push(performance.now() - v0);
  }
  figures.proofJsonBytes = JSON.stringify(last!.proof).length;
  const verifier = await deployVerifier(
    readFileSync(
      join(CIRCUITS_DIR, "artifacts", "iris_match", artifacts.manifest.files.verifier.path),
      "utf8",
    ),
  );
  const call = await verifier.call(await verifyProofCalldata(verifier, last!.proof, last!.publicSignals));
  if (!call.result) throw new Error("Solidity verifier rejected the proof");
  figures.gas = { execution: Number(call.executionGas), transaction: Number(call.transactionGas) };
  await releaseCurve();
  figures.peakRssMiB = process.resourceUsage().maxRSS / 1024;
  return figures;
}

async function semaphoreSide(): Promise<SideFigures> {
  // CommonJS builds: the ESM build of @zk-kit/eddsa-poseidon cannot import blakejs under Node.
  const { Identity } = require("@semaphore-protocol/identity");
  const { Group } = require("@semaphore-protocol/group");
  const { generateProof, verifyProof } = require("@semaphore-protocol/proof");
  const dir = join(REPO_DIR, "node_modules", "@zk-kit", "semaphore-artifacts");
  const artifacts = { wasm: join(dir, "semaphore-20.wasm"), zkey: join(dir, "semaphore-20.zkey") };
  for (const [kind, path] of Object.entries(artifacts)) {
    const actual = createHash("sha256").update(readFileSync(path)).digest("hex");
    if (actual !== SEMAPHORE_20_SHA256[kind as keyof typeof SEMAPHORE_20_SHA256]) {
      throw new Error(
        `${path} has SHA-256 ${actual}, not the pinned @zk-kit/semaphore-artifacts@4.13.0 file`,
      );
    }
  }
  const identity = new Identity("zkiris bench identity");
  const group = new Group([1n, 2n, identity.commitment, 4n]);
  const figures: SideFigures = {
    name: "Semaphore v4 depth 20",
    constraints: 0,
    witnessMs: [],
    proveMs: [],
    totalMs: [],
    verifyMs: [],
    proofJsonBytes: 0,
    peakRssMiB: 0,
  };
  let last: unknown;
  for (let i = 0; i <= runs; i++) {
    const started = performance.now();
    last = await generateProof(identity, group, "message", "scope", 20, artifacts);
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
    if (!(await verifyProof(last))) throw new Error("Semaphore proof did not verify");
    figures.verifyMs.push(performance.now() - v0);
  }
  figures.proofJsonBytes = JSON.stringify((last as { points: unknown }).points).length;
  await releaseCurve();
  figures.peakRssMiB = process.resourceUsage().maxRSS / 1024;
  return figures;
}

async function child(side: string): Promise<void> {
  const figures = side === "match" ? await matchSide() : await semaphoreSide();
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
  const match = runSide("match");
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
    `\nmatch-proof benchmark, ${runs} proofs and ${runs + VERIFY_RUNS} verifications each after a warm-up (node ${process.version}, ${cpus().length} CPUs, load average ${load.join(" ")})`,
  );
  console.log(`${"".padEnd(28)}${"match".padStart(10)}${"semaphore".padStart(12)}${"ratio".padStart(8)}`);
  for (const [label, get] of rows) {
    const a = get(match);
    const b = get(semaphore);
    const ratio = Number(a) && Number(b) ? (Number(a) / Number(b)).toFixed(2) : "-";
    console.log(`${label.padEnd(28)}${a.padStart(10)}${b.padStart(12)}${ratio.padStart(8)}`);
  }
  console.log(`match circuit constraints: ${match.constraints}`);
  console.log(
    `on-chain verifyProof gas (match): ${match.gas!.execution} execution, ${match.gas!.transaction} as a transaction`,
  );
  console.log(
    `targets: prove <= 3000 ms (${median(match.proveMs).toFixed(0)}), verify <= 20 ms (${median(match.verifyMs).toFixed(1)}), gas <= 300000 (${match.gas!.transaction})`,
  );
  console.log(`groth16 proof on-chain: 256 bytes (8 field elements) for both`);
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
