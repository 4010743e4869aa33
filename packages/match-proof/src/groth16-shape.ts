import { describeType, SNARK_FIELD_ORDER } from "@zkiris/iris-code";
import type { Groth16Proof } from "snarkjs";
import { MatchProofError } from "./errors.js";

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/**
 * A canonical decimal string below `bound` (default the BN254 scalar field order), as a bigint;
 * throws `MALFORMED_PROOF` naming `field` otherwise.
 */
export function decimalBelow(value: unknown, field: string, bound: bigint = SNARK_FIELD_ORDER): bigint {
  if (typeof value !== "string" || !DECIMAL.test(value) || BigInt(value) >= bound) {
    throw new MatchProofError("MALFORMED_PROOF", `Field '${field}' must be a decimal field element string`, {
      field,
    });
  }
  return BigInt(value);
}

/**
 * The shape of a snarkjs Groth16 proof on bn128: `pi_a` and `pi_c` of 3 and `pi_b` of 3 x 2
 * decimal coordinates below `coordinateBound`; throws `MALFORMED_PROOF` naming the first bad field.
 */
export function checkGroth16Shape(proof: unknown, coordinateBound: bigint): Groth16Proof {
  if (typeof proof !== "object" || proof === null) {
    throw new MatchProofError(
      "MALFORMED_PROOF",
      `Field 'proof' is not an object, received ${describeType(proof)}`,
      {
        field: "proof",
      },
    );
  }
  const p = proof as Record<string, unknown>;
  const list = (v: unknown, n: number, field: string): unknown[] => {
    if (!Array.isArray(v) || v.length !== n) {
      throw new MatchProofError("MALFORMED_PROOF", `Field '${field}' must be an array of ${n}`, { field });
    }
    return v;
  };
  for (const [i, x] of list(p.pi_a, 3, "proof.pi_a").entries())
    decimalBelow(x, `proof.pi_a[${i}]`, coordinateBound);
  for (const [i, x] of list(p.pi_c, 3, "proof.pi_c").entries())
    decimalBelow(x, `proof.pi_c[${i}]`, coordinateBound);
  for (const [i, row] of list(p.pi_b, 3, "proof.pi_b").entries()) {
    for (const [j, x] of list(row, 2, `proof.pi_b[${i}]`).entries())
      decimalBelow(x, `proof.pi_b[${i}][${j}]`, coordinateBound);
  }
  if (p.protocol !== "groth16" || p.curve !== "bn128") {
    throw new MatchProofError("MALFORMED_PROOF", "Field 'proof' must be a groth16 proof on bn128", {
      field: "proof.protocol",
    });
  }
  return proof as Groth16Proof;
}
