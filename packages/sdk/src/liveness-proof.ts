import type { LivenessVoteProof } from "@zkiris/match-proof";
import { describeType, ZkirisSdkError } from "./errors.js";
import { asFieldElement } from "./field.js";

/** The JSON form of a liveness-bound vote (decimal strings), as `POST /polls/{pollId}/liveness-votes` takes it. */
export type LivenessVoteJson = LivenessVoteProof;

/**
 * A liveness-bound vote with its public values as bigints: the form the SDK takes and returns.
 * `proof` is the Groth16 proof as snarkjs gives it (`pi_a`, `pi_b`, `pi_c` as decimal strings).
 */
export interface LivenessVote {
  readonly merkleTreeRoot: bigint;
  readonly nullifier: bigint;
  /** The option index. */
  readonly message: bigint;
  readonly scope: bigint;
  /** The poll's public challenge the capture was signed for. */
  readonly challenge: bigint;
  /** Root of the trusted-device registry the capture device is in. */
  readonly deviceRoot: bigint;
  readonly proof: LivenessVoteProof["proof"];
}

const PUBLIC = ["merkleTreeRoot", "nullifier", "message", "scope", "challenge", "deviceRoot"] as const;

/**
 * Reads a liveness-bound vote given with bigints or decimal strings into a fresh {@link LivenessVote}.
 * Throws `INVALID_PARAMETER` naming the field (`proof.challenge`); the Groth16 part is only checked
 * to be an object (the server and the verifier check its shape).
 */
export function parseLivenessVote(value: unknown, field = "proof"): LivenessVote {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ZkirisSdkError(
      "INVALID_PARAMETER",
      `Parameter '${field}' is not a liveness-bound vote, received ${describeType(value)}`,
      { field },
    );
  }
  const v = value as Record<string, unknown>;
  const out: Record<string, bigint> = {};
  for (const key of PUBLIC) {
    const n = asFieldElement(v[key]);
    if (n === undefined) {
      throw new ZkirisSdkError(
        "INVALID_PARAMETER",
        `Parameter '${field}.${key}' must be a field element (a bigint or a canonical decimal string below the BN254 order), received ${describeType(v[key])}`,
        { field: `${field}.${key}` },
      );
    }
    out[key] = n;
  }
  if (typeof v.proof !== "object" || v.proof === null || Array.isArray(v.proof)) {
    throw new ZkirisSdkError(
      "INVALID_PARAMETER",
      `Parameter '${field}.proof' is not a Groth16 proof object, received ${describeType(v.proof)}`,
      { field: `${field}.proof` },
    );
  }
  return {
    ...(out as Omit<LivenessVote, "proof">),
    proof: structuredClone(v.proof) as LivenessVote["proof"],
  };
}

/** The JSON form (decimal strings) of a liveness-bound vote. */
export function livenessVoteToJson(vote: LivenessVote): LivenessVoteJson {
  const v = parseLivenessVote(vote);
  return {
    merkleTreeRoot: v.merkleTreeRoot.toString(),
    nullifier: v.nullifier.toString(),
    message: v.message.toString(),
    scope: v.scope.toString(),
    challenge: v.challenge.toString(),
    deviceRoot: v.deviceRoot.toString(),
    proof: v.proof,
  };
}
