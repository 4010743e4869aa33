import { describe, expect, it } from "vitest";
import { encodeGreyPng, renderCapture } from "../src/index.js";
import { readGreyPng } from "./read-grey-png.js";

describe("PNG output", () => {
  it("round-trips a capture to the same pixels", () => {
    const capture = renderCapture("png", 1, { width: 200, height: 150 });
    const png = capture.toPng();
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const decoded = readGreyPng(png);
    expect(decoded.width).toBe(200);
    expect(decoded.height).toBe(150);
    expect(decoded.pixels).toEqual(capture.pixels);
  });

  it("writes an 8-bit greyscale PNG", () => {
    const png = encodeGreyPng(new Uint8Array([0, 64, 128, 255]), 2, 2);
    // IHDR: width, height, bit depth 8, colour type 0 (grey).
    const view = new DataView(png.buffer, png.byteOffset);
    expect(String.fromCharCode(...png.subarray(12, 16))).toBe("IHDR");
    expect(view.getUint32(16)).toBe(2);
    expect(view.getUint32(20)).toBe(2);
    expect(png[24]).toBe(8);
    expect(png[25]).toBe(0);
    expect(readGreyPng(png).pixels).toEqual(new Uint8Array([0, 64, 128, 255]));
  });
});
