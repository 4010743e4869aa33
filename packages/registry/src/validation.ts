import { describeType, SNARK_FIELD_ORDER } from "@zkiris/iris-code";
import { InvalidParameterError } from "./errors.js";

const DECIMAL = /^(0|[1-9][0-9]{0,77})$/;

/**
 * A field element given as a bigint or a canonical decimal string; throws `INVALID_PARAMETER` naming
 * `field` otherwise (or when zero and `nonZero`).
 */
export function fieldElement(value: unknown, field: string, options: { nonZero?: boolean } = {}): bigint {
  let v: bigint;
  if (typeof value === "bigint") v = value;
  else if (typeof value === "string" && DECIMAL.test(value)) v = BigInt(value);
  else {
    throw new InvalidParameterError(
      field,
      `Parameter '${field}' must be a field element (bigint or decimal string), received ${describeType(value)}`,
    );
  }
  if (v < 0n || v >= SNARK_FIELD_ORDER) {
    throw new InvalidParameterError(field, `Parameter '${field}' must be below the BN254 field order`);
  }
  if (options.nonZero && v === 0n)
    throw new InvalidParameterError(field, `Parameter '${field}' must not be zero`);
  return v;
}

const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A group or poll id: 1-64 characters of letters, digits, `.`, `_`, `-`, starting with a letter or digit. */
export function identifier(value: unknown, field: string): string {
  if (typeof value !== "string" || !IDENTIFIER.test(value)) {
    throw new InvalidParameterError(
      field,
      `Parameter '${field}' must be 1-64 characters of [A-Za-z0-9._-] starting with a letter or digit, received ${describeType(value)}`,
    );
  }
  return value;
}

/** An integer in [min, max]. */
export function integer(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidParameterError(
      field,
      `Parameter '${field}' must be an integer between ${min} and ${max}, received ${describeType(value)} ${String(value)}`,
    );
  }
  return value;
}

/** A plain object (not null, not an array). */
export function object(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidParameterError(
      field,
      `Parameter '${field}' must be an object, received ${describeType(value)}`,
    );
  }
  return value as Record<string, unknown>;
}
