/**
 * mulberry32: a small seeded generator of floats in [0, 1), so every test case and benchmark input
 * is reproducible from its seed.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * xorshift32 (13, 17, 5): a seeded stream of unsigned 32-bit integers. A seed of 0 (which would
 * stay 0 forever) is replaced by `zeroSeed`. Kept next to {@link mulberry32} because pinned
 * test inputs were drawn from it.
 */
export function xorshift32(seed: number, zeroSeed = 1): () => number {
  let x = seed >>> 0 || zeroSeed >>> 0;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** A uint32 stream (such as {@link xorshift32}) as floats in [0, 1). */
export function unit(next: () => number): () => number {
  return () => next() / 0x1_0000_0000;
}
