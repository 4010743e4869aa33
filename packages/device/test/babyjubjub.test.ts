import { addPoint, Base8, inCurve, mulPointEscalar, order, type Point, subOrder } from "@zk-kit/baby-jubjub";
import { describe, expect, it } from "vitest";
import {
  addPoints,
  BASE8,
  doublePoint,
  equalsAffine,
  fromAffine,
  IDENTITY,
  isIdentity,
  isInPrimeOrderSubgroup,
  isOnCurve,
  multiplyBase8,
  multiplyPoint,
  negatePoint,
  SUBGROUP_ORDER,
  toAffine,
} from "../src/babyjubjub.js";
import { DeviceError } from "../src/index.js";
import { P, randomBigInts, subgroupPoint, TORSION } from "./curve-fixtures.js";

function powMod(base: bigint, e: bigint): bigint {
  let result = 1n;
  let b = base % P;
  for (let k = e; k > 0n; k >>= 1n) {
    if (k & 1n) result = (result * b) % P;
    b = (b * b) % P;
  }
  return result;
}

const ext = (p: Point<bigint>) => fromAffine(p[0], p[1]);
const random = randomBigInts(0xb0b);
const L = SUBGROUP_ORDER;

// Random points of the whole curve group: random subgroup points plus each torsion point.
const subgroupPoints = Array.from({ length: 6 }, () => subgroupPoint(random(251)));
const curvePoints: Point<bigint>[] = [
  ...subgroupPoints,
  ...TORSION,
  ...subgroupPoints
    .slice(0, 4)
    .flatMap((q, i) => [addPoint(q, TORSION[2 * i + 1]!), addPoint(q, TORSION[4]!)]),
];

describe("BabyJubJub constants", () => {
  it("are those of @zk-kit/baby-jubjub, and the curve has 8·l points", () => {
    expect(SUBGROUP_ORDER).toBe(subOrder);
    expect([BASE8[0], BASE8[1]]).toEqual(Base8);
    expect(order).toBe(8n * SUBGROUP_ORDER);
  });

  it("has a square a and a non-square d, which makes the addition law complete", () => {
    expect(powMod(168700n, (P - 1n) / 2n)).toBe(1n);
    expect(powMod(168696n, (P - 1n) / 2n)).toBe(P - 1n);
  });

  it("has the torsion points of the fixtures at their expected places and orders", () => {
    expect(TORSION[0]).toEqual([0n, 1n]);
    expect(TORSION[4]).toEqual([0n, P - 1n]);
    expect(TORSION[2]![1]).toBe(0n);
    expect(TORSION[6]).toEqual([P - TORSION[2]![0], 0n]);
    const orders = [1n, 8n, 4n, 8n, 2n, 8n, 4n, 8n];
    for (const [k, t] of TORSION.entries()) {
      const n = orders[k]!;
      expect(mulPointEscalar(t, n), `order of TORSION[${k}]`).toEqual([0n, 1n]);
      if (n > 1n) expect(mulPointEscalar(t, n / 2n)).not.toEqual([0n, 1n]);
    }
  });
});

describe("isOnCurve", () => {
  it("answers as inCurve of @zk-kit/baby-jubjub for curve points, off-curve pairs and any representation", () => {
    const cases: Point<bigint>[] = [];
    for (const [x, y] of curvePoints) {
      cases.push([x, y], [x + P, y], [x, y + 3n * P], [x - P, y], [-x, -y], [x, y + 1n], [x + 1n, y]);
    }
    cases.push([0n, 0n], [1n, 2n], [0n, 1n], [P, 1n], [0n, P + 1n], [random(300), random(300)], [-1n, 0n]);
    let onCurve = 0;
    for (const [x, y] of cases) {
      expect(isOnCurve(x, y), `(${x}, ${y})`).toBe(inCurve([x, y]));
      if (inCurve([x, y])) onCurve++;
    }
    // Not vacuous: both answers occur.
    expect(onCurve).toBeGreaterThan(curvePoints.length * 4);
    expect(onCurve).toBeLessThan(cases.length);
  });
});

describe("point arithmetic against @zk-kit/baby-jubjub", () => {
  it("adds any two curve points as addPoint does, torsion points, identity and equal points included", () => {
    for (const p of curvePoints) {
      for (const q of curvePoints) {
        expect(toAffine(addPoints(ext(p), ext(q)))).toEqual(addPoint(p, q));
      }
    }
  });

  it("doubles every curve point as addPoint(P, P) does", () => {
    for (const p of curvePoints) {
      expect(toAffine(doublePoint(ext(p)))).toEqual(addPoint(p, p));
      // A doubling without T is only a step towards another doubling.
      expect(toAffine(doublePoint(doublePoint(ext(p), false)))).toEqual(mulPointEscalar(p, 4n));
    }
    expect(toAffine(doublePoint(IDENTITY))).toEqual([0n, 1n]);
  });

  it("negates: P + (−P) is the identity", () => {
    for (const p of curvePoints) {
      const sum = addPoints(ext(p), negatePoint(ext(p)));
      expect(isIdentity(sum)).toBe(true);
      expect(toAffine(negatePoint(ext(p)))).toEqual([(P - p[0]) % P, p[1]]);
    }
    expect(isIdentity(ext(subgroupPoints[0]!))).toBe(false);
  });

  it("multiplies any curve point by 0, 1, 2, l − 1, l, l + 1, 8l and random scalars as mulPointEscalar does", () => {
    const scalars = [0n, 1n, 2n, 3n, 31n, 32n, L - 1n, L, L + 1n, 8n * L, 8n * L + 5n];
    for (let i = 0; i < 4; i++) scalars.push(random(253), random(64), random(256));
    for (const [i, p] of curvePoints.entries()) {
      for (const [j, k] of scalars.entries()) {
        // Every pair for the first points, a rotation for the rest: the library takes ~25 ms per product.
        if (i >= 4 && (i + j) % 4 !== 0) continue;
        expect(toAffine(multiplyPoint(ext(p), k)), `${k}·(${p})`).toEqual(mulPointEscalar(p, k));
      }
    }
  });

  it("multiplies B8 from its table by 0, 1, l − 1, l, l + 1, 2^256 + 3 and random scalars as mulPointEscalar does", () => {
    const scalars = [0n, 1n, 255n, 256n, L - 1n, L, L + 1n, (1n << 256n) + 3n];
    for (let i = 0; i < 8; i++) scalars.push(random(251), random(253), random(32));
    for (const k of scalars) {
      const expected = mulPointEscalar(Base8, k);
      expect(toAffine(multiplyBase8(k)), `${k}·B8`).toEqual(expected);
      expect(equalsAffine(multiplyBase8(k), expected[0], expected[1])).toBe(true);
      expect(equalsAffine(multiplyBase8(k + 1n), expected[0], expected[1])).toBe(false);
    }
  });

  it("refuses a negative scalar instead of looping", () => {
    for (const fn of [() => multiplyPoint(ext(Base8), -1n), () => multiplyBase8(-5n)]) {
      expect(fn).toThrow(DeviceError);
      expect(fn).toThrow("Parameter 'k' must be a non-negative scalar");
    }
  });
});

describe("isInPrimeOrderSubgroup", () => {
  it("accepts subgroup points and refuses every point with a small-order component", () => {
    for (const q of subgroupPoints) {
      expect(isInPrimeOrderSubgroup(q[0], q[1])).toBe(true);
      for (const [k, t] of TORSION.entries()) {
        const shifted = addPoint(q, t);
        expect(isInPrimeOrderSubgroup(shifted[0], shifted[1]), `torsion ${k}`).toBe(k === 0);
      }
    }
    for (const [k, t] of TORSION.entries()) expect(isInPrimeOrderSubgroup(t[0], t[1])).toBe(k === 0);
  });
});
