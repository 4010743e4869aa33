import { addPoint, inCurve, type Point, subOrder } from "@zk-kit/baby-jubjub";
import { derivePublicKey, signMessage, verifySignature } from "@zk-kit/eddsa-poseidon";
import { describe, expect, it } from "vitest";
import { DeviceKey, type DevicePublicKey, type EdDSASignature, verifyEdDSAPoseidon } from "../src/index.js";
import { P, randomBigInts, randomPrivateKeys, subgroupPoint, TORSION } from "./curve-fixtures.js";

/**
 * `verifyEdDSAPoseidon` as it was before @zkiris/device had its own curve arithmetic, verbatim: the
 * reference every answer below is compared with.
 */
function referenceVerify(message: bigint, signature: EdDSASignature, publicKey: DevicePublicKey): boolean {
  const R8: Point<bigint> = [signature.R8[0], signature.R8[1]];
  if (!inCurve(R8)) return false;
  return verifySignature(message, { R8, S: signature.S }, [publicKey[0], publicKey[1]]);
}

interface Case {
  readonly name: string;
  readonly message: bigint;
  readonly signature: EdDSASignature;
  readonly publicKey: DevicePublicKey;
}

/** Asserts that the new verification gives the reference's answer, and returns it. */
function sameAsReference(c: Case): boolean {
  const expected = referenceVerify(c.message, c.signature, c.publicKey);
  expect(verifyEdDSAPoseidon(c.message, c.signature, c.publicKey), c.name).toBe(expected);
  return expected;
}

const L = subOrder;
const add = (a: readonly [bigint, bigint], b: readonly [bigint, bigint]) =>
  addPoint([a[0], a[1]], [b[0], b[1]]) as unknown as readonly [bigint, bigint];

describe("verifyEdDSAPoseidon against @zk-kit/eddsa-poseidon, hand-picked cases", () => {
  const key = DeviceKey.fromSeed("signature-test");
  const other = DeviceKey.fromSeed("signature-test-other");
  const A = key.publicKey;
  const m = 42n;
  const s = key.sign(m);
  const anotherR8 = key.sign(43n).R8;
  const c = (
    name: string,
    message: bigint,
    signature: EdDSASignature,
    publicKey: DevicePublicKey = A,
  ): Case => ({
    name,
    message,
    signature,
    publicKey,
  });

  it("accepts the valid signature, and the same values written with coordinates or message of p or more", () => {
    expect(sameAsReference(c("valid", m, s))).toBe(true);
    expect(sameAsReference(c("message + p", m + P, s))).toBe(true);
    expect(sameAsReference(c("message − p (negative, same residue)", m - P, s))).toBe(true);
    expect(sameAsReference(c("R8x + p", m, { R8: [s.R8[0] + P, s.R8[1]], S: s.S }))).toBe(true);
    expect(sameAsReference(c("R8y + 2p", m, { R8: [s.R8[0], s.R8[1] + 2n * P], S: s.S }))).toBe(true);
    expect(sameAsReference(c("Ax + p", m, s, [A[0] + P, A[1]]))).toBe(true);
    expect(sameAsReference(c("Ay + p", m, s, [A[0], A[1] + P]))).toBe(true);
  });

  it("rejects a changed message, S + 1, S + l, S ≥ l and another device's key", () => {
    expect(sameAsReference(c("message + 1", m + 1n, s))).toBe(false);
    expect(sameAsReference(c("S + 1", m, { R8: s.R8, S: s.S + 1n }))).toBe(false);
    expect(sameAsReference(c("S + l", m, { R8: s.R8, S: s.S + L }))).toBe(false);
    expect(sameAsReference(c("S = l", m, { R8: s.R8, S: L }))).toBe(false);
    expect(sameAsReference(c("S = 2^256", m, { R8: s.R8, S: 1n << 256n }))).toBe(false);
    expect(sameAsReference(c("A swapped", m, s, other.publicKey))).toBe(false);
    expect(sameAsReference(c("other key's signature", m, other.sign(m)))).toBe(false);
  });

  it("rejects R8 replaced by another curve point, by the identity, or off the curve, and A off the curve", () => {
    expect(sameAsReference(c("R8 of another message", m, { R8: anotherR8, S: s.S }))).toBe(false);
    expect(sameAsReference(c("R8 = B8", m, { R8: subgroupPoint(1n) as never, S: s.S }))).toBe(false);
    expect(sameAsReference(c("R8 = identity", m, { R8: [0n, 1n], S: s.S }))).toBe(false);
    expect(sameAsReference(c("R8 = identity, S = 0", m, { R8: [0n, 1n], S: 0n }))).toBe(false);
    expect(sameAsReference(c("R8y + 1", m, { R8: [s.R8[0], s.R8[1] + 1n], S: s.S }))).toBe(false);
    expect(sameAsReference(c("R8 = (1, 2)", m, { R8: [1n, 2n], S: s.S }))).toBe(false);
    expect(sameAsReference(c("Ay + 1", m, s, [A[0], A[1] + 1n]))).toBe(false);
  });

  it("rejects R8 and A with each small-order component added", () => {
    for (const [k, t] of TORSION.entries()) {
      if (k === 0) continue;
      expect(sameAsReference(c(`R8 + T${k}`, m, { R8: add(s.R8, t), S: s.S }))).toBe(false);
      expect(sameAsReference(c(`A + T${k}`, m, s, add(A, t)))).toBe(false);
    }
  });

  it("accepts with the identity as key anything with R8 = S·B8, as the reference does (checkPublicKey refuses that key)", () => {
    const S = 12345n;
    const R8 = subgroupPoint(S) as unknown as readonly [bigint, bigint];
    expect(sameAsReference(c("A = identity", 7n, { R8, S }, [0n, 1n]))).toBe(true);
    expect(sameAsReference(c("A = (0, −1)", 7n, { R8, S }, [0n, P - 1n]))).toBe(true);
  });

  it("returns false for a negative S, where the reference never returns", () => {
    // @zk-kit/baby-jubjub's mulPointEscalar halves the scalar with >> until it is 0, and −1 >> 1 is −1.
    expect(verifyEdDSAPoseidon(m, { R8: s.R8, S: -1n }, A)).toBe(false);
    expect(verifyEdDSAPoseidon(m, { R8: s.R8, S: s.S - L }, A)).toBe(false);
  });

  it("returns false for negative coordinates, where the reference's answer depends on the representation", () => {
    // The reference computes with JavaScript's signed remainder: for the same points written as
    // x − p it accepts some valid signatures and refuses others (here it accepts both).
    const edge = P - 8n;
    const sEdge = key.sign(edge);
    const negR8 = { R8: [sEdge.R8[0] - P, sEdge.R8[1]] as const, S: sEdge.S };
    expect(referenceVerify(edge, negR8, A)).toBe(true);
    expect(verifyEdDSAPoseidon(edge, negR8, A)).toBe(false);
    expect(referenceVerify(m, s, [A[0] - P, A[1]])).toBe(true);
    expect(verifyEdDSAPoseidon(m, s, [A[0] - P, A[1]])).toBe(false);
    expect(referenceVerify(m, { R8: [s.R8[0] - P, s.R8[1]], S: s.S }, A)).toBe(false);
    expect(verifyEdDSAPoseidon(m, { R8: [s.R8[0] - P, s.R8[1]], S: s.S }, A)).toBe(false);
    expect(verifyEdDSAPoseidon(m, s, [A[0], A[1] - P])).toBe(false);
  });

  it("returns false, without throwing, for values that are not bigints", () => {
    const strings = { R8: [String(s.R8[0]), String(s.R8[1])], S: String(s.S) } as unknown as EdDSASignature;
    for (const [message, signature, publicKey] of [
      [m, strings, A],
      [m, s, [String(A[0]), String(A[1])]],
      [42, s, A],
      [m, null, A],
      [m, { R8: null, S: s.S }, A],
      [m, { R8: s.R8 }, A],
      [m, { R8: [s.R8[0]], S: s.S }, A],
      [m, s, null],
      [m, s, [A[0]]],
      [m, s, "A"],
    ] as const) {
      expect(verifyEdDSAPoseidon(message as never, signature as never, publicKey as never)).toBe(false);
    }
  });
});

describe("verifyEdDSAPoseidon against @zk-kit/eddsa-poseidon, 200 random signatures", () => {
  const KEYS = 40;
  const MESSAGES_PER_KEY = 5;
  const nextKey = randomPrivateKeys(0x5eed);
  const random = randomBigInts(0xfeed);
  // Variants the reference decides only after the full curve arithmetic (about 70 ms each): each
  // signature gets one of them in turn, so each is checked 20 times.
  const costly: ((x: Case, i: number, others: Case[]) => Case)[] = [
    (x) => ({ ...x, name: "message + 1", message: x.message + 1n }),
    (x) => ({ ...x, name: "S + 1", signature: { R8: x.signature.R8, S: x.signature.S + 1n } }),
    (x, i, others) => ({
      ...x,
      name: "R8 of another signature",
      signature: { R8: others[(i + 1) % others.length]!.signature.R8, S: x.signature.S },
    }),
    (x) => ({ ...x, name: "R8 = identity", signature: { R8: [0n, 1n], S: x.signature.S } }),
    (x, i) => ({
      ...x,
      name: `R8 + T${1 + (i % 7)}`,
      signature: { R8: add(x.signature.R8, TORSION[1 + (i % 7)]!), S: x.signature.S },
    }),
    (x, i, others) => ({
      ...x,
      name: "A swapped",
      publicKey: others[(i + MESSAGES_PER_KEY) % others.length]!.publicKey,
    }),
    (x, i) => ({ ...x, name: `A + T${1 + (i % 7)}`, publicKey: add(x.publicKey, TORSION[1 + (i % 7)]!) }),
    (x) => ({
      ...x,
      name: "R8x + p",
      signature: { R8: [x.signature.R8[0] + P, x.signature.R8[1]], S: x.signature.S },
    }),
    (x) => ({ ...x, name: "Ay + p", publicKey: [x.publicKey[0], x.publicKey[1] + P] }),
    (x) => ({ ...x, name: "message + p", message: x.message + P }),
  ];

  it("verifies every signature with both, and gives the reference's answer for each tampered variant", () => {
    const signed: Case[] = [];
    for (let k = 0; k < KEYS; k++) {
      const privateKey = nextKey();
      const derived = derivePublicKey(privateKey);
      const publicKey = [derived[0], derived[1]] as const;
      for (let j = 0; j < MESSAGES_PER_KEY; j++) {
        const message = random(254) % P;
        const signature = signMessage(privateKey, message);
        signed.push({
          name: `key ${k}, message ${message}`,
          message,
          signature: { R8: [signature.R8[0], signature.R8[1]], S: signature.S },
          publicKey,
        });
      }
    }
    const answers = new Map<string, number[]>();
    for (const [i, x] of signed.entries()) {
      expect(referenceVerify(x.message, x.signature, x.publicKey), x.name).toBe(true);
      expect(verifyEdDSAPoseidon(x.message, x.signature, x.publicKey), x.name).toBe(true);
      // Refused by the reference before any curve arithmetic: cheap, so every signature gets them.
      const R8 = x.signature.R8;
      const S = x.signature.S;
      for (const variant of [
        { ...x, name: "S + l", signature: { R8, S: S + L } },
        { ...x, name: "S ≥ l", signature: { R8, S: L + random(251) } },
        { ...x, name: "R8 off the curve", signature: { R8: [R8[0], R8[1] + 1n] as const, S } },
        { ...x, name: "A off the curve", publicKey: [x.publicKey[0] + 1n, x.publicKey[1]] as const },
      ]) {
        expect(sameAsReference(variant), `${x.name}: ${variant.name}`).toBe(false);
      }
      const variant = costly[i % costly.length]!(x, i, signed);
      const answer = sameAsReference({ ...variant, name: `${x.name}: ${variant.name}` });
      const tally = answers.get(variant.name.replace(/T\d/, "T")) ?? [0, 0];
      tally[answer ? 1 : 0]!++;
      answers.set(variant.name.replace(/T\d/, "T"), tally);
      // Negative values, where the reference does not return or answers by representation.
      expect(verifyEdDSAPoseidon(x.message, { R8, S: S - L }, x.publicKey)).toBe(false);
      expect(verifyEdDSAPoseidon(x.message, { R8: [R8[0] - P, R8[1]], S }, x.publicKey)).toBe(false);
    }
    // Each costly variant was tried 20 times; only the non-canonical encodings of the valid
    // values verify.
    expect(Object.fromEntries(answers)).toEqual({
      "message + 1": [20, 0],
      "S + 1": [20, 0],
      "R8 of another signature": [20, 0],
      "R8 = identity": [20, 0],
      "R8 + T": [20, 0],
      "A swapped": [20, 0],
      "A + T": [20, 0],
      "R8x + p": [0, 20],
      "Ay + p": [0, 20],
      "message + p": [0, 20],
    });
  }, 600_000);
});
