import { PNG } from "pngjs";

/**
 * Reads a PNG back with pngjs for the tests of the writer: the pixels of an 8-bit grey file. Throws
 * when the file is not grey (pngjs expands every file to RGBA; grey means R = G = B, opaque).
 */
export function readGreyPng(bytes: Uint8Array): { width: number; height: number; pixels: Uint8Array } {
  const { width, height, data } = PNG.sync.read(Buffer.from(bytes));
  const pixels = new Uint8Array(width * height);
  for (let i = 0; i < pixels.length; i++) {
    const [r, g, b, a] = data.subarray(4 * i, 4 * i + 4);
    if (r !== g || g !== b || a !== 255) throw new Error(`pixel ${i} is not opaque grey`);
    pixels[i] = r!;
  }
  return { width, height, pixels };
}
