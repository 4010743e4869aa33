import type { SemaphoreProof } from "@semaphore-protocol/proof";
import { describeType, ZkirisSdkError } from "./errors.js";
import { asFieldElement } from "./field.js";

/**
 * A Semaphore proof with its public values as bigints: the form the SDK takes and returns.
 * `points` are the eight packed Groth16 coordinates. {@link proofToJson} gives the JSON form the
 * server and `@semaphore-protocol/proof` use (decimal strings).
 */
export interface UniqueActionProof {
  readonly merkleTreeDepth: number;
  readonly merkleTreeRoot: bigint;
  readonly nullifier: bigint;
  readonly message: bigint;
  readonly scope: bigint;
  readonly points: readonly bigint[];
}

/** The JSON form of a Semaphore proof (`SemaphoreProof` of `@semaphore-protocol/proof`). */
export type SemaphoreProofJson = SemaphoreProof;

/** The JSON form (decimal strings) of a proof, as the server's vote route and Semaphore's `verifyProof` take it. */
export function proofToJson(proof: UniqueActionProof): SemaphoreProofJson {
  const p = parseProof(proof, "proof");
  return {
    merkleTreeDepth: p.merkleTreeDepth,
    merkleTreeRoot: p.merkleTreeRoot.toString(),
    nullifier: p.nullifier.toString(),
    message: p.message.toString(),
    scope: p.scope.toString(),
    points: p.points.map(String) as unknown as SemaphoreProofJson["points"],
  } as SemaphoreProofJson;
}

/**
 * Reads a proof given with bigints or with decimal strings (the JSON a dApp's frontend posts) into a
 * fresh {@link UniqueActionProof}. Throws `INVALID_PARAMETER` naming the field (`proof.points[3]`):
 * `merkleTreeDepth` must be an integer 1..32, the other values field elements, `points` eight of them.
 */
export function parseProof(value: unknown, field = "proof"): UniqueActionProof {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ZkirisSdkError(
      "INVALID_PARAMETER",
      `Parameter '${field}' is not a Semaphore proof object, received ${describeType(value)}`,
      { field },
    );
  }
  const p = value as Record<string, unknown>;
  const depth = p.merkleTreeDepth;
  if (typeof depth !== "number" || !Number.isInteger(depth) || depth < 1 || depth > 32) {
    throw new ZkirisSdkError(
      "INVALID_PARAMETER",
      `Parameter '${field}.merkleTreeDepth' must be an integer between 1 and 32, received ${describeType(depth)}`,
      { field: `${field}.merkleTreeDepth` },
    );
  }
  const element = (v: unknown, name: string): bigint => {
    const n = asFieldElement(v);
    if (n === undefined) {
      throw new ZkirisSdkError(
        "INVALID_PARAMETER",
        `Parameter '${name}' must be a field element (a bigint or a canonical decimal string below the BN254 order), received ${describeType(v)}`,
        { field: name },
      );
    }
    return n;
  };
  if (!Array.isArray(p.points) || p.points.length !== 8) {
    throw new ZkirisSdkError(
      "INVALID_PARAMETER",
      `Parameter '${field}.points' must be an array of 8 field elements, received ${describeType(p.points)}`,
      { field: `${field}.points` },
    );
  }
  return {
    merkleTreeDepth: depth,
    merkleTreeRoot: element(p.merkleTreeRoot, `${field}.merkleTreeRoot`),
    nullifier: element(p.nullifier, `${field}.nullifier`),
    message: element(p.message, `${field}.message`),
    scope: element(p.scope, `${field}.scope`),
    points: (p.points as unknown[]).map((x, i) => element(x, `${field}.points[${i}]`)),
  };
}
