import { describeType, SNARK_FIELD_ORDER } from "@zkiris/iris-code";
import { type Groth16Proof, groth16 } from "snarkjs";
import { MATCH_VERIFICATION_KEY, type MatchArtifacts } from "./artifacts.js";
import { MatchProofError } from "./errors.js";

/** What the verifier expects a match proof to bind: its own challenge, the registry root it trusts, and Ct. */
export interface ExpectedMatch {
  readonly templateCommitment: bigint;
  readonly challenge: bigint;
  readonly deviceRoot: bigint;
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;

function checkDecimal(value: unknown, field: string): bigint {
  if (typeof value !== "string" || !DECIMAL.test(value) || BigInt(value) >= SNARK_FIELD_ORDER) {
    throw new MatchProofError("MALFORMED_PROOF", `Field '${field}' must be a decimal field element string`, {
      field,
    });
  }
  return BigInt(value);
}

function checkProofShape(proof: unknown): Groth16Proof {
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
  for (const [i, x] of list(p.pi_a, 3, "proof.pi_a").entries()) checkDecimal(x, `proof.pi_a[${i}]`);
  for (const [i, x] of list(p.pi_c, 3, "proof.pi_c").entries()) checkDecimal(x, `proof.pi_c[${i}]`);
  for (const [i, row] of list(p.pi_b, 3, "proof.pi_b").entries()) {
    for (const [j, x] of list(row, 2, `proof.pi_b[${i}]`).entries())
      checkDecimal(x, `proof.pi_b[${i}][${j}]`);
  }
  if (p.protocol !== "groth16" || p.curve !== "bn128") {
    throw new MatchProofError("MALFORMED_PROOF", "Field 'proof' must be a groth16 proof on bn128", {
      field: "proof.protocol",
    });
  }
  return proof as Groth16Proof;
}

/**
 * Verifies a match proof against what the verifier expects: the public signals must be exactly
 * `[expected.templateCommitment, expected.challenge, expected.deviceRoot]` and the Groth16 proof
 * must verify under the verification key this package ships ({@link MATCH_VERIFICATION_KEY},
 * SHA-256 pinned in `MATCH_ARTIFACT_PINS`), or under `options.artifacts`' key when given (another
 * circuit build). Returns false when a public value differs or the proof does not verify; throws
 * `MatchProofError` `MALFORMED_PROOF` (naming the field) for a structurally malformed proof or
 * public signal list, `INVALID_PARAMETER` for bad expectations. Call `releaseCurve()` (or
 * `artifacts.close()`) when done.
 */
export async function verifyMatch(
  matchProof: { readonly proof: Groth16Proof; readonly publicSignals: readonly string[] },
  expected: ExpectedMatch,
  options: { artifacts?: MatchArtifacts } = {},
): Promise<boolean> {
  if (typeof matchProof !== "object" || matchProof === null) {
    throw new MatchProofError(
      "MALFORMED_PROOF",
      `Parameter 'matchProof' is not an object, received ${describeType(matchProof)}`,
      {
        field: "matchProof",
      },
    );
  }
  const proof = checkProofShape(matchProof.proof);
  const signals = matchProof.publicSignals;
  if (!Array.isArray(signals) || signals.length !== 3) {
    throw new MatchProofError(
      "MALFORMED_PROOF",
      "Field 'publicSignals' must be an array of 3 decimal strings",
      {
        field: "publicSignals",
      },
    );
  }
  const values = signals.map((s, i) => checkDecimal(s, `publicSignals[${i}]`));
  for (const key of ["templateCommitment", "challenge", "deviceRoot"] as const) {
    const v = expected?.[key];
    if (typeof v !== "bigint" || v < 0n || v >= SNARK_FIELD_ORDER) {
      throw new MatchProofError(
        "INVALID_PARAMETER",
        `Parameter 'expected.${key}' must be a field element bigint`,
        {
          field: `expected.${key}`,
        },
      );
    }
  }
  if (
    values[0] !== expected.templateCommitment ||
    values[1] !== expected.challenge ||
    values[2] !== expected.deviceRoot
  ) {
    return false;
  }
  const verificationKey = options?.artifacts?.verificationKey ?? MATCH_VERIFICATION_KEY;
  return groth16.verify(verificationKey as Record<string, unknown>, [...signals], proof);
}
