import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { ImageDecodeError } from "./errors.js";

/** An 8-bit grey image, row-major, one byte per pixel (`data.length === width * height`). */
export interface GreyImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/**
 * A raw grey frame as capture firmware hands it over: `width * height` bytes, row-major, one
 * byte per pixel. Same shape as {@link GreyImage}; accepted as is after its size is checked.
 */
export type RawGreyFrame = GreyImage;

/** Anything {@link decodeImage} reads: PNG, JPEG or BMP file bytes, or a raw grey frame. */
export type ImageInput = Uint8Array | RawGreyFrame;

/** Limits of {@link decodeImage}. */
export interface DecodeLimits {
  /** Smallest accepted width and height in pixels. Default 32. */
  minDimension?: number;
  /** Largest accepted width or height in pixels. Default 8192. */
  maxDimension?: number;
  /** Largest accepted pixel count. Default 16,777,216 (16 megapixels). */
  maxPixels?: number;
}

const DEFAULT_LIMITS: Required<DecodeLimits> = {
  minDimension: 32,
  maxDimension: 8192,
  maxPixels: 16_777_216,
};

/** The container format of an input, detected from its first bytes. */
export type ImageFormat = "png" | "jpeg" | "bmp" | "raw";

/** Detects PNG, JPEG or BMP from magic bytes; `undefined` for anything else. */
export function detectImageFormat(bytes: Uint8Array): Exclude<ImageFormat, "raw"> | undefined {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) {
    return "png";
  }
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  if (bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d) return "bmp";
  return undefined;
}

/**
 * Decodes PNG, JPEG or BMP (8-, 24- or 32-bit uncompressed) bytes, or checks a raw grey frame,
 * into a {@link GreyImage}. Colour is converted to grey with Rec. 601 luma weights.
 *
 * Throws {@link ImageDecodeError}: `UNSUPPORTED_FORMAT` (not an image, or a variant this reader
 * does not handle), `TRUNCATED_IMAGE` (the bytes stop early), `CORRUPT_IMAGE` (inconsistent
 * contents), `INVALID_DIMENSIONS` (zero, too small, too large, or a raw frame whose data does not
 * match its size), `INVALID_PARAMETER` (neither bytes nor a frame).
 */
export function decodeImage(input: ImageInput, limits: DecodeLimits = {}): GreyImage {
  const lim = { ...DEFAULT_LIMITS, ...limits };
  if (input instanceof Uint8Array) {
    const format = detectImageFormat(input);
    if (format === "png") return decodePng(input, lim);
    if (format === "jpeg") return decodeJpeg(input, lim);
    if (format === "bmp") return decodeBmp(input, lim);
    throw new ImageDecodeError(
      "UNSUPPORTED_FORMAT",
      `Parameter 'image' is not a PNG, JPEG or BMP file (first bytes ${hexPrefix(input)})`,
      { field: "image" },
    );
  }
  if (typeof input === "object" && input !== null && "data" in input) return checkRawFrame(input, lim);
  throw new ImageDecodeError(
    "INVALID_PARAMETER",
    `Parameter 'image' must be file bytes (Uint8Array) or a raw frame { width, height, data }, received ${input === null ? "null" : typeof input}`,
    { field: "image" },
  );
}

function hexPrefix(bytes: Uint8Array): string {
  return bytes.length === 0
    ? "none: the input is empty"
    : Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ");
}

function checkDimensions(width: number, height: number, lim: Required<DecodeLimits>, what: string): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new ImageDecodeError("INVALID_DIMENSIONS", `${what} has invalid size ${width}x${height}`, {
      field: "image.width",
    });
  }
  if (width < lim.minDimension || height < lim.minDimension) {
    throw new ImageDecodeError(
      "INVALID_DIMENSIONS",
      `${what} is ${width}x${height}, smaller than the minimum ${lim.minDimension}x${lim.minDimension}`,
      { field: width < lim.minDimension ? "image.width" : "image.height" },
    );
  }
  if (width > lim.maxDimension || height > lim.maxDimension || width * height > lim.maxPixels) {
    throw new ImageDecodeError(
      "INVALID_DIMENSIONS",
      `${what} is ${width}x${height}, larger than the limit (${lim.maxDimension} per side, ${lim.maxPixels} pixels)`,
      { field: width > lim.maxDimension ? "image.width" : "image.height" },
    );
  }
}

function checkRawFrame(frame: RawGreyFrame, lim: Required<DecodeLimits>): GreyImage {
  const { width, height, data } = frame;
  if (!(data instanceof Uint8Array)) {
    throw new ImageDecodeError(
      "INVALID_PARAMETER",
      "Field 'image.data' of a raw frame must be a Uint8Array",
      {
        field: "image.data",
      },
    );
  }
  checkDimensions(width, height, lim, "Raw frame");
  if (data.length !== width * height) {
    throw new ImageDecodeError(
      "INVALID_DIMENSIONS",
      `Field 'image.data' has ${data.length} bytes; a ${width}x${height} grey frame needs exactly ${width * height}`,
      { field: "image.data" },
    );
  }
  return { width, height, data: data.slice() };
}

function rgbaToGrey(rgba: Uint8Array | Buffer, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let i = 0, j = 0; i < out.length; i++, j += 4) {
    out[i] = (299 * rgba[j]! + 587 * rgba[j + 1]! + 114 * rgba[j + 2]! + 500) / 1000;
  }
  return out;
}

const PNG_IEND = [0x49, 0x45, 0x4e, 0x44];

function decodePng(bytes: Uint8Array, lim: Required<DecodeLimits>): GreyImage {
  if (bytes.length < 33) {
    throw new ImageDecodeError(
      "TRUNCATED_IMAGE",
      `PNG file has ${bytes.length} bytes, shorter than its header`,
      {
        field: "image",
      },
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(12) !== 0x49484452) {
    throw new ImageDecodeError("CORRUPT_IMAGE", "PNG file does not start with an IHDR chunk", {
      field: "image",
    });
  }
  checkDimensions(view.getUint32(16), view.getUint32(20), lim, "PNG image");
  const tail = bytes.subarray(Math.max(0, bytes.length - 12));
  const hasEnd = tail.length === 12 && PNG_IEND.every((b, i) => tail[4 + i] === b);
  if (!hasEnd) {
    throw new ImageDecodeError("TRUNCATED_IMAGE", "PNG file ends before its IEND chunk", { field: "image" });
  }
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (cause) {
    throw new ImageDecodeError("CORRUPT_IMAGE", `PNG file is corrupt: ${(cause as Error).message}`, {
      field: "image",
      cause,
    });
  }
  return { width: png.width, height: png.height, data: rgbaToGrey(png.data, png.width, png.height) };
}

function jpegDimensions(bytes: Uint8Array): { width: number; height: number } | undefined {
  let p = 2;
  while (p + 4 <= bytes.length) {
    if (bytes[p] !== 0xff) return undefined;
    const marker = bytes[p + 1]!;
    if (marker === 0xff) {
      p++;
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      p += 2;
      continue;
    }
    const len = (bytes[p + 2]! << 8) | bytes[p + 3]!;
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (p + 9 > bytes.length) return undefined;
      return { height: (bytes[p + 5]! << 8) | bytes[p + 6]!, width: (bytes[p + 7]! << 8) | bytes[p + 8]! };
    }
    p += 2 + len;
  }
  return undefined;
}

function decodeJpeg(bytes: Uint8Array, lim: Required<DecodeLimits>): GreyImage {
  const dims = jpegDimensions(bytes);
  if (dims === undefined) {
    throw new ImageDecodeError("TRUNCATED_IMAGE", "JPEG file ends before its frame header (SOF)", {
      field: "image",
    });
  }
  checkDimensions(dims.width, dims.height, lim, "JPEG image");
  let end = bytes.length - 1;
  while (end > 0 && bytes[end] === 0x00) end--;
  if (!(bytes[end - 1] === 0xff && bytes[end] === 0xd9)) {
    throw new ImageDecodeError("TRUNCATED_IMAGE", "JPEG file ends before its end-of-image marker (FFD9)", {
      field: "image",
    });
  }
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: lim.maxPixels / 1e6 + 1,
      maxMemoryUsageInMB: 1024,
    });
  } catch (cause) {
    throw new ImageDecodeError("CORRUPT_IMAGE", `JPEG file is corrupt: ${(cause as Error).message}`, {
      field: "image",
      cause,
    });
  }
  if (decoded.width !== dims.width || decoded.height !== dims.height) {
    throw new ImageDecodeError("CORRUPT_IMAGE", "JPEG file decodes to a size different from its header", {
      field: "image",
    });
  }
  return {
    width: decoded.width,
    height: decoded.height,
    data: rgbaToGrey(decoded.data, decoded.width, decoded.height),
  };
}

function decodeBmp(bytes: Uint8Array, lim: Required<DecodeLimits>): GreyImage {
  if (bytes.length < 54) {
    throw new ImageDecodeError(
      "TRUNCATED_IMAGE",
      `BMP file has ${bytes.length} bytes, shorter than its headers`,
      {
        field: "image",
      },
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dataOffset = view.getUint32(10, true);
  const dibSize = view.getUint32(14, true);
  if (dibSize !== 40 && dibSize !== 52 && dibSize !== 56 && dibSize !== 108 && dibSize !== 124) {
    throw new ImageDecodeError(
      "UNSUPPORTED_FORMAT",
      `BMP header of ${dibSize} bytes is not supported (only Windows BMP v3-v5)`,
      {
        field: "image",
      },
    );
  }
  const width = view.getInt32(18, true);
  const rawHeight = view.getInt32(22, true);
  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);
  const planes = view.getUint16(26, true);
  const bpp = view.getUint16(28, true);
  const compression = view.getUint32(30, true);
  if (planes !== 1) {
    throw new ImageDecodeError("CORRUPT_IMAGE", `BMP file has ${planes} colour planes; must be 1`, {
      field: "image",
    });
  }
  if (bpp !== 8 && bpp !== 24 && bpp !== 32) {
    throw new ImageDecodeError(
      "UNSUPPORTED_FORMAT",
      `BMP with ${bpp} bits per pixel is not supported (only 8, 24, 32)`,
      {
        field: "image",
      },
    );
  }
  if (!(compression === 0 || (compression === 3 && bpp === 32))) {
    throw new ImageDecodeError(
      "UNSUPPORTED_FORMAT",
      `Compressed BMP (compression ${compression}) is not supported`,
      {
        field: "image",
      },
    );
  }
  checkDimensions(width, height, lim, "BMP image");
  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  let palette: Uint8Array | undefined;
  if (bpp === 8) {
    const used = view.getUint32(46, true);
    const colours = used === 0 ? 256 : used;
    if (colours > 256) {
      throw new ImageDecodeError("CORRUPT_IMAGE", `BMP palette claims ${colours} colours; 8-bit allows 256`, {
        field: "image",
      });
    }
    const start = 14 + dibSize;
    if (start + colours * 4 > bytes.length) {
      throw new ImageDecodeError("TRUNCATED_IMAGE", "BMP file ends inside its palette", { field: "image" });
    }
    palette = new Uint8Array(256);
    for (let i = 0; i < colours; i++) {
      const b = bytes[start + 4 * i]!;
      const g = bytes[start + 4 * i + 1]!;
      const r = bytes[start + 4 * i + 2]!;
      palette[i] = (299 * r + 587 * g + 114 * b + 500) / 1000;
    }
  }
  if (dataOffset < 14 + dibSize || dataOffset > bytes.length) {
    throw new ImageDecodeError("CORRUPT_IMAGE", `BMP pixel data offset ${dataOffset} is outside the file`, {
      field: "image",
    });
  }
  if (dataOffset + stride * height > bytes.length) {
    throw new ImageDecodeError(
      "TRUNCATED_IMAGE",
      `BMP file has ${bytes.length} bytes; its ${width}x${height} pixels need ${dataOffset + stride * height}`,
      { field: "image" },
    );
  }
  const out = new Uint8Array(width * height);
  const bytesPerPixel = bpp / 8;
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const p = row + x * bytesPerPixel;
      if (palette) out[y * width + x] = palette[bytes[p]!]!;
      else out[y * width + x] = (299 * bytes[p + 2]! + 587 * bytes[p + 1]! + 114 * bytes[p]! + 500) / 1000;
    }
  }
  return { width, height, data: out };
}

/** Encodes a grey image as an 8-bit grey PNG (for fixtures, debugging pictures and tests). */
export function encodeGreyPng(image: GreyImage): Uint8Array {
  const png = new PNG({
    width: image.width,
    height: image.height,
    colorType: 0,
    inputColorType: 0,
    bitDepth: 8,
  });
  png.data = Buffer.from(image.data);
  return new Uint8Array(PNG.sync.write(png, { colorType: 0, inputColorType: 0 }));
}
