import { describeType, SNARK_FIELD_ORDER } from "@zkiris/iris-code";
import { DeviceError } from "./errors.js";

const CANONICAL_DECIMAL = /^(0|[1-9][0-9]*)$/;

/** More digits than any value below 2^256 has; longer strings are refused before parsing. */
const MAX_DECIMAL_DIGITS = 78;

/**
 * Parses a canonical unsigned decimal string (no sign, no leading zeros, no spaces, no exponent)
 * into a bigint below `bound`. Throws `MALFORMED_PACKET` naming `field` otherwise.
 */
export function parseDecimal(value: unknown, field: string, bound: bigint = SNARK_FIELD_ORDER): bigint {
  if (typeof value !== "string") {
    throw new DeviceError(
      "MALFORMED_PACKET",
      `Field '${field}' must be a decimal string, received ${describeType(value)}`,
      { field },
    );
  }
  if (value.length > MAX_DECIMAL_DIGITS || !CANONICAL_DECIMAL.test(value)) {
    throw new DeviceError(
      "MALFORMED_PACKET",
      `Field '${field}' must be a canonical unsigned decimal string (digits only, no leading zeros), received ${JSON.stringify(value.length > 90 ? `${value.slice(0, 90)}...` : value)}`,
      { field },
    );
  }
  const parsed = BigInt(value);
  if (parsed >= bound) {
    throw new DeviceError("MALFORMED_PACKET", `Field '${field}' must be below ${bound}, received ${value}`, {
      field,
    });
  }
  return parsed;
}

/** Checks that a parameter is a bigint field element in [0, SNARK_FIELD_ORDER); throws `INVALID_PARAMETER`. */
export function checkFieldElement(value: unknown, field: string): bigint {
  if (typeof value !== "bigint") {
    throw new DeviceError(
      "INVALID_PARAMETER",
      `Parameter '${field}' is not a bigint, received ${describeType(value)}`,
      {
        field,
      },
    );
  }
  if (value < 0n || value >= SNARK_FIELD_ORDER) {
    throw new DeviceError(
      "INVALID_PARAMETER",
      `Parameter '${field}' must be a field element in [0, field order)`,
      {
        field,
      },
    );
  }
  return value;
}
