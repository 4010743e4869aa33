import { PNG } from "pngjs";
import { MockCaptureError } from "./errors.js";

/**
 * Encodes 8-bit grey pixels (row-major, `width × height` bytes) as a greyscale PNG. The bytes
 * are deterministic: fixed filter and compression settings, no timestamps.
 */
export function encodeGreyPng(pixels: Uint8Array, width: number, height: number): Uint8Array {
  if (pixels.length !== width * height) {
    throw new MockCaptureError(
      "INVALID_SIZE",
      `Parameter 'pixels' must hold width × height = ${width * height} bytes, received ${pixels.length}`,
      { field: "pixels" },
    );
  }
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false });
  png.data = Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  const bytes = PNG.sync.write(png, {
    colorType: 0,
    inputColorType: 0,
    bitDepth: 8,
    inputHasAlpha: false,
    deflateLevel: 9,
    filterType: 4,
  });
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Decodes a PNG (any colour type) to 8-bit grey pixels: the first channel of colour images,
 * 16-bit samples scaled down. Throws `INVALID_PNG` when the bytes are not a readable PNG.
 */
export function decodeGreyPng(bytes: Uint8Array): { width: number; height: number; pixels: Uint8Array } {
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    throw new MockCaptureError(
      "INVALID_PNG",
      `Parameter 'bytes' is not a readable PNG: ${(error as Error).message}`,
      {
        field: "bytes",
        cause: error,
      },
    );
  }
  const { width, height, data } = png;
  const pixels = new Uint8Array(width * height);
  // pngjs always expands to RGBA 8-bit.
  for (let i = 0; i < pixels.length; i++) pixels[i] = data[i * 4]!;
  return { width, height, pixels };
}
