// End to end with the committed artifacts of the default circuit: one real Groth16 proof,
// verified off-chain and by the exported Solidity verifier in an in-process EVM.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  captureMessage,
  DEFAULT_PROFILE,
  fromJson,
  IrisCode,
  probeCommitment,
  SNARK_FIELD_ORDER,
  sameGeometry,
  templateCommitment,
} from "@zkiris/iris-code";
import * as snarkjs from "snarkjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CIRCUITS_DIR } from "../../../circuits/scripts/compile.js";
import {
  fetchMatchArtifacts,
  loadMatchArtifacts,
  MATCH_VERIFICATION_KEY,
  type MatchArtifacts,
  type MatchProof,
  MatchProofError,
  matchArtifactsFromBytes,
  matchCircuitInputsAtShift,
  prepareMatchWitness,
  proveMatch,
  releaseCurve,
  verifyMatch,
} from "../src/index.js";
import { deployVerifier, verifyProofCalldata } from "./evm-verifier.js";
import { codePair, honestInput, makeDevice, signProbe } from "./fixtures.js";

const DIR = join(CIRCUITS_DIR, "artifacts", "iris_match");

let artifacts: MatchArtifacts;
let matchProof: MatchProof;
let input: ReturnType<typeof honestInput>;

async function refusal(promise: Promise<unknown>): Promise<{ code: string; field: string | undefined }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MatchProofError);
  const e = error as MatchProofError;
  return { code: e.code, field: e.field };
}

beforeAll(async () => {
  artifacts = await loadMatchArtifacts(DIR);
  const { template, probe } = codePair(artifacts.profile, {
    shift: -3,
    usable: 2400,
    differing: 600,
    seed: 3,
  });
  input = honestInput(template, probe, { challenge: 987654321n });
  matchProof = await proveMatch(input, { artifacts });
}, 300_000);

afterAll(async () => {
  await artifacts?.close();
});

describe("committed artifacts", () => {
  it("are built for the current default profile and labelled as a development setup", () => {
    // The circuit depends on the verification decision only; the deduplication one is not in it.
    const { deduplication: _, ...verification } = DEFAULT_PROFILE;
    expect(artifacts.profile).toEqual(verification);
    expect(artifacts.manifest.label).toBe("development setup (single-party, NOT for production)");
    expect(artifacts.manifest.publicSignals).toEqual(["templateCommitment", "challenge", "deviceRoot"]);
    expect(artifacts.manifest.constraints.total).toBeLessThanOrEqual(2 ** 16);
  });

  it("refuses a verification key whose SHA-256 differs from the manifest", async () => {
    const dir = mkdtempSync(join(tmpdir(), "zkiris-artifacts-"));
    try {
      for (const f of ["manifest.json", "verification_key.json"]) copyFileSync(join(DIR, f), join(dir, f));
      const vkey = JSON.parse(readFileSync(join(dir, "verification_key.json"), "utf8"));
      vkey.IC[0][0] = "1";
      writeFileSync(join(dir, "verification_key.json"), JSON.stringify(vkey));
      expect(await refusal(loadMatchArtifacts(dir, { verifyOnly: true }))).toEqual({
        code: "ARTIFACT_HASH_MISMATCH",
        field: "verificationKey",
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a proving key that differs by one byte", async () => {
    const zkey = artifacts.zkey!.slice();
    zkey[zkey.length - 1]! ^= 1;
    const bytes = {
      manifest: readFileSync(join(DIR, "manifest.json")),
      verificationKey: new Uint8Array(readFileSync(join(DIR, "verification_key.json"))),
      zkey,
    };
    expect(await refusal(matchArtifactsFromBytes(bytes))).toEqual({
      code: "ARTIFACT_HASH_MISMATCH",
      field: "zkey",
    });
  });

  it("refuses a missing directory and a malformed manifest", async () => {
    expect(await refusal(loadMatchArtifacts(join(DIR, "no-such-dir")))).toEqual({
      code: "ARTIFACT_UNAVAILABLE",
      field: "manifest",
    });
    expect(
      await refusal(matchArtifactsFromBytes({ manifest: "{", verificationKey: new Uint8Array() })),
    ).toEqual({
      code: "MALFORMED_MANIFEST",
      field: "manifest",
    });
    const manifest = JSON.parse(readFileSync(join(DIR, "manifest.json"), "utf8"));
    manifest.files.zkey.sha256 = "xyz";
    expect(await refusal(matchArtifactsFromBytes({ manifest, verificationKey: new Uint8Array() }))).toEqual({
      code: "MALFORMED_MANIFEST",
      field: "files.zkey",
    });
  });

  it("loads verify-only artifacts over HTTP and verifies the proof with them", async () => {
    const server = createServer((req, res) => {
      const name = (req.url ?? "/").slice(1);
      if (!["manifest.json", "verification_key.json"].includes(name)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/octet-stream" }).end(readFileSync(join(DIR, name)));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const remote = await fetchMatchArtifacts(base, { verifyOnly: true });
      expect(remote.wasm).toBeUndefined();
      expect(await verifyMatch(matchProof, matchProof, { artifacts: remote })).toBe(true);
      expect(await refusal(fetchMatchArtifacts(base))).toEqual({
        code: "ARTIFACT_UNAVAILABLE",
        field: "wasm",
      });
      expect(await refusal(proveMatch(input, { artifacts: remote }))).toEqual({
        code: "INVALID_PARAMETER",
        field: "artifacts",
      });
    } finally {
      server.close();
    }
  });
});

describe("proveMatch and verifyMatch", () => {
  it("proves an honest match and binds exactly Ct, the challenge and the device root", async () => {
    const ct = templateCommitment(input.template, input.salt);
    expect(matchProof.templateCommitment).toBe(ct);
    expect(matchProof.challenge).toBe(987654321n);
    expect(matchProof.deviceRoot).toBe(input.deviceProof.root);
    expect(matchProof.publicSignals).toEqual([ct.toString(), "987654321", input.deviceProof.root.toString()]);
    expect(
      await verifyMatch(
        matchProof,
        { templateCommitment: ct, challenge: 987654321n, deviceRoot: input.deviceProof.root },
        { artifacts },
      ),
    ).toBe(true);
  });

  it("verifies with the verification key shipped in the package when given no artifacts", async () => {
    expect(artifacts.verificationKey).toEqual(MATCH_VERIFICATION_KEY);
    expect(await verifyMatch(matchProof, matchProof)).toBe(true);
    expect(await verifyMatch(matchProof, { ...matchProof, challenge: matchProof.challenge + 1n })).toBe(
      false,
    );
    // Another key (other delta) is used when given, and this proof does not verify under it.
    const other = {
      ...artifacts,
      verificationKey: { ...MATCH_VERIFICATION_KEY, vk_delta_2: MATCH_VERIFICATION_KEY.vk_gamma_2 },
    };
    expect(await verifyMatch(matchProof, matchProof, { artifacts: other })).toBe(false);
  });

  it("returns false when the verifier expects another challenge, root or Ct", async () => {
    const expected = {
      templateCommitment: matchProof.templateCommitment,
      challenge: 987654321n,
      deviceRoot: matchProof.deviceRoot,
    };
    expect(await verifyMatch(matchProof, { ...expected, challenge: 987654322n }, { artifacts })).toBe(false);
    expect(
      await verifyMatch(matchProof, { ...expected, deviceRoot: expected.deviceRoot + 1n }, { artifacts }),
    ).toBe(false);
    expect(await verifyMatch(matchProof, { ...expected, templateCommitment: 5n }, { artifacts })).toBe(false);
  });

  it("returns false for public signals rewritten to what the verifier expects, and for a tampered proof", async () => {
    const forged = {
      ...matchProof,
      publicSignals: [matchProof.publicSignals[0]!, "42", matchProof.publicSignals[2]!],
    };
    expect(await verifyMatch(forged, { ...matchProof, challenge: 42n }, { artifacts })).toBe(false);
    const [x, y] = matchProof.proof.pi_a;
    const negated = { ...matchProof.proof, pi_a: [x!, (SNARK_FIELD_ORDER_Q - BigInt(y!)).toString(), "1"] };
    expect(await verifyMatch({ ...matchProof, proof: negated }, matchProof, { artifacts })).toBe(false);
  });

  it("refuses malformed proofs and public signals with MALFORMED_PROOF naming the field", async () => {
    const expectMalformed = async (value: unknown, field: string) =>
      expect(await refusal(verifyMatch(value as MatchProof, matchProof, { artifacts }))).toEqual({
        code: "MALFORMED_PROOF",
        field,
      });
    await expectMalformed(null, "matchProof");
    await expectMalformed(
      { ...matchProof, publicSignals: matchProof.publicSignals.slice(0, 2) },
      "publicSignals",
    );
    await expectMalformed({ ...matchProof, publicSignals: ["0x1", "2", "3"] }, "publicSignals[0]");
    await expectMalformed(
      {
        ...matchProof,
        publicSignals: [
          matchProof.publicSignals[0],
          SNARK_FIELD_ORDER.toString(),
          matchProof.publicSignals[2],
        ],
      },
      "publicSignals[1]",
    );
    await expectMalformed({ ...matchProof, proof: { ...matchProof.proof, pi_a: ["1", "2"] } }, "proof.pi_a");
    await expectMalformed(
      { ...matchProof, proof: { ...matchProof.proof, pi_c: ["1", "-2", "1"] } },
      "proof.pi_c[1]",
    );
    await expectMalformed(
      { ...matchProof, proof: { ...matchProof.proof, protocol: "plonk" } },
      "proof.protocol",
    );
    expect(await refusal(verifyMatch(matchProof, { ...matchProof, challenge: -1n }, { artifacts }))).toEqual({
      code: "INVALID_PARAMETER",
      field: "expected.challenge",
    });
  });

  it("verifies in the exported Solidity verifier and rejects a tampered proof there", async () => {
    const verifier = await deployVerifier(
      readFileSync(join(DIR, artifacts.manifest.files.verifier.path), "utf8"),
    );
    const valid = await verifier.call(
      await verifyProofCalldata(verifier, matchProof.proof, matchProof.publicSignals),
    );
    expect(valid.result).toBe(true);
    const otherChallenge = [matchProof.publicSignals[0]!, "42", matchProof.publicSignals[2]!];
    const tampered = await verifier.call(
      await verifyProofCalldata(verifier, matchProof.proof, otherChallenge),
    );
    expect(tampered.result).toBe(false);
    console.log(`verifyProof gas: ${valid.executionGas} execution, ${valid.transactionGas} as a transaction`);
  });
});

describe("published iris-code vectors", () => {
  it("the committed circuit computes the vectors' Ct and capture message for the default geometry", async () => {
    const vectors = JSON.parse(
      readFileSync(join(CIRCUITS_DIR, "..", "packages", "iris-code", "vectors", "commitment.json"), "utf8"),
    ) as {
      cases: {
        code: unknown;
        salt: string;
        templateCommitment: string;
        challenge: string;
        captureMessage: string;
      }[];
    };
    const cases = vectors.cases.filter((c) =>
      sameGeometry(fromJson(c.code).geometry, artifacts.profile.geometry),
    );
    expect(cases.length).toBeGreaterThan(0);
    for (const c of cases) {
      const code = fromJson(c.code);
      const challenge = BigInt(c.challenge);
      expect(captureMessage(probeCommitment(code), challenge)).toBe(BigInt(c.captureMessage));
      const device = makeDevice();
      const prepared = prepareMatchWitness(
        {
          template: code,
          salt: BigInt(c.salt),
          probe: code,
          signature: device.sign(BigInt(c.captureMessage)),
          devicePublicKey: device.publicKey,
          deviceProof: device.proof,
          challenge,
        },
        artifacts.profile,
      );
      expect(prepared.inputs.templateCommitment).toBe(c.templateCommitment);
      // The circuit itself recomputes Ct and M from the bits: the witness exists only if they agree.
      const out: { type: "mem"; data?: Uint8Array } = { type: "mem" };
      await snarkjs.wtns.calculate(prepared.inputs, artifacts.wasm!, out);
      expect(out.data!.length).toBeGreaterThan(0);
    }
  });
});

describe("committed circuit at the edges of the shift range", () => {
  async function witnessAt(shift: number, captured: number): Promise<void> {
    const { template, probe } = codePair(artifacts.profile, {
      shift: captured,
      usable: 1500,
      differing: 300,
      seed: 40 + captured,
    });
    const inputs = matchCircuitInputsAtShift(honestInput(template, probe), artifacts.profile, shift);
    await snarkjs.wtns.calculate(inputs, artifacts.wasm!, { type: "mem" });
  }

  it("accepts the maximal shifts +K and -K of the default profile", async () => {
    const K = artifacts.profile.maxShift;
    await expect(witnessAt(K, K)).resolves.toBeUndefined();
    await expect(witnessAt(-K, -K)).resolves.toBeUndefined();
  });

  it("rejects |s| = K + 1 of the default profile even with correctly rotated rows", async () => {
    const K = artifacts.profile.maxShift;
    await expect(witnessAt(K + 1, K + 1)).rejects.toThrow(
      /Assert Failed\. Error in template ShiftSelector_\d+/,
    );
    await expect(witnessAt(-(K + 1), -(K + 1))).rejects.toThrow(
      /Assert Failed\. Error in template ShiftSelector_\d+/,
    );
  });
});

describe("refusals before proving", () => {
  it("refuses codes that do not match with NO_MATCH", async () => {
    const { template, probe } = codePair(artifacts.profile, {
      shift: 0,
      usable: 2000,
      differing: 900,
      seed: 4,
    });
    expect(await refusal(proveMatch(honestInput(template, probe), { artifacts }))).toEqual({
      code: "NO_MATCH",
      field: "probe",
    });
  });

  it("refuses a probe with too few usable bits with TOO_FEW_USABLE_BITS", async () => {
    const { template, probe } = codePair(artifacts.profile, { shift: 0, usable: 300, differing: 0, seed: 5 });
    expect(await refusal(proveMatch(honestInput(template, probe), { artifacts }))).toEqual({
      code: "TOO_FEW_USABLE_BITS",
      field: "probe",
    });
  });

  it("refuses a signature over another challenge or by another key with INVALID_SIGNATURE", async () => {
    const replay = { ...input, challenge: input.challenge + 1n };
    expect(await refusal(proveMatch(replay, { artifacts }))).toEqual({
      code: "INVALID_SIGNATURE",
      field: "signature",
    });
    const forged = {
      ...input,
      signature: signProbe(makeDevice("not the device"), input.probe, input.challenge),
    };
    expect(await refusal(proveMatch(forged, { artifacts }))).toEqual({
      code: "INVALID_SIGNATURE",
      field: "signature",
    });
  });

  it("refuses a device outside the registry with UNTRUSTED_DEVICE", async () => {
    const outsider = makeDevice("unregistered");
    const registered = makeDevice();
    const forged = {
      ...input,
      devicePublicKey: outsider.publicKey,
      signature: signProbe(outsider, input.probe, input.challenge),
      deviceProof: registered.proof,
    };
    expect(await refusal(proveMatch(forged, { artifacts }))).toEqual({
      code: "UNTRUSTED_DEVICE",
      field: "deviceProof",
    });
  });

  it("refuses malformed inputs naming the field", async () => {
    const small = IrisCode.fullyUsable({ rows: 2, cols: 8, bitsPerCell: 2 }, new Array(32).fill(0));
    const cases: [Record<string, unknown>, string, string][] = [
      [{ template: small }, "GEOMETRY_MISMATCH", "template"],
      [{ probe: "probe" }, "INVALID_PARAMETER", "probe"],
      [{ salt: 5 }, "INVALID_PARAMETER", "salt"],
      [{ challenge: SNARK_FIELD_ORDER }, "INVALID_PARAMETER", "challenge"],
      [{ devicePublicKey: [1n] }, "INVALID_PARAMETER", "devicePublicKey"],
      [{ signature: { R8: [1n, 2n], S: "3" } }, "INVALID_PARAMETER", "signature.S"],
      [{ deviceProof: { ...input.deviceProof, siblings: [] } }, "INVALID_PARAMETER", "deviceProof.siblings"],
      [
        { deviceProof: { ...input.deviceProof, pathIndices: new Array(10).fill(2) } },
        "INVALID_PARAMETER",
        "deviceProof.pathIndices[0]",
      ],
    ];
    for (const [change, code, field] of cases) {
      expect(await refusal(proveMatch({ ...input, ...change } as typeof input, { artifacts }))).toEqual({
        code,
        field,
      });
    }
  });

  it("releases the snarkjs curve on close() so the process can exit", async () => {
    const holder = globalThis as { curve_bn128?: unknown };
    expect(holder.curve_bn128).toBeTruthy();
    await releaseCurve();
    expect(holder.curve_bn128).toBeNull();
  });
});

/** BN254 base field modulus (for negating a G1 point). */
const SNARK_FIELD_ORDER_Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
