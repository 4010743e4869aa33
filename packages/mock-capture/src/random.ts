import { describeType } from "@zkiris/iris-code";
import { MockCaptureError } from "./errors.js";

/** A subject or capture seed: a non-negative safe integer or a non-empty string of at most 256 characters. */
export type Seed = number | string;

const MAX_SEED_LENGTH = 256;

/**
 * Checks a seed and returns its canonical text. A number and its decimal string are the same
 * seed (`7` and `"7"`), so seeds passed on a command line reproduce seeds passed in code.
 * Throws `INVALID_SEED` naming `field` for anything else.
 */
export function canonicalSeed(seed: unknown, field: string): string {
  if (typeof seed === "number") {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new MockCaptureError(
        "INVALID_SEED",
        `Parameter '${field}' must be a non-negative safe integer or a non-empty string, received number ${String(seed)}`,
        { field },
      );
    }
    return String(seed);
  }
  if (typeof seed === "string") {
    if (seed.length === 0 || seed.length > MAX_SEED_LENGTH) {
      throw new MockCaptureError(
        "INVALID_SEED",
        `Parameter '${field}' must be a string of 1 to ${MAX_SEED_LENGTH} characters, received ${seed.length} characters`,
        { field },
      );
    }
    return seed;
  }
  throw new MockCaptureError(
    "INVALID_SEED",
    `Parameter '${field}' is not a number or string, received type: ${describeType(seed)}`,
    { field },
  );
}

/**
 * Hashes text (UTF-16 code units) to four 32-bit words with a MurmurHash3-style mix. Only integer
 * operations, so every JavaScript engine returns the same words.
 */
export function hashText(text: string): [number, number, number, number] {
  let h1 = 0x9e3779b9;
  let h2 = 0x243f6a88;
  let h3 = 0xb7e15162;
  let h4 = 0x85a308d3;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ k, 0xcc9e2d51);
    h1 = (h1 << 15) | (h1 >>> 17);
    h2 = Math.imul(h2 ^ h1, 0x1b873593);
    h2 = (h2 << 13) | (h2 >>> 19);
    h3 = Math.imul(h3 ^ h2, 0x85ebca6b) + k;
    h3 = (h3 << 17) | (h3 >>> 15);
    h4 = Math.imul(h4 ^ h3, 0xc2b2ae35) ^ h1;
    h4 = (h4 << 11) | (h4 >>> 21);
  }
  const words: [number, number, number, number] = [h1, h2, h3, h4];
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < 4; i++) {
      let h = (words[i]! ^ words[(i + 1) & 3]! ^ (text.length + round * 4 + i)) >>> 0;
      h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
      h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
      words[i] = (h ^ (h >>> 16)) >>> 0;
    }
  }
  if ((words[0] | words[1] | words[2] | words[3]) === 0) words[0] = 1;
  return words;
}

/**
 * xoshiro128** pseudo-random generator (Blackman and Vigna). Deterministic on every machine: the
 * state update uses 32-bit integer operations only and {@link normal} uses no transcendental
 * functions.
 */
export class SeededRandom {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** A generator whose state is the hash of `text` (a stream name plus seeds). */
  constructor(text: string) {
    [this.s0, this.s1, this.s2, this.s3] = hashText(text);
  }

  /** A generator with an explicit xoshiro128** state (four 32-bit words, not all zero); for reference vectors. */
  static fromState(words: readonly [number, number, number, number]): SeededRandom {
    const rng = new SeededRandom("");
    [rng.s0, rng.s1, rng.s2, rng.s3] = words.map((w) => w | 0) as [number, number, number, number];
    return rng;
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Uniform in [-1, 1). */
  signed(): number {
    return this.next() * 2 - 1;
  }

  /** Integer uniform in [min, max] (inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /**
   * Approximately standard normal (Irwin-Hall sum of four uniforms, rescaled to unit variance;
   * tails end at ±3.46). No logarithms or square roots of random values, so bit-identical everywhere.
   */
  normal(): number {
    return (this.next() + this.next() + this.next() + this.next() - 2) * 1.7320508075688772;
  }

  /**
   * Cheaper approximate standard normal for per-pixel noise: Irwin-Hall sum of the four bytes of
   * one 32-bit draw (so values come in steps of 0.0068); same mean, variance and tails as {@link normal}.
   */
  normalFast(): number {
    const u = this.nextUint32();
    const sum = (u & 0xff) + ((u >>> 8) & 0xff) + ((u >>> 16) & 0xff) + (u >>> 24) + 2; // mid-points of the byte bins
    return (sum / 256 - 2) * 1.7320508075688772;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
