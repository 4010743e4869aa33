import { DEFAULT_PROFILE, IrisCode, packedByteLength } from "@zkiris/iris-code";

/**
 * Code number `i` of a deterministic population (default profile, 75% usable mask bits), so that
 * separate processes can build their own partitions of the same population without sharing it.
 */
export function populationCode(i: number): IrisCode {
  const g = DEFAULT_PROFILE.geometry;
  const n = packedByteLength(g);
  const bits = new Uint8Array(n);
  const mask = new Uint8Array(n);
  let s = (Math.imul(i + 1, 0x9e3779b1) ^ 0x5bd1e995) >>> 0;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  for (let j = 0; j < n; j += 4) {
    const b = next();
    const m = next() | next();
    for (let k = 0; k < 4 && j + k < n; k++) {
      bits[j + k] = (b >>> (8 * k)) & 0xff;
      mask[j + k] = (m >>> (8 * k)) & 0xff;
    }
  }
  return IrisCode.fromPacked(g, bits, mask);
}
