import fc from "fast-check";
import { type CodeGeometry, IrisCode } from "../src/index.js";

/** Small geometries that still exercise row padding, several rows and several bits per cell. */
export const geometryArb: fc.Arbitrary<CodeGeometry> = fc.record({
  rows: fc.integer({ min: 1, max: 4 }),
  cols: fc.integer({ min: 3, max: 19 }),
  bitsPerCell: fc.integer({ min: 1, max: 4 }),
});

/** A random code of a geometry; masks are dense enough to be comparable most of the time. */
export function codeArb(g: CodeGeometry, maskDensity = 0.8): fc.Arbitrary<IrisCode> {
  const n = g.rows * g.cols * g.bitsPerCell;
  return fc
    .tuple(
      fc.array(fc.integer({ min: 0, max: 1 }), { minLength: n, maxLength: n }),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }),
    )
    .map(([bits, u]) =>
      IrisCode.fromBits(
        g,
        bits,
        u.map((x) => (x < maskDensity ? 1 : 0)),
      ),
    );
}

/** Two codes of the same random geometry, and a shift range valid for it. */
export const codePairArb = geometryArb.chain((g) =>
  fc.tuple(fc.constant(g), codeArb(g), codeArb(g), fc.integer({ min: 0, max: Math.floor((g.cols - 1) / 2) })),
);

/** Deterministic pseudo-random bits (xorshift32) for fixed vectors. */
export function seededBits(count: number, seed: number, density = 0.5): number[] {
  let x = seed >>> 0 || 1;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out.push(x / 0x100000000 < density ? 1 : 0);
  }
  return out;
}
