import { derivePublicKey, signMessage } from "@zk-kit/eddsa-poseidon";
import { describeType, fromHex, hashFieldElements, toHex } from "@zkiris/iris-code";
import { DeviceError } from "./errors.js";
import { checkFieldElement } from "./field.js";
import { type DevicePublicKey, deviceIdOf } from "./public-key.js";
import type { EdDSASignature } from "./signature.js";

/** Length of a device private key, in bytes. */
export const PRIVATE_KEY_BYTES = 32;

/** Domain tag of {@link DeviceKey.fromSeed}: the ASCII bytes of `zkiris.device.seed.v1` as a big-endian integer. */
const SEED_TAG = bytesToBigInt(new TextEncoder().encode("zkiris.device.seed.v1"));

/**
 * A capture device's signing key: EdDSA-Poseidon on BabyJubJub, as implemented by
 * `@zk-kit/eddsa-poseidon` (BLAKE-512 key expansion, compatible with circomlibjs and circomlib's
 * `EdDSAPoseidonVerifier`).
 *
 * The private key is 32 bytes. The public key is `A = (s >> 3)·Base8`, where `s` is the first 32
 * bytes of BLAKE-512(privateKey), pruned and read little-endian. The device identifier is
 * `deviceId = Poseidon2(Ax, Ay)`. The private key is held in a private field; `toJSON` and
 * `console.log` show only public data.
 */
export class DeviceKey {
  readonly #privateKey: Uint8Array;
  /** The public key `[Ax, Ay]`. */
  readonly publicKey: DevicePublicKey;
  /** `Poseidon2(Ax, Ay)`: the device's identifier and its leaf in the device registry tree. */
  readonly deviceId: bigint;

  private constructor(privateKey: Uint8Array) {
    this.#privateKey = privateKey;
    const [ax, ay] = derivePublicKey(privateKey);
    this.publicKey = Object.freeze([ax, ay] as const);
    this.deviceId = deviceIdOf(this.publicKey);
  }

  /** A new key from 32 bytes of the platform's cryptographically secure generator (`crypto.getRandomValues`). */
  static generate(): DeviceKey {
    const bytes = new Uint8Array(PRIVATE_KEY_BYTES);
    globalThis.crypto.getRandomValues(bytes);
    return new DeviceKey(bytes);
  }

  /**
   * The key with these private key bytes: a `Uint8Array` of exactly 32 bytes, or a string of exactly
   * 64 hexadecimal digits (an optional `0x` prefix is accepted). The input is copied. Throws
   * `INVALID_PRIVATE_KEY` otherwise.
   */
  static fromPrivateKey(privateKey: Uint8Array | string): DeviceKey {
    let bytes: Uint8Array;
    if (typeof privateKey === "string") {
      const hex = privateKey.startsWith("0x") ? privateKey.slice(2) : privateKey;
      if (hex.length !== 2 * PRIVATE_KEY_BYTES || !/^[0-9a-fA-F]*$/.test(hex)) {
        throw new DeviceError(
          "INVALID_PRIVATE_KEY",
          `Parameter 'privateKey' must be ${PRIVATE_KEY_BYTES} bytes as ${2 * PRIVATE_KEY_BYTES} hexadecimal digits, received a string of ${privateKey.length} characters`,
          { field: "privateKey" },
        );
      }
      bytes = fromHex(hex, "privateKey");
    } else if (privateKey instanceof Uint8Array) {
      if (privateKey.length !== PRIVATE_KEY_BYTES) {
        throw new DeviceError(
          "INVALID_PRIVATE_KEY",
          `Parameter 'privateKey' must be exactly ${PRIVATE_KEY_BYTES} bytes, received ${privateKey.length}`,
          { field: "privateKey" },
        );
      }
      bytes = privateKey.slice();
    } else {
      throw new DeviceError(
        "INVALID_PRIVATE_KEY",
        `Parameter 'privateKey' must be a Uint8Array or a hexadecimal string, received ${describeType(privateKey)}`,
        { field: "privateKey" },
      );
    }
    return new DeviceKey(bytes);
  }

  /**
   * A deterministic key derived from a string, **for tests and demos only**: anyone who knows or
   * guesses the seed has the key. The private key is the 32-byte big-endian encoding of
   * `hashFieldElements([tag, byteLength, ...chunks])`, where `tag` is the ASCII of
   * `zkiris.device.seed.v1` read big-endian, and `chunks` are the UTF-8 bytes of the seed cut into
   * 31-byte pieces, each read big-endian. Throws `INVALID_PARAMETER` for an empty or non-string seed.
   */
  static fromSeed(seed: string): DeviceKey {
    if (typeof seed !== "string" || seed.length === 0) {
      throw new DeviceError(
        "INVALID_PARAMETER",
        `Parameter 'seed' must be a non-empty string, received ${describeType(seed)}`,
        {
          field: "seed",
        },
      );
    }
    const utf8 = new TextEncoder().encode(seed);
    const elements = [SEED_TAG, BigInt(utf8.length)];
    for (let i = 0; i < utf8.length; i += 31) elements.push(bytesToBigInt(utf8.subarray(i, i + 31)));
    let value = hashFieldElements(elements);
    const bytes = new Uint8Array(PRIVATE_KEY_BYTES);
    for (let i = PRIVATE_KEY_BYTES - 1; i >= 0; i--) {
      bytes[i] = Number(value & 0xffn);
      value >>= 8n;
    }
    return new DeviceKey(bytes);
  }

  /** A copy of the 32 private key bytes. Store them encrypted or in a secure element; never log them. */
  exportPrivateKey(): Uint8Array {
    return this.#privateKey.slice();
  }

  /** The private key as 64 lower-case hexadecimal digits (no prefix). Same care as {@link exportPrivateKey}. */
  exportPrivateKeyHex(): string {
    return toHex(this.#privateKey);
  }

  /**
   * Signs a field element `message` with EdDSA-Poseidon. Deterministic: the nonce is derived from
   * the key and the message (BLAKE-512), so the same key and message give the same signature.
   * Throws `INVALID_PARAMETER` unless `message` is a bigint in [0, field order).
   */
  sign(message: bigint): EdDSASignature {
    checkFieldElement(message, "message");
    const { R8, S } = signMessage(this.#privateKey, message);
    return Object.freeze({ R8: Object.freeze([R8[0], R8[1]] as const), S });
  }

  /** Public data only: `{ publicKey: [Ax, Ay], deviceId }` as decimal strings. */
  toJSON(): { publicKey: [string, string]; deviceId: string } {
    return {
      publicKey: [this.publicKey[0].toString(), this.publicKey[1].toString()],
      deviceId: this.deviceId.toString(),
    };
  }

  /** Keeps the private key out of `console.log` and `util.inspect`. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `DeviceKey { deviceId: ${this.deviceId} }`;
  }
}

function bytesToBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const b of bytes) value = (value << 8n) | BigInt(b);
  return value;
}
