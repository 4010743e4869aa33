import * as eddsa from "@zk-kit/eddsa-poseidon";
import { IMT } from "@zk-kit/imt";
import type { EdDSASignature } from "@zkiris/device";
import {
  captureMessage,
  hashFieldElements,
  IrisCode,
  poseidon,
  probeCommitment,
  shiftColumns,
  type VerificationProfile,
} from "@zkiris/iris-code";
import { mulberry32 } from "@zkiris/test-kit";
import { poseidon2 } from "poseidon-lite";
import type { DeviceMembershipProof, MatchWitnessInput } from "../src/index.js";

export { mulberry32 as rng } from "@zkiris/test-kit";

/** A registered capture device: key, and the registry tree it sits in (with two other devices). */
export interface TestDevice {
  readonly privateKey: string;
  readonly publicKey: [bigint, bigint];
  readonly tree: IMT;
  readonly proof: DeviceMembershipProof;
  sign(message: bigint): EdDSASignature;
}

export function makeDevice(privateKey = "zkiris test capture device #1", index = 1): TestDevice {
  const publicKey = eddsa.derivePublicKey(privateKey);
  const tree = new IMT(poseidon2, 10, 0n, 2);
  for (let i = 0; i < 3; i++) {
    tree.insert(i === index ? poseidon2(publicKey) : poseidon2(eddsa.derivePublicKey(`other device ${i}`)));
  }
  const p = tree.createProof(index);
  return {
    privateKey,
    publicKey,
    tree,
    proof: {
      root: p.root as bigint,
      leaf: p.leaf as bigint,
      siblings: p.siblings as bigint[][],
      pathIndices: p.pathIndices,
    },
    sign: (message) => eddsa.signMessage(privateKey, message),
  };
}

/** Signs a probe for a challenge with a device key, as a capture device does. */
export function signProbe(device: TestDevice, probe: IrisCode, challenge: bigint): EdDSASignature {
  return device.sign(captureMessage(probeCommitment(probe), challenge));
}

/**
 * Builds a template and a probe whose shifted version `shiftColumns(probe, shift)` has exactly
 * `usable` jointly usable bits of which exactly `differing` differ from the template.
 */
export function codePair(
  profile: VerificationProfile,
  options: { shift: number; usable: number; differing: number; seed?: number },
): { template: IrisCode; probe: IrisCode } {
  const g = profile.geometry;
  const n = g.rows * g.cols * g.bitsPerCell;
  const random = mulberry32(options.seed ?? 1);
  const order = Array.from({ length: n }, (_, i) => i).sort(() => random() - 0.5);
  const t: number[] = Array.from({ length: n }, () => (random() < 0.5 ? 1 : 0));
  const mt = new Array<number>(n).fill(0);
  const shiftedBits = t.slice();
  const shiftedMask = new Array<number>(n).fill(0);
  for (let j = 0; j < n; j++) {
    const i = order[j]!;
    if (j < options.usable) {
      mt[i] = 1;
      shiftedMask[i] = 1;
      if (j < options.differing) shiftedBits[i] = 1 - t[i]!;
    } else {
      // Not jointly usable: usable on one side only, or neither.
      const r = random();
      mt[i] = r < 0.33 ? 1 : 0;
      shiftedMask[i] = r >= 0.33 && r < 0.66 ? 1 : 0;
      shiftedBits[i] = random() < 0.5 ? 1 : 0;
    }
  }
  const template = IrisCode.fromBits(g, t, mt);
  const shifted = IrisCode.fromBits(g, shiftedBits, shiftedMask);
  return { template, probe: shiftColumns(shifted, -options.shift) };
}

/** A complete honest prover input for a template/probe pair. */
export function honestInput(
  template: IrisCode,
  probe: IrisCode,
  options: { device?: TestDevice; salt?: bigint; challenge?: bigint } = {},
): MatchWitnessInput {
  const device = options.device ?? makeDevice();
  const challenge = options.challenge ?? 0x1234_5678_9abc_def0n;
  return {
    template,
    salt: options.salt ?? 0x0abc_def0_1234_5678_9abc_def0_1234_5678_9abc_def0_1234_5678_9abc_def0n,
    probe,
    signature: signProbe(device, probe, challenge),
    devicePublicKey: device.publicKey,
    deviceProof: device.proof,
    challenge,
  };
}

/** Packs raw (possibly non-binary) per-bit values of each row, first bit most significant, in the field. */
export function packRawRows(values: readonly bigint[], rows: number, rowBits: number): bigint[] {
  const out: bigint[] = [];
  for (let r = 0; r < rows; r++) {
    let acc = 0n;
    for (let j = 0; j < rowBits; j++) acc += values[r * rowBits + j]! * (1n << BigInt(rowBits - 1 - j));
    out.push(acc % 21888242871839275222246405745257275088548364400416034343698204186575808495617n);
  }
  return out;
}

/** Ct over raw per-bit values: what a cheater would publish for a non-binary template. */
export function rawTemplateCommitment(
  bits: readonly bigint[],
  mask: readonly bigint[],
  salt: bigint,
  rows: number,
  rowBits: number,
): bigint {
  return poseidon([
    hashFieldElements(packRawRows(bits, rows, rowBits)),
    hashFieldElements(packRawRows(mask, rows, rowBits)),
    salt,
  ]);
}
