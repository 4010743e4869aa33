import { PNG } from "pngjs";
import { MockCaptureError } from "./errors.js";

/**
 * Encodes 8-bit grey pixels (row-major, `width × height` bytes) as a greyscale PNG: the one grey-PNG
 * writer of zkiris (mock captures, datasets, test fixtures). The bytes are deterministic: fixed
 * filter and compression settings, no timestamps. Reading images back is `@zkiris/encoder`
 * `decodeImage`'s (every PNG colour type, colour as Rec. 601 luma). Throws `INVALID_SIZE` when
 * `pixels` is not `width × height` bytes.
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
