import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  captureMessage,
  fromBinary,
  fromHex,
  fromJson,
  hammingDistance,
  hashFieldElements,
  IrisCode,
  packCode,
  probeCommitment,
  referenceHammingDistance,
  templateCommitment,
  toBinary,
  toHex,
  toJson,
} from "../src/index.js";

const load = (name: string) => JSON.parse(readFileSync(join(__dirname, "..", "vectors", name), "utf8"));

/** Independent packing: a row's 0/1 string read as a binary number, in chunks of 248 bits. */
function packRowsFromString(bits: string, rowBits: number): string[] {
  const out: string[] = [];
  for (let r = 0; r < bits.length; r += rowBits) {
    const row = bits.slice(r, r + rowBits);
    for (let c = 0; c < row.length; c += 248) out.push(BigInt(`0b${row.slice(c, c + 248)}`).toString());
  }
  return out;
}

describe("published packing vectors", () => {
  for (const v of load("packing.json").cases) {
    const label = `${v.geometry.rows}x${v.geometry.cols}x${v.geometry.bitsPerCell}`;
    it(`packs a ${label} code as published`, () => {
      const code = IrisCode.fromBits(v.geometry, [...v.bits].map(Number), [...v.mask].map(Number));
      expect(toJson(code)).toEqual(v.json);
      expect(toHex(toBinary(code))).toBe(v.binaryHex);
      expect(fromBinary(fromHex(v.binaryHex)).equals(code)).toBe(true);
      const { bits, mask } = packCode(code);
      expect(bits.map(String)).toEqual(v.bitsFieldElements);
      expect(mask.map(String)).toEqual(v.maskFieldElements);
      const rowBits = v.geometry.cols * v.geometry.bitsPerCell;
      expect(packRowsFromString(v.bits, rowBits)).toEqual(v.bitsFieldElements);
      expect(packRowsFromString(v.mask, rowBits)).toEqual(v.maskFieldElements);
    });
  }
});

describe("published distance vectors", () => {
  for (const [i, v] of load("distance.json").cases.entries()) {
    it(`computes distance case ${i} as published and as the reference does`, () => {
      const a = fromJson(v.template);
      const b = fromJson(v.probe);
      const r = hammingDistance(a, b, { maxShift: v.maxShift });
      const expected = { ...v.expected };
      expect({
        shift: r.shift,
        usableBits: r.usableBits,
        differingBits: r.differingBits,
        rawDistance: r.rawDistance,
        comparable: r.comparable,
      }).toEqual(expected);
      const ref = referenceHammingDistance(a, b, v.maxShift);
      expect([ref.shift, ref.usableBits, ref.differingBits]).toEqual([
        expected.shift,
        expected.usableBits,
        expected.differingBits,
      ]);
    });
  }
});

describe("published commitment vectors", () => {
  for (const [i, v] of load("commitment.json").cases.entries()) {
    it(`computes commitment case ${i} as published`, () => {
      const code = fromJson(v.code);
      const { bits, mask } = packCode(code);
      expect(String(hashFieldElements(bits))).toBe(v.bitsHash);
      expect(String(hashFieldElements(mask))).toBe(v.maskHash);
      expect(String(templateCommitment(code, BigInt(v.salt)))).toBe(v.templateCommitment);
      expect(String(probeCommitment(code))).toBe(v.probeCommitment);
      expect(String(captureMessage(BigInt(v.probeCommitment), BigInt(v.challenge)))).toBe(v.captureMessage);
    });
  }
});
