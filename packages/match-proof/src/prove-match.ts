import type { Groth16Proof } from "snarkjs";
import { groth16, wtns } from "snarkjs";
import type { MatchArtifacts } from "./artifacts.js";
import { type MatchWitnessInput, prepareMatchWitness } from "./circuit-inputs.js";
import { MatchProofError } from "./errors.js";

/** A match proof and the public values it binds. */
export interface MatchProof {
  /** Groth16 proof (snarkjs JSON: decimal strings). */
  readonly proof: Groth16Proof;
  /** Public signals as decimal strings: [templateCommitment, challenge, deviceRoot]. */
  readonly publicSignals: readonly string[];
  /** Ct, the template commitment the proof opens. */
  readonly templateCommitment: bigint;
  /** The verifier's challenge the device signed. */
  readonly challenge: bigint;
  /** Root of the device registry tree the device is a member of. */
  readonly deviceRoot: bigint;
}

/** Timings of one proof, in milliseconds. */
export interface MatchProofTimings {
  readonly witnessMs: number;
  readonly proveMs: number;
}

/**
 * Proves that a device-signed probe matches a committed template under the artifacts' compiled
 * profile, revealing neither code: computes the best shift itself, the witness, then a Groth16
 * proof. Refuses before proving (see `prepareMatchWitness`) with `MatchProofError` codes
 * `NO_MATCH`, `TOO_FEW_USABLE_BITS`, `INVALID_SIGNATURE`, `UNTRUSTED_DEVICE`,
 * `GEOMETRY_MISMATCH` or `INVALID_PARAMETER`; `INVALID_PARAMETER` (field `artifacts`) when the
 * artifacts were loaded verify-only. Call `artifacts.close()` when done proving.
 */
export async function proveMatch(
  input: MatchWitnessInput,
  options: { artifacts: MatchArtifacts; onTimings?: (timings: MatchProofTimings) => void },
): Promise<MatchProof> {
  const artifacts = options?.artifacts;
  if (!artifacts?.wasm || !artifacts.zkey) {
    throw new MatchProofError(
      "INVALID_PARAMETER",
      "Parameter 'artifacts' has no witness wasm or proving key (loaded verify-only?)",
      {
        field: "artifacts",
      },
    );
  }
  const prepared = prepareMatchWitness(input, artifacts.profile);
  const started = performance.now();
  const witness: { type: "mem"; data?: Uint8Array } = { type: "mem" };
  try {
    await wtns.calculate(prepared.inputs, artifacts.wasm, witness);
  } catch (cause) {
    throw new MatchProofError("WITNESS_FAILED", `Witness generation failed: ${(cause as Error).message}`, {
      cause,
    });
  }
  const witnessDone = performance.now();
  const { proof, publicSignals } = await groth16.prove(artifacts.zkey, witness.data!);
  options.onTimings?.({ witnessMs: witnessDone - started, proveMs: performance.now() - witnessDone });
  return {
    proof,
    publicSignals,
    templateCommitment: prepared.templateCommitment,
    challenge: prepared.challenge,
    deviceRoot: prepared.deviceRoot,
  };
}
