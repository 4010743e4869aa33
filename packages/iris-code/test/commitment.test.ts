import { poseidon2, poseidon3, poseidon16 } from "poseidon-lite";
import { describe, expect, it } from "vitest";
import {
  captureMessage,
  checkSalt,
  codeDigest,
  hashFieldElements,
  IrisCode,
  packFieldElements,
  poseidon,
  probeCommitment,
  randomSalt,
  SNARK_FIELD_ORDER,
  templateCommitment,
  templateCommitmentOfDigest,
} from "../src/index.js";
import { seededBits } from "./arbitraries.js";

describe("hashFieldElements", () => {
  it("is plain Poseidon up to 16 elements", () => {
    const xs = Array.from({ length: 16 }, (_, i) => BigInt(i + 1));
    expect(hashFieldElements(xs)).toBe(poseidon16(xs));
    expect(hashFieldElements([5n, 6n])).toBe(poseidon2([5n, 6n]));
  });

  it("hashes longer lists as a tree of 16-element chunks", () => {
    const xs = Array.from({ length: 35 }, (_, i) => BigInt(i));
    const chunks = [poseidon(xs.slice(0, 16)), poseidon(xs.slice(16, 32)), poseidon(xs.slice(32))];
    expect(hashFieldElements(xs)).toBe(poseidon3(chunks));
  });

  it("refuses an empty list", () => {
    expect(() => hashFieldElements([])).toThrow(expect.objectContaining({ code: "INVALID_PARAMETER" }));
  });
});

describe("packFieldElements", () => {
  it("reads each row with its first bit most significant", () => {
    const g = { rows: 2, cols: 3, bitsPerCell: 1 };
    const code = IrisCode.fullyUsable(g, [1, 0, 1, 0, 1, 1]);
    expect(packFieldElements(code.bits, g)).toEqual([5n, 3n]);
  });

  it("cuts rows longer than 248 bits into chunks", () => {
    const g = { rows: 1, cols: 250, bitsPerCell: 1 };
    const bits = new Array(250).fill(0);
    bits[0] = 1;
    bits[249] = 1;
    const code = IrisCode.fullyUsable(g, bits);
    expect(packFieldElements(code.bits, g)).toEqual([1n << 247n, 1n]);
  });
});

describe("templateCommitment", () => {
  const g = { rows: 4, cols: 10, bitsPerCell: 2 };
  const code = IrisCode.fromBits(g, seededBits(80, 1), seededBits(80, 2, 0.8));

  it("binds the salt, the bits and the mask", () => {
    const c = templateCommitment(code, 42n);
    expect(templateCommitment(code, 43n)).not.toBe(c);
    const bits = code.bitValues();
    bits[5] = 1 - bits[5]!;
    expect(templateCommitment(IrisCode.fromBits(g, bits, code.maskValues()), 42n)).not.toBe(c);
    const mask = code.maskValues();
    mask[7] = 1 - mask[7]!;
    expect(templateCommitment(IrisCode.fromBits(g, code.bitValues(), mask), 42n)).not.toBe(c);
  });

  it("differs from the unsalted probe commitment", () => {
    expect(probeCommitment(code)).not.toBe(templateCommitment(code, 0n));
    expect(captureMessage(probeCommitment(code), 7n)).toBe(poseidon2([probeCommitment(code), 7n]));
  });

  it("refuses a salt outside the field", () => {
    for (const bad of [-1n, SNARK_FIELD_ORDER, 5 as unknown as bigint]) {
      expect(() => templateCommitment(code, bad)).toThrow(
        expect.objectContaining({ code: "INVALID_SALT", field: "salt" }),
      );
    }
    expect(() => captureMessage(1n, SNARK_FIELD_ORDER)).toThrow(
      expect.objectContaining({ field: "challenge" }),
    );
  });
});

describe("codeDigest", () => {
  const g = { rows: 4, cols: 10, bitsPerCell: 2 };
  const fresh = (code: IrisCode) => ({
    bits: hashFieldElements(packFieldElements(code.bits, g)),
    mask: hashFieldElements(packFieldElements(code.mask, g)),
  });

  it("is the hashes of the bits and of the mask that both commitments start from", () => {
    const code = IrisCode.fromBits(g, seededBits(80, 3), seededBits(80, 4, 0.8));
    const digest = codeDigest(code);
    expect(digest).toEqual(fresh(code));
    expect(probeCommitment(code)).toBe(poseidon2([digest.bits, digest.mask]));
    expect(templateCommitment(code, 42n)).toBe(poseidon3([digest.bits, digest.mask, 42n]));
    expect(templateCommitmentOfDigest(digest, 42n)).toBe(templateCommitment(code, 42n));
    // Asked again, the same object: computed once per code.
    expect(codeDigest(code)).toBe(digest);
    // Another object with the same bytes gives the same digest.
    expect(codeDigest(IrisCode.fromBits(g, code.bitValues(), code.maskValues()))).toEqual(digest);
  });

  it("hashes a code afresh when its bytes were written through a view after the first digest", () => {
    const code = IrisCode.fromBits(g, seededBits(80, 5), seededBits(80, 6, 0.8));
    const before = codeDigest(code);
    const commitment = templateCommitment(code, 9n);
    (code.packedBitsView() as Uint8Array)[0]! ^= 0x80;
    const afterBits = codeDigest(code);
    expect(afterBits).toEqual(fresh(code));
    expect(afterBits.bits).not.toBe(before.bits);
    expect(afterBits.mask).toBe(before.mask);
    expect(templateCommitment(code, 9n)).not.toBe(commitment);
    (code.packedMaskView() as Uint8Array)[3]! ^= 0x01;
    const afterMask = codeDigest(code);
    expect(afterMask).toEqual(fresh(code));
    expect(afterMask.mask).not.toBe(before.mask);
  });

  it("refuses a salt outside the field from a digest too", () => {
    const digest = codeDigest(IrisCode.fromBits(g, seededBits(80, 7), seededBits(80, 8, 0.8)));
    for (const bad of [-1n, SNARK_FIELD_ORDER, 5 as unknown as bigint]) {
      expect(() => templateCommitmentOfDigest(digest, bad)).toThrow(
        expect.objectContaining({ code: "INVALID_SALT", field: "salt" }),
      );
    }
  });
});

describe("randomSalt", () => {
  it("returns distinct 253-bit field elements", () => {
    const salts = Array.from({ length: 64 }, randomSalt);
    expect(new Set(salts).size).toBe(64);
    for (const s of salts) {
      expect(checkSalt(s)).toBe(s);
      expect(s < 1n << 253n).toBe(true);
    }
    expect(salts.some((s) => s >= 1n << 250n)).toBe(true);
  });
});
