import { addPoint, Base8, mulPointEscalar, type Point, subOrder, unpackPoint } from "@zk-kit/baby-jubjub";
import { SNARK_FIELD_ORDER } from "@zkiris/iris-code";
import { xorshift32 } from "@zkiris/test-kit";

/** Seeded random bigints (xorshift32), so every failing case can be reproduced from its seed. */
export function randomBigInts(seed: number): (bits: number) => bigint {
  const next = xorshift32(seed);
  return (bits) => {
    let v = 0n;
    for (let i = 0; i < bits; i += 32) v = (v << 32n) | BigInt(next());
    return v & ((1n << BigInt(bits)) - 1n);
  };
}

/** Seeded 32-byte private keys. */
export function randomPrivateKeys(seed: number): () => Uint8Array {
  const next = xorshift32(seed);
  return () => {
    const bytes = new Uint8Array(32);
    for (let i = 0; i < 32; i += 4) new DataView(bytes.buffer).setUint32(i, next());
    return bytes;
  };
}

/**
 * The eight 8-torsion points of BabyJubJub, `TORSION[k] = k·T8` for a point T8 of order 8, all from
 * `@zk-kit/baby-jubjub`: T8 is `l·P` for the first curve point P (decompressed from y = 2, 3, …)
 * whose `l·P` has order 8. TORSION[0] is the identity, TORSION[4] = (0, −1) has order 2,
 * TORSION[2] and TORSION[6] = (±x, 0) have order 4, the odd ones order 8.
 */
export const TORSION: readonly Point<bigint>[] = (() => {
  const identity: Point<bigint> = [0n, 1n];
  for (let y = 2n; ; y++) {
    const point = unpackPoint(y);
    if (point === null) continue;
    const t = mulPointEscalar(point, subOrder);
    const t4 = mulPointEscalar(t, 4n);
    if (t4[0] === identity[0] && t4[1] === identity[1]) continue;
    const points: Point<bigint>[] = [identity];
    for (let k = 1; k < 8; k++) points.push(addPoint(points[k - 1]!, t));
    return points;
  }
})();

/** A point of the prime-order subgroup, `k·B8` by the library. */
export function subgroupPoint(k: bigint): Point<bigint> {
  return mulPointEscalar(Base8, k);
}

/** The BN254 scalar field order p, over which BabyJubJub is defined. */
export const P = SNARK_FIELD_ORDER;
