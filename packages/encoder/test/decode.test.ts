import { encodeGreyPng, renderCapture } from "@zkiris/mock-capture";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { decodeImage, detectImageFormat, ImageDecodeError } from "../src/index.js";
import { makeBmp, makeJpeg, pattern } from "./helpers.js";

const W = 40;
const H = 36;
const grey = pattern(W, H);

function refusal(fn: () => unknown): ImageDecodeError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ImageDecodeError);
    return error as ImageDecodeError;
  }
  throw new Error("expected a refusal");
}

describe("decodeImage", () => {
  it("decodes a grey PNG exactly", () => {
    const img = decodeImage(encodeGreyPng(grey, W, H));
    expect([img.width, img.height]).toEqual([W, H]);
    expect(Array.from(img.data)).toEqual(Array.from(grey));
  });

  it("reads a mock capture's PNG back to its exact pixels", () => {
    const capture = renderCapture("png", 1, { width: 200, height: 150 });
    const img = decodeImage(capture.toPng());
    expect([img.width, img.height]).toEqual([200, 150]);
    expect(img.data).toEqual(capture.pixels);
  });

  it("reads a colour PNG as Rec. 601 luma, not as its red channel", () => {
    // Written by pngjs as 8-bit RGB (colour type 2); each pixel's red differs from its luma.
    const colours = [
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
      [200, 100, 50],
    ] as const;
    const png = new PNG({ width: 32, height: 32, colorType: 2, inputColorType: 2, inputHasAlpha: false });
    png.data = Buffer.from(Array.from({ length: 32 * 32 }, (_, i) => colours[i % 4]!).flat());
    const file = new Uint8Array(
      PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false }),
    );
    expect(file[25]).toBe(2);
    // round((299 R + 587 G + 114 B) / 1000): 76, 150, 29 and 124 (red would be 255, 0, 0, 200).
    expect(Array.from(decodeImage(file).data.subarray(0, 8))).toEqual([76, 150, 29, 124, 76, 150, 29, 124]);
  });

  it("decodes 8-, 24- and 32-bit BMP, bottom-up and top-down, exactly", () => {
    for (const bpp of [8, 24, 32] as const) {
      for (const topDown of [false, true]) {
        const img = decodeImage(makeBmp(W, H, grey, bpp, topDown));
        expect([img.width, img.height]).toEqual([W, H]);
        expect(Array.from(img.data)).toEqual(Array.from(grey));
      }
    }
  });

  it("decodes a JPEG to within compression error", () => {
    const img = decodeImage(makeJpeg(W, H, grey, 100));
    expect([img.width, img.height]).toEqual([W, H]);
    let worst = 0;
    for (let i = 0; i < grey.length; i++) worst = Math.max(worst, Math.abs(img.data[i]! - grey[i]!));
    expect(worst).toBeLessThanOrEqual(12);
  });

  it("accepts a raw grey frame and copies it", () => {
    const data = grey.slice();
    const img = decodeImage({ width: W, height: H, data });
    data[0] = 255 - data[0]!;
    expect(img.data[0]).toBe(grey[0]);
  });

  it("detects formats from magic bytes", () => {
    expect(detectImageFormat(encodeGreyPng(grey, W, H))).toBe("png");
    expect(detectImageFormat(makeJpeg(W, H, grey))).toBe("jpeg");
    expect(detectImageFormat(makeBmp(W, H, grey, 8))).toBe("bmp");
    expect(detectImageFormat(new TextEncoder().encode("GIF89a..."))).toBeUndefined();
  });

  it("refuses non-images with UNSUPPORTED_FORMAT", () => {
    expect(refusal(() => decodeImage(new TextEncoder().encode("hello, not an image"))).code).toBe(
      "UNSUPPORTED_FORMAT",
    );
    expect(refusal(() => decodeImage(new Uint8Array(0))).message).toContain("empty");
    expect(refusal(() => decodeImage(new TextEncoder().encode("GIF89a\x01\x00\x01\x00"))).code).toBe(
      "UNSUPPORTED_FORMAT",
    );
  });

  it("refuses unsupported BMP variants with UNSUPPORTED_FORMAT", () => {
    const bmp16 = makeBmp(W, H, grey, 24);
    new DataView(bmp16.buffer).setUint16(28, 16, true);
    expect(refusal(() => decodeImage(bmp16)).message).toContain("16 bits per pixel");
    const rle = makeBmp(W, H, grey, 8);
    new DataView(rle.buffer).setUint32(30, 1, true);
    expect(refusal(() => decodeImage(rle)).code).toBe("UNSUPPORTED_FORMAT");
  });

  it("refuses truncated files with TRUNCATED_IMAGE", () => {
    const png = encodeGreyPng(grey, W, H);
    const jpg = makeJpeg(W, H, grey);
    const bmp = makeBmp(W, H, grey, 24);
    for (const cut of [
      png.subarray(0, png.length - 20),
      jpg.subarray(0, jpg.length >> 1),
      bmp.subarray(0, bmp.length - 10),
    ]) {
      expect(refusal(() => decodeImage(cut)).code).toBe("TRUNCATED_IMAGE");
    }
    expect(refusal(() => decodeImage(png.subarray(0, 20))).code).toBe("TRUNCATED_IMAGE");
    expect(refusal(() => decodeImage(jpg.subarray(0, 4))).code).toBe("TRUNCATED_IMAGE");
    expect(refusal(() => decodeImage(bmp.subarray(0, 30))).code).toBe("TRUNCATED_IMAGE");
  });

  it("refuses corrupt contents with CORRUPT_IMAGE", () => {
    const png = encodeGreyPng(grey, W, H).slice();
    // Damage the compressed pixel data inside IDAT (after the 33-byte signature + IHDR).
    for (let i = 45; i < 60; i++) png[i] = 0xff;
    expect(refusal(() => decodeImage(png)).code).toBe("CORRUPT_IMAGE");
    const bmp = makeBmp(W, H, grey, 24);
    new DataView(bmp.buffer).setUint16(26, 3, true);
    expect(refusal(() => decodeImage(bmp)).message).toContain("colour planes");
    const jpg = makeJpeg(W, H, grey).slice();
    jpg[3] = 0x00; // breaks the first marker segment
    expect(["CORRUPT_IMAGE", "TRUNCATED_IMAGE"]).toContain(refusal(() => decodeImage(jpg)).code);
  });

  it("refuses absurd sizes with INVALID_DIMENSIONS", () => {
    const huge = makeBmp(W, H, grey, 8);
    new DataView(huge.buffer).setInt32(18, 100_000, true);
    const e = refusal(() => decodeImage(huge));
    expect(e.code).toBe("INVALID_DIMENSIONS");
    expect(e.field).toBe("image.width");
    const tiny = encodeGreyPng(new Uint8Array(64), 8, 8);
    expect(refusal(() => decodeImage(tiny)).message).toContain("smaller than the minimum 32x32");
    expect(refusal(() => decodeImage({ width: 0, height: 10, data: new Uint8Array(0) })).code).toBe(
      "INVALID_DIMENSIONS",
    );
    expect(refusal(() => decodeImage(encodeGreyPng(grey, W, H), { maxPixels: 100 })).code).toBe(
      "INVALID_DIMENSIONS",
    );
  });

  it("refuses a raw frame whose data does not match its size", () => {
    const e = refusal(() => decodeImage({ width: W, height: H, data: new Uint8Array(W * H - 1) }));
    expect(e.code).toBe("INVALID_DIMENSIONS");
    expect(e.field).toBe("image.data");
    expect(e.message).toBe(
      `Field 'image.data' has ${W * H - 1} bytes; a ${W}x${H} grey frame needs exactly ${W * H}`,
    );
  });

  it("refuses inputs that are neither bytes nor frames with INVALID_PARAMETER", () => {
    expect(refusal(() => decodeImage(null as never)).code).toBe("INVALID_PARAMETER");
    expect(refusal(() => decodeImage({ width: W, height: H, data: [1, 2, 3] } as never)).field).toBe(
      "image.data",
    );
  });
});
