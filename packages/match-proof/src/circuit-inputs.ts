import { DEVICE_TREE_DEPTH, type EdDSASignature, verifyEdDSAPoseidon } from "@zkiris/device";
import {
  captureMessage,
  checkSalt,
  type DistanceResult,
  describeType,
  hammingDistance,
  IrisCode,
  packFieldElements,
  probeCommitment,
  rowBitCount,
  SNARK_FIELD_ORDER,
  sameGeometry,
  shiftColumns,
  THRESHOLD_SCALE,
  templateCommitment,
  type VerificationProfile,
} from "@zkiris/iris-code";
import { poseidon2 } from "poseidon-lite";
import { MatchProofError } from "./errors.js";

// The depth compiled into the circuit is the registry tree's own; re-exported for this package's
// circuit generators only (the public constant is @zkiris/device's).
export { DEVICE_TREE_DEPTH };

/**
 * Inclusion proof of a device in the registry tree (`@zk-kit/imt`, Poseidon2, arity 2).
 * `siblings[i]` is the sibling at level i (a bigint, or a one-element array as `@zk-kit/imt` returns
 * it); `pathIndices[i]` is 0 when the node at level i is a left child, 1 when it is a right child.
 */
export interface DeviceMembershipProof {
  readonly root: bigint;
  readonly leaf: bigint;
  readonly siblings: readonly (bigint | readonly bigint[])[];
  readonly pathIndices: readonly number[];
}

/** Everything the prover holds: the enrolled template and salt, the signed probe and the device's credentials. */
export interface MatchWitnessInput {
  /** The enrolled template code (private). */
  readonly template: IrisCode;
  /** The salt of the template commitment (private). */
  readonly salt: bigint;
  /** The probe code the capture device encoded and signed (private). */
  readonly probe: IrisCode;
  /** The device's signature over `captureMessage(probeCommitment(probe), challenge)`. */
  readonly signature: EdDSASignature;
  /** The device's BabyJubJub public key `[Ax, Ay]` (private; its tree leaf is `Poseidon2(Ax, Ay)`). */
  readonly devicePublicKey: readonly [bigint, bigint];
  /** The device's inclusion proof in the registry tree whose root is public. */
  readonly deviceProof: DeviceMembershipProof;
  /** The verifier's challenge (public field element). */
  readonly challenge: bigint;
}

/** Circuit input signals as decimal strings, ready for the witness generator. */
export type MatchCircuitInputs = Record<string, string | string[]>;

/** The circuit inputs together with what they were derived from. */
export interface PreparedMatchWitness {
  readonly inputs: MatchCircuitInputs;
  /** Ct, the public template commitment. */
  readonly templateCommitment: bigint;
  readonly challenge: bigint;
  readonly deviceRoot: bigint;
  /** The comparison at the best shift, the shift the proof uses. */
  readonly comparison: DistanceResult;
}

function fieldElement(value: unknown, field: string): bigint {
  if (typeof value !== "bigint") {
    throw new MatchProofError(
      "INVALID_PARAMETER",
      `Parameter '${field}' is not a bigint, received ${describeType(value)}`,
      {
        field,
      },
    );
  }
  if (value < 0n || value >= SNARK_FIELD_ORDER) {
    throw new MatchProofError(
      "INVALID_PARAMETER",
      `Parameter '${field}' must be a field element in [0, field order)`,
      {
        field,
      },
    );
  }
  return value;
}

function code(value: unknown, field: string, profile: VerificationProfile): IrisCode {
  if (!(value instanceof IrisCode)) {
    throw new MatchProofError(
      "INVALID_PARAMETER",
      `Parameter '${field}' is not an IrisCode, received ${describeType(value)}`,
      {
        field,
      },
    );
  }
  if (!sameGeometry(value.geometry, profile.geometry)) {
    const g = value.geometry;
    const p = profile.geometry;
    throw new MatchProofError(
      "GEOMETRY_MISMATCH",
      `Parameter '${field}' has geometry ${g.rows}x${g.cols}x${g.bitsPerCell}; the circuit is compiled for ${p.rows}x${p.cols}x${p.bitsPerCell}`,
      { field },
    );
  }
  return value;
}

function point(value: unknown, field: string): [bigint, bigint] {
  if (!Array.isArray(value) || value.length !== 2) {
    throw new MatchProofError(
      "INVALID_PARAMETER",
      `Parameter '${field}' must be a point [x, y], received ${describeType(value)}`,
      {
        field,
      },
    );
  }
  return [fieldElement(value[0], `${field}[0]`), fieldElement(value[1], `${field}[1]`)];
}

function membership(
  value: unknown,
  depth: number,
): { root: bigint; leaf: bigint; siblings: bigint[]; pathIndices: number[] } {
  if (typeof value !== "object" || value === null) {
    throw new MatchProofError(
      "INVALID_PARAMETER",
      `Parameter 'deviceProof' is not an object, received ${describeType(value)}`,
      { field: "deviceProof" },
    );
  }
  const proof = value as Record<string, unknown>;
  const { siblings, pathIndices } = proof;
  if (!Array.isArray(siblings) || siblings.length !== depth) {
    throw new MatchProofError(
      "INVALID_PARAMETER",
      `Parameter 'deviceProof.siblings' must be an array of ${depth} siblings, received ${Array.isArray(siblings) ? `${siblings.length} entries` : describeType(siblings)}`,
      { field: "deviceProof.siblings" },
    );
  }
  if (!Array.isArray(pathIndices) || pathIndices.length !== depth) {
    throw new MatchProofError(
      "INVALID_PARAMETER",
      `Parameter 'deviceProof.pathIndices' must be an array of ${depth} indices, received ${Array.isArray(pathIndices) ? `${pathIndices.length} entries` : describeType(pathIndices)}`,
      { field: "deviceProof.pathIndices" },
    );
  }
  return {
    root: fieldElement(proof.root, "deviceProof.root"),
    leaf: fieldElement(proof.leaf, "deviceProof.leaf"),
    siblings: siblings.map((s: unknown, i) => {
      const v = Array.isArray(s) && s.length === 1 ? s[0] : s;
      return fieldElement(v, `deviceProof.siblings[${i}]`);
    }),
    pathIndices: pathIndices.map((b: unknown, i) => {
      if (b !== 0 && b !== 1) {
        throw new MatchProofError(
          "INVALID_PARAMETER",
          `Parameter 'deviceProof.pathIndices[${i}]' must be 0 or 1`,
          {
            field: `deviceProof.pathIndices[${i}]`,
          },
        );
      }
      return b;
    }),
  };
}

/**
 * Quotient q of the cyclic rotation of an L-bit row by k bits written as arithmetic modulo
 * 2^L - 1: for a left rotation `row * 2^k = rotated + q (2^L - 1)`, for a right rotation
 * `rotated * 2^k = row + q (2^L - 1)`; q lies in [0, 2^k - 1].
 */
export function rotationQuotient(
  row: bigint,
  rotated: bigint,
  rowBits: number,
  shiftBits: number,
  left: boolean,
): bigint {
  const modulus = (1n << BigInt(rowBits)) - 1n;
  const [a, b] = left ? [row, rotated] : [rotated, row];
  const numerator = a * (1n << BigInt(shiftBits)) - b;
  if (numerator < 0n || numerator % modulus !== 0n) {
    throw new MatchProofError("INVALID_PARAMETER", "Rotated row is not a cyclic rotation of the signed row", {
      field: "probe",
    });
  }
  return numerator / modulus;
}

/** The shift s in [-K, K] as the circuit reads it: s itself, or p - |s| when negative. */
export function shiftFieldElement(shift: number): bigint {
  return shift >= 0 ? BigInt(shift) : SNARK_FIELD_ORDER + BigInt(shift);
}

/**
 * Builds the circuit inputs for a given shift without deciding anything: useful for proving at a
 * chosen shift. {@link prepareMatchWitness} picks the best shift and refuses non-matches first.
 */
export function matchCircuitInputsAtShift(
  input: MatchWitnessInput,
  profile: VerificationProfile,
  shift: number,
): MatchCircuitInputs {
  const g = profile.geometry;
  const L = rowBitCount(g);
  const k = Math.abs(shift) * g.bitsPerCell;
  const shifted = shiftColumns(input.probe, shift);
  const probeBits = packFieldElements(input.probe.packedBitsView() as Uint8Array, g);
  const probeMask = packFieldElements(input.probe.packedMaskView() as Uint8Array, g);
  const shiftedBitRows = packFieldElements(shifted.packedBitsView() as Uint8Array, g);
  const shiftedMaskRows = packFieldElements(shifted.packedMaskView() as Uint8Array, g);
  const dec = (v: bigint | number) => v.toString();
  const bitsOf = (c: IrisCode, mask: boolean) => Array.from(mask ? c.maskValues() : c.bitValues(), dec);
  const proof = membership(input.deviceProof, DEVICE_TREE_DEPTH);
  return {
    templateCommitment: dec(templateCommitment(input.template, input.salt)),
    challenge: dec(input.challenge),
    deviceRoot: dec(proof.root),
    templateBits: bitsOf(input.template, false),
    templateMask: bitsOf(input.template, true),
    salt: dec(input.salt),
    probeBitRows: probeBits.map(dec),
    probeMaskRows: probeMask.map(dec),
    shift: dec(shiftFieldElement(shift)),
    shiftedBits: bitsOf(shifted, false),
    shiftedMask: bitsOf(shifted, true),
    bitQuotients: probeBits.map((row, r) => dec(rotationQuotient(row, shiftedBitRows[r]!, L, k, shift >= 0))),
    maskQuotients: probeMask.map((row, r) =>
      dec(rotationQuotient(row, shiftedMaskRows[r]!, L, k, shift >= 0)),
    ),
    deviceAx: dec(input.devicePublicKey[0]),
    deviceAy: dec(input.devicePublicKey[1]),
    signatureR8x: dec(input.signature.R8[0]),
    signatureR8y: dec(input.signature.R8[1]),
    signatureS: dec(input.signature.S),
    deviceSiblings: proof.siblings.map(dec),
    devicePathIndices: proof.pathIndices.map(dec),
  };
}

/** Root of the registry tree recomputed from a leaf and its path (Poseidon2, arity 2). */
export function deviceTreeRoot(
  leaf: bigint,
  siblings: readonly bigint[],
  pathIndices: readonly number[],
): bigint {
  let node = leaf;
  for (let i = 0; i < siblings.length; i++) {
    node = pathIndices[i] === 1 ? poseidon2([siblings[i]!, node]) : poseidon2([node, siblings[i]!]);
  }
  return node;
}

/**
 * Checks every input, finds the best shift in `-maxShift..maxShift` exactly as
 * `@zkiris/iris-code` `matchCodes` does, and builds the circuit inputs. Refuses, before any
 * witness is computed, with a {@link MatchProofError}:
 * `INVALID_PARAMETER` / `GEOMETRY_MISMATCH` (naming the field) for malformed input,
 * `TOO_FEW_USABLE_BITS` when no shift has `minUsableBits` jointly usable bits,
 * `NO_MATCH` when the best shift's distance is over the threshold,
 * `INVALID_SIGNATURE` when the signature is not the device's over `captureMessage(probeCommitment(probe), challenge)`,
 * `UNTRUSTED_DEVICE` when the key's leaf or path does not lead to `deviceProof.root`.
 */
export function prepareMatchWitness(
  input: MatchWitnessInput,
  profile: VerificationProfile,
): PreparedMatchWitness {
  if (typeof input !== "object" || input === null) {
    throw new MatchProofError(
      "INVALID_PARAMETER",
      `Parameter 'input' is not an object, received ${describeType(input)}`,
      {
        field: "input",
      },
    );
  }
  const template = code(input.template, "template", profile);
  const probe = code(input.probe, "probe", profile);
  let salt: bigint;
  try {
    salt = checkSalt(input.salt);
  } catch (cause) {
    throw new MatchProofError("INVALID_PARAMETER", (cause as Error).message, { field: "salt", cause });
  }
  const challenge = fieldElement(input.challenge, "challenge");
  const devicePublicKey = point(input.devicePublicKey, "devicePublicKey");
  if (typeof input.signature !== "object" || input.signature === null) {
    throw new MatchProofError(
      "INVALID_PARAMETER",
      `Parameter 'signature' is not an object, received ${describeType(input.signature)}`,
      { field: "signature" },
    );
  }
  const R8 = point(input.signature.R8, "signature.R8");
  const S = fieldElement(input.signature.S, "signature.S");
  const proof = membership(input.deviceProof, DEVICE_TREE_DEPTH);

  const comparison = hammingDistance(template, probe, {
    maxShift: profile.maxShift,
    minUsableBits: profile.minUsableBits,
  });
  if (!comparison.comparable) {
    throw new MatchProofError(
      "TOO_FEW_USABLE_BITS",
      `No shift in -${profile.maxShift}..${profile.maxShift} has ${profile.minUsableBits} jointly usable bits`,
      { field: "probe" },
    );
  }
  if (comparison.differingBits * THRESHOLD_SCALE > profile.thresholdPer10k * comparison.usableBits) {
    throw new MatchProofError(
      "NO_MATCH",
      `Probe does not match the template: best distance ${comparison.rawDistance.toFixed(4)} at shift ${comparison.shift} is over the threshold ${profile.thresholdPer10k / THRESHOLD_SCALE}`,
      { field: "probe" },
    );
  }

  const message = captureMessage(probeCommitment(probe), challenge);
  if (!verifyEdDSAPoseidon(message, { R8, S }, devicePublicKey)) {
    throw new MatchProofError(
      "INVALID_SIGNATURE",
      "Parameter 'signature' is not the device's signature over the probe commitment and this challenge",
      { field: "signature" },
    );
  }
  const leaf = poseidon2(devicePublicKey);
  if (leaf !== proof.leaf || deviceTreeRoot(leaf, proof.siblings, proof.pathIndices) !== proof.root) {
    throw new MatchProofError(
      "UNTRUSTED_DEVICE",
      "Parameter 'deviceProof' does not lead from Poseidon2(devicePublicKey) to its root",
      { field: "deviceProof" },
    );
  }

  const inputs = matchCircuitInputsAtShift(
    { template, salt, probe, signature: { R8, S }, devicePublicKey, deviceProof: proof, challenge },
    profile,
    comparison.shift,
  );
  return {
    inputs,
    templateCommitment: templateCommitment(template, salt),
    challenge,
    deviceRoot: proof.root,
    comparison,
  };
}
