/**
 * Builds the match circuit for a profile and its development Groth16 setup:
 *   compile (circom2) -> r1cs + witness wasm -> phase-2 zkey from a powers-of-tau file ->
 *   one contribution -> beacon -> verification key -> Solidity verifier -> manifest with SHA-256.
 *
 *   npx tsx --conditions=zkiris-source circuits/scripts/build.ts [--circuit match|liveness] \
 *     [--profile default|test] [--name iris_match] [--ptau circuits/ptau/pot16_final.ptau] [--no-components]
 *
 * `--circuit match` (default) builds IrisMatch (circuits/src/lib/iris_match.circom) as iris_match;
 * `--circuit liveness` builds LivenessVote (circuits/src/lib/liveness_vote.circom) as liveness_vote.
 *
 * Writes circuits/src/main/<name>.circom, circuits/build/<name>/ (intermediate) and
 * circuits/artifacts/<name>/ (committed: wasm, zkey, verification_key.json, Verifier.sol, manifest.json).
 * The setup is single-party: development only (see circuits/README.md for a real ceremony).
 */
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { copyFileSync, createReadStream, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { bitCount, DEFAULT_PROFILE, type IrisProfile, rowBitCount } from "@zkiris/iris-code";
import type { CircuitSourceHashes, MatchManifest } from "../../packages/match-proof/src/artifacts.js";
import { DEVICE_TREE_DEPTH } from "../../packages/match-proof/src/circuit-inputs.js";
import {
  canonicalProfileJson,
  checkCircuitProfile,
  MATCH_PUBLIC_SIGNALS,
} from "../../packages/match-proof/src/circuit-source.js";
import type { LivenessVoteManifest } from "../../packages/match-proof/src/liveness-artifacts.js";
import {
  LIVENESS_VOTE_MAX_DEPTH,
  LIVENESS_VOTE_PUBLIC_SIGNALS,
} from "../../packages/match-proof/src/liveness-circuit-source.js";
import {
  CIRCUITS_DIR,
  type CircuitKind,
  compileCircuit,
  parseConstraintCount,
  REPO_DIR,
  runCircom,
  TEST_PROFILE,
} from "./compile.js";

/** Label every locally generated setup carries. */
export const DEVELOPMENT_LABEL = "development setup (single-party, NOT for production)";

/** Public, fixed beacon of the development setup (a real ceremony uses a future public randomness value). */
const DEV_BEACON = "5a4b495249532064657620626561636f6e20666f7220746865206d61746368206369726375697420303031";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

function log(line: string): void {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
}

function snarkjs(args: string[]): string {
  // The contribution entropy is toxic waste: never log it.
  const shown = args.map((a) =>
    a.startsWith("-e=") ? "-e=<entropy>" : a.startsWith("/") ? relative(REPO_DIR, a) : a,
  );
  log(`snarkjs ${shown.join(" ")}`);
  const started = Date.now();
  const out = execFileSync(join(REPO_DIR, "node_modules", ".bin", "snarkjs"), args, {
    cwd: REPO_DIR,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 256 << 20,
  });
  log(`  done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return out;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** "circom compiler 2.2.3" as circom2 reports it. */
function circomVersion(): string {
  const out = execFileSync("npx", ["circom2", "--version"], {
    cwd: REPO_DIR,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  return /circom compiler [0-9.]+/.exec(out)?.[0] ?? out.trim();
}

function bitLength(x: number): number {
  return x === 0 ? 0 : Math.floor(Math.log2(x)) + 1;
}

/** Compiles each component of the circuit on its own and returns its constraint count. */
function componentConstraints(kind: CircuitKind, profile: IrisProfile, name: string): Record<string, number> {
  const g = profile.geometry;
  const L = rowBitCount(g);
  const KP = profile.maxShift * g.bitsPerCell;
  const N = bitCount(g);
  const parts: [string, string, number][] = [
    [`maskedHamming_${N}bits`, `MaskedHamming(${N})`, 1],
    [`rotateRow_x${2 * g.rows}`, `RotateRow(${L}, ${KP})`, 2 * g.rows],
    ["shiftSelector", `ShiftSelector(${profile.maxShift}, ${g.bitsPerCell})`, 1],
    [`hashRows_x4`, `HashFieldElements(${g.rows})`, 4],
    ["poseidon3_commitment", "Poseidon(3)", 1],
    ["poseidon2_x3_probe_message_leaf", "Poseidon(2)", 3],
    ["primeOrderDeviceKey", "InPrimeOrderSubgroup()", 1],
    ["eddsaPoseidonVerifier", "EdDSAPoseidonVerifier()", 1],
    [`deviceTreeInclusion_depth${DEVICE_TREE_DEPTH}`, `DeviceTreeInclusion(${DEVICE_TREE_DEPTH})`, 1],
    ["usableAtLeastMinimum", `GreaterEqThan(${bitLength(N) + 1})`, 1],
    ["distanceWithinThreshold", `LessEqThan(${bitLength(N * 10000) + 1})`, 1],
  ];
  const library = kind === "match" ? "lib/iris_match.circom" : "lib/liveness_vote.circom";
  if (kind === "liveness") {
    // The Semaphore part and the poll binding; the match part is IrisMatch whole.
    parts.splice(
      0,
      parts.length,
      [
        "irisMatch",
        `IrisMatch(${g.rows}, ${g.cols}, ${g.bitsPerCell}, ${profile.maxShift}, ${profile.thresholdPer10k}, ${profile.minUsableBits}, ${DEVICE_TREE_DEPTH})`,
        1,
      ],
      ["secretBelowSubgroupOrder", "LessThan(251)", 1],
      ["babyPbk", "BabyPbk()", 1],
      ["poseidon2_x4_commitment_leaf_nullifier_challenge", "Poseidon(2)", 4],
      [`binaryMerkleRoot_depth${LIVENESS_VOTE_MAX_DEPTH}`, `BinaryMerkleRoot(${LIVENESS_VOTE_MAX_DEPTH})`, 1],
    );
  }
  const dir = join(CIRCUITS_DIR, "build", name, "components");
  mkdirSync(dir, { recursive: true });
  const counts: Record<string, number> = {};
  for (const [label, instance, times] of parts) {
    const file = join(dir, `${label}.circom`);
    writeFileSync(file, `pragma circom 2.1.6;\ninclude "${library}";\ncomponent main = ${instance};\n`);
    const count = parseConstraintCount(runCircom(file, join(dir, label)));
    counts[label] = count * times;
    log(`  component ${label}: ${count}${times > 1 ? ` x ${times} = ${count * times}` : ""}`);
  }
  return counts;
}

/**
 * SHA-256 of what the circuit was compiled from: the library file the main component includes
 * (circuits/src/lib/<library>.circom), the main component itself, and the canonical JSON of the
 * verification profile (`canonicalProfileJson`). `@zkiris/match-proof` refuses a manifest whose
 * hashes differ from the circuit source it knows (STALE_ARTIFACTS).
 */
function circuitSourceOf(mainFile: string, profile: IrisProfile): CircuitSourceHashes {
  const main = readFileSync(mainFile, "utf8");
  const include = /^include "(lib\/[^"]+\.circom)";$/m.exec(main);
  if (!include) throw new Error(`${relative(REPO_DIR, mainFile)} includes no circuits/src/lib library`);
  const library = join(CIRCUITS_DIR, "src", include[1]!);
  return {
    library: { path: relative(REPO_DIR, library), sha256: sha256Hex(readFileSync(library)) },
    main: { path: relative(REPO_DIR, mainFile), sha256: sha256Hex(main) },
    profile: sha256Hex(canonicalProfileJson(profile)),
  };
}

function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * For the shipped match circuit (circuits/artifacts/iris_match): copies the verification key into
 * @zkiris/match-proof (src/iris-match-verification-key.json) and writes src/pinned-artifacts.ts,
 * the SHA-256 of every file and of the circuit source that the package checks downloads against.
 */
function writeMatchPins(manifest: MatchManifest, vkey: string): void {
  const pkgSrc = join(REPO_DIR, "packages", "match-proof", "src");
  copyFileSync(vkey, join(pkgSrc, "iris-match-verification-key.json"));
  const { wasm, zkey, verificationKey } = manifest.files;
  const pins = {
    circuit: manifest.circuit,
    profile: manifest.profile.name,
    circuitSource: manifest.circuitSource,
    files: { wasm, zkey, verificationKey },
  };
  const file = join(pkgSrc, "pinned-artifacts.ts");
  writeFileSync(
    file,
    [
      "// Generated by circuits/scripts/build.ts from circuits/artifacts/iris_match/manifest.json. Do not",
      "// edit: rebuild the circuit (circuits/README.md), which rewrites this file and the shipped key.",
      'import type { MatchArtifactPins } from "./artifacts.js";',
      "",
      "/** What the shipped match circuit's artifacts hash to: checked on every download, whatever a server's manifest says. */",
      `export const MATCH_ARTIFACT_PINS: MatchArtifactPins = ${JSON.stringify(pins, null, 2)};`,
      "",
    ].join("\n"),
  );
  execFileSync("npx", ["biome", "format", "--write", relative(REPO_DIR, file)], {
    cwd: REPO_DIR,
    stdio: ["ignore", "ignore", "inherit"],
  });
  log(`wrote ${relative(REPO_DIR, file)} and the shipped verification key`);
}

async function main(): Promise<void> {
  const kind = arg("circuit", "match");
  if (kind !== "match" && kind !== "liveness")
    throw new Error(`--circuit must be match or liveness, not ${kind}`);
  const profileName = arg("profile", "default");
  const profile = profileName === "test" ? TEST_PROFILE : DEFAULT_PROFILE;
  const base = kind === "match" ? "iris_match" : "liveness_vote";
  const name = arg("name", profileName === "test" ? `${base}_test` : base);
  const ptau = arg("ptau", join(CIRCUITS_DIR, "ptau", "pot16_final.ptau"));
  const power = Number(/pot(\d+)/.exec(basename(ptau))?.[1] ?? "0");
  log(`${kind} circuit ${name}, profile ${profile.name}, ptau ${ptau}`);

  const compiled = compileCircuit(kind, profile, name, log);
  log(`${compiled.constraints} constraints`);
  if (power > 0 && compiled.constraints > 2 ** power) {
    throw new Error(`${compiled.constraints} constraints do not fit a 2^${power} powers-of-tau file`);
  }
  const components = process.argv.includes("--no-components")
    ? undefined
    : componentConstraints(kind, profile, name);

  const work = join(CIRCUITS_DIR, "build", name);
  const out = join(CIRCUITS_DIR, "artifacts", name);
  mkdirSync(out, { recursive: true });
  const z0 = join(work, `${name}_0000.zkey`);
  const z1 = join(work, `${name}_0001.zkey`);
  const zFinal = join(out, `${name}.zkey`);
  snarkjs(["groth16", "setup", compiled.r1cs, ptau, z0]);
  snarkjs([
    "zkey",
    "contribute",
    z0,
    z1,
    "--name=zkiris development contribution 1",
    `-e=${randomBytes(32).toString("hex")}`,
  ]);
  snarkjs(["zkey", "beacon", z1, zFinal, DEV_BEACON, "10", "--name=zkiris development beacon"]);
  snarkjs(["zkey", "verify", compiled.r1cs, ptau, zFinal]);
  const vkey = join(out, "verification_key.json");
  const verifier = join(out, "Verifier.sol");
  snarkjs(["zkey", "export", "verificationkey", zFinal, vkey]);
  snarkjs(["zkey", "export", "solidityverifier", zFinal, verifier]);
  const wasm = join(out, `${name}.wasm`);
  copyFileSync(compiled.wasm, wasm);

  const file = async (path: string) => ({
    path: basename(path),
    sha256: await sha256File(path),
    bytes: statSync(path).size,
  });
  const pkg = (p: string) =>
    JSON.parse(readFileSync(join(REPO_DIR, "node_modules", p, "package.json"), "utf8")).version;
  log("hashing the powers-of-tau file...");
  const matchManifest: MatchManifest = {
    circuit: name,
    label: DEVELOPMENT_LABEL,
    profile: checkCircuitProfile(profile),
    deviceTreeDepth: DEVICE_TREE_DEPTH,
    publicSignals: kind === "match" ? [...MATCH_PUBLIC_SIGNALS] : [...LIVENESS_VOTE_PUBLIC_SIGNALS],
    constraints: components ? { total: compiled.constraints, components } : { total: compiled.constraints },
    circuitSource: circuitSourceOf(compiled.mainFile, profile),
    files: {
      wasm: await file(wasm),
      zkey: await file(zFinal),
      verificationKey: await file(vkey),
      verifier: await file(verifier),
    },
    ptau: { file: basename(ptau), power, sha256: await sha256File(ptau) },
    toolchain: {
      circom: `circom2 ${pkg("circom2")} (${circomVersion()}, --O2)`,
      snarkjs: pkg("snarkjs"),
      circomlib: pkg("circomlib"),
      ...(kind === "liveness"
        ? {
            "@semaphore-protocol/circuits": pkg("@semaphore-protocol/circuits"),
            "@zk-kit/binary-merkle-root.circom": pkg("@zk-kit/binary-merkle-root.circom"),
          }
        : {}),
    },
    createdAt: new Date().toISOString(),
  };
  const manifest: MatchManifest | LivenessVoteManifest =
    kind === "match"
      ? matchManifest
      : {
          ...matchManifest,
          kind: "liveness-vote",
          merkleTreeMaxDepth: LIVENESS_VOTE_MAX_DEPTH,
          // The match library that liveness_vote.circom includes, so a change to either shows.
          matchLibrary: {
            path: "circuits/src/lib/iris_match.circom",
            sha256: await sha256File(join(CIRCUITS_DIR, "src", "lib", "iris_match.circom")),
          },
        };
  writeFileSync(join(out, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  log(`wrote ${relative(REPO_DIR, out)}/manifest.json`);
  if (name === "iris_match") writeMatchPins(manifest as MatchManifest, vkey);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
