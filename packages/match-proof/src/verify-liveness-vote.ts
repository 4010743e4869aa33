import { describeType, SNARK_FIELD_ORDER } from "@zkiris/iris-code";
import { groth16 } from "snarkjs";
import { MatchProofError } from "./errors.js";
import { checkGroth16Shape, decimalBelow } from "./groth16-shape.js";
import type { LivenessVoteArtifacts } from "./liveness-artifacts.js";
import type { LivenessVoteProof } from "./prove-liveness-vote.js";
import { type SemaphoreValue, semaphoreHash, semaphoreValue } from "./semaphore-hash.js";

/** What the verifier of a poll expects a liveness-bound vote to bind. */
export interface ExpectedLivenessVote {
  /** The group roots the poll accepts (its current root, or a recent history of roots). */
  readonly merkleTreeRoots: readonly bigint[];
  /** The poll's scope, as given to `proveLivenessVote`. */
  readonly scope: SemaphoreValue;
  /** The liveness challenge the registry issued for the poll. */
  readonly challenge: bigint;
  /** The root of the trusted-device registry the poll accepts. */
  readonly deviceRoot: bigint;
}

function expectedField(value: unknown, field: string): bigint {
  if (typeof value !== "bigint" || value < 0n || value >= SNARK_FIELD_ORDER) {
    throw new MatchProofError("INVALID_PARAMETER", `Parameter '${field}' must be a field element bigint`, {
      field,
    });
  }
  return value;
}

/**
 * Verifies a liveness-bound vote for a poll: the root must be one the poll accepts (a stale root,
 * e.g. from before a member was removed, is refused), the scope, challenge and device root must be
 * the poll's, and the Groth16 proof must verify for public signals `[root, nullifier,
 * hash(message), hash(scope), challenge, deviceRoot]` (Semaphore's hashes) under the artifacts'
 * verification key. Returns false when any of this fails. The caller records the nullifier and
 * refuses a second vote with it. Throws `MALFORMED_PROOF` (naming the field) for a structurally
 * malformed vote and `INVALID_PARAMETER` for bad expectations. Call `artifacts.close()` when done.
 */
export async function verifyLivenessVote(
  vote: LivenessVoteProof,
  expected: ExpectedLivenessVote,
  options: { artifacts: Pick<LivenessVoteArtifacts, "verificationKey"> },
): Promise<boolean> {
  if (typeof vote !== "object" || vote === null) {
    throw new MatchProofError(
      "MALFORMED_PROOF",
      `Parameter 'vote' is not an object, received ${describeType(vote)}`,
      {
        field: "vote",
      },
    );
  }
  const proof = checkGroth16Shape(vote.proof, 1n << 256n);
  const root = decimalBelow(vote.merkleTreeRoot, "merkleTreeRoot");
  const nullifier = decimalBelow(vote.nullifier, "nullifier");
  const challenge = decimalBelow(vote.challenge, "challenge");
  const deviceRoot = decimalBelow(vote.deviceRoot, "deviceRoot");
  const message = decimalBelow(vote.message, "message", 1n << 256n);
  const scope = decimalBelow(vote.scope, "scope", 1n << 256n);

  if (typeof expected !== "object" || expected === null || !Array.isArray(expected.merkleTreeRoots)) {
    throw new MatchProofError(
      "INVALID_PARAMETER",
      "Parameter 'expected.merkleTreeRoots' must be an array of roots",
      {
        field: "expected.merkleTreeRoots",
      },
    );
  }
  const roots = expected.merkleTreeRoots.map((r, i) => expectedField(r, `expected.merkleTreeRoots[${i}]`));
  const expectedScope = semaphoreValue(expected.scope, "expected.scope");
  const expectedChallenge = expectedField(expected.challenge, "expected.challenge");
  const expectedDeviceRoot = expectedField(expected.deviceRoot, "expected.deviceRoot");
  if (
    !roots.includes(root) ||
    scope !== expectedScope ||
    challenge !== expectedChallenge ||
    deviceRoot !== expectedDeviceRoot
  ) {
    return false;
  }
  const signals = [
    root,
    nullifier,
    semaphoreHash(message, "message"),
    semaphoreHash(scope, "scope"),
    challenge,
    deviceRoot,
  ];
  return groth16.verify(
    options.artifacts.verificationKey,
    signals.map((s) => s.toString()),
    proof,
  );
}
