import { addPoint, Base8, inCurve, mulPointEscalar, subOrder } from "@zk-kit/baby-jubjub";
import { poseidon5 } from "poseidon-lite";

/**
 * Verifies an EdDSA-Poseidon signature over BabyJubJub exactly as circomlib's
 * `EdDSAPoseidonVerifier` (and `@zk-kit/eddsa-poseidon` `verifySignature`) do:
 * `S < subgroup order` and `S·B8 = R8 + (8·Poseidon5(R8x, R8y, Ax, Ay, M))·A`.
 * Returns false for points off the curve; never throws for well-typed input.
 */
export function verifyDeviceSignature(
  message: bigint,
  signature: { readonly R8: readonly [bigint, bigint]; readonly S: bigint },
  publicKey: readonly [bigint, bigint],
): boolean {
  const R8: [bigint, bigint] = [signature.R8[0], signature.R8[1]];
  const A: [bigint, bigint] = [publicKey[0], publicKey[1]];
  if (!inCurve(R8) || !inCurve(A) || signature.S >= subOrder) return false;
  const h = poseidon5([R8[0], R8[1], A[0], A[1], message]);
  const left = mulPointEscalar(Base8, signature.S);
  const right = addPoint(R8, mulPointEscalar(A, 8n * h));
  return left[0] === right[0] && left[1] === right[1];
}
