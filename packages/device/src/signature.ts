import { poseidon5 } from "poseidon-lite";
import {
  addPoints,
  equalsAffine,
  fromAffine,
  isOnCurve,
  multiplyBase8,
  multiplyPoint,
  negatePoint,
  SUBGROUP_ORDER,
} from "./babyjubjub.js";
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
 * True when `signature` is a valid EdDSA-Poseidon signature of `message` by `publicKey`: `S` is in
 * [0, l), R8 and the key are on the curve, and `S·B8 = R8 + 8·h·A` with
 * `h = Poseidon5(R8x, R8y, Ax, Ay, message)`. Subgroup membership of the key is not checked here:
 * check an untrusted key with `checkPublicKey` first. Never throws; returns false for a bad
 * signature and for any value that is not a bigint.
 *
 * The answer is that of `@zk-kit/eddsa-poseidon` `verifySignature` (the reference the tests compare
 * against), computed in extended coordinates (see `babyjubjub.ts`). Like the reference, it reduces
 * coordinates of p or more modulo p in the curve arithmetic and hashes them as given; a parsed
 * capture packet never has such coordinates. It returns false where the reference does not return:
 * a negative `S` (the reference's double-and-add loops forever), and a negative hash, which only a
 * negative `message` can give. It also returns false for negative coordinates, where the reference's
 * answer depends on JavaScript's signed remainder and not on the point.
 */
export function verifyEdDSAPoseidon(
  message: bigint,
  signature: EdDSASignature,
  publicKey: DevicePublicKey,
): boolean {
  if (typeof signature !== "object" || signature === null || !Array.isArray(signature.R8)) return false;
  if (!Array.isArray(publicKey)) return false;
  const [r8x, r8y] = signature.R8;
  const S: unknown = signature.S;
  const [ax, ay] = publicKey;
  if (
    typeof message !== "bigint" ||
    typeof r8x !== "bigint" ||
    typeof r8y !== "bigint" ||
    typeof S !== "bigint" ||
    typeof ax !== "bigint" ||
    typeof ay !== "bigint"
  ) {
    return false;
  }
  if (r8x < 0n || r8y < 0n || ax < 0n || ay < 0n || S < 0n || S >= SUBGROUP_ORDER) return false;
  if (!isOnCurve(r8x, r8y) || !isOnCurve(ax, ay)) return false;
  const h = poseidon5([r8x, r8y, ax, ay, message]);
  if (h < 0n) return false;
  // Every point's order divides 8·l, so 8·h·A = 8·(h mod l)·A.
  const hA8 = multiplyPoint(fromAffine(ax, ay), 8n * (h % SUBGROUP_ORDER));
  return equalsAffine(addPoints(multiplyBase8(S), negatePoint(hA8)), r8x, r8y);
}
