import { crc32, fromBase64, toBase64 } from "./encoding.js";
import { describeType, IrisCodeError } from "./errors.js";
import { type CodeGeometry, checkGeometry, OPEN_IRIS_GEOMETRY, packedByteLength } from "./geometry.js";
import { IrisCode } from "./iris-code.js";

/** Version of the JSON and binary wire formats written by this package. */
export const IRIS_CODE_FORMAT_VERSION = 1;

/**
 * The public JSON form of an iris code. Stable: firmware in other languages produces it.
 * `bits` and `mask` are standard base64 of the packed bit arrays (row-major over
 * (row, column, bit-in-cell), bit-in-cell fastest, MSB-first into bytes, zero padding bits).
 */
export interface IrisCodeJson {
  version: 1;
  geometry: { rows: number; cols: number; bitsPerCell: number };
  bits: string;
  mask: string;
}

/** The public JSON form of a code. */
export function toJson(code: IrisCode): IrisCodeJson {
  const g = code.geometry;
  return {
    version: IRIS_CODE_FORMAT_VERSION,
    geometry: { rows: g.rows, cols: g.cols, bitsPerCell: g.bitsPerCell },
    bits: toBase64(code.packedBitsView() as Uint8Array),
    mask: toBase64(code.packedMaskView() as Uint8Array),
  };
}

/**
 * Parses the public JSON form (an object, or a JSON string). Throws `MALFORMED_JSON`,
 * `UNSUPPORTED_VERSION`, `INVALID_GEOMETRY`, `MALFORMED_BASE64`, `WRONG_LENGTH` or
 * `NONZERO_PADDING`, naming the field; never truncates or pads.
 */
export function fromJson(input: unknown): IrisCode {
  let value = input;
  if (typeof input === "string") {
    try {
      value = JSON.parse(input);
    } catch (cause) {
      throw new IrisCodeError("MALFORMED_JSON", "Iris code JSON does not parse", { cause });
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new IrisCodeError(
      "MALFORMED_JSON",
      `Iris code JSON must be an object, received ${describeType(value)}`,
    );
  }
  const obj = value as Record<string, unknown>;
  if (obj.version !== IRIS_CODE_FORMAT_VERSION) {
    throw new IrisCodeError(
      "UNSUPPORTED_VERSION",
      `Field 'version' is ${JSON.stringify(obj.version)}; this reader supports version ${IRIS_CODE_FORMAT_VERSION}`,
      { field: "version" },
    );
  }
  const geometry = checkGeometry(obj.geometry, "geometry");
  const bits = fromBase64(obj.bits, "bits");
  const mask = fromBase64(obj.mask, "mask");
  return IrisCode.fromPacked(geometry, bits, mask);
}

const MAGIC = [0x5a, 0x4b, 0x49, 0x43]; // "ZKIC"
const HEADER_BYTES = 10;
const TRAILER_BYTES = 4;

/**
 * Compact binary form, version 1:
 * `"ZKIC" | version u8 | rows u16 BE | cols u16 BE | bitsPerCell u8 | bits | mask | CRC-32 BE`,
 * the CRC covering everything before it.
 */
export function toBinary(code: IrisCode): Uint8Array {
  const g = code.geometry;
  const n = packedByteLength(g);
  const out = new Uint8Array(HEADER_BYTES + 2 * n + TRAILER_BYTES);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = IRIS_CODE_FORMAT_VERSION;
  view.setUint16(5, g.rows);
  view.setUint16(7, g.cols);
  out[9] = g.bitsPerCell;
  out.set(code.packedBitsView() as Uint8Array, HEADER_BYTES);
  out.set(code.packedMaskView() as Uint8Array, HEADER_BYTES + n);
  view.setUint32(HEADER_BYTES + 2 * n, crc32(out.subarray(0, HEADER_BYTES + 2 * n)));
  return out;
}

/**
 * Parses the binary form. Throws `WRONG_LENGTH` for a truncated or over-long buffer, `BAD_MAGIC`,
 * `UNSUPPORTED_VERSION`, `INVALID_GEOMETRY`, `CHECKSUM_MISMATCH` or `NONZERO_PADDING`.
 */
export function fromBinary(bytes: unknown): IrisCode {
  if (!(bytes instanceof Uint8Array)) {
    throw new IrisCodeError(
      "INVALID_PARAMETER",
      `Parameter 'bytes' is not a Uint8Array, received ${describeType(bytes)}`,
      {
        field: "bytes",
      },
    );
  }
  if (bytes.length < HEADER_BYTES + TRAILER_BYTES) {
    throw new IrisCodeError(
      "WRONG_LENGTH",
      `Binary iris code has ${bytes.length} bytes, shorter than its header`,
      {
        field: "bytes",
      },
    );
  }
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) {
      throw new IrisCodeError("BAD_MAGIC", "Binary iris code does not start with the magic bytes 'ZKIC'", {
        field: "magic",
      });
    }
  }
  if (bytes[4] !== IRIS_CODE_FORMAT_VERSION) {
    throw new IrisCodeError(
      "UNSUPPORTED_VERSION",
      `Binary iris code has version ${bytes[4]}; this reader supports version ${IRIS_CODE_FORMAT_VERSION}`,
      { field: "version" },
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const geometry: CodeGeometry = checkGeometry(
    { rows: view.getUint16(5), cols: view.getUint16(7), bitsPerCell: bytes[9] },
    "geometry",
  );
  const n = packedByteLength(geometry);
  const expected = HEADER_BYTES + 2 * n + TRAILER_BYTES;
  if (bytes.length !== expected) {
    throw new IrisCodeError(
      "WRONG_LENGTH",
      `Binary iris code has ${bytes.length} bytes; its header (${geometry.rows}x${geometry.cols}x${geometry.bitsPerCell}) needs exactly ${expected}`,
      { field: "bytes" },
    );
  }
  const stored = view.getUint32(HEADER_BYTES + 2 * n);
  if (stored !== crc32(bytes.subarray(0, HEADER_BYTES + 2 * n))) {
    throw new IrisCodeError("CHECKSUM_MISMATCH", "Binary iris code is corrupted: its CRC-32 does not match", {
      field: "crc32",
    });
  }
  return IrisCode.fromPacked(
    geometry,
    bytes.slice(HEADER_BYTES, HEADER_BYTES + n),
    bytes.slice(HEADER_BYTES + n, HEADER_BYTES + 2 * n),
  );
}

/** An open-iris (Worldcoin) serialised template: `IrisTemplate.serialize()`. */
export interface OpenIrisTemplateJson {
  iris_codes: string;
  mask_codes: string;
  iris_code_version?: string;
}

/**
 * Imports an open-iris template: base64 of `numpy.packbits` of a boolean array of shape
 * (16, 256, 2, 2) = (row, column, filter, real/imaginary), for codes and masks. The result has
 * geometry 16 × 256 × 4 with bit-in-cell = filter * 2 + (0 real, 1 imaginary).
 */
export function fromOpenIrisTemplate(template: OpenIrisTemplateJson): IrisCode {
  if (typeof template !== "object" || template === null) {
    throw new IrisCodeError(
      "MALFORMED_JSON",
      `open-iris template must be an object, received ${describeType(template)}`,
    );
  }
  const bits = fromBase64(template.iris_codes, "iris_codes");
  const mask = fromBase64(template.mask_codes, "mask_codes");
  return IrisCode.fromPacked(OPEN_IRIS_GEOMETRY, bits, mask);
}
