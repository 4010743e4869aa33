/**
 * The published vectors and the commitment functions checked against a second, plain
 * implementation written here from the specification in this package's README and in
 * circuits/README.md, sharing no code with src/: bits are read from the public JSON form (base64 of
 * MSB-first packed bits), rows are packed by BigInt arithmetic, Poseidon is poseidon-lite called
 * directly (itself checked against circomlibjs's published vectors) and the hash tree, the
 * commitments and the binary form (with node:zlib's CRC-32) are built from their definitions.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { crc32 as zlibCrc32 } from "node:zlib";
import * as poseidonLite from "poseidon-lite";
import { describe, expect, it } from "vitest";
import {
  type CodeGeometry,
  captureMessage,
  DEFAULT_PROFILE,
  hashFieldElements,
  IrisCode,
  OPEN_IRIS_GEOMETRY,
  packFieldElements,
  probeCommitment,
  templateCommitment,
} from "../src/index.js";
import { seededBits } from "./arbitraries.js";

const P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** Poseidon of 1..16 inputs, straight from poseidon-lite. */
function plainPoseidon(inputs: readonly bigint[]): bigint {
  const fn = (poseidonLite as unknown as Record<string, (x: bigint[]) => bigint>)[`poseidon${inputs.length}`];
  if (fn === undefined || inputs.length > 16) throw new Error(`no Poseidon of ${inputs.length} inputs`);
  return fn([...inputs]);
}

/** "Poseidon of the list when it has at most 16 elements, else chunks of 16 hashed again." */
function plainHash(elements: readonly bigint[]): bigint {
  let level = [...elements];
  while (level.length > 16) {
    const next: bigint[] = [];
    for (let i = 0; i < level.length; i += 16) next.push(plainPoseidon(level.slice(i, i + 16)));
    level = next;
  }
  return plainPoseidon(level);
}

/** `numpy.unpackbits` of base64 text, first `n` bits; the padding bits must be zero. */
function unpackBase64(text: string, n: number): number[] {
  const bytes = Buffer.from(text, "base64");
  expect(bytes.length).toBe(Math.ceil(n / 8));
  const bits: number[] = [];
  for (const byte of bytes) for (let k = 7; k >= 0; k--) bits.push((byte >> k) & 1);
  expect(bits.slice(n).every((b) => b === 0)).toBe(true);
  return bits.slice(0, n);
}

/** `numpy.packbits` of 0/1 values, then standard base64. */
function packBase64(bits: readonly number[]): string {
  const bytes = new Uint8Array(Math.ceil(bits.length / 8));
  bits.forEach((b, i) => {
    bytes[i >> 3]! |= b << (7 - (i % 8));
  });
  return Buffer.from(bytes).toString("base64");
}

/** Each row of C·P bits in chunks of at most 248, first bit most significant: sum bit_j · 2^(len-1-j). */
function plainRows(bits: readonly number[], g: CodeGeometry): bigint[] {
  const rowBits = g.cols * g.bitsPerCell;
  const out: bigint[] = [];
  for (let r = 0; r < g.rows; r++) {
    for (let start = 0; start < rowBits; start += 248) {
      const chunk = bits.slice(r * rowBits + start, r * rowBits + Math.min(rowBits, start + 248));
      let value = 0n;
      for (const b of chunk) value = value * 2n + BigInt(b);
      out.push(value);
    }
  }
  return out;
}

interface PublicJson {
  readonly geometry: CodeGeometry;
  readonly bits: string;
  readonly mask: string;
}

/** Ct = Poseidon3(hash(bit rows), hash(mask rows), salt), Cp = Poseidon2(...), M = Poseidon2(Cp, challenge). */
function plainCommitments(
  g: CodeGeometry,
  bits: readonly number[],
  mask: readonly number[],
  salt: bigint,
  challenge: bigint,
) {
  const bitsHash = plainHash(plainRows(bits, g));
  const maskHash = plainHash(plainRows(mask, g));
  const probe = plainPoseidon([bitsHash, maskHash]);
  return {
    bitsHash: String(bitsHash),
    maskHash: String(maskHash),
    templateCommitment: String(plainPoseidon([bitsHash, maskHash, salt])),
    probeCommitment: String(probe),
    captureMessage: String(plainPoseidon([probe, challenge])),
  };
}

/** The same from the public JSON form. */
function plainCommitmentsOfJson(json: PublicJson, salt: bigint, challenge: bigint) {
  const g = json.geometry;
  const n = g.rows * g.cols * g.bitsPerCell;
  return plainCommitments(g, unpackBase64(json.bits, n), unpackBase64(json.mask, n), salt, challenge);
}

/** Binary form: "ZKIC", version 1, rows and cols big-endian u16, bitsPerCell, bits, mask, CRC-32 big-endian. */
function plainBinaryHex(g: CodeGeometry, bits: readonly number[], mask: readonly number[]): string {
  const body = Buffer.concat([
    Buffer.from("ZKIC", "latin1"),
    Buffer.from([1, g.rows >> 8, g.rows & 255, g.cols >> 8, g.cols & 255, g.bitsPerCell]),
    Buffer.from(packBase64(bits), "base64"),
    Buffer.from(packBase64(mask), "base64"),
  ]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlibCrc32(body));
  return Buffer.concat([body, crc]).toString("hex");
}

/** Field elements below p from a 64-bit LCG, for lists of any length. */
function fieldElements(count: number, seed: bigint): bigint[] {
  let x = seed;
  return Array.from({ length: count }, () => {
    x = (x * 6364136223846793005n + 1442695040888963407n) % (1n << 64n);
    return (x * x * x) % P;
  });
}

const load = (name: string) => JSON.parse(readFileSync(join(__dirname, "..", "vectors", name), "utf8"));

describe("the independent Poseidon", () => {
  it("gives circomlibjs's published vectors for Poseidon([1]), Poseidon([1, 2]) and Poseidon([1, 2, 3, 4])", () => {
    expect(plainPoseidon([1n])).toBe(
      18586133768512220936620570745912940619677854269274689475585506675881198879027n,
    );
    expect(plainPoseidon([1n, 2n])).toBe(
      7853200120776062878684798364095072458815029376092732009249414926327459813530n,
    );
    expect(plainPoseidon([1n, 2n, 3n, 4n])).toBe(
      18821383157269793795438455681495246036402687001665670618754263018637548127333n,
    );
  });
});

describe("published commitment vectors, recomputed independently", () => {
  for (const [i, v] of load("commitment.json").cases.entries()) {
    it(`case ${i} (${v.geometry.rows}x${v.geometry.cols}x${v.geometry.bitsPerCell}) has the published hashes, Ct, Cp and M`, () => {
      expect(plainCommitmentsOfJson(v.code, BigInt(v.salt), BigInt(v.challenge))).toEqual({
        bitsHash: v.bitsHash,
        maskHash: v.maskHash,
        templateCommitment: v.templateCommitment,
        probeCommitment: v.probeCommitment,
        captureMessage: v.captureMessage,
      });
    });
  }
});

describe("published packing vectors, recomputed independently", () => {
  for (const [i, v] of load("packing.json").cases.entries()) {
    it(`case ${i} (${v.geometry.rows}x${v.geometry.cols}x${v.geometry.bitsPerCell}) has the published JSON, binary form and field elements`, () => {
      const bits = [...v.bits].map(Number);
      const mask = [...v.mask].map(Number);
      expect({ version: 1, geometry: v.geometry, bits: packBase64(bits), mask: packBase64(mask) }).toEqual(
        v.json,
      );
      expect(plainBinaryHex(v.geometry, bits, mask)).toBe(v.binaryHex);
      expect(plainRows(bits, v.geometry).map(String)).toEqual(v.bitsFieldElements);
      expect(plainRows(mask, v.geometry).map(String)).toEqual(v.maskFieldElements);
    });
  }
});

describe("hashFieldElements against the independent hash", () => {
  // One level up to 16 elements, two up to 256, three above.
  for (const length of [1, 2, 15, 16, 17, 32, 33, 255, 256, 257, 300]) {
    it(`agrees for ${length} elements`, () => {
      const xs = fieldElements(length, BigInt(length));
      expect(hashFieldElements(xs)).toBe(plainHash(xs));
    });
  }
});

describe("packing and commitments against the independent implementation", () => {
  const geometries: readonly [string, CodeGeometry][] = [
    ["the default profile", DEFAULT_PROFILE.geometry],
    ["open-iris (1,024-bit rows: five elements each, 80 in all)", OPEN_IRIS_GEOMETRY],
    ["rows of 250 bits (248 + 2)", { rows: 2, cols: 250, bitsPerCell: 1 }],
    ["rows of exactly 2 x 248 bits", { rows: 3, cols: 124, bitsPerCell: 4 }],
    ["one cell", { rows: 1, cols: 1, bitsPerCell: 1 }],
  ];
  for (const [name, g] of geometries) {
    it(`agree for ${name}`, () => {
      const n = g.rows * g.cols * g.bitsPerCell;
      const bits = seededBits(n, n + 1);
      const mask = seededBits(n, n + 2, 0.8);
      const code = IrisCode.fromBits(g, bits, mask);
      expect(packFieldElements(code.packedBitsView() as Uint8Array, g)).toEqual(plainRows(bits, g));
      expect(packFieldElements(code.packedMaskView() as Uint8Array, g)).toEqual(plainRows(mask, g));
      const salt = fieldElements(1, BigInt(n))[0]!;
      const plain = plainCommitments(g, bits, mask, salt, 987654321n);
      expect(String(templateCommitment(code, salt))).toBe(plain.templateCommitment);
      expect(String(probeCommitment(code))).toBe(plain.probeCommitment);
      expect(String(captureMessage(probeCommitment(code), 987654321n))).toBe(plain.captureMessage);
    });
  }
});
