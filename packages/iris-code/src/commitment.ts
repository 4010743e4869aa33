import {
  poseidon1,
  poseidon2,
  poseidon3,
  poseidon4,
  poseidon5,
  poseidon6,
  poseidon7,
  poseidon8,
  poseidon9,
  poseidon10,
  poseidon11,
  poseidon12,
  poseidon13,
  poseidon14,
  poseidon15,
  poseidon16,
} from "poseidon-lite";
import { describeType, IrisCodeError } from "./errors.js";
import { type CodeGeometry, rowBitCount } from "./geometry.js";
import type { IrisCode } from "./iris-code.js";

/** Order of the BN254 scalar field, in which every commitment lives. */
export const SNARK_FIELD_ORDER =
  21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** Most bits packed into one field element (one row, or one chunk of a longer row). */
export const BITS_PER_FIELD_ELEMENT = 248;

/** Poseidon accepts at most this many inputs per call; longer lists are hashed as a tree. */
export const POSEIDON_MAX_INPUTS = 16;

const POSEIDON = [
  poseidon1,
  poseidon2,
  poseidon3,
  poseidon4,
  poseidon5,
  poseidon6,
  poseidon7,
  poseidon8,
  poseidon9,
  poseidon10,
  poseidon11,
  poseidon12,
  poseidon13,
  poseidon14,
  poseidon15,
  poseidon16,
] as const;

/** Poseidon over 1..16 field elements. */
export function poseidon(inputs: readonly bigint[]): bigint {
  const fn = POSEIDON[inputs.length - 1];
  if (fn === undefined) {
    throw new IrisCodeError("INVALID_PARAMETER", `Poseidon takes 1 to 16 inputs, received ${inputs.length}`, {
      field: "inputs",
    });
  }
  return fn(inputs as bigint[]);
}

/**
 * Hash of a list of field elements of any length: Poseidon of the list when it has at most 16
 * elements; otherwise the list is cut into consecutive chunks of 16 (the last may be shorter), each
 * chunk is hashed, and the list of chunk hashes is hashed the same way.
 */
export function hashFieldElements(elements: readonly bigint[]): bigint {
  if (elements.length === 0) {
    throw new IrisCodeError("INVALID_PARAMETER", "Cannot hash an empty list of field elements", {
      field: "elements",
    });
  }
  if (elements.length <= POSEIDON_MAX_INPUTS) return poseidon(elements);
  const next: bigint[] = [];
  for (let i = 0; i < elements.length; i += POSEIDON_MAX_INPUTS) {
    next.push(poseidon(elements.slice(i, i + POSEIDON_MAX_INPUTS)));
  }
  return hashFieldElements(next);
}

/** Number of field elements one row packs into. */
export function elementsPerRow(geometry: CodeGeometry): number {
  return Math.ceil(rowBitCount(geometry) / BITS_PER_FIELD_ELEMENT);
}

/**
 * Packs a packed bit array into field elements the way the circuits do: each row (cols ×
 * bitsPerCell bits, in layout order) is cut into chunks of at most 248 bits, and each chunk is
 * read as an unsigned integer with its first bit most significant. Output is row by row, chunk by
 * chunk. A row of 224 bits becomes one element `sum(bit[j] * 2^(223 - j))`.
 */
export function packFieldElements(packed: Uint8Array, geometry: CodeGeometry): bigint[] {
  const rowBits = rowBitCount(geometry);
  const out: bigint[] = [];
  for (let r = 0; r < geometry.rows; r++) {
    for (let start = 0; start < rowBits; start += BITS_PER_FIELD_ELEMENT) {
      const end = Math.min(rowBits, start + BITS_PER_FIELD_ELEMENT);
      let value = 0n;
      for (let j = start; j < end; j++) {
        const i = r * rowBits + j;
        value = (value << 1n) | BigInt((packed[i >> 3]! >> (7 - (i & 7))) & 1);
      }
      out.push(value);
    }
  }
  return out;
}

/** The field elements of a code's bits and of its mask. */
export function packCode(code: IrisCode): { bits: bigint[]; mask: bigint[] } {
  return {
    bits: packFieldElements(code.packedBitsView() as Uint8Array, code.geometry),
    mask: packFieldElements(code.packedMaskView() as Uint8Array, code.geometry),
  };
}

/** Checks that a salt is a field element (a bigint in [0, field order)); throws `INVALID_SALT`. */
export function checkSalt(salt: unknown): bigint {
  if (typeof salt !== "bigint") {
    throw new IrisCodeError(
      "INVALID_SALT",
      `Parameter 'salt' is not a bigint, received ${describeType(salt)}`,
      {
        field: "salt",
      },
    );
  }
  if (salt < 0n || salt >= SNARK_FIELD_ORDER) {
    throw new IrisCodeError("INVALID_SALT", "Parameter 'salt' must be a field element in [0, field order)", {
      field: "salt",
    });
  }
  return salt;
}

/**
 * The two hashes every commitment of a code starts from: {@link hashFieldElements} over
 * {@link packFieldElements} of its bits, and of its mask.
 */
export interface CodeDigest {
  readonly bits: bigint;
  readonly mask: bigint;
}

interface DigestEntry {
  readonly rows: number;
  readonly rowBits: number;
  readonly bits: Uint8Array;
  readonly mask: Uint8Array;
  readonly digest: CodeDigest;
}

/**
 * Digests already computed, per code object: a verifier hashes a probe for the signed message and
 * again for the template commitment, about 10 ms of Poseidon each. Each entry keeps a copy of the
 * bytes it hashed and is used only while the code still holds exactly those bytes (a view written
 * through a cast is hashed afresh), so it never answers what hashing the code would not.
 */
const digests = new WeakMap<IrisCode, DigestEntry>();

function sameBytes(a: Readonly<Uint8Array>, b: Readonly<Uint8Array>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The {@link CodeDigest} of a code: `hash(bits)` and `hash(mask)`. Computed once per code object
 * (the code's bytes are compared with the ones hashed, a few microseconds), so the probe commitment
 * and the template commitment of one code hash its bits once.
 */
export function codeDigest(code: IrisCode): CodeDigest {
  const bits = code.packedBitsView() as Uint8Array;
  const mask = code.packedMaskView() as Uint8Array;
  const rows = code.geometry.rows;
  const rowBits = rowBitCount(code.geometry);
  const known = digests.get(code);
  if (
    known !== undefined &&
    known.rows === rows &&
    known.rowBits === rowBits &&
    sameBytes(known.bits, bits) &&
    sameBytes(known.mask, mask)
  ) {
    return known.digest;
  }
  const digest = Object.freeze({
    bits: hashFieldElements(packFieldElements(bits, code.geometry)),
    mask: hashFieldElements(packFieldElements(mask, code.geometry)),
  });
  digests.set(code, { rows, rowBits, bits: bits.slice(), mask: mask.slice(), digest });
  return digest;
}

/**
 * {@link templateCommitment} of the code whose {@link codeDigest} is `digest`:
 * `Poseidon(digest.bits, digest.mask, salt)`. Throws `INVALID_SALT` as `templateCommitment` does.
 */
export function templateCommitmentOfDigest(digest: CodeDigest, salt: bigint): bigint {
  checkSalt(salt);
  return poseidon3([digest.bits, digest.mask, salt]);
}

/**
 * The template commitment `Ct = Poseidon(hash(bits), hash(mask), salt)`, where `hash` is
 * {@link hashFieldElements} over {@link packFieldElements}. It hides the code as long as the salt
 * stays secret, and binds it (Poseidon collision resistance).
 */
export function templateCommitment(code: IrisCode, salt: bigint): bigint {
  checkSalt(salt);
  return templateCommitmentOfDigest(codeDigest(code), salt);
}

/**
 * The unsalted commitment of a probe `Cp = Poseidon(hash(bits), hash(mask))`, which a capture
 * device signs together with the verifier's challenge.
 */
export function probeCommitment(code: IrisCode): bigint {
  const { bits, mask } = codeDigest(code);
  return poseidon2([bits, mask]);
}

/** The message a capture device signs: `Poseidon(probeCommitment, challenge)`. */
export function captureMessage(probeCommitmentValue: bigint, challenge: bigint): bigint {
  if (challenge < 0n || challenge >= SNARK_FIELD_ORDER) {
    throw new IrisCodeError("INVALID_PARAMETER", "Parameter 'challenge' must be a field element", {
      field: "challenge",
    });
  }
  return poseidon2([probeCommitmentValue, challenge]);
}

/**
 * A uniformly random 253-bit salt from the platform's cryptographically secure generator
 * (`crypto.getRandomValues`). Every 253-bit value is below the field order.
 */
export function randomSalt(): bigint {
  const bytes = new Uint8Array(32);
  globalThis.crypto.getRandomValues(bytes);
  bytes[0]! &= 0x1f;
  let value = 0n;
  for (const b of bytes) value = (value << 8n) | BigInt(b);
  return value;
}
