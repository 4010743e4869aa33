import type { Groth16Proof } from "snarkjs";
import { groth16, wtns } from "snarkjs";
import { MatchProofError } from "./errors.js";
import type { LivenessVoteArtifacts } from "./liveness-artifacts.js";
import { type LivenessVoteInput, prepareLivenessVoteWitness } from "./liveness-inputs.js";

/**
 * A liveness-bound vote: a Groth16 proof and the public values it binds, all as decimal strings
 * (JSON-ready). `merkleTreeRoot`, `nullifier`, `message` and `scope` mean what they mean in a
 * `@semaphore-protocol/proof` `SemaphoreProof` (message and scope unhashed, as given).
 */
export interface LivenessVoteProof {
  readonly merkleTreeRoot: string;
  readonly nullifier: string;
  readonly message: string;
  readonly scope: string;
  /** The poll's public liveness challenge. */
  readonly challenge: string;
  /** Root of the trusted-device registry the capture device is in. */
  readonly deviceRoot: string;
  readonly proof: Groth16Proof;
}

/** Timings of one proof, in milliseconds. */
export interface LivenessVoteTimings {
  readonly witnessMs: number;
  readonly proveMs: number;
}

/**
 * Output signals of a witness (`wtns` bytes): entries 1..count after the constant 1 (circom puts
 * the outputs first).
 */
export function witnessOutputs(witness: Uint8Array, count: number): bigint[] {
  const view = new DataView(witness.buffer, witness.byteOffset, witness.byteLength);
  let offset = 12; // "wtns", version, number of sections
  let n8 = 0;
  while (offset + 12 <= witness.byteLength) {
    const type = view.getUint32(offset, true);
    const size = Number(view.getBigUint64(offset + 4, true));
    offset += 12;
    if (type === 1) n8 = view.getUint32(offset, true);
    if (type === 2 && n8 > 0) {
      const out: bigint[] = [];
      for (let s = 1; s <= count; s++) {
        let v = 0n;
        for (let b = n8 - 1; b >= 0; b--) v = (v << 8n) | BigInt(witness[offset + s * n8 + b]!);
        out.push(v);
      }
      return out;
    }
    offset += size;
  }
  throw new MatchProofError("WITNESS_FAILED", "Witness has no header or values section");
}

/**
 * Proves a liveness-bound vote: the voter's leaf `Poseidon2(identity.commitment, Ct)` is in the
 * group, the voter knows the identity's secret, the nullifier is `Poseidon2(hash(scope), secret)`,
 * the message is bound, and a capture signed by a registered device for
 * `livenessCaptureChallenge(scope, challenge)` matches the template committed as Ct. Reveals
 * neither identity, Ct, codes, shift nor device. Refuses before proving as
 * `prepareLivenessVoteWitness`; after the witness, `INVALID_IDENTITY` when the secret does not open
 * `identity.commitment` (the witness's root would not be the group's); `INVALID_PARAMETER` (field
 * `artifacts`) for verify-only artifacts. Call `artifacts.close()` when done proving.
 */
export async function proveLivenessVote(
  input: LivenessVoteInput,
  options: {
    artifacts: LivenessVoteArtifacts;
    onTimings?: (timings: LivenessVoteTimings) => void;
    /** Called once the witness is computed and checked, before the Groth16 prover starts (progress). */
    onWitness?: () => void;
  },
): Promise<LivenessVoteProof> {
  const artifacts = options?.artifacts;
  if (!artifacts?.wasm || !artifacts.zkey) {
    throw new MatchProofError(
      "INVALID_PARAMETER",
      "Parameter 'artifacts' has no witness wasm or proving key (loaded verify-only?)",
      { field: "artifacts" },
    );
  }
  const prepared = prepareLivenessVoteWitness(input, artifacts.profile, artifacts.merkleTreeMaxDepth);
  const started = performance.now();
  const witness: { type: "mem"; data?: Uint8Array } = { type: "mem" };
  try {
    await wtns.calculate(prepared.inputs, artifacts.wasm, witness);
  } catch (cause) {
    throw new MatchProofError("WITNESS_FAILED", `Witness generation failed: ${(cause as Error).message}`, {
      cause,
    });
  }
  const [root, nullifier] = witnessOutputs(witness.data!, 2);
  if (root !== prepared.merkleTreeRoot || nullifier !== prepared.nullifier) {
    throw new MatchProofError(
      "INVALID_IDENTITY",
      "Parameter 'identity' has a secret scalar that does not open its commitment",
      { field: "identity" },
    );
  }
  const witnessDone = performance.now();
  options.onWitness?.();
  const { proof, publicSignals } = await groth16.prove(artifacts.zkey, witness.data!);
  options.onTimings?.({ witnessMs: witnessDone - started, proveMs: performance.now() - witnessDone });
  return {
    merkleTreeRoot: publicSignals[0]!,
    nullifier: publicSignals[1]!,
    message: prepared.message.toString(),
    scope: prepared.scope.toString(),
    challenge: publicSignals[4]!,
    deviceRoot: publicSignals[5]!,
    proof,
  };
}
