import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEVICE_TREE_DEPTH } from "@zkiris/device";
import {
  DEFAULT_PROFILE,
  IrisCode,
  packFieldElements,
  SNARK_FIELD_ORDER,
  shiftColumns,
} from "@zkiris/iris-code";
import { describe, expect, it } from "vitest";
import {
  checkCircuitProfile,
  MatchProofError,
  matchCircuitMain,
  rotationQuotient,
  shiftFieldElement,
} from "../src/index.js";
import { rng } from "./fixtures.js";

const CIRCUITS = fileURLToPath(new URL("../../../circuits", import.meta.url));

function refusal(fn: () => unknown): { code: string; field: string | undefined } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MatchProofError);
    return { code: (e as MatchProofError).code, field: (e as MatchProofError).field };
  }
  throw new Error("expected a refusal");
}

describe("matchCircuitMain", () => {
  it("writes the main component of the default profile with its parameters compiled in", () => {
    const main = matchCircuitMain(DEFAULT_PROFILE);
    expect(main).toContain('include "lib/iris_match.circom";');
    // Arguments read back by the parameter names of the template in the circuit library itself.
    const library = readFileSync(join(CIRCUITS, "src", "lib", "iris_match.circom"), "utf8");
    const names = /template IrisMatch\(([^)]*)\)/
      .exec(library)![1]!
      .split(",")
      .map((p) => p.trim());
    const call = /component main \{public \[([^\]]*)\]\} = IrisMatch\(([^)]*)\);/.exec(main)!;
    const args = call[2]!.split(",").map((a) => Number(a.trim()));
    const { geometry: g, maxShift, thresholdPer10k, minUsableBits } = DEFAULT_PROFILE;
    expect(Object.fromEntries(names.map((n, i) => [n, args[i]]))).toEqual({
      ROWS: g.rows,
      COLS: g.cols,
      P: g.bitsPerCell,
      K: maxShift,
      THRESHOLD: thresholdPer10k,
      MIN_USABLE: minUsableBits,
      DEPTH: DEVICE_TREE_DEPTH,
    });
    // The public inputs are the template's own inputs of those names.
    for (const signal of call[1]!.split(",").map((p) => p.trim())) {
      expect(library).toMatch(new RegExp(`signal input ${signal};`));
    }
    // The committed main file, which the committed artifacts were compiled from, is this one.
    expect(readFileSync(join(CIRCUITS, "src", "main", "iris_match.circom"), "utf8")).toBe(main);
  });

  it("refuses profiles the circuit cannot represent, naming the field", () => {
    const base = DEFAULT_PROFILE;
    expect(
      refusal(() => checkCircuitProfile({ ...base, geometry: { rows: 16, cols: 125, bitsPerCell: 2 } })),
    ).toEqual({
      code: "INVALID_PARAMETER",
      field: "profile.geometry",
    });
    expect(
      refusal(() =>
        checkCircuitProfile({ ...base, geometry: { rows: 16, cols: 120, bitsPerCell: 2 }, maxShift: 7 }),
      ),
    ).toEqual({
      code: "INVALID_PARAMETER",
      field: "profile.maxShift",
    });
    expect(refusal(() => checkCircuitProfile({ ...base, maxShift: 0 }))).toEqual({
      code: "INVALID_PARAMETER",
      field: "profile.maxShift",
    });
    // (120 + 6) * 2 = 252 is the largest that fits.
    expect(
      checkCircuitProfile({ ...base, geometry: { rows: 16, cols: 120, bitsPerCell: 2 }, maxShift: 6 })
        .maxShift,
    ).toBe(6);
  });
});

describe("rotation arithmetic", () => {
  it("matches shiftColumns: R·2^k = R' + q(2^L - 1) for s >= 0 and R'·2^k = R + q(2^L - 1) for s < 0, q < 2^k", () => {
    const g = { rows: 3, cols: 20, bitsPerCell: 2 };
    const L = 40;
    const random = rng(3);
    const bits = Array.from({ length: 120 }, () => (random() < 0.5 ? 1 : 0));
    const code = IrisCode.fromBits(g, bits, bits);
    const rows = packFieldElements(code.packedBitsView() as Uint8Array, g);
    for (let s = -5; s <= 5; s++) {
      const k = Math.abs(s) * 2;
      const shifted = packFieldElements(shiftColumns(code, s).packedBitsView() as Uint8Array, g);
      for (let r = 0; r < 3; r++) {
        const q = rotationQuotient(rows[r]!, shifted[r]!, L, k, s >= 0);
        expect(q >= 0n && q < 1n << BigInt(k)).toBe(true);
        const [a, b] = s >= 0 ? [rows[r]!, shifted[r]!] : [shifted[r]!, rows[r]!];
        expect(a * (1n << BigInt(k))).toBe(b + q * ((1n << BigInt(L)) - 1n));
      }
    }
  });

  it("refuses a row that is not a rotation", () => {
    expect(refusal(() => rotationQuotient(5n, 7n, 8, 2, true))).toEqual({
      code: "INVALID_PARAMETER",
      field: "probe",
    });
  });

  it("writes negative shifts as p - |s|", () => {
    expect(shiftFieldElement(3)).toBe(3n);
    expect(shiftFieldElement(-3)).toBe(SNARK_FIELD_ORDER - 3n);
  });
});
