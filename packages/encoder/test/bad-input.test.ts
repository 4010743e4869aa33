import { encodeGreyPng } from "@zkiris/mock-capture";
import fc from "fast-check";
import jpeg from "jpeg-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  decodeImage,
  type GreyImage,
  ImageDecodeError,
  type ImageDecodeErrorCode,
  type ImageInput,
  IrisEncoder,
  type QualityGate,
  QualityGateError,
} from "../src/index.js";
import {
  assemblePng,
  concatBytes,
  drawEye,
  fixPngCrcs,
  ihdrData,
  jpegSegment,
  makeBmp,
  makeBmpFile,
  makeJpeg,
  makePng,
  type PngHeader,
  pattern,
  pngChunk,
  pngChunks,
} from "./helpers.js";

const W = 40;
const H = 36;
const grey = pattern(W, H);
const png = encodeGreyPng(grey, W, H);
const jpg = makeJpeg(W, H, grey);
const bmp8 = makeBmp(W, H, grey, 8);
const bmp24 = makeBmp(W, H, grey, 24);
const bmp32 = makeBmp(W, H, grey, 32);

let encoder: IrisEncoder;
beforeAll(async () => {
  encoder = await IrisEncoder.create({ backend: "wasm" });
});
afterAll(() => encoder.close());

/** Decodes `input` and returns its ImageDecodeError; fails on success and rethrows any other error. */
function decodeRefusal(input: ImageInput): ImageDecodeError {
  try {
    decodeImage(input);
  } catch (error) {
    if (!(error instanceof ImageDecodeError)) throw error;
    return error;
  }
  throw new Error("expected decodeImage to refuse the input");
}

/** A copy of `bytes` with `edit` applied to it and its DataView. */
function edited(bytes: Uint8Array, edit: (b: Uint8Array, v: DataView) => void): Uint8Array {
  const out = bytes.slice();
  edit(out, new DataView(out.buffer));
  return out;
}

const xor = (b: Uint8Array, at: number, mask: number) => {
  b[at] = b[at]! ^ mask;
};
const ihdr = (h: Partial<PngHeader>) => ({ width: W, height: H, bitDepth: 8, colourType: 0, ...h });
/** Grey 8-bit filtered scanlines for `width x height`. */
const greyRaw = (width: number, height: number) => {
  const raw = new Uint8Array(height * (width + 1));
  for (let y = 0; y < height; y++)
    raw.set(grey.subarray(0, Math.min(width, grey.length)), y * (width + 1) + 1);
  return raw;
};
/** A PNG whose IHDR fields are replaced (CRC fixed), pixel data unchanged. */
const pngWithHeader = (h: Partial<PngHeader>) =>
  edited(png, (b) => {
    b.set(ihdrData(ihdr(h)), 16);
    fixPngCrcs(b);
  });
const idat = pngChunks(png).find((c) => c.type === "IDAT")!;
const sof = jpegSegment(jpg, 0xc0);
const sos = jpg.findIndex((b, i) => b === 0xff && jpg[i + 1] === 0xda);

interface Refusal {
  name: string;
  input: () => Uint8Array;
  code: ImageDecodeErrorCode;
  /** How the message starts. */
  message: string;
  /** Default "image". */
  field?: string;
}

const REFUSALS: Refusal[] = [
  // PNG
  {
    name: "a PNG whose signature went through a text-mode line-ending conversion",
    input: () => concatBytes(png.subarray(0, 4), png.subarray(5)),
    code: "CORRUPT_IMAGE",
    message: "PNG signature is damaged (was the file converted as text?)",
  },
  {
    name: "a PNG with a flipped width byte in IHDR",
    input: () => edited(png, (b) => xor(b, 17, 0x40)),
    code: "CORRUPT_IMAGE",
    message: "PNG IHDR chunk fails its CRC check",
  },
  {
    name: "a PNG that does not start with IHDR",
    input: () => edited(png, (b) => b.set([0x49, 0x44, 0x41, 0x54], 12)),
    code: "CORRUPT_IMAGE",
    message: "PNG file does not start with a 13-byte IHDR chunk",
  },
  {
    name: "a PNG with a flipped byte in its pixel data",
    input: () => edited(png, (b) => xor(b, idat.at + 28, 0x01)),
    code: "CORRUPT_IMAGE",
    message: "PNG IDAT chunk at byte 33 fails its CRC check",
  },
  {
    name: "a PNG with a damaged zlib header and a recomputed CRC",
    input: () => fixPngCrcs(edited(png, (b) => xor(b, idat.at + 8, 0xff))),
    code: "CORRUPT_IMAGE",
    message: "PNG pixel data does not inflate: incorrect header check",
  },
  {
    name: "a PNG with a damaged zlib checksum and a recomputed CRC",
    input: () => fixPngCrcs(edited(png, (b) => xor(b, idat.at + 7 + idat.length, 0xff))),
    code: "CORRUPT_IMAGE",
    message: "PNG pixel data does not inflate: incorrect data check",
  },
  {
    name: "a PNG of colour type 5",
    input: () => pngWithHeader({ colourType: 5 }),
    code: "CORRUPT_IMAGE",
    message: "PNG colour type 5 does not exist (0, 2, 3, 4 or 6)",
  },
  {
    name: "a 4-bit RGB PNG",
    input: () => pngWithHeader({ colourType: 2, bitDepth: 4 }),
    code: "CORRUPT_IMAGE",
    message: "PNG colour type 2 cannot have bit depth 4 (8, 16)",
  },
  {
    name: "a PNG with interlace method 2",
    input: () => pngWithHeader({ interlace: 2 }),
    code: "CORRUPT_IMAGE",
    message: "PNG IHDR names unknown compression (0), filter (0) or interlace (2) methods",
  },
  {
    name: "a PNG whose IDAT length claims 4 GB",
    input: () => edited(png, (_, v) => v.setUint32(idat.at, 0xfffffff0)),
    code: "CORRUPT_IMAGE",
    message: "PNG IDAT chunk at byte 33 claims 4294967280 bytes (at most 2^31-1)",
  },
  {
    name: "a PNG whose IDAT length runs past the end of the file",
    input: () => edited(png, (_, v) => v.setUint32(idat.at, 0x10000)),
    code: "TRUNCATED_IMAGE",
    message: "PNG file ends inside its IDAT chunk at byte 33 (65536 data bytes declared)",
  },
  {
    name: "a PNG without an IDAT chunk",
    input: () => concatBytes(png.subarray(0, 33), pngChunk("IEND", new Uint8Array(0))),
    code: "CORRUPT_IMAGE",
    message: "PNG file has no IDAT (pixel data) chunk",
  },
  {
    name: "a PNG with a second IHDR chunk",
    input: () => concatBytes(png.subarray(0, 33), png.subarray(8)),
    code: "CORRUPT_IMAGE",
    message: "PNG file has a second IHDR chunk at byte 33",
  },
  {
    name: "a palette PNG without a PLTE chunk",
    input: () => assemblePng(ihdr({ colourType: 3 }), greyRaw(W, H)),
    code: "CORRUPT_IMAGE",
    message: "Palette PNG file has no PLTE chunk",
  },
  {
    name: "a palette PNG with pixels beyond its four-colour palette",
    input: () =>
      assemblePng(ihdr({ colourType: 3 }), greyRaw(W, H), [pngChunk("PLTE", new Uint8Array(12).fill(90))]),
    code: "CORRUPT_IMAGE",
    message: "PNG file is corrupt: index 7 not in palette",
  },
  {
    name: "a PNG with an unknown critical chunk",
    input: () => assemblePng(ihdr({}), greyRaw(W, H), [pngChunk("ZKIR", new Uint8Array(3))]),
    code: "UNSUPPORTED_FORMAT",
    message: "PNG critical chunk ZKIR at byte 33 is not supported",
  },
  {
    name: "a PNG with a chunk type that is not four letters",
    input: () => assemblePng(ihdr({}), greyRaw(W, H), [pngChunk("zk1r", new Uint8Array(3))]),
    code: "CORRUPT_IMAGE",
    message: "PNG chunk at byte 33 has an invalid type 7a 6b 31 72",
  },
  {
    name: "a PNG with an unknown row filter type",
    input: () =>
      assemblePng(
        ihdr({}),
        edited(greyRaw(W, H), (b) => (b[(W + 1) * 3] = 9)),
      ),
    code: "CORRUPT_IMAGE",
    message: "PNG file is corrupt: Unrecognised filter type - 9",
  },
  {
    name: "a PNG whose header claims twice its rows",
    input: () => pngWithHeader({ height: 2 * H }),
    code: "TRUNCATED_IMAGE",
    message: `PNG pixel data inflates to ${H * (W + 1)} bytes; a ${W}x${2 * H} image needs ${2 * H * (W + 1)}`,
  },
  {
    name: "a PNG whose header claims half its rows",
    input: () => assemblePng(ihdr({ width: 64, height: 32 }), greyRaw(64, 64)),
    code: "CORRUPT_IMAGE",
    message: "PNG pixel data inflates to more than the 2080 bytes a 64x32 image needs",
  },
  {
    name: "a 64x64 PNG whose pixel data inflates to 16 MB",
    input: () => assemblePng(ihdr({ width: 64, height: 64 }), new Uint8Array(16 << 20)),
    code: "CORRUPT_IMAGE",
    message: "PNG pixel data inflates to more than the 4160 bytes a 64x64 image needs",
  },
  {
    name: "an interlaced 64x64 PNG whose pixel data inflates to 16 MB",
    input: () => assemblePng(ihdr({ width: 64, height: 64, interlace: 1 }), new Uint8Array(16 << 20)),
    code: "CORRUPT_IMAGE",
    message: "PNG pixel data inflates to more than the 4216 bytes a 64x64 image needs",
  },
  {
    name: "a PNG declaring 8192x2048 pixels in 1.4 kB",
    input: () => pngWithHeader({ width: 8192, height: 2048 }),
    code: "TRUNCATED_IMAGE",
    message: `PNG pixel data has ${idat.length} compressed bytes; a 8192x2048 image needs at least 16244`,
  },
  {
    name: "a PNG declaring 100000x100000 pixels",
    input: () => pngWithHeader({ width: 100_000, height: 100_000 }),
    code: "INVALID_DIMENSIONS",
    message: "PNG image is 100000x100000, larger than the limit (8192 per side, 16777216 pixels)",
    field: "image.width",
  },
  {
    name: "a PNG declaring 4096x4097 pixels, over the pixel limit",
    input: () => pngWithHeader({ width: 4096, height: 4097 }),
    code: "INVALID_DIMENSIONS",
    message: "PNG image is 4096x4097, larger than the limit (8192 per side, 16777216 pixels)",
    field: "image.height",
  },
  {
    name: "a PNG declaring a width of 2^32-1",
    input: () => pngWithHeader({ width: 0xffffffff }),
    code: "INVALID_DIMENSIONS",
    message: `PNG image is 4294967295x${H}, larger than the limit (8192 per side, 16777216 pixels)`,
    field: "image.width",
  },
  {
    name: "a PNG declaring zero rows",
    input: () => pngWithHeader({ height: 0 }),
    code: "INVALID_DIMENSIONS",
    message: `PNG image has invalid size ${W}x0`,
    field: "image.height",
  },
  {
    name: "a 16x16 PNG",
    input: () => encodeGreyPng(new Uint8Array(256), 16, 16),
    code: "INVALID_DIMENSIONS",
    message: "PNG image is 16x16, smaller than the minimum 32x32",
    field: "image.width",
  },
  // JPEG
  {
    name: "a JPEG with a zero where its first marker should start",
    input: () => edited(jpg, (b) => (b[2] = 0x00)),
    code: "CORRUPT_IMAGE",
    message: "JPEG file has byte 0 at 2 where a marker should start",
  },
  {
    name: "a JPEG with a stray FF00 marker",
    input: () => edited(jpg, (b) => (b[3] = 0x00)),
    code: "CORRUPT_IMAGE",
    message: "JPEG file has a stray FF00 marker at byte 2",
  },
  {
    name: "a JPEG with a segment of length 1",
    input: () => edited(jpg, (b) => b.set([0, 1], 4)),
    code: "CORRUPT_IMAGE",
    message: "JPEG APP0 segment at byte 2 has impossible length 1",
  },
  {
    name: "a JPEG whose first segment runs past the end of the file",
    input: () => edited(jpg, (b) => b.set([0xff, 0xf0], 4)),
    code: "TRUNCATED_IMAGE",
    message: "JPEG file ends inside its APP0 segment at byte 2",
  },
  {
    name: "a lossless (SOF3) JPEG",
    input: () => edited(jpg, (b) => (b[sof + 1] = 0xc3)),
    code: "UNSUPPORTED_FORMAT",
    message:
      "SOF3 JPEG (lossless, hierarchical or arithmetic-coded) is not supported; only baseline, extended and progressive Huffman",
  },
  {
    name: "an arithmetic-coded (SOF9) JPEG",
    input: () => edited(jpg, (b) => (b[sof + 1] = 0xc9)),
    code: "UNSUPPORTED_FORMAT",
    message:
      "SOF9 JPEG (lossless, hierarchical or arithmetic-coded) is not supported; only baseline, extended and progressive Huffman",
  },
  {
    name: "a 12-bit JPEG",
    input: () => edited(jpg, (b) => (b[sof + 4] = 12)),
    code: "UNSUPPORTED_FORMAT",
    message: "12-bit JPEG samples are not supported (only 8)",
  },
  {
    name: "a JPEG whose frame header lies about its component count",
    input: () => edited(jpg, (b) => (b[sof + 9] = 2)),
    code: "CORRUPT_IMAGE",
    message: `JPEG frame header at byte ${sof} has 15 bytes; 2 components need 12`,
  },
  {
    name: "a JPEG with sampling factor 0",
    input: () => edited(jpg, (b) => (b[sof + 11] = 0x01)),
    code: "CORRUPT_IMAGE",
    message: "JPEG component 1 has sampling factors 0x1; each must be 1 to 4",
  },
  {
    name: "a JPEG naming quantisation table 7",
    input: () => edited(jpg, (b) => (b[sof + 12] = 7)),
    code: "CORRUPT_IMAGE",
    message: "JPEG component 1 names quantisation table 7; at most 3",
  },
  {
    name: "a JPEG using a quantisation table it never defines",
    input: () => edited(jpg, (b) => (b[sof + 12] = 3)),
    code: "CORRUPT_IMAGE",
    message: "JPEG component 1 uses quantisation table 3, which the file never defines",
  },
  {
    name: "a JPEG listing a component twice",
    input: () => edited(jpg, (b) => (b[sof + 13] = b[sof + 10]!)),
    code: "CORRUPT_IMAGE",
    message: "JPEG frame header lists component 1 twice",
  },
  {
    name: "a JPEG whose scan names a component its frame lacks",
    input: () => edited(jpg, (b) => (b[sos + 5] = 9)),
    code: "CORRUPT_IMAGE",
    message: `JPEG scan at byte ${sos} refers to component 9, which its frame does not have`,
  },
  {
    name: "a JPEG whose scan uses an undefined Huffman table",
    input: () => edited(jpg, (b) => (b[sos + 6] = 0x33)),
    code: "CORRUPT_IMAGE",
    message: `JPEG scan at byte ${sos} uses a Huffman table the file has not defined`,
  },
  {
    name: "a JPEG whose frame header was overwritten by an APP segment",
    input: () => edited(jpg, (b) => (b[sof + 1] = 0xe5)),
    code: "CORRUPT_IMAGE",
    message: `JPEG scan (SOS) at byte ${sos} comes before its frame header (SOF)`,
  },
  {
    name: "a JPEG with two frame headers",
    input: () => concatBytes(jpg.subarray(0, sos), jpg.subarray(sof, sof + 19), jpg.subarray(sos)),
    code: "CORRUPT_IMAGE",
    message: `JPEG file has a second frame header (SOF0) at byte ${sos}`,
  },
  {
    name: "a JPEG without a scan",
    input: () => concatBytes(jpg.subarray(0, sos), Uint8Array.of(0xff, 0xd9)),
    code: "CORRUPT_IMAGE",
    message: "JPEG file has no scan (SOS)",
  },
  {
    name: "a JPEG declaring 8000x2000 pixels in a few hundred bytes of scan",
    input: () => edited(jpg, (b) => b.set([0x07, 0xd0, 0x1f, 0x40], sof + 5)),
    code: "TRUNCATED_IMAGE",
    message: "JPEG scan data has",
  },
  {
    name: "a JPEG declaring 65535x65535 pixels",
    input: () => edited(jpg, (b) => b.set([0xff, 0xff, 0xff, 0xff], sof + 5)),
    code: "INVALID_DIMENSIONS",
    message: "JPEG image is 65535x65535, larger than the limit (8192 per side, 16777216 pixels)",
    field: "image.width",
  },
  {
    name: "a JPEG declaring zero columns",
    input: () => edited(jpg, (b) => b.set([0, 0], sof + 7)),
    code: "INVALID_DIMENSIONS",
    message: `JPEG image has invalid size 0x${H}`,
    field: "image.width",
  },
  {
    name: "a 16x16 JPEG",
    input: () => makeJpeg(16, 16, new Uint8Array(256)),
    code: "INVALID_DIMENSIONS",
    message: "JPEG image is 16x16, smaller than the minimum 32x32",
    field: "image.width",
  },
  // BMP
  {
    name: "a BMP with an OS/2 (12-byte) header",
    input: () => edited(bmp24, (_, v) => v.setUint32(14, 12, true)),
    code: "UNSUPPORTED_FORMAT",
    message: "BMP header of 12 bytes is not supported (only Windows BMP v3-v5)",
  },
  {
    name: "a BMP whose header size claims 4 GB",
    input: () => edited(bmp24, (_, v) => v.setUint32(14, 0xffffffff, true)),
    code: "UNSUPPORTED_FORMAT",
    message: "BMP header of 4294967295 bytes is not supported (only Windows BMP v3-v5)",
  },
  {
    name: "a BMP with a v5 header cut short",
    input: () => edited(bmp24.subarray(0, 100), (_, v) => v.setUint32(14, 124, true)),
    code: "TRUNCATED_IMAGE",
    message: "BMP file has 100 bytes, shorter than its headers",
  },
  {
    name: "a BMP with three colour planes",
    input: () => edited(bmp24, (_, v) => v.setUint16(26, 3, true)),
    code: "CORRUPT_IMAGE",
    message: "BMP file has 3 colour planes; must be 1",
  },
  {
    name: "a 16-bit BMP",
    input: () => edited(bmp24, (_, v) => v.setUint16(28, 16, true)),
    code: "UNSUPPORTED_FORMAT",
    message: "BMP with 16 bits per pixel is not supported (only 8, 24, 32)",
  },
  {
    name: "a 4-bit RLE BMP",
    input: () =>
      edited(bmp8, (_, v) => {
        v.setUint16(28, 4, true);
        v.setUint32(30, 2, true);
      }),
    code: "UNSUPPORTED_FORMAT",
    message: "BMP with 4 bits per pixel is not supported (only 8, 24, 32)",
  },
  {
    name: "an 8-bit RLE BMP",
    input: () => edited(bmp8, (_, v) => v.setUint32(30, 1, true)),
    code: "UNSUPPORTED_FORMAT",
    message: "Compressed BMP (compression 1, RLE) is not supported for 8-bit pixels",
  },
  {
    name: "a 24-bit BMP claiming bit fields",
    input: () => edited(bmp24, (_, v) => v.setUint32(30, 3, true)),
    code: "UNSUPPORTED_FORMAT",
    message: "Compressed BMP (compression 3, bit fields) is not supported for 24-bit pixels",
  },
  {
    name: "a BMP holding a JPEG (compression 4)",
    input: () => edited(bmp24, (_, v) => v.setUint32(30, 4, true)),
    code: "UNSUPPORTED_FORMAT",
    message: "Compressed BMP (compression 4, unknown) is not supported for 24-bit pixels",
  },
  {
    name: "a 32-bit BMP with RGBA-ordered bit fields",
    input: () =>
      makeBmpFile({
        width: W,
        height: H,
        grey,
        bpp: 32,
        headerSize: 108,
        bitFields: [0xff, 0xff00, 0xff0000],
      }),
    code: "UNSUPPORTED_FORMAT",
    message: "BMP bit-field masks 0xff, 0xff00, 0xff0000 are not supported (only 8-bit BGRX)",
  },
  {
    name: "a BMP declaring a width of 100000",
    input: () => edited(bmp24, (_, v) => v.setInt32(18, 100_000, true)),
    code: "INVALID_DIMENSIONS",
    message: `BMP image is 100000x${H}, larger than the limit (8192 per side, 16777216 pixels)`,
    field: "image.width",
  },
  {
    name: "a BMP declaring a negative width",
    input: () => edited(bmp24, (_, v) => v.setInt32(18, -W, true)),
    code: "INVALID_DIMENSIONS",
    message: `BMP image has invalid size -${W}x${H}`,
    field: "image.width",
  },
  {
    name: "a BMP declaring a height of -2^31",
    input: () => edited(bmp24, (_, v) => v.setInt32(22, -(2 ** 31), true)),
    code: "INVALID_DIMENSIONS",
    message: `BMP image is ${W}x2147483648, larger than the limit (8192 per side, 16777216 pixels)`,
    field: "image.height",
  },
  {
    name: "a BMP declaring 8000x2000 pixels in 4 kB",
    input: () =>
      edited(bmp24, (_, v) => {
        v.setInt32(18, 8000, true);
        v.setInt32(22, 2000, true);
      }),
    code: "TRUNCATED_IMAGE",
    message: `BMP file has ${bmp24.length} bytes; its 8000x2000 pixels at offset 54 need 48000054`,
  },
  {
    name: "a BMP whose pixel offset points into its headers",
    input: () => edited(bmp24, (_, v) => v.setUint32(10, 20, true)),
    code: "CORRUPT_IMAGE",
    message: "BMP pixel data offset 20 overlaps its headers and palette (54 bytes)",
  },
  {
    name: "an 8-bit BMP whose pixel offset points into its palette",
    input: () => edited(bmp8, (_, v) => v.setUint32(10, 600, true)),
    code: "CORRUPT_IMAGE",
    message: "BMP pixel data offset 600 overlaps its headers and palette (1078 bytes)",
  },
  {
    name: "a BMP whose pixel offset lies beyond the file",
    input: () => edited(bmp24, (_, v) => v.setUint32(10, 0xffffff00, true)),
    code: "TRUNCATED_IMAGE",
    message: `BMP file has ${bmp24.length} bytes; its ${W}x${H} pixels at offset 4294967040 need`,
  },
  {
    name: "an 8-bit BMP claiming 300 palette colours",
    input: () => edited(bmp8, (_, v) => v.setUint32(46, 300, true)),
    code: "CORRUPT_IMAGE",
    message: "BMP palette claims 300 colours; 8-bit allows 256",
  },
  {
    name: "an 8-bit BMP with pixels beyond its 16-colour palette",
    input: () => makeBmpFile({ width: W, height: H, grey, bpp: 8, colours: 16 }),
    code: "CORRUPT_IMAGE",
    message: "BMP pixel (3, 0) uses colour 21, beyond its 16-colour palette",
  },
  {
    name: "a 16x16 BMP",
    input: () => makeBmp(16, 16, new Uint8Array(256), 24),
    code: "INVALID_DIMENSIONS",
    message: "BMP image is 16x16, smaller than the minimum 32x32",
    field: "image.width",
  },
  // Not an image
  {
    name: "a GIF",
    input: () => new TextEncoder().encode("GIF89a\x28\x00\x24\x00"),
    code: "UNSUPPORTED_FORMAT",
    message: "Parameter 'image' is not a PNG, JPEG or BMP file (first bytes 47 49 46 38)",
  },
  {
    name: "an empty file",
    input: () => new Uint8Array(0),
    code: "UNSUPPORTED_FORMAT",
    message: "Parameter 'image' is not a PNG, JPEG or BMP file (first bytes none: the input is empty)",
  },
];

describe("bad image files", () => {
  it.each(REFUSALS)("refuses $name with $code", async ({ input, code, message, field }) => {
    const bytes = input();
    const e = decodeRefusal(bytes);
    expect(e.code).toBe(code);
    expect(e.field).toBe(field ?? "image");
    expect(e.message.startsWith(message)).toBe(true);
    const rejection = await encoder.encode(bytes).catch((error: unknown) => error);
    expect(rejection).toBeInstanceOf(ImageDecodeError);
    expect((rejection as ImageDecodeError).code).toBe(code);
  });

  const truncatable = { png, jpg, bmp8, bmp24, bmp32 };
  /** Shortest prefix that still carries the whole magic number of each format. */
  const magic = { png: 4, jpg: 2, bmp8: 2, bmp24: 2, bmp32: 2 };
  it.each(Object.keys(truncatable) as (keyof typeof truncatable)[])(
    "refuses the %s file cut at every offset with TRUNCATED_IMAGE, or UNSUPPORTED_FORMAT before its magic number",
    (name) => {
      const whole = truncatable[name];
      for (let cut = 0; cut < whole.length; cut++) {
        const e = decodeRefusal(whole.subarray(0, cut));
        expect([cut, e.code]).toEqual([cut, cut < magic[name] ? "UNSUPPORTED_FORMAT" : "TRUNCATED_IMAGE"]);
      }
    },
  );

  it("refuses a truncated file passed to the encoder with TRUNCATED_IMAGE", async () => {
    for (const whole of Object.values(truncatable)) {
      await expect(encoder.encode(whole.subarray(0, whole.length - 3))).rejects.toMatchObject({
        code: "TRUNCATED_IMAGE",
      });
    }
  });

  it("refuses raw frames and limits that are not what they claim", () => {
    expect(decodeRefusal({ width: 2 ** 31, height: 2 ** 31, data: new Uint8Array(0) }).message).toBe(
      "Raw frame is 2147483648x2147483648, larger than the limit (8192 per side, 16777216 pixels)",
    );
    expect(decodeRefusal({ width: Number.NaN, height: H, data: grey }).message).toBe(
      `Raw frame has invalid size NaNx${H}`,
    );
    expect(decodeRefusal({ width: "40", height: H, data: grey } as never).code).toBe("INVALID_DIMENSIONS");
    expect(decodeRefusal(new Uint16Array(8) as never).code).toBe("INVALID_PARAMETER");
    const limit = (limits: object) => {
      try {
        decodeImage(png, limits);
      } catch (error) {
        return error as ImageDecodeError;
      }
      throw new Error("expected a refusal");
    };
    expect(limit({ maxPixels: 0 }).message).toBe(
      "Parameter 'limits.maxPixels' must be a positive integer, received 0",
    );
    expect(limit({ maxDimension: 1.5 }).field).toBe("limits.maxDimension");
    expect(limit({ minDimension: "32" }).message).toBe(
      "Parameter 'limits.minDimension' must be a positive integer, received string",
    );
    expect(limit({ minDimension: 100, maxDimension: 50 }).message).toBe(
      "Parameter 'limits.minDimension' (100) is larger than 'limits.maxDimension' (50)",
    );
    expect(limit({ maxPixels: 1000 }).code).toBe("INVALID_DIMENSIONS");
    // An explicit undefined keeps the default instead of disabling the limit.
    expect(decodeImage(png, { maxPixels: undefined }).width).toBe(W);
  });
});

describe("colour and high-bit-depth images", () => {
  const n = W * H;
  const luma = (r: number, g: number, b: number) => Math.round((299 * r + 587 * g + 114 * b) / 1000);
  const rgb = (i: number) => [grey[i]!, (grey[i]! * 3) & 0xff, 255 - grey[i]!] as const;

  it("decodes a 16-bit grey PNG by scaling each sample to 8 bits", () => {
    const samples = Array.from({ length: n }, (_, i) => (grey[i]! * 257 + (i % 7) * 37) & 0xffff);
    const img = decodeImage(makePng({ width: W, height: H, colourType: 0, bitDepth: 16, samples }));
    expect(Array.from(img.data)).toEqual(samples.map((v) => Math.floor((v * 255) / 65535 + 0.5)));
  });

  it("decodes 1-, 2- and 4-bit grey PNGs by stretching to 0-255", () => {
    for (const bitDepth of [1, 2, 4] as const) {
      const max = 2 ** bitDepth - 1;
      const samples = Array.from({ length: n }, (_, i) => grey[i]! % (max + 1));
      const img = decodeImage(makePng({ width: W, height: H, colourType: 0, bitDepth, samples }));
      expect(Array.from(img.data)).toEqual(samples.map((v) => Math.floor((v * 255) / max + 0.5)));
    }
  });

  it("decodes RGB, RGB16 and palette PNGs to Rec. 601 luma", () => {
    const expected = Array.from({ length: n }, (_, i) => luma(...rgb(i)));
    const rgb8 = Array.from({ length: n }, (_, i) => rgb(i)).flat();
    expect(
      Array.from(
        decodeImage(makePng({ width: W, height: H, colourType: 2, bitDepth: 8, samples: rgb8 })).data,
      ),
    ).toEqual(expected);
    const rgb16 = rgb8.map((v) => v * 257);
    expect(
      Array.from(
        decodeImage(makePng({ width: W, height: H, colourType: 2, bitDepth: 16, samples: rgb16 })).data,
      ),
    ).toEqual(expected);
    const palette = Array.from({ length: 256 }, (_, v) => [v, (v * 3) & 0xff, 255 - v] as const);
    const indexed = makePng({ width: W, height: H, colourType: 3, bitDepth: 8, samples: grey, palette });
    expect(Array.from(decodeImage(indexed).data)).toEqual(expected);
  });

  it("decodes interlaced PNGs exactly", () => {
    const samples = Array.from({ length: n }, (_, i) => grey[i]! * 257);
    const img = decodeImage(
      makePng({ width: W, height: H, colourType: 0, bitDepth: 16, samples, interlace: true }),
    );
    expect(Array.from(img.data)).toEqual(Array.from(grey));
  });

  it("composites PNG transparency over black", () => {
    const alpha = (i: number) => (i * 11) & 0xff;
    const over = (v: number, a: number) => Math.floor((v * 1000 * a + 127_500) / 255_000);
    const ga = Array.from({ length: n }, (_, i) => [grey[i]!, alpha(i)]).flat();
    expect(
      Array.from(decodeImage(makePng({ width: W, height: H, colourType: 4, bitDepth: 8, samples: ga })).data),
    ).toEqual(Array.from(grey, (v, i) => over(v, alpha(i))));
    const ga16 = ga.map((v) => v * 257);
    expect(
      Array.from(
        decodeImage(makePng({ width: W, height: H, colourType: 4, bitDepth: 16, samples: ga16 })).data,
      ),
    ).toEqual(Array.from(grey, (v, i) => over(v, alpha(i))));
    const rgba = Array.from({ length: n }, (_, i) => [grey[i]!, grey[i]!, grey[i]!, 255]).flat();
    expect(
      Array.from(
        decodeImage(makePng({ width: W, height: H, colourType: 6, bitDepth: 8, samples: rgba })).data,
      ),
    ).toEqual(Array.from(grey));
    const keyed = makePng({
      width: W,
      height: H,
      colourType: 0,
      bitDepth: 8,
      samples: grey,
      transparency: Uint8Array.of(0, grey[5]!),
    });
    const img = decodeImage(keyed);
    expect(Array.from(img.data)).toEqual(Array.from(grey, (v) => (v === grey[5] ? 0 : v)));
  });

  it("ignores bytes after a PNG's IEND chunk", () => {
    expect(Array.from(decodeImage(concatBytes(png, new Uint8Array(100).fill(7))).data)).toEqual(
      Array.from(grey),
    );
  });

  it("decodes a colour JPEG to luma within compression error", () => {
    const rgba = new Uint8Array(4 * n);
    for (let i = 0; i < n; i++) rgba.set([...rgb(i), 255], 4 * i);
    const img = decodeImage(new Uint8Array(jpeg.encode({ width: W, height: H, data: rgba }, 100).data));
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(img.data[i]! - luma(...rgb(i))));
    expect(worst).toBeLessThanOrEqual(16);
  });

  it("decodes colour BMPs and 32-bit BMPs with v3, v4 and v5 headers and bit fields", () => {
    const colour = edited(bmp8, (b) => {
      for (let v = 0; v < 256; v++) b.set([255 - v, (v * 3) & 0xff, v], 54 + 4 * v);
    });
    expect(Array.from(decodeImage(colour).data)).toEqual(
      Array.from({ length: n }, (_, i) => luma(...rgb(i))),
    );
    const bgrx = [0xff0000, 0xff00, 0xff] as const;
    for (const file of [
      makeBmpFile({ width: W, height: H, grey, bpp: 32, bitFields: bgrx }),
      makeBmpFile({ width: W, height: H, grey, bpp: 32, headerSize: 108, bitFields: bgrx }),
      makeBmpFile({ width: W, height: H, grey, bpp: 24, headerSize: 124, topDown: true }),
    ]) {
      expect(Array.from(decodeImage(file).data)).toEqual(Array.from(grey));
    }
    const low = grey.map((v) => v & 0x0f);
    expect(
      Array.from(decodeImage(makeBmpFile({ width: W, height: H, grey: low, bpp: 8, colours: 16 })).data),
    ).toEqual(Array.from(low));
  });

  it("encodes an eye saved as RGB, 16-bit grey or palette PNG to the same code as its grey frame", async () => {
    const eye = drawEye({ seed: 3 });
    const base = (await encoder.encode(eye)).code;
    const files = [
      makePng({ ...eye, colourType: 2, bitDepth: 8, samples: Array.from(eye.data, (v) => [v, v, v]).flat() }),
      makePng({ ...eye, colourType: 0, bitDepth: 16, samples: Array.from(eye.data, (v) => v * 257) }),
      makePng({
        ...eye,
        colourType: 3,
        bitDepth: 8,
        samples: eye.data,
        palette: Array.from({ length: 256 }, (_, v) => [v, v, v] as const),
        interlace: true,
      }),
    ];
    for (const file of files) expect((await encoder.encode(file)).code.equals(base)).toBe(true);
  });
});

/** Builds a frame from a pixel function (clamped to 0-255), 320x280 unless told. */
function frame(f: (x: number, y: number) => number, width = 320, height = 280): GreyImage {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data[y * width + x] = Math.max(0, Math.min(255, Math.round(f(x, y))));
  return { width, height, data };
}

function noise(seed: number): (x: number, y: number) => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s >>> 24;
  };
}

/** Rows of dark "words" separated by bright gaps, like a page of print. */
const text = (x: number, y: number) => {
  const line = Math.floor(y / 14);
  const inLine = y % 14 < 9;
  const inWord = Math.floor(x / 6 + line * 3) % 7 !== 0;
  return inLine && inWord && (x * 7 + y * 3 + line) % 5 < 2 ? 30 : 235;
};

interface NotAnEye {
  name: string;
  input: () => ImageInput;
  gate: QualityGate;
}

const NOT_EYES: NotAnEye[] = [
  { name: "an all-black frame", input: () => frame(() => 0), gate: "SEGMENTATION_FAILED" },
  { name: "an all-white frame", input: () => frame(() => 255), gate: "SEGMENTATION_FAILED" },
  { name: "a flat mid-grey frame", input: () => frame(() => 128), gate: "SEGMENTATION_FAILED" },
  { name: "a 32x32 all-black frame", input: () => frame(() => 0, 32, 32), gate: "SEGMENTATION_FAILED" },
  { name: "uniform noise", input: () => frame(noise(12345)), gate: "SEGMENTATION_FAILED" },
  { name: "32x32 noise", input: () => frame(noise(9), 32, 32), gate: "SEGMENTATION_FAILED" },
  { name: "a horizontal gradient", input: () => frame((x) => (x * 255) / 319), gate: "SEGMENTATION_FAILED" },
  {
    name: "a vertical gradient",
    input: () => frame((_x, y) => (y * 255) / 279),
    gate: "SEGMENTATION_FAILED",
  },
  { name: "a radial gradient", input: () => frame((x, y) => Math.hypot(x - 160, y - 140)), gate: "BLUR" },
  {
    name: "an 8-pixel checkerboard",
    input: () => frame((x, y) => (((x >> 3) + (y >> 3)) & 1 ? 230 : 20)),
    gate: "SEGMENTATION_FAILED",
  },
  {
    name: "a 32-pixel checkerboard",
    input: () => frame((x, y) => (((x >> 5) + (y >> 5)) & 1 ? 230 : 20)),
    gate: "SEGMENTATION_FAILED",
  },
  {
    name: "horizontal stripes",
    input: () => frame((_x, y) => (y % 12 < 3 ? 20 : 220)),
    gate: "SEGMENTATION_FAILED",
  },
  {
    name: "vertical stripes",
    input: () => frame((x) => (x % 10 < 3 ? 20 : 220)),
    gate: "SEGMENTATION_FAILED",
  },
  { name: "text-like stripes", input: () => frame(text), gate: "SEGMENTATION_FAILED" },
  {
    name: "a dark disc on a bright ground with no iris",
    input: () => frame((x, y) => (Math.hypot(x - 160, y - 140) < 40 ? 20 : 200)),
    gate: "SEGMENTATION_FAILED",
  },
  {
    name: "noise saved as a colour JPEG",
    input: () => {
      const f = frame(noise(77));
      return makeJpeg(f.width, f.height, f.data);
    },
    // JPEG smooths the noise into blobs: a dark one may pass for a pupil, but no iris is found
    // around it.
    gate: "SEGMENTATION_FAILED",
  },
  {
    name: "a gradient saved as a 16-bit PNG",
    input: () =>
      makePng({
        width: 320,
        height: 280,
        colourType: 0,
        bitDepth: 16,
        samples: Array.from(frame((x) => (x * 255) / 319).data, (v) => v * 257),
      }),
    gate: "SEGMENTATION_FAILED",
  },
  {
    name: "a white frame saved as a 32-bit BMP",
    input: () => makeBmp(320, 280, new Uint8Array(320 * 280).fill(255), 32),
    gate: "SEGMENTATION_FAILED",
  },
];

describe("images without an eye", () => {
  it.each(NOT_EYES)("refuses $name at the $gate gate and never returns a code", async ({ input, gate }) => {
    const image = input();
    expect(() => decodeImage(image)).not.toThrow();
    const rejection = await encoder.encode(image).catch((error: unknown) => error);
    expect(rejection).toBeInstanceOf(QualityGateError);
    expect((rejection as QualityGateError).gate).toBe(gate);
    expect((rejection as QualityGateError).message).toMatch(new RegExp(`^Quality gate ${gate} failed: `));
  });
});

/** The only acceptable outcomes of decoding arbitrary bytes: a well-formed image or a typed refusal. */
function expectImageOrRefusal(bytes: Uint8Array): void {
  let img: GreyImage;
  try {
    img = decodeImage(bytes);
  } catch (error) {
    if (!(error instanceof ImageDecodeError)) throw error;
    expect(["UNSUPPORTED_FORMAT", "TRUNCATED_IMAGE", "CORRUPT_IMAGE", "INVALID_DIMENSIONS"]).toContain(
      error.code,
    );
    return;
  }
  expect(img.data).toBeInstanceOf(Uint8Array);
  expect(img.data.length).toBe(img.width * img.height);
  expect(Math.min(img.width, img.height)).toBeGreaterThanOrEqual(32);
  expect(Math.max(img.width, img.height)).toBeLessThanOrEqual(8192);
}

type Mutation =
  | { kind: "set"; at: number; value: number }
  | { kind: "flip"; at: number; bit: number }
  | { kind: "cut"; at: number }
  | { kind: "delete"; at: number; length: number }
  | { kind: "insert"; at: number; bytes: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  }),
);

function mutate(bytes: Uint8Array, edits: readonly Mutation[]): Uint8Array {
  let out: Uint8Array = bytes.slice();
  for (const m of edits) {
    const at = m.at % Math.max(1, out.length);
    if (m.kind === "set") out[at] = m.value;
    else if (m.kind === "flip") out[at] = out[at]! ^ (1 << m.bit);
    else if (m.kind === "cut") out = out.slice(0, at);
    else if (m.kind === "delete") out = concatBytes(out.subarray(0, at), out.subarray(at + m.length));
    else out = concatBytes(out.subarray(0, at), m.bytes, out.subarray(at));
  }
  return out;
}

describe("decoding mutated files", () => {
  const eye = drawEye({ width: 96, height: 80, cx: 48, cy: 40, irisR: 30, pupilR: 12 });
  const seeds: Record<string, Uint8Array> = {
    png,
    png16: makePng({ ...eye, colourType: 0, bitDepth: 16, samples: Array.from(eye.data, (v) => v * 257) }),
    pngInterlacedRgba: makePng({
      ...eye,
      colourType: 6,
      bitDepth: 8,
      samples: Array.from(eye.data, (v) => [v, v, v, 200]).flat(),
      interlace: true,
    }),
    jpg,
    jpgEye: makeJpeg(eye.width, eye.height, eye.data, 80),
    bmp8,
    bmp24,
    bmp32,
  };
  const names = Object.keys(seeds);

  it("yields a grey image or an ImageDecodeError for random byte mutations of valid files", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...names),
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        (name, edits, fixCrcs) => {
          const bytes = mutate(seeds[name]!, edits);
          expectImageOrRefusal(name.startsWith("png") && fixCrcs ? fixPngCrcs(bytes) : bytes);
        },
      ),
      { numRuns: 3000, seed: 20240808 },
    );
  });

  it("yields a grey image or an ImageDecodeError for mutations confined to the headers", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...names),
        fc.array(
          fc.record({ at: fc.integer({ min: 0, max: 200 }), value: fc.integer({ min: 0, max: 255 }) }),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        (name, edits) => {
          const bytes = seeds[name]!.slice();
          for (const { at, value } of edits) if (at < bytes.length) bytes[at] = value;
          expectImageOrRefusal(name.startsWith("png") ? fixPngCrcs(bytes) : bytes);
        },
      ),
      { numRuns: 2000, seed: 8 },
    );
  });

  it("yields a grey image or an ImageDecodeError for PNGs with arbitrary headers and pixel data", () => {
    fc.assert(
      fc.property(
        fc.record({
          width: fc.integer({ min: 0, max: 80 }),
          height: fc.integer({ min: 0, max: 80 }),
          bitDepth: fc.constantFrom(1, 2, 4, 8, 16, 3),
          colourType: fc.constantFrom(0, 2, 3, 4, 6, 1),
          interlace: fc.constantFrom(0, 1),
        }),
        fc.uint8Array({ maxLength: 30_000 }),
        fc.option(fc.uint8Array({ maxLength: 800 })),
        fc.option(fc.uint8Array({ maxLength: 300 })),
        (header, raw, plte, trns) => {
          const chunks: Uint8Array[] = [];
          if (plte) chunks.push(pngChunk("PLTE", plte));
          if (trns) chunks.push(pngChunk("tRNS", trns));
          expectImageOrRefusal(assemblePng(header, raw, chunks));
        },
      ),
      { numRuns: 600, seed: 16 },
    );
  });
});

describe("the fixtures these tests mutate", () => {
  it("are valid files", () => {
    for (const file of [png, jpg, bmp8, bmp24, bmp32]) expect(decodeImage(file).width).toBe(W);
    expect(idat.at).toBe(33);
    expect([sof > 0, sos > sof]).toEqual([true, true]);
  });
});
