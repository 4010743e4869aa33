/**
 * `fromOpenIrisTemplate` against templates laid out exactly as open-iris (worldcoin/open-iris)
 * writes them, built here step by step from its source:
 * - `IrisEncoder.run`: one code per wavelet of shape (16, 256, 2), last axis
 *   `[response.real > 0, response.imag > 0]`; mask codes alike, True = usable;
 * - `IrisTemplate.serialize`: `new_to_old_format` = `np.stack(codes).transpose(1, 2, 0, 3)`, shape
 *   (16, 256, 2, 2) = (row, column, wavelet, real/imaginary), then `base64_encode_array` =
 *   `base64.b64encode(np.packbits(array))` (C order, first bit most significant);
 * - `simple_hamming_distance`: `np.roll(probe_code, shift, axis=1) != gallery_code`, masks ANDed,
 *   shifts tried 0, -1, 1, -2, 2, ..., the first strictly smaller distance kept.
 * The numpy steps are written out below on a plain n-dimensional array, not with iris-code.
 */
import { describe, expect, it } from "vitest";
import { fromOpenIrisTemplate, hammingDistance, OPEN_IRIS_GEOMETRY, shiftColumns } from "../src/index.js";
import { seededBits } from "./arbitraries.js";

const ROWS = 16;
const COLS = 256;
const WAVELETS = 2;

/** A C-ordered n-dimensional boolean array, as numpy holds one. */
interface NdArray {
  readonly shape: readonly number[];
  readonly data: readonly boolean[];
}

function strides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length).fill(1);
  for (let k = shape.length - 2; k >= 0; k--) out[k] = out[k + 1]! * shape[k + 1]!;
  return out;
}

/** `np.stack(arrays)` along a new first axis. */
function stack(arrays: readonly NdArray[]): NdArray {
  return { shape: [arrays.length, ...arrays[0]!.shape], data: arrays.flatMap((a) => a.data) };
}

/** `array.transpose(axes)`: output axis k is input axis `axes[k]`. */
function transpose(array: NdArray, axes: readonly number[]): NdArray {
  const shape = axes.map((a) => array.shape[a]!);
  const inStrides = strides(array.shape);
  const data: boolean[] = [];
  const index = new Array<number>(shape.length).fill(0);
  for (let n = 0; n < array.data.length; n++) {
    let at = 0;
    for (let k = 0; k < shape.length; k++) at += index[k]! * inStrides[axes[k]!]!;
    data.push(array.data[at]!);
    for (let k = shape.length - 1; k >= 0 && ++index[k]! === shape[k]; k--) index[k] = 0;
  }
  return { shape, data };
}

/** `np.roll(array, shift, axis=1)` of a (rows, cols, 2) array: out[r][c] = in[r][(c - shift) mod cols]. */
function rollColumns(array: NdArray, shift: number): NdArray {
  const [rows, cols, parts] = array.shape as [number, number, number];
  const data: boolean[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const from = (((c - shift) % cols) + cols) % cols;
      for (let q = 0; q < parts; q++) data.push(array.data[(r * cols + from) * parts + q]!);
    }
  }
  return { shape: array.shape, data };
}

/** `base64.b64encode(np.packbits(array))`. */
function base64EncodeArray(array: NdArray): string {
  const bytes = new Uint8Array(Math.ceil(array.data.length / 8));
  array.data.forEach((bit, i) => {
    if (bit) bytes[i >> 3]! |= 0x80 >> (i % 8);
  });
  return Buffer.from(bytes).toString("base64");
}

interface OpenIrisTemplate {
  readonly iris_codes: readonly NdArray[];
  readonly mask_codes: readonly NdArray[];
}

function serialize(t: OpenIrisTemplate): {
  iris_codes: string;
  mask_codes: string;
  iris_code_version: string;
} {
  const oldFormat = (codes: readonly NdArray[]) => transpose(stack(codes), [1, 2, 0, 3]);
  return {
    iris_codes: base64EncodeArray(oldFormat(t.iris_codes)),
    mask_codes: base64EncodeArray(oldFormat(t.mask_codes)),
    iris_code_version: "v2.1",
  };
}

/** Bits open-iris's `get_bitcounts` / `count_nonmatchbits` count at one shift. */
function openIrisCounts(probe: OpenIrisTemplate, gallery: OpenIrisTemplate, shift: number) {
  let differing = 0;
  let usable = 0;
  for (let w = 0; w < WAVELETS; w++) {
    const code = rollColumns(probe.iris_codes[w]!, shift).data;
    const mask = rollColumns(probe.mask_codes[w]!, shift).data;
    for (let i = 0; i < code.length; i++) {
      const both = mask[i]! && gallery.mask_codes[w]!.data[i]!;
      if (both) usable++;
      if (both && code[i] !== gallery.iris_codes[w]!.data[i]) differing++;
    }
  }
  return { differing, usable };
}

/** open-iris's `simple_hamming_distance` without normalisation. */
function openIrisDistance(probe: OpenIrisTemplate, gallery: OpenIrisTemplate, rotationShift: number) {
  let best = { distance: 1, shift: 0, differing: 0, usable: 0 };
  const shifts = [0];
  for (let x = 1; x <= rotationShift; x++) shifts.push(-x, x);
  for (const shift of shifts) {
    const { differing, usable } = openIrisCounts(probe, gallery, shift);
    if (usable > 0 && differing / usable < best.distance)
      best = { distance: differing / usable, shift, differing, usable };
  }
  return best;
}

/** One (16, 256, 2) code per wavelet from seeded bits, as `IrisEncoder.run` returns them. */
function wavelets(seed: number, density = 0.5): NdArray[] {
  return Array.from({ length: WAVELETS }, (_, w) => ({
    shape: [ROWS, COLS, 2],
    data: seededBits(ROWS * COLS * 2, seed + w, density).map((b) => b === 1),
  }));
}

describe("open-iris import, against templates laid out as open-iris writes them", () => {
  const gallery: OpenIrisTemplate = { iris_codes: wavelets(11), mask_codes: wavelets(21, 0.9) };

  it("puts open-iris's (row, column, wavelet, real/imaginary) at (row, column, bit wavelet * 2 + part)", () => {
    const code = fromOpenIrisTemplate(serialize(gallery));
    expect(code.geometry).toEqual(OPEN_IRIS_GEOMETRY);
    for (let w = 0; w < WAVELETS; w++) {
      for (let r = 0; r < ROWS; r++) {
        for (let c = 0; c < COLS; c++) {
          for (let q = 0; q < 2; q++) {
            const at = (r * COLS + c) * 2 + q;
            const i = code.indexOf(r, c, w * 2 + q);
            expect(code.bitAt(i)).toBe(gallery.iris_codes[w]!.data[at] ? 1 : 0);
            expect(code.maskAt(i)).toBe(gallery.mask_codes[w]!.data[at] ? 1 : 0);
          }
        }
      }
    }
  });

  it("measures the distance and rotation open-iris's matcher measures, the shift with the opposite sign", () => {
    // The same eye rotated by 3 columns with 10 % of its bits flipped and its own mask.
    const noise = seededBits(ROWS * COLS * 2 * WAVELETS, 31, 0.1);
    const probe: OpenIrisTemplate = {
      iris_codes: gallery.iris_codes.map((w, k) => {
        const rolled = rollColumns(w, 3);
        return {
          shape: rolled.shape,
          data: rolled.data.map((b, i) => (noise[k * rolled.data.length + i] === 1 ? !b : b)),
        };
      }),
      mask_codes: wavelets(41, 0.9).map((w) => rollColumns(w, 3)),
    };
    const best = openIrisDistance(probe, gallery, 15);
    expect(best.shift).toBe(-3);
    expect(best.distance).toBeLessThan(0.15);
    const r = hammingDistance(
      fromOpenIrisTemplate(serialize(gallery)),
      fromOpenIrisTemplate(serialize(probe)),
      {
        maxShift: 15,
      },
    );
    expect([r.rawDistance, r.shift, r.differingBits, r.usableBits]).toEqual([
      best.distance,
      3,
      best.differing,
      best.usable,
    ]);
  });

  it("counts the bits open-iris counts at every shift of two unrelated templates", () => {
    const other: OpenIrisTemplate = { iris_codes: wavelets(51), mask_codes: wavelets(61, 0.9) };
    const template = fromOpenIrisTemplate(serialize(gallery));
    const probe = fromOpenIrisTemplate(serialize(other));
    for (let shift = -15; shift <= 15; shift++) {
      const r = hammingDistance(template, shiftColumns(probe, -shift));
      expect({ shift, differing: r.differingBits, usable: r.usableBits }).toEqual({
        shift,
        ...openIrisCounts(other, gallery, shift),
      });
    }
  });
});
