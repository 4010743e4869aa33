import { describe, expect, it } from "vitest";
import {
  boxBlur,
  type FloatImage,
  rankFilter,
  rankFilterBytes,
  rankFilterReference,
  squaredDistanceTransform,
} from "../src/image-ops.js";

/** The running-sum box blur as first written (index clamping on every pixel, columns one at a time). */
function boxBlurReference(img: FloatImage, r: number): Float32Array {
  const { width: w, height: h, data } = img;
  const c = (i: number, n: number) => (i < 0 ? 0 : i >= n ? n - 1 : i);
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    let sum = 0;
    for (let k = -r; k <= r; k++) sum += data[y * w + c(k, w)]!;
    for (let x = 0; x < w; x++) {
      tmp[y * w + x] = sum / (2 * r + 1);
      sum += data[y * w + c(x + r + 1, w)]! - data[y * w + c(x - r, w)]!;
    }
  }
  for (let x = 0; x < w; x++) {
    let sum = 0;
    for (let k = -r; k <= r; k++) sum += tmp[c(k, h) * w + x]!;
    for (let y = 0; y < h; y++) {
      out[y * w + x] = sum / (2 * r + 1);
      sum += tmp[c(y + r + 1, h) * w + x]! - tmp[c(y - r, h) * w + x]!;
    }
  }
  return out;
}

function noiseImage(w: number, h: number, seed: number): FloatImage {
  const data = new Float32Array(w * h);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    data[i] = (s >>> 8) % 256;
  }
  return { width: w, height: h, data };
}

describe("boxBlur", () => {
  it("is bit-identical to the clamped running-sum blur for every radius, smooth or not", () => {
    for (const [w, h] of [
      [37, 23],
      [5, 40],
      [64, 3],
    ] as const) {
      const img = noiseImage(w, h, w * h);
      for (const r of [1, 2, 3, 6, 20]) {
        expect(Array.from(boxBlur(img, r).data)).toEqual(Array.from(boxBlurReference(img, r)));
        const twice = boxBlur(boxBlur(img, r), 1);
        expect(Array.from(boxBlur(twice, r).data)).toEqual(Array.from(boxBlurReference(twice, r)));
      }
    }
  });
});

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

describe("rankFilterBytes", () => {
  it("equals the float rank filter on byte images for every radius", () => {
    for (const [w, h] of [
      [37, 23],
      [6, 41],
    ] as const) {
      const img = noiseImage(w, h, w + h);
      const bytes = Uint8Array.from(img.data);
      for (const r of [0, 1, 2, 6, 15, 30]) {
        for (const max of [false, true]) {
          expect(Array.from(rankFilterBytes(bytes, w, h, r, max))).toEqual(
            Array.from(rankFilterReference(img, r, max).data),
          );
        }
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

  it("equals brute force on large dark regions, empty rows and a reused output array", () => {
    const w = 31;
    const h = 26;
    const out = new Float64Array(w * h).fill(7);
    for (const seed of [1, 2, 3]) {
      let s = seed;
      const inside = new Uint8Array(w * h);
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          s = (Math.imul(s, 1103515245) + 12345) >>> 0;
          inside[y * w + x] = y % 9 === 4 || (s >>> 8) % 41 === 0 ? 0 : 1;
        }
      const dt = squaredDistanceTransform(inside, w, h, out);
      expect(dt).toBe(out);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          let best = inside[y * w + x] ? Math.min((x + 1) ** 2, (w - x) ** 2, (y + 1) ** 2, (h - y) ** 2) : 0;
          for (let yy = 0; yy < h; yy++)
            for (let xx = 0; xx < w; xx++)
              if (!inside[yy * w + xx]) best = Math.min(best, (xx - x) ** 2 + (yy - y) ** 2);
          expect(dt[y * w + x]).toBe(best);
        }
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
