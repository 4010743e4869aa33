import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  fromBase64,
  fromBinary,
  fromHex,
  fromJson,
  fromOpenIrisTemplate,
  IrisCode,
  IrisCodeError,
  OPEN_IRIS_GEOMETRY,
  toBase64,
  toBinary,
  toHex,
  toJson,
} from "../src/index.js";
import { codeArb, geometryArb } from "./arbitraries.js";

const g = { rows: 2, cols: 3, bitsPerCell: 2 }; // 12 bits: 2 bytes with 4 padding bits
const sample = IrisCode.fromBits(
  g,
  [1, 0, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1],
  [1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1],
);

function expectCode(fn: () => unknown, code: string, field?: string) {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(IrisCodeError);
    expect((error as IrisCodeError).code).toBe(code);
    if (field !== undefined) expect((error as IrisCodeError).field).toBe(field);
    return error as IrisCodeError;
  }
  throw new Error(`expected an IrisCodeError with code ${code}`);
}

describe("JSON form", () => {
  it("packs bits row-major, bit in cell fastest, MSB first, zero padding", () => {
    expect(toJson(sample)).toEqual({
      version: 1,
      geometry: { rows: 2, cols: 3, bitsPerCell: 2 },
      bits: toBase64(new Uint8Array([0b10110000, 0b11110000])),
      mask: toBase64(new Uint8Array([0b11111100, 0b11110000])),
    });
    expect(toJson(sample).bits).toBe("sPA=");
  });

  it("round-trips any code, as an object and as a string", () => {
    fc.assert(
      fc.property(
        geometryArb.chain((geo) => codeArb(geo)),
        (code) => {
          expect(fromJson(toJson(code)).equals(code)).toBe(true);
          expect(fromJson(JSON.stringify(toJson(code))).equals(code)).toBe(true);
        },
      ),
    );
  });

  it("refuses a wrong version", () => {
    expectCode(() => fromJson({ ...toJson(sample), version: 2 }), "UNSUPPORTED_VERSION", "version");
    expectCode(() => fromJson({ ...toJson(sample), version: "1" }), "UNSUPPORTED_VERSION", "version");
  });

  it("refuses text that is not JSON, and JSON that is not an object", () => {
    expectCode(() => fromJson("{not json"), "MALFORMED_JSON");
    expectCode(() => fromJson("[1,2]"), "MALFORMED_JSON");
    expectCode(() => fromJson(42), "MALFORMED_JSON");
  });

  it("refuses malformed base64, naming the field", () => {
    for (const bad of ["sPA", "sP@=", "s=PA", "sPB=", " sPA=", 17]) {
      const error = expectCode(() => fromJson({ ...toJson(sample), mask: bad }), "MALFORMED_BASE64", "mask");
      expect(error.message).toContain("'mask'");
    }
  });

  it("refuses bits of the wrong length instead of truncating or padding", () => {
    const error = expectCode(
      () => fromJson({ ...toJson(sample), bits: toBase64(new Uint8Array(3)) }),
      "WRONG_LENGTH",
      "bits",
    );
    expect(error.message).toBe("Field 'bits' has 3 bytes; geometry 2x3x2 needs exactly 2");
    expectCode(
      () => fromJson({ ...toJson(sample), mask: toBase64(new Uint8Array(1)) }),
      "WRONG_LENGTH",
      "mask",
    );
  });

  it("refuses set padding bits", () => {
    expectCode(
      () => fromJson({ ...toJson(sample), bits: toBase64(new Uint8Array([0xb0, 0xf1])) }),
      "NONZERO_PADDING",
      "bits",
    );
  });

  it("refuses a malformed geometry, naming the field", () => {
    expectCode(
      () => fromJson({ ...toJson(sample), geometry: { rows: 0, cols: 3, bitsPerCell: 2 } }),
      "INVALID_GEOMETRY",
      "geometry.rows",
    );
    expectCode(
      () => fromJson({ ...toJson(sample), geometry: { rows: 2, cols: 3.5, bitsPerCell: 2 } }),
      "INVALID_GEOMETRY",
      "geometry.cols",
    );
    expectCode(
      () => fromJson({ ...toJson(sample), geometry: { rows: 2, cols: 3 } }),
      "INVALID_GEOMETRY",
      "geometry.bitsPerCell",
    );
    expectCode(() => fromJson({ ...toJson(sample), geometry: null }), "INVALID_GEOMETRY", "geometry");
  });
});

describe("binary form", () => {
  it("has a fixed header, the packed arrays and a CRC-32", () => {
    const bytes = toBinary(sample);
    expect(bytes.length).toBe(10 + 2 * 2 + 4);
    expect(Array.from(bytes.subarray(0, 14))).toEqual([
      0x5a, 0x4b, 0x49, 0x43, 1, 0, 2, 0, 3, 2, 0xb0, 0xf0, 0xfc, 0xf0,
    ]);
  });

  it("round-trips any code", () => {
    fc.assert(
      fc.property(
        geometryArb.chain((geo) => codeArb(geo)),
        (code) => {
          expect(fromBinary(toBinary(code)).equals(code)).toBe(true);
        },
      ),
    );
  });

  it("refuses a truncated buffer", () => {
    const bytes = toBinary(sample);
    expectCode(() => fromBinary(bytes.subarray(0, bytes.length - 1)), "WRONG_LENGTH", "bytes");
    expectCode(() => fromBinary(bytes.subarray(0, 5)), "WRONG_LENGTH", "bytes");
  });

  it("refuses trailing bytes", () => {
    const bytes = toBinary(sample);
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expectCode(() => fromBinary(longer), "WRONG_LENGTH", "bytes");
  });

  it("refuses a wrong magic, a wrong version and a corrupted payload", () => {
    const bytes = toBinary(sample);
    const badMagic = bytes.slice();
    badMagic[0] = 0x00;
    expectCode(() => fromBinary(badMagic), "BAD_MAGIC");
    const badVersion = bytes.slice();
    badVersion[4] = 9;
    expectCode(() => fromBinary(badVersion), "UNSUPPORTED_VERSION", "version");
    const flipped = bytes.slice();
    flipped[11]! ^= 0x10;
    expectCode(() => fromBinary(flipped), "CHECKSUM_MISMATCH");
  });

  it("refuses something that is not bytes", () => {
    expectCode(() => fromBinary("ZKIC"), "INVALID_PARAMETER", "bytes");
  });
});

describe("code construction", () => {
  it("refuses non-binary values, naming the index", () => {
    const error = expectCode(
      () => IrisCode.fromBits(g, [1, 0, 2, 1, 0, 0, 0, 0, 1, 1, 1, 1], new Array(12).fill(1)),
      "NON_BINARY",
      "bits[2]",
    );
    expect(error.message).toBe("Field 'bits[2]' is 2; every bit must be 0 or 1");
    expectCode(
      () => IrisCode.fromBits(g, new Array(12).fill(0), [...new Array(11).fill(1), -1]),
      "NON_BINARY",
      "mask[11]",
    );
    expectCode(
      () =>
        IrisCode.fromBits(g, [true, ...new Array(11).fill(0)] as unknown as number[], new Array(12).fill(1)),
      "NON_BINARY",
    );
  });

  it("refuses a wrong number of values", () => {
    expectCode(
      () => IrisCode.fromBits(g, new Array(11).fill(0), new Array(12).fill(1)),
      "WRONG_LENGTH",
      "bits",
    );
    expectCode(
      () => IrisCode.fromBits(g, new Array(12).fill(0), new Array(13).fill(1)),
      "WRONG_LENGTH",
      "mask",
    );
  });

  it("copies its inputs, so callers cannot mutate a code", () => {
    const bits = new Uint8Array([0xb0, 0xf0]);
    const code = IrisCode.fromPacked(g, bits, new Uint8Array([0xff, 0xf0]));
    bits[0] = 0;
    code.bits[0] = 0;
    expect(code.bits[0]).toBe(0xb0);
  });
});

describe("open-iris import", () => {
  it("maps shape (16, 256, 2, 2) packbits onto geometry 16x256x4", () => {
    // Hand-built: set bit (row 0, col 0, filter 0, real), (row 0, col 1, filter 1, imag),
    // and (row 15, col 255, filter 1, real); flat C-order index = ((r*256 + c)*2 + f)*2 + q.
    const codes = new Uint8Array(2048);
    const masks = new Uint8Array(2048).fill(0xff);
    const set = (r: number, c: number, f: number, q: number) => {
      const i = ((r * 256 + c) * 2 + f) * 2 + q;
      codes[i >> 3]! |= 0x80 >> (i & 7);
    };
    set(0, 0, 0, 0);
    set(0, 1, 1, 1);
    set(15, 255, 1, 0);
    masks[0] = 0b01111111; // (row 0, col 0, filter 0, real) unusable
    const code = fromOpenIrisTemplate({
      iris_codes: toBase64(codes),
      mask_codes: toBase64(masks),
      iris_code_version: "v2.1",
    });
    expect(code.geometry).toEqual(OPEN_IRIS_GEOMETRY);
    expect(code.bitAt(code.indexOf(0, 0, 0))).toBe(1);
    expect(code.bitAt(code.indexOf(0, 1, 3))).toBe(1);
    expect(code.bitAt(code.indexOf(15, 255, 2))).toBe(1);
    expect(code.bitValues().reduce((a, b) => a + b, 0)).toBe(3);
    expect(code.maskAt(code.indexOf(0, 0, 0))).toBe(0);
    expect(code.usableBitCount()).toBe(16 * 256 * 4 - 1);
  });

  it("refuses an open-iris template of the wrong size or encoding", () => {
    expectCode(
      () =>
        fromOpenIrisTemplate({
          iris_codes: toBase64(new Uint8Array(2047)),
          mask_codes: toBase64(new Uint8Array(2048)),
        }),
      "WRONG_LENGTH",
      "bits",
    );
    expectCode(
      () => fromOpenIrisTemplate({ iris_codes: "!!", mask_codes: "" }),
      "MALFORMED_BASE64",
      "iris_codes",
    );
  });
});

describe("base64 and hex", () => {
  it("round-trip any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(fromBase64(toBase64(bytes))).toEqual(bytes);
        expect(fromHex(toHex(bytes))).toEqual(bytes);
        expect(toBase64(bytes)).toBe(Buffer.from(bytes).toString("base64"));
      }),
    );
  });

  it("refuses odd-length or non-hex strings", () => {
    expectCode(() => fromHex("abc"), "MALFORMED_HEX");
    expectCode(() => fromHex("zz"), "MALFORMED_HEX");
  });
});
