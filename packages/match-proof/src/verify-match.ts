import { describeType, SNARK_FIELD_ORDER } from "@zkiris/iris-code";
import { type Groth16Proof, groth16 } from "snarkjs";
import { MATCH_VERIFICATION_KEY, type MatchArtifacts } from "./artifacts.js";
import { MatchProofError } from "./errors.js";
import { checkGroth16Shape, decimalBelow } from "./groth16-shape.js";

/** What the verifier expects a match proof to bind: its own challenge, the registry root it trusts, and Ct. */
export interface ExpectedMatch {
  readonly templateCommitment: bigint;
  readonly challenge: bigint;
  readonly deviceRoot: bigint;
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
  const proof = checkGroth16Shape(matchProof.proof, SNARK_FIELD_ORDER);
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
  const values = signals.map((s, i) => decimalBelow(s, `publicSignals[${i}]`));
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
