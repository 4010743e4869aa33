import { encodeBytes32String } from "ethers/abi";
import { keccak256 } from "ethers/crypto";
import { toBeHex, toBigInt } from "ethers/utils";
import { MatchProofError } from "./errors.js";

/** A Semaphore message or scope as `@semaphore-protocol/proof` `generateProof` takes it. */
export type SemaphoreValue = bigint | number | string | Uint8Array;

/**
 * A message or scope as a bigint, exactly as `@semaphore-protocol/proof` reads it: numbers,
 * bigints, decimal or 0x strings and bytes as their value; any other string as its
 * `encodeBytes32String` (at most 31 bytes of UTF-8). Throws `INVALID_PARAMETER` naming `field`
 * for a value that is none of these or is outside [0, 2^256) (which Semaphore's hash refuses).
 */
export function semaphoreValue(value: SemaphoreValue, field: string): bigint {
  let result: bigint;
  try {
    try {
      result = toBigInt(value);
    } catch (error) {
      if (typeof value === "string") result = toBigInt(encodeBytes32String(value));
      else throw error;
    }
  } catch (cause) {
    throw new MatchProofError(
      "INVALID_PARAMETER",
      `Parameter '${field}' is not a Semaphore message or scope: ${(cause as Error).message}`,
      { field, cause },
    );
  }
  if (result < 0n || result >= 1n << 256n) {
    throw new MatchProofError("INVALID_PARAMETER", `Parameter '${field}' must be in [0, 2^256)`, { field });
  }
  return result;
}

/**
 * Semaphore's hash of a message or scope into the field, as its proofs carry them in public
 * signals: `keccak256(value as 32 bytes) >> 8`. Throws `INVALID_PARAMETER` naming `field` for a
 * value outside [0, 2^256).
 */
export function semaphoreHash(value: bigint, field: string): bigint {
  if (value < 0n || value >= 1n << 256n) {
    throw new MatchProofError("INVALID_PARAMETER", `Parameter '${field}' must fit 32 bytes`, { field });
  }
  return BigInt(keccak256(toBeHex(value, 32))) >> 8n;
}
