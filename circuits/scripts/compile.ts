import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { IrisProfile } from "@zkiris/iris-code";
import { matchCircuitMain } from "../../packages/match-proof/src/circuit-source.js";
import { livenessVoteCircuitMain } from "../../packages/match-proof/src/liveness-circuit-source.js";

/** circuits/ */
export const CIRCUITS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** Repository root. */
export const REPO_DIR = resolve(CIRCUITS_DIR, "..");

/** A small profile for soundness tests: 4 x 16 x 2 bits, shifts -2..2 (compiles in seconds). */
export const TEST_PROFILE: IrisProfile = Object.freeze({
  name: "zkiris-test-4x16x2",
  geometry: Object.freeze({ rows: 4, cols: 16, bitsPerCell: 2 }),
  maxShift: 2,
  thresholdPer10k: 3600,
  minUsableBits: 40,
  // Not used by the circuit; ceil((128 + 40) / 2) keeps enrolled-template comparisons decidable.
  deduplication: Object.freeze({ thresholdPer10k: 3600, minUsableBits: 40, enrolmentMinUsableBits: 84 }),
});

/** Paths of a compiled circuit. */
export interface CompiledCircuit {
  name: string;
  mainFile: string;
  r1cs: string;
  wasm: string;
  /** Non-linear constraints reported by circom (after --O2 all constraints are non-linear). */
  constraints: number;
  /** Whether this call compiled (false when the build directory was already up to date). */
  compiled: boolean;
}

function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * The circuits built here: `match` (IrisMatch, circuits/src/lib/iris_match.circom) and `liveness`
 * (LivenessVote, circuits/src/lib/liveness_vote.circom, which includes the first).
 */
export type CircuitKind = "match" | "liveness";

/** Circuit library files each kind is compiled from (under circuits/src/lib), for the build stamp. */
const LIBRARY_FILES: Record<CircuitKind, readonly string[]> = {
  match: ["iris_match.circom"],
  liveness: ["liveness_vote.circom", "iris_match.circom"],
};

/**
 * Runs circom2 (circom 2.2 in WebAssembly) from the repository root; circom2 only sees paths under the cwd.
 * `node_modules/circomlib/circuits` is on the include path for the zk-kit and Semaphore sources,
 * which include circomlib files by their bare names.
 */
export function runCircom(mainFile: string, outDir: string, extra: string[] = []): string {
  mkdirSync(outDir, { recursive: true });
  return execFileSync(
    "npx",
    [
      "circom2",
      relative(REPO_DIR, mainFile),
      "--r1cs",
      "--wasm",
      "--O2",
      "-l",
      "circuits/src",
      "-l",
      "node_modules",
      "-l",
      "node_modules/circomlib/circuits",
      "-o",
      relative(REPO_DIR, outDir),
      ...extra,
    ],
    { cwd: REPO_DIR, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 },
  );
}

/** Parses circom's "non-linear constraints: N" line. */
export function parseConstraintCount(log: string): number {
  // circom colours its output; strip ANSI escapes first.
  const clean = log.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g"), "");
  const nonLinear = /non-linear constraints: (\d+)/.exec(clean);
  const linear = /(?<!non-)linear constraints: (\d+)/.exec(clean);
  if (!nonLinear) throw new Error(`circom output has no constraint count:\n${clean}`);
  return Number(nonLinear[1]) + (linear ? Number(linear[1]) : 0);
}

/**
 * Writes circuits/src/main/<name>.circom for a profile and compiles it into circuits/build/<name>
 * (r1cs and witness wasm). Skips compiling when the main file, the circuit library and the
 * previous build all still match (a stamp of their SHA-256), so tests compile once.
 */
export function compileMatchCircuit(
  profile: IrisProfile,
  name: string,
  log: (line: string) => void = () => {},
): CompiledCircuit {
  return compileCircuit("match", profile, name, log);
}

/** As {@link compileMatchCircuit}, for either circuit kind. */
export function compileCircuit(
  kind: CircuitKind,
  profile: IrisProfile,
  name: string,
  log: (line: string) => void = () => {},
): CompiledCircuit {
  const mainDir = join(CIRCUITS_DIR, "src", "main");
  mkdirSync(mainDir, { recursive: true });
  const mainFile = join(mainDir, `${name}.circom`);
  const source = kind === "match" ? matchCircuitMain(profile) : livenessVoteCircuitMain(profile);
  if (!existsSync(mainFile) || readFileSync(mainFile, "utf8") !== source) writeFileSync(mainFile, source);
  const outDir = join(CIRCUITS_DIR, "build", name);
  const r1cs = join(outDir, `${name}.r1cs`);
  const wasm = join(outDir, `${name}_js`, `${name}.wasm`);
  const stampFile = join(outDir, "stamp.json");
  const libraries = LIBRARY_FILES[kind].map((f) => readFileSync(join(CIRCUITS_DIR, "src", "lib", f), "utf8"));
  const stamp = sha256(source + libraries.join(""));
  if (existsSync(stampFile) && existsSync(r1cs) && existsSync(wasm)) {
    const previous = JSON.parse(readFileSync(stampFile, "utf8")) as { stamp: string; constraints: number };
    if (previous.stamp === stamp)
      return { name, mainFile, r1cs, wasm, constraints: previous.constraints, compiled: false };
  }
  log(`compiling ${relative(REPO_DIR, mainFile)} with circom2 (--O2)...`);
  const started = Date.now();
  const output = runCircom(mainFile, outDir);
  const constraints = parseConstraintCount(output);
  log(`compiled in ${((Date.now() - started) / 1000).toFixed(1)} s: ${constraints} constraints`);
  writeFileSync(stampFile, JSON.stringify({ stamp, constraints }));
  return { name, mainFile, r1cs, wasm, constraints, compiled: true };
}
