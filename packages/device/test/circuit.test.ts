import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { subOrder } from "@zk-kit/baby-jubjub";
import { needs, requirement } from "@zkiris/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeviceKey, DeviceRegistryTree, signCapture, verifyCapture } from "../src/index.js";
import { makeProbe } from "./helpers.js";

// circomlib's EdDSAPoseidonVerifier and Poseidon(2), compiled with circom2 (circom 2.2 in
// WebAssembly), check what this package signs and the registry proofs it returns.

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const repoDir = resolve(packageDir, "../..");
const circuitFile = join(packageDir, "test/circuits/device_attestation.circom");
const circom = requirement("circom");

interface Snarkjs {
  wtns: {
    calculate(
      input: Record<string, unknown>,
      wasm: string,
      out: { type: "mem"; data?: Uint8Array },
    ): Promise<void>;
    check(r1cs: string, wtns: string): Promise<boolean>;
    exportJson(wtns: string): Promise<bigint[]>;
  };
  curves: { getCurveFromName(name: string): Promise<{ terminate(): Promise<void> }> };
}

let snarkjs: Snarkjs;
let buildDir: string;
let counter = 0;

/** Computes the witness (circom checks every `===` while doing so), checks it against the R1CS, and returns the root output. */
async function runCircuit(input: Record<string, unknown>): Promise<bigint> {
  const wtnsFile = join(buildDir, `w${counter++}.wtns`);
  const out: { type: "mem"; data?: Uint8Array } = { type: "mem" };
  await snarkjs.wtns.calculate(input, join(buildDir, "device_attestation_js/device_attestation.wasm"), out);
  writeFileSync(wtnsFile, out.data!);
  expect(await snarkjs.wtns.check(join(buildDir, "device_attestation.r1cs"), wtnsFile)).toBe(true);
  const witness = await snarkjs.wtns.exportJson(wtnsFile);
  return BigInt(witness[1]!);
}

describe.skipIf(!circom.available)(needs(circom, "circomlib accepts what this package produces"), () => {
  let key: DeviceKey;
  let registry: DeviceRegistryTree;
  let honest: Record<string, unknown>;

  beforeAll(async () => {
    snarkjs = (await import(/* @vite-ignore */ ["snarkjs"][0]!)) as Snarkjs;
    // circom2 only sees files under its working directory: build inside this package's node_modules.
    buildDir = mkdtempSync(join(packageDir, "node_modules", ".device-circuit-"));
    execFileSync(
      "npx",
      [
        "circom2",
        relative(repoDir, circuitFile),
        "--r1cs",
        "--wasm",
        "-l",
        "node_modules",
        "-o",
        relative(repoDir, buildDir),
      ],
      { cwd: repoDir, stdio: ["ignore", "pipe", "pipe"] },
    );

    key = DeviceKey.fromSeed("circuit-device");
    registry = new DeviceRegistryTree();
    for (const seed of ["circuit-a", "circuit-b"]) registry.add(DeviceKey.fromSeed(seed));
    registry.add(key);
    const packet = signCapture(key, makeProbe(5), 424242n, {}, 1_764_000_000_000);
    const capture = verifyCapture(packet, { expectedChallenge: 424242n, registry });
    const proof = registry.proof(key.deviceId);
    honest = {
      Ax: key.publicKey[0],
      Ay: key.publicKey[1],
      R8x: capture.signature.R8[0],
      R8y: capture.signature.R8[1],
      S: capture.signature.S,
      M: capture.message,
      siblings: proof.siblings,
      pathIndices: proof.pathIndices,
    };
  }, 180_000);

  afterAll(async () => {
    if (snarkjs) await (await snarkjs.curves.getCurveFromName("bn128")).terminate();
    if (buildDir) rmSync(buildDir, { recursive: true, force: true });
  });

  it("verifies the capture signature and recomputes the registry root from proof()", async () => {
    expect(honest.pathIndices).toEqual([0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(await runCircuit(honest)).toBe(registry.root);
  });

  it("fails for a message other than the signed one (another probe or challenge)", async () => {
    await expect(runCircuit({ ...honest, M: (honest.M as bigint) + 1n })).rejects.toThrow(/Assert Failed/);
  });

  it("fails for S + l, which circomlib refuses as non-canonical", async () => {
    await expect(runCircuit({ ...honest, S: (honest.S as bigint) + subOrder })).rejects.toThrow(
      /Assert Failed/,
    );
  });

  it("fails for a signature checked against another device's key", async () => {
    const other = DeviceKey.fromSeed("circuit-a");
    await expect(runCircuit({ ...honest, Ax: other.publicKey[0], Ay: other.publicKey[1] })).rejects.toThrow(
      /Assert Failed/,
    );
  });

  it("computes another root for a wrong path, and refuses a non-binary path index", async () => {
    const wrongPath = [1, ...(honest.pathIndices as number[]).slice(1)];
    expect(await runCircuit({ ...honest, pathIndices: wrongPath })).not.toBe(registry.root);
    const nonBinary = [2, ...(honest.pathIndices as number[]).slice(1)];
    await expect(runCircuit({ ...honest, pathIndices: nonBinary })).rejects.toThrow(/Assert Failed/);
  });
});
