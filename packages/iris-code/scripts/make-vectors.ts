/**
 * Writes the published test vectors in vectors/*.json from fixed seeds. The tests check the
 * implementation against these files; the circuit tests check circom against them too. Re-run
 * only when the format version changes: `npm run vectors -w @zkiris/iris-code`.
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type CodeGeometry,
  captureMessage,
  DEFAULT_PROFILE,
  hammingDistance,
  hashFieldElements,
  IrisCode,
  packCode,
  probeCommitment,
  shiftColumns,
  templateCommitment,
  toBinary,
  toHex,
  toJson,
} from "../src/index.js";
import { seededBits } from "../test/arbitraries.js";

const outDir = join(dirname(fileURLToPath(import.meta.url)), "..", "vectors");

function code(g: CodeGeometry, seed: number, maskDensity: number): IrisCode {
  const n = g.rows * g.cols * g.bitsPerCell;
  return IrisCode.fromBits(g, seededBits(n, seed), seededBits(n, seed + 1000, maskDensity));
}

/** Flips `count` bits of a code at pseudo-random positions (a noisy recapture). */
function flip(c: IrisCode, count: number, seed: number): IrisCode {
  const bits = c.bitValues();
  const pick = seededBits(c.size, seed, count / c.size);
  for (let i = 0; i < c.size; i++) if (pick[i]) bits[i] = 1 - bits[i]!;
  return IrisCode.fromBits(c.geometry, bits, c.maskValues());
}

const geometries: CodeGeometry[] = [
  { rows: 1, cols: 4, bitsPerCell: 2 },
  { rows: 2, cols: 5, bitsPerCell: 3 },
  { rows: 3, cols: 100, bitsPerCell: 3 },
  DEFAULT_PROFILE.geometry,
];

const packing = geometries.map((g, i) => {
  const c = code(g, 11 + i, 0.85);
  const { bits, mask } = packCode(c);
  return {
    geometry: g,
    bits: Array.from(c.bitValues()).join(""),
    mask: Array.from(c.maskValues()).join(""),
    json: toJson(c),
    binaryHex: toHex(toBinary(c)),
    bitsFieldElements: bits.map(String),
    maskFieldElements: mask.map(String),
  };
});

const distance = [
  ...geometries
    .slice(0, 3)
    .map((g, i) => ({ g, a: code(g, 21 + i, 0.8), b: code(g, 31 + i, 0.8), maxShift: 1 })),
  ...[0, 3, -5, 8].map((s, i) => {
    const g = DEFAULT_PROFILE.geometry;
    const a = code(g, 41, 0.9);
    const b = flip(shiftColumns(code(g, 41, 0.85), s), 600 + 50 * i, 51 + i);
    return { g, a, b, maxShift: DEFAULT_PROFILE.maxShift };
  }),
].map(({ g, a, b, maxShift }) => {
  const r = hammingDistance(a, b, { maxShift });
  return {
    geometry: g,
    template: toJson(a),
    probe: toJson(b),
    maxShift,
    expected: {
      shift: r.shift,
      usableBits: r.usableBits,
      differingBits: r.differingBits,
      rawDistance: r.rawDistance,
      comparable: r.comparable,
    },
  };
});

const salts = [0n, 1n, 123456789n, (1n << 253n) - 1n];
const commitment = geometries.map((g, i) => {
  const c = code(g, 61 + i, 0.8);
  const salt = salts[i % salts.length]!;
  const { bits, mask } = packCode(c);
  const challenge = 987654321n + BigInt(i);
  const pc = probeCommitment(c);
  return {
    geometry: g,
    code: toJson(c),
    salt: String(salt),
    bitsHash: String(hashFieldElements(bits)),
    maskHash: String(hashFieldElements(mask)),
    templateCommitment: String(templateCommitment(c, salt)),
    probeCommitment: String(pc),
    challenge: String(challenge),
    captureMessage: String(captureMessage(pc, challenge)),
  };
});

const write = (name: string, cases: unknown[], about: string) =>
  writeFileSync(join(outDir, name), `${JSON.stringify({ formatVersion: 1, about, cases }, null, 2)}\n`);

write(
  "packing.json",
  packing,
  "Bits/mask (layout order, 0/1 strings), public JSON, binary form and field-element packing.",
);
write(
  "distance.json",
  distance,
  "Masked fractional Hamming distance minimised over shifts -maxShift..maxShift.",
);
write(
  "commitment.json",
  commitment,
  "Poseidon hashes of packed rows, template commitment Poseidon3(hash(bits), hash(mask), salt), probe commitment and capture message.",
);
console.log(
  `wrote ${packing.length} packing, ${distance.length} distance, ${commitment.length} commitment vectors to ${outDir}`,
);
