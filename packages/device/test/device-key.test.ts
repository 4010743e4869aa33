import { inCurve, mulPointEscalar, subOrder } from "@zk-kit/baby-jubjub";
import { SNARK_FIELD_ORDER, ZkirisError } from "@zkiris/iris-code";
import { poseidon2, poseidon3 } from "poseidon-lite";
import { describe, expect, it } from "vitest";
import { DeviceError, DeviceKey, verifyEdDSAPoseidon } from "../src/index.js";

// Published EdDSA-Poseidon vector (circomlibjs, go-iden3-crypto): private key 00 01 .. 09 00 01 ..,
// message = the little-endian integer of the bytes 00 01 02 03 04 05 06 07 08 09 00 00.
const VECTOR_PRIVATE_KEY = "0001020304050607080900010203040506070809000102030405060708090001";
const VECTOR_MESSAGE = 0x0000090807060504030201_00n;
const VECTOR_AX = 13277427435165878497778222415993513565335242147425444199013288855685581939618n;
const VECTOR_AY = 13622229784656158136036771217484571176836296686641868549125388198837476602820n;
const VECTOR_R8X = 11384336176656855268977457483345535180380036354188103142384839473266348197733n;
const VECTOR_R8Y = 15383486972088797283337779941324724402501462225528836549661220478783371668959n;
const VECTOR_S = 1672775540645840396591609181675628451599263765380031905495115170613215233181n;

function refusal(fn: () => unknown): DeviceError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DeviceError);
    expect(error).toBeInstanceOf(ZkirisError);
    return error as DeviceError;
  }
  throw new Error("expected a DeviceError, but nothing was thrown");
}

describe("DeviceKey", () => {
  it("derives the public key and signature of the published circomlib EdDSA-Poseidon vector", () => {
    const key = DeviceKey.fromPrivateKey(VECTOR_PRIVATE_KEY);
    expect(key.publicKey).toEqual([VECTOR_AX, VECTOR_AY]);
    const signature = key.sign(VECTOR_MESSAGE);
    expect(signature.R8).toEqual([VECTOR_R8X, VECTOR_R8Y]);
    expect(signature.S).toBe(VECTOR_S);
    expect(verifyEdDSAPoseidon(VECTOR_MESSAGE, signature, key.publicKey)).toBe(true);
  });

  it("has deviceId = Poseidon2(Ax, Ay)", () => {
    const key = DeviceKey.fromPrivateKey(VECTOR_PRIVATE_KEY);
    expect(key.deviceId).toBe(poseidon2([VECTOR_AX, VECTOR_AY]));
  });

  it("accepts the private key as 32 bytes, as hex, and as 0x-prefixed hex, with identical results", () => {
    const bytes = Uint8Array.from(VECTOR_PRIVATE_KEY.match(/../g)!.map((h) => Number.parseInt(h, 16)));
    const a = DeviceKey.fromPrivateKey(bytes);
    const b = DeviceKey.fromPrivateKey(VECTOR_PRIVATE_KEY.toUpperCase());
    const c = DeviceKey.fromPrivateKey(`0x${VECTOR_PRIVATE_KEY}`);
    expect(a.deviceId).toBe(b.deviceId);
    expect(a.deviceId).toBe(c.deviceId);
    expect(a.exportPrivateKeyHex()).toBe(VECTOR_PRIVATE_KEY);
    expect(a.exportPrivateKey()).toEqual(bytes);
  });

  it("copies the private key bytes it is given and the bytes it exports", () => {
    const bytes = new Uint8Array(32).fill(7);
    const key = DeviceKey.fromPrivateKey(bytes);
    const id = key.deviceId;
    bytes.fill(9);
    key.exportPrivateKey().fill(1);
    expect(key.exportPrivateKeyHex()).toBe("07".repeat(32));
    expect(DeviceKey.fromPrivateKey(key.exportPrivateKey()).deviceId).toBe(id);
  });

  it("refuses a private key of 31 or 33 bytes", () => {
    for (const n of [0, 31, 33]) {
      const e = refusal(() => DeviceKey.fromPrivateKey(new Uint8Array(n)));
      expect(e.code).toBe("INVALID_PRIVATE_KEY");
      expect(e.field).toBe("privateKey");
      expect(e.message).toBe(`Parameter 'privateKey' must be exactly 32 bytes, received ${n}`);
    }
  });

  it("refuses hex private keys of the wrong length or with non-hex digits, and values of other types", () => {
    for (const text of [
      "00".repeat(31),
      "00".repeat(33),
      `${"00".repeat(31)}0g`,
      "0x",
      ` ${"00".repeat(32)}`,
    ]) {
      const e = refusal(() => DeviceKey.fromPrivateKey(text));
      expect(e.code).toBe("INVALID_PRIVATE_KEY");
      expect(e.field).toBe("privateKey");
    }
    const e = refusal(() => DeviceKey.fromPrivateKey(123 as unknown as string));
    expect(e.code).toBe("INVALID_PRIVATE_KEY");
    expect(e.message).toBe(
      "Parameter 'privateKey' must be a Uint8Array or a hexadecimal string, received number",
    );
  });

  it("generates distinct keys whose public keys are in the prime-order subgroup", () => {
    const a = DeviceKey.generate();
    const b = DeviceKey.generate();
    expect(a.exportPrivateKey()).toHaveLength(32);
    expect(a.exportPrivateKeyHex()).not.toBe(b.exportPrivateKeyHex());
    expect(a.deviceId).not.toBe(b.deviceId);
    for (const key of [a, b]) {
      expect(inCurve([key.publicKey[0], key.publicKey[1]])).toBe(true);
      expect(mulPointEscalar([key.publicKey[0], key.publicKey[1]], subOrder)).toEqual([0n, 1n]);
    }
  });

  it("derives the same key from the same seed and different keys from different seeds", () => {
    const a = DeviceKey.fromSeed("device-a");
    expect(DeviceKey.fromSeed("device-a").exportPrivateKeyHex()).toBe(a.exportPrivateKeyHex());
    expect(DeviceKey.fromSeed("device-b").deviceId).not.toBe(a.deviceId);
    // Seeds of more than 31 UTF-8 bytes are hashed in several chunks, and their length counts.
    const long = "é".repeat(40);
    expect(DeviceKey.fromSeed(long).deviceId).not.toBe(DeviceKey.fromSeed(`${long}\u0000`).deviceId);
  });

  it("derives the seed key as the big-endian bytes of Poseidon3(tag, byteLength, seed bytes)", () => {
    const be = (bytes: Uint8Array): bigint => bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
    const seed = "zkiris-readme-device";
    const tag = be(new TextEncoder().encode("zkiris.device.seed.v1"));
    const expected = poseidon3([tag, 20n, be(new TextEncoder().encode(seed))]);
    expect(DeviceKey.fromSeed(seed).exportPrivateKeyHex()).toBe(expected.toString(16).padStart(64, "0"));
  });

  it("refuses an empty seed", () => {
    const e = refusal(() => DeviceKey.fromSeed(""));
    expect(e.code).toBe("INVALID_PARAMETER");
    expect(e.field).toBe("seed");
  });

  it("signs deterministically, and each signature verifies only for its own message and key", () => {
    const key = DeviceKey.fromSeed("signer");
    const other = DeviceKey.fromSeed("other");
    const s1 = key.sign(42n);
    expect(key.sign(42n)).toEqual(s1);
    expect(verifyEdDSAPoseidon(42n, s1, key.publicKey)).toBe(true);
    expect(verifyEdDSAPoseidon(43n, s1, key.publicKey)).toBe(false);
    expect(verifyEdDSAPoseidon(42n, s1, other.publicKey)).toBe(false);
    expect(verifyEdDSAPoseidon(42n, { R8: s1.R8, S: s1.S + 1n }, key.publicKey)).toBe(false);
  });

  it("rejects R8 or a public key off the curve, and the same S written non-canonically as S + l", () => {
    const key = DeviceKey.fromSeed("signer");
    const s = key.sign(42n);
    expect(verifyEdDSAPoseidon(42n, { R8: [1n, 2n], S: s.S }, key.publicKey)).toBe(false);
    expect(verifyEdDSAPoseidon(42n, s, [key.publicKey[0], key.publicKey[1] + 1n])).toBe(false);
    // S + l gives the same point S·B8, so only the range check refuses it.
    expect(verifyEdDSAPoseidon(42n, { R8: s.R8, S: s.S + subOrder }, key.publicKey)).toBe(false);
  });

  it("refuses to sign a message that is not a field element", () => {
    const key = DeviceKey.fromSeed("signer");
    for (const m of [-1n, SNARK_FIELD_ORDER, 5 as unknown as bigint]) {
      const e = refusal(() => key.sign(m));
      expect(e.code).toBe("INVALID_PARAMETER");
      expect(e.field).toBe("message");
    }
  });

  it("keeps the private key out of JSON and console output", () => {
    const key = DeviceKey.fromSeed("secret-holder");
    const hex = key.exportPrivateKeyHex();
    const json = JSON.stringify(key);
    expect(json).toBe(
      JSON.stringify({
        publicKey: [key.publicKey[0].toString(), key.publicKey[1].toString()],
        deviceId: key.deviceId.toString(),
      }),
    );
    expect(json).not.toContain(hex);
    // biome-ignore lint/suspicious/noExplicitAny: calling the inspect hook directly
    expect((key as any)[Symbol.for("nodejs.util.inspect.custom")]()).toBe(
      `DeviceKey { deviceId: ${key.deviceId} }`,
    );
  });
});
