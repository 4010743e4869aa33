import { addPoint, inCurve, mulPointEscalar, type Point, subOrder } from "@zk-kit/baby-jubjub";
import { derivePublicKey } from "@zk-kit/eddsa-poseidon";
import { ZkirisError } from "@zkiris/iris-code";
import { describe, expect, it } from "vitest";
import { checkPublicKey, DeviceError, DeviceKey } from "../src/index.js";
import { P, randomBigInts, randomPrivateKeys, subgroupPoint, TORSION } from "./curve-fixtures.js";

const NOT_ON_CURVE = "Public key 'device.publicKey' is not a point of BabyJubJub";
const AX_ZERO =
  "Public key 'device.publicKey' has Ax = 0 (the identity or a point of order 2), which is never a device key";
const NOT_IN_SUBGROUP =
  "Public key 'device.publicKey' is on the curve but not in the prime-order subgroup (it has a small-order component)";

/** The curve checks of `checkPublicKey` as they were with `@zk-kit/baby-jubjub`: the reference. */
function referenceRefusal(point: Point<bigint>): string | undefined {
  if (!inCurve(point)) return NOT_ON_CURVE;
  if (point[0] === 0n) return AX_ZERO;
  const lA = mulPointEscalar(point, subOrder);
  if (lA[0] !== 0n || lA[1] !== 1n) return NOT_IN_SUBGROUP;
  return undefined;
}

/** The message of the `INVALID_PUBLIC_KEY` refusal, or undefined when the key is accepted (and then returned as a frozen copy). */
function refusal(point: readonly [bigint, bigint]): string | undefined {
  try {
    const accepted = checkPublicKey(point, "device.publicKey");
    expect(accepted).toEqual(point);
    expect(accepted).not.toBe(point);
    expect(Object.isFrozen(accepted)).toBe(true);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(DeviceError);
    expect(error).toBeInstanceOf(ZkirisError);
    expect((error as DeviceError).code).toBe("INVALID_PUBLIC_KEY");
    expect((error as DeviceError).field).toBe("device.publicKey");
    return (error as Error).message;
  }
}

function sameAsReference(point: Point<bigint>): string | undefined {
  const expected = referenceRefusal(point);
  expect(refusal(point), `(${point[0]}, ${point[1]})`).toBe(expected);
  return expected;
}

describe("checkPublicKey", () => {
  it("refuses the identity and the point of order 2 (Ax = 0)", () => {
    expect(sameAsReference([0n, 1n])).toBe(AX_ZERO);
    expect(sameAsReference([0n, P - 1n])).toBe(AX_ZERO);
    expect(TORSION[4]).toEqual([0n, P - 1n]);
  });

  it("refuses the points of order 4 and 8", () => {
    for (const k of [1, 2, 3, 5, 6, 7]) expect(sameAsReference(TORSION[k]!), `T${k}`).toBe(NOT_IN_SUBGROUP);
  });

  it("refuses a subgroup point plus each torsion point, and accepts the subgroup point itself", () => {
    const random = randomBigInts(0xa11);
    for (let i = 0; i < 3; i++) {
      const point = subgroupPoint(random(251));
      expect(sameAsReference(point)).toBeUndefined();
      for (const [k, t] of TORSION.entries()) {
        if (k === 0) continue;
        expect(sameAsReference(addPoint(point, t)), `A + T${k}`).toBe(NOT_IN_SUBGROUP);
      }
    }
  });

  it("accepts random subgroup points and real device keys", () => {
    const random = randomBigInts(0xa12);
    for (let i = 0; i < 10; i++) expect(sameAsReference(subgroupPoint(random(253)))).toBeUndefined();
    const nextKey = randomPrivateKeys(0xa13);
    for (let i = 0; i < 5; i++) expect(sameAsReference(derivePublicKey(nextKey()))).toBeUndefined();
    for (const seed of ["device-a", "device-b"]) {
      const key = DeviceKey.fromSeed(seed).publicKey;
      expect(sameAsReference([key[0], key[1]])).toBeUndefined();
    }
  });

  it("refuses pairs off the curve", () => {
    const A = subgroupPoint(99n);
    const random = randomBigInts(0xa14);
    for (const point of [
      [A[0], A[1] + 1n],
      [A[0] + 1n, A[1]],
      [1n, 2n],
      [0n, 0n],
      [0n, 2n],
      [random(253) % P, random(253) % P],
    ] as Point<bigint>[]) {
      expect(sameAsReference(point)).toBe(NOT_ON_CURVE);
    }
  });

  it("refuses coordinates that are not field elements before any curve check, naming the coordinate", () => {
    const A = subgroupPoint(99n);
    for (const [value, field, received] of [
      [[A[0] + P, A[1]], "device.publicKey[0]", "bigint"],
      [[A[0], A[1] + P], "device.publicKey[1]", "bigint"],
      [[-1n, A[1]], "device.publicKey[0]", "bigint"],
      [[String(A[0]), A[1]], "device.publicKey[0]", "string"],
    ] as const) {
      try {
        checkPublicKey(value, "device.publicKey");
        expect.unreachable();
      } catch (error) {
        expect((error as DeviceError).code).toBe("INVALID_PUBLIC_KEY");
        expect((error as DeviceError).field).toBe(field);
        expect((error as Error).message).toBe(
          `Parameter '${field}' must be a bigint field element, received ${received}`,
        );
      }
    }
  });
});
