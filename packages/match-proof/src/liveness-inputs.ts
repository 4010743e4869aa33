import {
  type DistanceResult,
  describeType,
  IrisCode,
  SNARK_FIELD_ORDER,
  templateCommitment,
  type VerificationProfile,
} from "@zkiris/iris-code";
import { poseidon2 } from "poseidon-lite";
import {
  type DeviceMembershipProof,
  type MatchCircuitInputs,
  type MatchWitnessInput,
  prepareMatchWitness,
} from "./circuit-inputs.js";
import { MatchProofError } from "./errors.js";
import { LIVENESS_VOTE_MAX_DEPTH } from "./liveness-circuit-source.js";
import { type SemaphoreValue, semaphoreHash, semaphoreValue } from "./semaphore-hash.js";

/** Order l of the BabyJubJub prime subgroup: Semaphore secret scalars lie in [0, l). */
export const BABYJUBJUB_SUBGROUP_ORDER =
  2736030358979909402780800718157159386076813972158567259200215660948447373041n;

/** What the circuit needs of a Semaphore identity (`@semaphore-protocol/identity` `Identity` fits). */
export interface SemaphoreIdentityLike {
  /** The secret scalar behind the commitment (private). */
  readonly secretScalar: bigint;
  /** `Poseidon2(secretScalar · B8)`. */
  readonly commitment: bigint;
}

/** A LeanIMT Merkle proof as `@semaphore-protocol/group` `generateMerkleProof` returns it. */
export interface GroupMerkleProof {
  readonly root: bigint;
  readonly leaf: bigint;
  /** The path bits (bit i set: the node at level i is a right child), over the levels with a sibling. */
  readonly index: number;
  readonly siblings: readonly bigint[];
}

/** What the prover needs of a group (`@semaphore-protocol/group` `Group` fits). */
export interface GroupLike {
  indexOf(member: bigint): number;
  generateMerkleProof(index: number): GroupMerkleProof;
}

/**
 * A capture signed by a device: a parsed `@zkiris/device` `CapturePacket` fits. The device signed
 * `captureMessage(probeCommitment(probe), challenge)`, and for a vote `challenge` must be the
 * poll's {@link livenessCaptureChallenge}.
 */
export interface SignedCapture {
  readonly probe: IrisCode;
  readonly challenge: bigint;
  readonly publicKey: readonly [bigint, bigint];
  readonly signature: MatchWitnessInput["signature"];
}

/** Everything a voter holds for a liveness-bound vote. */
export interface LivenessVoteInput {
  /** The voter's Semaphore identity (its secret stays private). */
  readonly identity: SemaphoreIdentityLike;
  /** The biometric group, or the Merkle proof of the voter's leaf `Poseidon2(commitment, Ct)` in it. */
  readonly group: GroupLike | GroupMerkleProof;
  /** The enrolled template and the salt of its commitment Ct (private). */
  readonly template: IrisCode;
  readonly salt: bigint;
  /** The fresh capture the device signed for this poll (private). */
  readonly capture: SignedCapture;
  /** The device's inclusion proof in the registry tree (its root is public). */
  readonly deviceProof: DeviceMembershipProof;
  /** The poll's scope, as for `@semaphore-protocol/proof` `generateProof`. */
  readonly scope: SemaphoreValue;
  /** The vote (message), as for `generateProof`. */
  readonly message: SemaphoreValue;
  /** The poll's public liveness challenge (a field element the registry issued for the poll). */
  readonly challenge: bigint;
}

/** The circuit inputs with the public values they commit to. */
export interface PreparedLivenessVoteWitness {
  readonly inputs: MatchCircuitInputs;
  readonly merkleTreeRoot: bigint;
  readonly nullifier: bigint;
  /** The message and scope as given (their bigint values) and as the circuit takes them (hashed). */
  readonly message: bigint;
  readonly scope: bigint;
  readonly messageHash: bigint;
  readonly scopeHash: bigint;
  readonly challenge: bigint;
  /** The challenge the device signed: `Poseidon2(scopeHash, challenge)`. */
  readonly captureChallenge: bigint;
  readonly deviceRoot: bigint;
  /** The match at the best shift, which the proof uses. */
  readonly comparison: DistanceResult;
}

/**
 * The challenge a capture device signs for a liveness-bound vote: `Poseidon2(hash(scope),
 * challenge)` with Semaphore's scope hash and the poll's public challenge. Binding the scope in the
 * circuit means a capture made for one poll is useless in any other, even one that happens to
 * reuse the challenge. Throws `INVALID_PARAMETER` for a scope Semaphore cannot read or a challenge
 * that is not a field element.
 */
export function livenessCaptureChallenge(scope: SemaphoreValue, challenge: bigint): bigint {
  return poseidon2([semaphoreHash(semaphoreValue(scope, "scope"), "scope"), field(challenge, "challenge")]);
}

function field(value: unknown, name: string): bigint {
  if (typeof value !== "bigint" || value < 0n || value >= SNARK_FIELD_ORDER) {
    throw new MatchProofError(
      "INVALID_PARAMETER",
      `Parameter '${name}' must be a field element bigint, received ${describeType(value)}`,
      { field: name },
    );
  }
  return value;
}

/** LeanIMT root from a leaf and its proof, as `BinaryMerkleRoot` computes it. */
export function leanIMTRoot(leaf: bigint, index: number, siblings: readonly bigint[]): bigint {
  let node = leaf;
  for (let i = 0; i < siblings.length; i++) {
    node = (index >> i) & 1 ? poseidon2([siblings[i]!, node]) : poseidon2([node, siblings[i]!]);
  }
  return node;
}

function isGroup(value: unknown): value is GroupLike {
  const g = value as Partial<GroupLike>;
  return typeof g.indexOf === "function" && typeof g.generateMerkleProof === "function";
}

function merkleProofOf(group: unknown, leaf: bigint, maxDepth: number): GroupMerkleProof {
  if (typeof group !== "object" || group === null) {
    throw new MatchProofError(
      "INVALID_PARAMETER",
      `Parameter 'group' is not a group or a Merkle proof, received ${describeType(group)}`,
      { field: "group" },
    );
  }
  let proof: GroupMerkleProof;
  if (isGroup(group)) {
    const index = group.indexOf(leaf);
    if (index < 0) {
      throw new MatchProofError(
        "NOT_A_MEMBER",
        "The group has no leaf Poseidon2(identity.commitment, templateCommitment(template, salt))",
        { field: "group" },
      );
    }
    proof = group.generateMerkleProof(index);
  } else {
    proof = group as GroupMerkleProof;
  }
  const { root, index, siblings } = proof;
  if (
    typeof root !== "bigint" ||
    typeof proof.leaf !== "bigint" ||
    !Number.isSafeInteger(index) ||
    index < 0 ||
    !Array.isArray(siblings) ||
    siblings.some((s) => typeof s !== "bigint" || s < 0n || s >= SNARK_FIELD_ORDER)
  ) {
    throw new MatchProofError(
      "INVALID_PARAMETER",
      "Parameter 'group' is not a LeanIMT Merkle proof { root, leaf, index, siblings } of bigints",
      { field: "group" },
    );
  }
  if (siblings.length > maxDepth || index >= 2 ** siblings.length) {
    throw new MatchProofError(
      "INVALID_PARAMETER",
      `Parameter 'group' has a Merkle proof of ${siblings.length} levels; the circuit takes at most ${maxDepth}`,
      { field: "group" },
    );
  }
  if (proof.leaf !== leaf || leanIMTRoot(leaf, index, siblings) !== root) {
    throw new MatchProofError(
      "NOT_A_MEMBER",
      "Parameter 'group' is not a proof of Poseidon2(identity.commitment, templateCommitment(template, salt)) to its root",
      { field: "group" },
    );
  }
  return proof;
}

/**
 * The liveness-vote circuit inputs from their parts, without checking anything (tests use it to
 * build a cheating prover's witness): `match` are the match circuit's inputs for the capture
 * challenge, whose public `challenge` is replaced by the poll's.
 */
export function livenessVoteCircuitInputs(parts: {
  readonly secret: bigint;
  readonly merkleProof: Pick<GroupMerkleProof, "index" | "siblings">;
  readonly maxDepth: number;
  readonly messageHash: bigint;
  readonly scopeHash: bigint;
  readonly challenge: bigint;
  readonly match: MatchCircuitInputs;
}): MatchCircuitInputs {
  const dec = (v: bigint | number) => v.toString();
  const siblings = Array.from({ length: parts.maxDepth }, (_, i) => dec(parts.merkleProof.siblings[i] ?? 0n));
  return {
    ...parts.match,
    secret: dec(parts.secret),
    merkleProofLength: dec(parts.merkleProof.siblings.length),
    merkleProofIndex: dec(parts.merkleProof.index),
    merkleProofSiblings: siblings,
    message: dec(parts.messageHash),
    scope: dec(parts.scopeHash),
    challenge: dec(parts.challenge),
  };
}

/**
 * Checks every input and builds the liveness-vote circuit inputs. Refuses, before any witness is
 * computed, with a {@link MatchProofError}:
 * `INVALID_PARAMETER` (naming the field) for malformed input, a secret scalar outside [0, l) or a
 * Merkle proof deeper than the circuit;
 * `NOT_A_MEMBER` when the leaf `Poseidon2(identity.commitment, templateCommitment(template, salt))`
 * is not in the group (or the given proof does not lead to its root);
 * `CHALLENGE_MISMATCH` when the capture was signed for another challenge than
 * `livenessCaptureChallenge(scope, challenge)` (another poll, or another challenge of this one);
 * and as `prepareMatchWitness` for the capture: `NO_MATCH`, `TOO_FEW_USABLE_BITS`,
 * `INVALID_SIGNATURE`, `UNTRUSTED_DEVICE`, `GEOMETRY_MISMATCH`.
 * Whether the secret opens the commitment is checked on the witness (`proveLivenessVote`).
 */
export function prepareLivenessVoteWitness(
  input: LivenessVoteInput,
  profile: VerificationProfile,
  maxDepth: number = LIVENESS_VOTE_MAX_DEPTH,
): PreparedLivenessVoteWitness {
  if (typeof input !== "object" || input === null) {
    throw new MatchProofError(
      "INVALID_PARAMETER",
      `Parameter 'input' is not an object, received ${describeType(input)}`,
      { field: "input" },
    );
  }
  const identity = input.identity;
  if (typeof identity !== "object" || identity === null) {
    throw new MatchProofError(
      "INVALID_PARAMETER",
      `Parameter 'identity' is not a Semaphore identity, received ${describeType(identity)}`,
      { field: "identity" },
    );
  }
  const secret = field(identity.secretScalar, "identity.secretScalar");
  if (secret >= BABYJUBJUB_SUBGROUP_ORDER) {
    throw new MatchProofError(
      "INVALID_PARAMETER",
      "Parameter 'identity.secretScalar' must be below the BabyJubJub subgroup order",
      { field: "identity.secretScalar" },
    );
  }
  const commitment = field(identity.commitment, "identity.commitment");
  if (!(input.template instanceof IrisCode)) {
    throw new MatchProofError(
      "INVALID_PARAMETER",
      `Parameter 'template' is not an IrisCode, received ${describeType(input.template)}`,
      { field: "template" },
    );
  }
  let ct: bigint;
  try {
    ct = templateCommitment(input.template, input.salt);
  } catch (cause) {
    throw new MatchProofError("INVALID_PARAMETER", (cause as Error).message, { field: "salt", cause });
  }
  const message = semaphoreValue(input.message, "message");
  const scope = semaphoreValue(input.scope, "scope");
  const messageHash = semaphoreHash(message, "message");
  const scopeHash = semaphoreHash(scope, "scope");
  const challenge = field(input.challenge, "challenge");
  const captureChallenge = poseidon2([scopeHash, challenge]);

  const leaf = poseidon2([commitment, ct]);
  const merkleProof = merkleProofOf(input.group, leaf, maxDepth);

  const capture = input.capture;
  if (typeof capture !== "object" || capture === null) {
    throw new MatchProofError(
      "INVALID_PARAMETER",
      `Parameter 'capture' is not a signed capture, received ${describeType(capture)}`,
      { field: "capture" },
    );
  }
  if (capture.challenge !== captureChallenge) {
    throw new MatchProofError(
      "CHALLENGE_MISMATCH",
      "Parameter 'capture' was signed for another challenge than livenessCaptureChallenge(scope, challenge) of this poll",
      { field: "capture.challenge" },
    );
  }
  const prepared = prepareMatchWitness(
    {
      template: input.template,
      salt: input.salt,
      probe: capture.probe,
      signature: capture.signature,
      devicePublicKey: capture.publicKey,
      deviceProof: input.deviceProof,
      challenge: captureChallenge,
    },
    profile,
  );
  return {
    inputs: livenessVoteCircuitInputs({
      secret,
      merkleProof,
      maxDepth,
      messageHash,
      scopeHash,
      challenge,
      match: prepared.inputs,
    }),
    merkleTreeRoot: merkleProof.root,
    nullifier: poseidon2([scopeHash, secret]),
    message,
    scope,
    messageHash,
    scopeHash,
    challenge,
    captureChallenge,
    deviceRoot: prepared.deviceRoot,
    comparison: prepared.comparison,
  };
}
