import { describe, expect, it } from "vitest";
import { rankFilter, rankFilterReference } from "../src/image-ops.js";

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
