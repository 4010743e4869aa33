// Witness-level soundness of the match circuit, on a small profile compiled once per run
// (4 x 16 x 2 bits, shifts -2..2): every honest case passes and every way to cheat fails at the
// constraint meant to stop it (checked by the template and source line circom reports).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { addPoint, Base8, inCurve, mulPointEscalar, subOrder, unpackPoint } from "@zk-kit/baby-jubjub";
import { deriveSecretScalar, verifySignature } from "@zk-kit/eddsa-poseidon";
import { DeviceKey, DeviceRegistryTree, signCapture } from "@zkiris/device";
import {
  bitCount,
  captureMessage,
  hashFieldElements,
  IrisCode,
  probeCommitment,
  rowBitCount,
  SNARK_FIELD_ORDER,
} from "@zkiris/iris-code";
import { poseidon2, poseidon5 } from "poseidon-lite";
import * as snarkjs from "snarkjs";
import { beforeAll, describe, expect, it } from "vitest";
import {
  CIRCUITS_DIR,
  compileMatchCircuit,
  runCircom,
  TEST_PROFILE,
} from "../../../circuits/scripts/compile.js";
import { type MatchCircuitInputs, matchCircuitInputsAtShift, prepareMatchWitness } from "../src/index.js";
import {
  codePair,
  honestInput,
  makeDevice,
  packRawRows,
  rawTemplateCommitment,
  rng,
  signProbe,
  type TestDevice,
} from "./fixtures.js";

const profile = TEST_PROFILE;
const g = profile.geometry;
const L = rowBitCount(g);
const N = bitCount(g);
const K = profile.maxShift;
const P = g.bitsPerCell;
const MODULUS = (1n << BigInt(L)) - 1n;

let wasm: Uint8Array;
let r1csPath: string;
const source = readFileSync(join(CIRCUITS_DIR, "src", "lib", "iris_match.circom"), "utf8").split("\n");

/** 1-based line of the circuit library that contains `text` (exactly once). */
function lineOf(text: string): number {
  const lines = source.flatMap((l, i) => (l.includes(text) ? [i + 1] : []));
  if (lines.length !== 1) throw new Error(`'${text}' occurs ${lines.length} times in iris_match.circom`);
  return lines[0]!;
}

async function calculate(inputs: MatchCircuitInputs): Promise<Uint8Array> {
  const out: { type: "mem"; data?: Uint8Array } = { type: "mem" };
  await snarkjs.wtns.calculate(inputs, wasm, out);
  return out.data!;
}

async function expectPass(inputs: MatchCircuitInputs): Promise<void> {
  const data = await calculate(inputs);
  expect(data.length).toBeGreaterThan(0);
}

/** Fails witness generation at `template` (circom's innermost failing template) and, when given, at the library line containing `constraint`. */
async function expectFail(inputs: MatchCircuitInputs, template: string, constraint?: string): Promise<void> {
  const pattern = constraint
    ? new RegExp(`Assert Failed\\. Error in template ${template}_\\d+ line: ${lineOf(constraint)}\\b`)
    : new RegExp(`Assert Failed\\. Error in template ${template}_\\d+ line: \\d+`);
  await expect(calculate(inputs)).rejects.toThrow(pattern);
}

/**
 * A quotient other than the value of the k wrapped-around bits of the shifted row (as the
 * all-zeros/all-ones tricks need: -1 or 2^k) fails the quotient constraint of RotateRow.
 */
async function expectQuotientRefused(inputs: MatchCircuitInputs, q: bigint, k: bigint): Promise<void> {
  expect(q >= 1n << k).toBe(true);
  await expectFail(inputs, "RotateRow", QUOTIENT_CONSTRAINT);
}

const QUOTIENT_CONSTRAINT = "quotient * (1 << L) === qLeft * (1 << L) + topRight * factor;";

const dec = (v: bigint | number) => v.toString();
const neg = (v: bigint) => dec((SNARK_FIELD_ORDER + v) % SNARK_FIELD_ORDER);

function pair(shift: number, usable: number, differing: number, seed = 7) {
  return codePair(profile, { shift, usable, differing, seed });
}

/** Inputs at a forced shift, bypassing the TypeScript refusals (a cheating prover's view). */
function inputsAt(
  template: IrisCode,
  probe: IrisCode,
  shift: number,
  options: Parameters<typeof honestInput>[2] = {},
) {
  return matchCircuitInputsAtShift(honestInput(template, probe, options), profile, shift);
}

beforeAll(() => {
  const compiled = compileMatchCircuit(profile, "iris_match_test", (line) => console.log(line));
  wasm = new Uint8Array(readFileSync(compiled.wasm));
  r1csPath = compiled.r1cs;
}, 240_000);

describe("match circuit, honest witnesses", () => {
  it("accepts an honest probe at the best shift and the witness satisfies every R1CS constraint", async () => {
    const { template, probe } = pair(1, 100, 20);
    const prepared = prepareMatchWitness(honestInput(template, probe), profile);
    expect(prepared.comparison.shift).toBe(1);
    expect(prepared.comparison.usableBits).toBe(100);
    expect(prepared.comparison.differingBits).toBe(20);
    const data = await calculate(prepared.inputs);
    const { mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "zkiris-wtns-"));
    try {
      writeFileSync(join(dir, "w.wtns"), data);
      expect(await snarkjs.wtns.check(r1csPath, join(dir, "w.wtns"))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("accepts a distance exactly at the threshold (36 of 100 bits differ at 3600/10000)", async () => {
    const { template, probe } = pair(0, 100, 36);
    await expectPass(inputsAt(template, probe, 0));
  });

  it("rejects one differing bit over the threshold (37 of 100)", async () => {
    const { template, probe } = pair(0, 100, 37);
    await expectFail(inputsAt(template, probe, 0), "IrisMatch", "withinThreshold.out === 1;");
  });

  it("accepts exactly the minimum number of usable bits (40)", async () => {
    const { template, probe } = pair(2, 40, 0);
    await expectPass(inputsAt(template, probe, 2));
  });

  it("rejects one usable bit fewer than the minimum (39)", async () => {
    const { template, probe } = pair(2, 39, 0);
    await expectFail(inputsAt(template, probe, 2), "IrisMatch", "enoughUsable.out === 1;");
  });

  it("accepts the maximal shifts +K and -K", async () => {
    for (const shift of [K, -K]) {
      const { template, probe } = pair(shift, 90, 10, 11 + shift);
      const prepared = prepareMatchWitness(honestInput(template, probe), profile);
      expect(prepared.comparison.shift).toBe(shift);
      await expectPass(prepared.inputs);
    }
  });

  it("accepts a capture signed by a @zkiris/device DeviceKey with a DeviceRegistryTree proof", async () => {
    const key = DeviceKey.fromSeed("match-proof interop device");
    const tree = new DeviceRegistryTree();
    tree.add(DeviceKey.fromSeed("first device"));
    const deviceId = tree.add(key);
    const { template, probe } = pair(-1, 100, 25);
    const packet = signCapture(key, probe, 31337n, {}, 1_700_000_000_000);
    const signature = {
      R8: [BigInt(packet.signature.R8[0]), BigInt(packet.signature.R8[1])] as const,
      S: BigInt(packet.signature.S),
    };
    const prepared = prepareMatchWitness(
      {
        template,
        salt: 12345n,
        probe,
        signature,
        devicePublicKey: key.publicKey,
        deviceProof: tree.proof(deviceId),
        challenge: 31337n,
      },
      profile,
    );
    expect(prepared.deviceRoot).toBe(tree.root);
    await expectPass(prepared.inputs);
  });

  it("accepts every shift in -K..K for a probe captured at that shift", async () => {
    for (let shift = -K; shift <= K; shift++) {
      const { template, probe } = pair(shift, 80, 8, 100 + shift);
      await expectPass(inputsAt(template, probe, shift));
    }
  });
});

describe("match circuit, cheating provers", () => {
  const { template, probe } = pair(1, 100, 20);

  it("rejects a non-binary template bit that would cancel a difference", async () => {
    const inputs = inputsAt(template, probe, 1);
    const t = (inputs.templateBits as string[]).map(BigInt);
    const tm = (inputs.templateMask as string[]).map(BigInt);
    const pb = (inputs.shiftedBits as string[]).map(BigInt);
    const pm = (inputs.shiftedMask as string[]).map(BigInt);
    // A differing, jointly usable bit where the probe has 1: t = 2 gives m*(t + p' - 2tp') = -1.
    const i = t.findIndex((v, j) => tm[j] === 1n && pm[j] === 1n && pb[j] === 1n && v === 0n);
    expect(i).toBeGreaterThanOrEqual(0);
    t[i] = 2n;
    const salt = BigInt(inputs.salt as string);
    const ct = rawTemplateCommitment(t, tm, salt, g.rows, L);
    await expectFail(
      { ...inputs, templateBits: t.map(dec), templateCommitment: dec(ct) },
      "MaskedHamming",
      "templateBits[i] * (templateBits[i] - 1) === 0;",
    );
  });

  it("rejects a non-binary template mask value that would inflate the usable count", async () => {
    const inputs = inputsAt(template, probe, 1);
    const t = (inputs.templateBits as string[]).map(BigInt);
    const tm = (inputs.templateMask as string[]).map(BigInt);
    const i = tm.indexOf(1n);
    tm[i] = 5n;
    const ct = rawTemplateCommitment(t, tm, BigInt(inputs.salt as string), g.rows, L);
    await expectFail(
      { ...inputs, templateMask: tm.map(dec), templateCommitment: dec(ct) },
      "MaskedHamming",
      "templateMask[i] * (templateMask[i] - 1) === 0;",
    );
  });

  it("rejects a non-binary shifted probe bit that packs to the same row value", async () => {
    const inputs = inputsAt(template, probe, 1);
    const pb = (inputs.shiftedBits as string[]).map(BigInt);
    // bits (.., 1, 0) at (j-1, j) pack like (.., 0, 2): the rotation equation still holds.
    const j = pb.findIndex((v, x) => x % L !== 0 && v === 0n && pb[x - 1] === 1n);
    pb[j - 1] = 0n;
    pb[j] = 2n;
    expect(packRawRows(pb, g.rows, L)).toEqual(
      packRawRows((inputs.shiftedBits as string[]).map(BigInt), g.rows, L),
    );
    await expectFail(
      { ...inputs, shiftedBits: pb.map(dec) },
      "MaskedHamming",
      "probeBits[i] * (probeBits[i] - 1) === 0;",
    );
  });

  it("rejects a non-binary shifted probe mask value that packs to the same row value", async () => {
    const inputs = inputsAt(template, probe, 1);
    const pm = (inputs.shiftedMask as string[]).map(BigInt);
    const j = pm.findIndex((v, x) => x % L !== 0 && v === 0n && pm[x - 1] === 1n);
    pm[j - 1] = 0n;
    pm[j] = 2n;
    await expectFail(
      { ...inputs, shiftedMask: pm.map(dec) },
      "MaskedHamming",
      "probeMask[i] * (probeMask[i] - 1) === 0;",
    );
  });

  it("rejects a wrong salt", async () => {
    const inputs = inputsAt(template, probe, 1);
    await expectFail(
      { ...inputs, salt: dec(BigInt(inputs.salt as string) + 1n) },
      "IrisMatch",
      "ct.out === templateCommitment;",
    );
  });

  it("rejects a template that does not open Ct (one bit flipped)", async () => {
    const inputs = inputsAt(template, probe, 1);
    const t = [...(inputs.templateBits as string[])];
    t[5] = t[5] === "0" ? "1" : "0";
    await expectFail({ ...inputs, templateBits: t }, "IrisMatch", "ct.out === templateCommitment;");
  });

  it("rejects a forged signature (S changed)", async () => {
    const inputs = inputsAt(template, probe, 1);
    await expectFail(
      { ...inputs, signatureS: dec(BigInt(inputs.signatureS as string) + 1n) },
      "ForceEqualIfEnabled",
    );
  });

  it("rejects a signature made with another key than the registered device's", async () => {
    const registered = makeDevice();
    const forger = makeDevice("someone else's key");
    const input = honestInput(template, probe, { device: registered });
    const forged = { ...input, signature: signProbe(forger, probe, input.challenge) };
    await expectFail(matchCircuitInputsAtShift(forged, profile, 1), "ForceEqualIfEnabled");
  });

  it("rejects a signature over another probe", async () => {
    const device = makeDevice();
    const other = pair(1, 100, 20, 99).probe;
    const input = honestInput(template, probe, { device });
    const swapped = { ...input, signature: signProbe(device, other, input.challenge) };
    await expectFail(matchCircuitInputsAtShift(swapped, profile, 1), "ForceEqualIfEnabled");
  });

  it("rejects a signature over another challenge (replay)", async () => {
    const device = makeDevice();
    const input = honestInput(template, probe, { device, challenge: 1000n });
    const replayed = { ...input, challenge: 1001n };
    await expectFail(matchCircuitInputsAtShift(replayed, profile, 1), "ForceEqualIfEnabled");
  });

  it("rejects a device that is not in the registry", async () => {
    const outsider = makeDevice("unregistered device");
    const registered = makeDevice();
    const input = honestInput(template, probe, { device: outsider });
    // The outsider reuses a registered device's path to the public root.
    const forged = { ...input, deviceProof: { ...registered.proof, leaf: outsider.proof.leaf } };
    await expectFail(matchCircuitInputsAtShift(forged, profile, 1), "IrisMatch", "tree.root === deviceRoot;");
  });

  it("rejects a wrong public device root", async () => {
    const inputs = inputsAt(template, probe, 1);
    await expectFail(
      { ...inputs, deviceRoot: dec(BigInt(inputs.deviceRoot as string) + 1n) },
      "IrisMatch",
      "tree.root === deviceRoot;",
    );
  });

  it("rejects a non-binary registry path index", async () => {
    const inputs = inputsAt(template, probe, 1);
    const idx = [...(inputs.devicePathIndices as string[])];
    idx[0] = "2";
    await expectFail(
      { ...inputs, devicePathIndices: idx },
      "DeviceTreeInclusion",
      "pathIndices[i] * (1 - pathIndices[i]) === 0;",
    );
  });

  it("rejects shifts out of range (|s| = K + 1) even with correctly rotated rows", async () => {
    for (const shift of [K + 1, -(K + 1)]) {
      const { template: t, probe: p } = pair(shift, 100, 10, 5);
      const inputs = inputsAt(t, p, shift);
      expect(inputs.shift).toBe(neg(BigInt(shift)));
      await expectFail(inputs, "ShiftSelector", "sum === 1;");
    }
  });

  it("rejects a shifted row that is not the rotation of the signed row", async () => {
    const inputs = inputsAt(template, probe, 1);
    const pb = [...(inputs.shiftedBits as string[])];
    pb[3] = pb[3] === "0" ? "1" : "0";
    await expectFail(
      { ...inputs, shiftedBits: pb },
      "RotateRow",
      "(row + swap) * factor === (rotated - swap) + quotient",
    );
  });

  it("rejects the all-zeros to all-ones trick: a fully masked row shown as fully usable", async () => {
    // Probe whose mask row 0 is all zeros; the cheater claims the shifted mask row is all ones.
    const bits = probe.bitValues();
    const mask = probe.maskValues();
    for (let j = 0; j < L; j++) mask[j] = 0;
    const masked = IrisCode.fromBits(g, bits, mask);
    for (const shift of [0, 1, -1, -K]) {
      const inputs = inputsAt(template, masked, shift);
      const k = BigInt(Math.abs(shift) * P);
      const pm = [...(inputs.shiftedMask as string[])];
      for (let j = 0; j < L; j++) pm[j] = "1";
      const q = [...(inputs.maskQuotients as string[])];
      // s >= 0: 0 * 2^k = (2^L - 1) + q (2^L - 1) needs q = -1; s < 0: (2^L - 1) 2^k = 0 + q (2^L - 1) needs q = 2^k.
      q[0] = shift >= 0 ? neg(-1n) : dec(1n << k);
      const qv = BigInt(q[0]!);
      const lhs = shift >= 0 ? 0n : MODULUS << k;
      const rhs = shift >= 0 ? MODULUS + qv * MODULUS : qv * MODULUS;
      expect((lhs - rhs) % SNARK_FIELD_ORDER).toBe(0n); // the rotation equation alone would accept it
      await expectQuotientRefused({ ...inputs, shiftedMask: pm, maskQuotients: q }, qv, k);
    }
  });

  it("rejects the all-ones to all-zeros trick: a fully usable row shown as fully masked", async () => {
    const bits = probe.bitValues();
    const mask = probe.maskValues();
    for (let j = 0; j < L; j++) mask[j] = 1;
    const usable = IrisCode.fromBits(g, bits, mask);
    for (const shift of [0, 1, -1, K]) {
      const inputs = inputsAt(template, usable, shift);
      const k = BigInt(Math.abs(shift) * P);
      const pm = [...(inputs.shiftedMask as string[])];
      for (let j = 0; j < L; j++) pm[j] = "0";
      const q = [...(inputs.maskQuotients as string[])];
      // s >= 0: (2^L - 1) 2^k = 0 + q (2^L - 1) needs q = 2^k; s < 0: 0 = (2^L - 1) + q (2^L - 1) needs q = -1.
      q[0] = shift >= 0 ? dec(1n << k) : neg(-1n);
      await expectQuotientRefused({ ...inputs, shiftedMask: pm, maskQuotients: q }, BigInt(q[0]!), k);
    }
  });

  it("rejects a quotient with a bit above 2^(|s| P) even when the equation could be rebalanced", async () => {
    const inputs = inputsAt(template, probe, 1);
    const q = [...(inputs.bitQuotients as string[])];
    q[1] = dec(BigInt(q[1]!) + (1n << BigInt(P)));
    await expectFail({ ...inputs, bitQuotients: q }, "RotateRow");
  });

  it("rejects too few usable bits", async () => {
    const { template: t, probe: p } = pair(0, 20, 0);
    await expectFail(inputsAt(t, p, 0), "IrisMatch", "enoughUsable.out === 1;");
  });

  it("rejects a distance over the threshold", async () => {
    const { template: t, probe: p } = pair(0, 100, 60);
    await expectFail(inputsAt(t, p, 0), "IrisMatch", "withinThreshold.out === 1;");
  });

  it("rejects malformed public inputs: Ct, challenge or root off by one, or missing", async () => {
    const inputs = inputsAt(template, probe, 1);
    await expectFail(
      { ...inputs, templateCommitment: dec(BigInt(inputs.templateCommitment as string) + 1n) },
      "IrisMatch",
      "ct.out === templateCommitment;",
    );
    await expectFail(
      { ...inputs, challenge: dec(BigInt(inputs.challenge as string) + 1n) },
      "ForceEqualIfEnabled",
    );
    const { deviceRoot: _omitted, ...missing } = inputs;
    await expect(calculate(missing)).rejects.toThrow(/deviceRoot|Not all inputs have been set/);
    await expect(calculate({ ...inputs, challenge: ["1", "2"] })).rejects.toThrow();
  });

  it("checks that the probe rows are the signed ones (a different probe under the same signature fails)", async () => {
    const inputs = inputsAt(template, probe, 1);
    const rows = [...(inputs.probeBitRows as string[])];
    rows[0] = dec(BigInt(rows[0]!) ^ 1n);
    await expectFail({ ...inputs, probeBitRows: rows }, "ForceEqualIfEnabled");
  });

  it("uses N = rows x cols x bitsPerCell bits", () => {
    expect(N).toBe(128);
    expect((inputsAt(template, probe, 0).templateBits as string[]).length).toBe(N);
  });
});

describe("match circuit, what it does not take on the device's word", () => {
  const { template, probe } = pair(1, 100, 20);
  const pairs = new Map([1, K, -1, -K].map((shift) => [shift, pair(shift, 100, 20, 40 + shift)]));
  const inverse = (v: bigint) => {
    // v^(p-2) mod p
    let result = 1n;
    let base = v % SNARK_FIELD_ORDER;
    for (let e = SNARK_FIELD_ORDER - 2n; e > 0n; e >>= 1n) {
      if (e & 1n) result = (result * base) % SNARK_FIELD_ORDER;
      base = (base * base) % SNARK_FIELD_ORDER;
    }
    return result;
  };
  /** Signs raw probe rows (possibly not a packing of any code) for a challenge, as a device would. */
  const signRows = (
    device: TestDevice,
    bitRows: readonly bigint[],
    maskRows: readonly bigint[],
    challenge: bigint,
  ) =>
    device.sign(
      poseidon2([poseidon2([hashFieldElements([...bitRows]), hashFieldElements([...maskRows])]), challenge]),
    );

  /**
   * The signed bit row 0 replaced by R >= 2^L that satisfies the rotation equation for the given
   * shifted bits with a quotient q in [0, 2^k) other than the wrapped-around bits, and signed by
   * the registered device: the equation with a range-checked q alone accepts it.
   */
  function oversizedRow(shift: number) {
    const device = makeDevice();
    const { template: t, probe: p } = pairs.get(shift)!;
    const inputs = matchCircuitInputsAtShift(honestInput(t, p, { device }), profile, shift);
    const k = BigInt(Math.abs(shift) * P);
    const shiftedRow = packRawRows((inputs.shiftedBits as string[]).map(BigInt), g.rows, L)[0]!;
    const honestQ = BigInt((inputs.bitQuotients as string[])[0]!);
    const q = honestQ ^ 1n; // still in [0, 2^k)
    const row =
      shift >= 0
        ? ((shiftedRow + q * MODULUS) * inverse(1n << k)) % SNARK_FIELD_ORDER
        : ((((shiftedRow << k) - q * MODULUS) % SNARK_FIELD_ORDER) + SNARK_FIELD_ORDER) % SNARK_FIELD_ORDER;
    expect(row >= 1n << BigInt(L)).toBe(true);
    expect(q < 1n << k).toBe(true);
    // The rotation equation R·2^k = R' + q(2^L - 1) (s >= 0) or R'·2^k = R + q(2^L - 1) (s < 0) holds in the field.
    const [a, b] = shift >= 0 ? [row, shiftedRow] : [shiftedRow, row];
    expect(((((a << k) - b - q * MODULUS) % SNARK_FIELD_ORDER) + SNARK_FIELD_ORDER) % SNARK_FIELD_ORDER).toBe(
      0n,
    );
    const bitRows = (inputs.probeBitRows as string[]).map(BigInt);
    bitRows[0] = row;
    const maskRows = (inputs.probeMaskRows as string[]).map(BigInt);
    const challenge = BigInt(inputs.challenge as string);
    const signature = signRows(device, bitRows, maskRows, challenge);
    const message = poseidon2([
      poseidon2([hashFieldElements(bitRows), hashFieldElements(maskRows)]),
      challenge,
    ]);
    expect(verifySignature(message, { R8: [...signature.R8], S: signature.S }, device.publicKey)).toBe(true);
    const quotients = [...(inputs.bitQuotients as string[])];
    quotients[0] = dec(q);
    return {
      ...inputs,
      probeBitRows: bitRows.map(dec),
      bitQuotients: quotients,
      signatureR8x: dec(signature.R8[0]),
      signatureR8y: dec(signature.R8[1]),
      signatureS: dec(signature.S),
    };
  }

  it("rejects a signed probe row of 2^L or more for a left shift (s > 0), the device's signature valid", async () => {
    for (const shift of [1, K]) await expectFail(oversizedRow(shift), "RotateRow", QUOTIENT_CONSTRAINT);
  });

  it("rejects a signed probe row of 2^L or more for a right shift (s < 0), the device's signature valid", async () => {
    for (const shift of [-1, -K]) await expectFail(oversizedRow(shift), "RotateRow", QUOTIENT_CONSTRAINT);
  });

  it("accepts the same witnesses with the honest rows (the refusals are about the row alone)", async () => {
    for (const [shift, { template: t, probe: p }] of pairs) await expectPass(inputsAt(t, p, shift));
  });

  /** A point of order exactly 8: the small-order part of some curve point (l·P). */
  function torsionPoint(order: 2n | 8n): [bigint, bigint] {
    if (order === 2n) return [0n, SNARK_FIELD_ORDER - 1n];
    for (let i = 1n; ; i++) {
      const point = unpackPoint(i * 12345678901234567n);
      if (!point) continue;
      const t = mulPointEscalar(point, subOrder);
      const t4 = mulPointEscalar(t, 4n);
      if (t4[0] !== 0n || t4[1] !== 1n) {
        const t8 = mulPointEscalar(t, 8n);
        expect([t8[0], t8[1]]).toEqual([0n, 1n]);
        return [t[0], t[1]];
      }
    }
  }

  /**
   * A device key A + T (T of small order) in the registry, the probe signed by A's holder for the
   * key A + T: S = r + 8·h·a with h = Poseidon5(R8, A + T, M), so S·B8 = R8 + 8·h·(A + T).
   */
  function torsionKeyInputs(order: 2n | 8n) {
    const device = makeDevice();
    const t = torsionPoint(order);
    const alias = addPoint(device.publicKey, t) as [bigint, bigint];
    expect(inCurve(alias)).toBe(true);
    expect(alias).not.toEqual(device.publicKey);
    // A registry built from its leaves only sees Poseidon2(Ax, Ay): it cannot tell such a key.
    const leaf = poseidon2(alias);
    const tree = DeviceRegistryTree.fromLeaves([poseidon2(makeDevice("other device").publicKey), leaf]);
    // Adding the key itself is refused by @zkiris/device.
    expect(() => new DeviceRegistryTree().add(alias)).toThrow(/prime-order subgroup|Ax = 0/);
    const input = honestInput(template, probe, { device });
    const message = captureMessage(probeCommitment(probe), input.challenge);
    const r = 0x5eed_0f_a11a5n;
    const R8 = mulPointEscalar(Base8, r) as [bigint, bigint];
    const h = poseidon5([R8[0], R8[1], alias[0], alias[1], message]);
    const S = (r + 8n * h * deriveSecretScalar(device.privateKey)) % subOrder;
    // @zk-kit/eddsa-poseidon's cofactored check (8·h·A) ignores T: the signature verifies under A + T.
    expect(verifySignature(message, { R8, S }, alias)).toBe(true);
    return matchCircuitInputsAtShift(
      { ...input, devicePublicKey: alias, signature: { R8, S }, deviceProof: tree.proof(leaf) },
      profile,
      1,
    );
  }

  it("rejects a device key outside the prime-order subgroup (A + T, T of order 2 or 8) whose signature verifies", async () => {
    for (const order of [2n, 8n] as const) {
      await expectFail(torsionKeyInputs(order), "InPrimeOrderSubgroup", "dbl3.xout === x;");
    }
  });

  it("rejects a small-order device key (order 2) under which any (S·B8, S) is a signature of anything", async () => {
    const key = torsionPoint(2n);
    const leaf = poseidon2(key);
    const tree = DeviceRegistryTree.fromLeaves([leaf]);
    const input = honestInput(template, probe);
    const S = 1234567n;
    const R8 = mulPointEscalar(Base8, S) as [bigint, bigint];
    const message = captureMessage(probeCommitment(probe), input.challenge);
    expect(verifySignature(message, { R8, S }, key)).toBe(true);
    const inputs = matchCircuitInputsAtShift(
      { ...input, devicePublicKey: key, signature: { R8, S }, deviceProof: tree.proof(leaf) },
      profile,
      1,
    );
    // 8·(0, -1) is the identity (0, 1): x agrees, y does not.
    await expectFail(inputs, "InPrimeOrderSubgroup", "dbl3.yout === y;");
  });
});

describe("HashFieldElements in circom", () => {
  const sizes = [1, 16, 17, 40, 256];
  let hashWasm: Uint8Array;

  beforeAll(() => {
    const dir = join(CIRCUITS_DIR, "build", "hash_field_elements_test");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "hash_field_elements_test.circom");
    const checks = sizes.map(
      (n, i) =>
        `    component h${i} = HashFieldElements(${n});\n    h${i}.in <== in${i};\n    h${i}.out === expected[${i}];`,
    );
    writeFileSync(
      file,
      [
        "pragma circom 2.1.6;",
        'include "lib/iris_match.circom";',
        "template HashChecks() {",
        ...sizes.map((n, i) => `    signal input in${i}[${n}];`),
        `    signal input expected[${sizes.length}];`,
        ...checks,
        "}",
        "component main = HashChecks();",
        "",
      ].join("\n"),
    );
    runCircom(file, dir);
    hashWasm = new Uint8Array(
      readFileSync(join(dir, "hash_field_elements_test_js", "hash_field_elements_test.wasm")),
    );
  }, 240_000);

  it("equals iris-code hashFieldElements for 1, 16, 17, 40 and 256 elements (one and two Poseidon levels)", async () => {
    const random = rng(21);
    const lists = sizes.map((n) =>
      Array.from({ length: n }, () => BigInt(Math.floor(random() * 2 ** 52)) << 190n),
    );
    const inputs: Record<string, string[]> = { expected: lists.map((l) => hashFieldElements(l).toString()) };
    lists.forEach((l, i) => {
      inputs[`in${i}`] = l.map(String);
    });
    const out: { type: "mem"; data?: Uint8Array } = { type: "mem" };
    await snarkjs.wtns.calculate(inputs, hashWasm, out);
    expect(out.data!.length).toBeGreaterThan(0);
    for (let i = 0; i < sizes.length; i++) {
      const wrong = [...inputs.expected!];
      wrong[i] = (BigInt(wrong[i]!) + 1n).toString();
      await expect(
        snarkjs.wtns.calculate({ ...inputs, expected: wrong }, hashWasm, { type: "mem" }),
      ).rejects.toThrow(/Assert Failed\. Error in template HashChecks_\d+/);
    }
  });
});
