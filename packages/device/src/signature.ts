import { inCurve, type Point } from "@zk-kit/baby-jubjub";
import { verifySignature } from "@zk-kit/eddsa-poseidon";
import type { DevicePublicKey } from "./public-key.js";

/**
 * An EdDSA-Poseidon signature on BabyJubJub, as circomlib's `EdDSAPoseidonVerifier` takes it:
 * `R8 = [R8x, R8y]` and the scalar `S < l`. It verifies when `S·B8 = R8 + 8·h·A` with
 * `h = Poseidon5(R8x, R8y, Ax, Ay, M)`.
 */
export interface EdDSASignature {
  readonly R8: readonly [bigint, bigint];
  readonly S: bigint;
}

/**
 * True when `signature` is a valid EdDSA-Poseidon signature of `message` by `publicKey`
 * (`@zk-kit/eddsa-poseidon` `verifySignature`, the one EdDSA verification of zkiris). R8 and the key
 * must be on the curve and `S` below the subgroup order. Subgroup membership of the key is not
 * checked here: check an untrusted key with `checkPublicKey` first. Never throws for a bad
 * signature, returns false.
 */
export function verifyEdDSAPoseidon(
  message: bigint,
  signature: EdDSASignature,
  publicKey: DevicePublicKey,
): boolean {
  const R8: Point<bigint> = [signature.R8[0], signature.R8[1]];
  if (!inCurve(R8)) return false;
  return verifySignature(message, { R8, S: signature.S }, [publicKey[0], publicKey[1]]);
}
