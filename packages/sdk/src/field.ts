import { invalidParameter } from "./errors.js";

/** Order of the BN254 scalar field: every field element is below it. */
export const FIELD_ORDER = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

const DECIMAL = /^(0|[1-9][0-9]{0,77})$/;

/**
 * A field element from a bigint or a canonical decimal string (what the server and Semaphore send),
 * or undefined when it is neither or is not below the field order.
 */
export function asFieldElement(value: unknown): bigint | undefined {
  let n: bigint;
  if (typeof value === "bigint") n = value;
  else if (typeof value === "string" && DECIMAL.test(value)) n = BigInt(value);
  else return undefined;
  return n >= 0n && n < FIELD_ORDER ? n : undefined;
}

/** A bigint field element parameter, or `INVALID_PARAMETER` naming the parameter. */
export function fieldParameter(value: unknown, field: string): bigint {
  // Parameters are bigints only (decimal strings are the wire form, read by the response and proof readers).
  const n = typeof value === "bigint" ? asFieldElement(value) : undefined;
  if (n === undefined)
    throw invalidParameter(field, "a field element (a bigint below the BN254 order)", value);
  return n;
}
