import type { LivenessVoteProof } from "@zkiris/match-proof";
import { InvalidParameterError } from "./errors.js";
import { fieldElement, object } from "./validation.js";

/**
 * Checks the public values of a liveness-bound vote (`LivenessVoteProof` of `@zkiris/match-proof`)
 * received from outside and returns a normalised copy: `merkleTreeRoot`, `nullifier`, `message`,
 * `scope`, `challenge`, `deviceRoot` field elements as canonical decimal strings, and the Groth16
 * proof with only its `pi_a`, `pi_b`, `pi_c`, `protocol` and `curve` (their shape is checked by
 * `verifyLivenessVote`). Throws `INVALID_PARAMETER` naming the field (`proof.challenge`, ...).
 */
export function checkLivenessVote(value: unknown, field = "proof"): LivenessVoteProof {
  const v = object(value, field);
  const decimal = (name: string) => fieldElement(v[name], `${field}.${name}`).toString();
  const proof = object(v.proof, `${field}.proof`);
  for (const key of ["pi_a", "pi_b", "pi_c"]) {
    if (!Array.isArray(proof[key])) {
      throw new InvalidParameterError(
        `${field}.proof.${key}`,
        `Parameter '${field}.proof.${key}' must be an array (a snarkjs Groth16 proof)`,
      );
    }
  }
  return {
    merkleTreeRoot: decimal("merkleTreeRoot"),
    nullifier: decimal("nullifier"),
    message: decimal("message"),
    scope: decimal("scope"),
    challenge: decimal("challenge"),
    deviceRoot: decimal("deviceRoot"),
    proof: {
      pi_a: proof.pi_a,
      pi_b: proof.pi_b,
      pi_c: proof.pi_c,
      protocol: proof.protocol,
      curve: proof.curve,
    } as LivenessVoteProof["proof"],
  };
}
