import { describe, expect, it } from "vitest";
import { rankFilter, rankFilterReference, squaredDistanceTransform } from "../src/image-ops.js";

describe("rankFilter", () => {
  it("equals the straightforward min and max filters for every radius", () => {
    const w = 37;
    const h = 23;
    const data = new Float32Array(w * h);
    let s = 12345;
    for (let i = 0; i < data.length; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      data[i] = s % 256;
    }
    const img = { width: w, height: h, data };
    for (const r of [1, 2, 4, 6, 15, 30]) {
      for (const max of [false, true]) {
        expect(Array.from(rankFilter(img, r, max).data)).toEqual(
          Array.from(rankFilterReference(img, r, max).data),
        );
      }
    }
  });
});

describe("squaredDistanceTransform", () => {
  it("equals the brute-force squared distance to the nearest outside pixel or the frame", () => {
    const w = 29;
    const h = 17;
    let s = 777;
    const inside = new Uint8Array(w * h);
    for (let i = 0; i < inside.length; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      inside[i] = s % 7 === 0 ? 0 : 1;
    }
    const dt = squaredDistanceTransform(inside, w, h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (!inside[y * w + x]) {
          expect(dt[y * w + x]).toBe(0);
          continue;
        }
        // Outside the frame counts as outside: the nearest border pixel one step beyond the edge.
        let best = Math.min((x + 1) ** 2, (w - x) ** 2, (y + 1) ** 2, (h - y) ** 2);
        for (let yy = 0; yy < h; yy++)
          for (let xx = 0; xx < w; xx++)
            if (!inside[yy * w + xx]) best = Math.min(best, (xx - x) ** 2 + (yy - y) ** 2);
        expect(dt[y * w + x]).toBe(best);
      }
    }
  });

  it("gives a digital disc of radius 12 the squared distance 145 at its centre", () => {
    const w = 41;
    const inside = new Uint8Array(w * w);
    for (let y = 0; y < w; y++)
      for (let x = 0; x < w; x++) inside[y * w + x] = (x - 20) ** 2 + (y - 20) ** 2 <= 12 ** 2 ? 1 : 0;
    // The nearest pixel outside x^2 + y^2 <= 144 is at offset (8, 9): 64 + 81 = 145.
    expect(squaredDistanceTransform(inside, w, w)[20 * w + 20]).toBe(145);
  });
});
