import { deflateSync } from "node:zlib";
import jpeg from "jpeg-js";

/** A deterministic grey test pattern. */
export function pattern(width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) out[y * width + x] = (x * 7 + y * 13 + ((x * y) % 17)) & 0xff;
  return out;
}

/** Writes an uncompressed BMP (8-bit with a grey palette, 24- or 32-bit BGR(A)), bottom-up unless topDown. */
export function makeBmp(
  width: number,
  height: number,
  grey: Uint8Array,
  bpp: 8 | 24 | 32,
  topDown = false,
): Uint8Array {
  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  const palette = bpp === 8 ? 256 * 4 : 0;
  const offset = 14 + 40 + palette;
  const size = offset + stride * height;
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  out[0] = 0x42;
  out[1] = 0x4d;
  v.setUint32(2, size, true);
  v.setUint32(10, offset, true);
  v.setUint32(14, 40, true);
  v.setInt32(18, width, true);
  v.setInt32(22, topDown ? -height : height, true);
  v.setUint16(26, 1, true);
  v.setUint16(28, bpp, true);
  v.setUint32(30, 0, true);
  v.setUint32(34, stride * height, true);
  if (bpp === 8) for (let i = 0; i < 256; i++) out.set([i, i, i, 0], 54 + 4 * i);
  for (let y = 0; y < height; y++) {
    const row = offset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const g = grey[y * width + x]!;
      if (bpp === 8) out[row + x] = g;
      else out.set(bpp === 24 ? [g, g, g] : [g, g, g, 255], row + x * (bpp / 8));
    }
  }
  return out;
}

/** Encodes grey pixels as a baseline JPEG. */
export function makeJpeg(width: number, height: number, grey: Uint8Array, quality = 95): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) rgba.set([grey[i]!, grey[i]!, grey[i]!, 255], 4 * i);
  return new Uint8Array(jpeg.encode({ width, height, data: rgba }, quality).data);
}

/** Parameters of {@link drawEye}, a crafted synthetic eye for quality-gate tests. */
export interface EyeSpec {
  width?: number;
  height?: number;
  cx?: number;
  cy?: number;
  irisR?: number;
  pupilR?: number;
  /** Pupil centre offset from the iris centre, pixels. */
  pupilDx?: number;
  /** Pupil vertical/horizontal axis ratio (1 = circle). */
  pupilAspect?: number;
  pupilGrey?: number;
  irisGrey?: number;
  scleraGrey?: number;
  /** Rows above this are upper eyelid skin. */
  lidTop?: number;
  /** Rows below this are lower eyelid skin. */
  lidBottom?: number;
  /** Lids cover only columns within this distance of the iris centre (default: the whole width). */
  lidHalfWidth?: number;
  /** Amplitude of the iris texture in grey levels. Default 9. */
  texture?: number;
  /** Box blur passes of radius 3. */
  blurPasses?: number;
  seed?: number;
}

/** Draws a grey eye: textured iris annulus, dark pupil, bright sclera, optional lids and blur. */
export function drawEye(spec: EyeSpec = {}): { width: number; height: number; data: Uint8Array } {
  const w = spec.width ?? 320;
  const h = spec.height ?? 280;
  const cx = spec.cx ?? 160;
  const cy = spec.cy ?? 140;
  const R = spec.irisR ?? 95;
  const r = spec.pupilR ?? 38;
  const pdx = spec.pupilDx ?? 0;
  const aspect = spec.pupilAspect ?? 1;
  let s = (spec.seed ?? 1) >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const phases = Array.from({ length: 12 }, () => rand() * 2 * Math.PI);
  const img = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const dx = x - cx;
      const dy = y - cy;
      const d = Math.hypot(dx, dy);
      const px = x - cx - pdx;
      const pd = Math.hypot(px, (y - cy) / aspect);
      let v: number;
      if (pd <= r) v = spec.pupilGrey ?? 25;
      else if (d <= R) {
        const a = Math.atan2(dy, dx);
        const t = (d - r) / (R - r);
        let tex = 0;
        for (let k = 0; k < 6; k++)
          tex +=
            Math.sin((7 + 5 * k) * a + phases[k]! + 6 * t * (k % 3)) *
            Math.cos((2 + k) * Math.PI * t + phases[k + 6]!);
        v = (spec.irisGrey ?? 140) + (spec.texture ?? 9) * tex + (rand() - 0.5) * 6;
      } else v = spec.scleraGrey ?? 215;
      const underLid = Math.abs(dx) <= (spec.lidHalfWidth ?? w);
      if (underLid && spec.lidTop !== undefined && y < spec.lidTop) v = 200;
      if (underLid && spec.lidBottom !== undefined && y > spec.lidBottom) v = 200;
      img[y * w + x] = v;
    }
  }
  let cur = img;
  for (let p = 0; p < (spec.blurPasses ?? 0); p++) {
    const next = new Float32Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let sum = 0;
        let n = 0;
        for (let k = -3; k <= 3; k++) {
          for (let j = -3; j <= 3; j++) {
            const yy = Math.min(h - 1, Math.max(0, y + k));
            const xx = Math.min(w - 1, Math.max(0, x + j));
            sum += cur[yy * w + xx]!;
            n++;
          }
        }
        next[y * w + x] = sum / n;
      }
    }
    cur = next;
  }
  const data = new Uint8Array(w * h);
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, Math.round(cur[i]!)));
  return { width: w, height: h, data };
}

/** CRC-32 (ISO 3309, as PNG uses it) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** One PNG chunk: big-endian length, four-letter type, data and a correct CRC. */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  v.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** The fields of a PNG IHDR chunk. */
export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  colourType: number;
  compression?: number;
  filter?: number;
  interlace?: number;
}

/** The 13 data bytes of an IHDR chunk. */
export function ihdrData(h: PngHeader): Uint8Array {
  const out = new Uint8Array(13);
  const v = new DataView(out.buffer);
  v.setUint32(0, h.width);
  v.setUint32(4, h.height);
  out.set([h.bitDepth, h.colourType, h.compression ?? 0, h.filter ?? 0, h.interlace ?? 0], 8);
  return out;
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

/**
 * Assembles a PNG from an IHDR and the already filtered, uncompressed scanline bytes (`raw`,
 * deflated into one IDAT), with optional chunks (PLTE, tRNS, ...) between IHDR and IDAT.
 */
export function assemblePng(header: PngHeader, raw: Uint8Array, chunks: Uint8Array[] = []): Uint8Array {
  return concatBytes(
    PNG_SIGNATURE,
    pngChunk("IHDR", ihdrData(header)),
    ...chunks,
    pngChunk("IDAT", new Uint8Array(deflateSync(raw))),
    pngChunk("IEND", new Uint8Array(0)),
  );
}

/** Parameters of {@link makePng}: any colour type and bit depth of the PNG standard. */
export interface PngSpec {
  width: number;
  height: number;
  colourType: 0 | 2 | 3 | 4 | 6;
  bitDepth: 1 | 2 | 4 | 8 | 16;
  /** `width * height * channels` samples, row-major, each in `0 .. 2^bitDepth - 1`. */
  samples: ArrayLike<number>;
  /** RGB entries of the PLTE chunk (colour type 3). */
  palette?: readonly (readonly [number, number, number])[];
  /** Data of a tRNS chunk. */
  transparency?: Uint8Array;
  /** Adam7 interlacing. */
  interlace?: boolean;
}

const PNG_CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/** Writes a PNG (filter type 0 on every row), interlaced with Adam7 when asked. */
export function makePng(spec: PngSpec): Uint8Array {
  const { width, height, bitDepth } = spec;
  const channels = PNG_CHANNELS[spec.colourType];
  const passes = spec.interlace ? ADAM7 : ([[0, 0, 1, 1]] as const);
  const rows: Uint8Array[] = [];
  for (const [x0, y0, dx, dy] of passes) {
    const xs: number[] = [];
    for (let x = x0; x < width; x += dx) xs.push(x);
    if (xs.length === 0) continue;
    for (let y = y0; y < height; y += dy) {
      const row = new Uint8Array(1 + Math.ceil((xs.length * channels * bitDepth) / 8));
      for (let i = 0; i < xs.length; i++) {
        for (let c = 0; c < channels; c++) {
          const s = spec.samples[(y * width + xs[i]!) * channels + c]!;
          const k = i * channels + c;
          if (bitDepth === 16) row.set([s >> 8, s & 0xff], 1 + 2 * k);
          else if (bitDepth === 8) row[1 + k] = s;
          else {
            const at = k * bitDepth;
            row[1 + (at >> 3)] = row[1 + (at >> 3)]! | (s << (8 - bitDepth - (at & 7)));
          }
        }
      }
      rows.push(row);
    }
  }
  const chunks: Uint8Array[] = [];
  if (spec.palette) chunks.push(pngChunk("PLTE", Uint8Array.from(spec.palette.flat())));
  if (spec.transparency) chunks.push(pngChunk("tRNS", spec.transparency));
  const header = { width, height, bitDepth, colourType: spec.colourType, interlace: spec.interlace ? 1 : 0 };
  return assemblePng(header, concatBytes(...rows), chunks);
}

/** Offsets of every chunk of a PNG file (lenient: stops at the first chunk that overruns the file). */
export function pngChunks(png: Uint8Array): { type: string; at: number; length: number }[] {
  const v = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out: { type: string; at: number; length: number }[] = [];
  for (let at = 8; at + 12 <= png.length; ) {
    const length = v.getUint32(at);
    if (at + 12 + length > png.length) break;
    out.push({ type: String.fromCharCode(...png.subarray(at + 4, at + 8)), at, length });
    at += 12 + length;
  }
  return out;
}

/** Recomputes the CRC of every chunk (after a test edits chunk contents on purpose). */
export function fixPngCrcs(png: Uint8Array): Uint8Array {
  const v = new DataView(png.buffer, png.byteOffset, png.byteLength);
  for (const c of pngChunks(png))
    v.setUint32(c.at + 8 + c.length, crc32(png.subarray(c.at + 4, c.at + 8 + c.length)));
  return png;
}

/** Offset of the first `FF <marker>` segment of a JPEG file (before its first scan), or -1. */
export function jpegSegment(bytes: Uint8Array, marker: number): number {
  for (let p = 2; p + 4 <= bytes.length; ) {
    if (bytes[p] !== 0xff) return -1;
    if (bytes[p + 1] === marker) return p;
    if (bytes[p + 1] === 0xda) return -1;
    p += 2 + ((bytes[p + 2]! << 8) | bytes[p + 3]!);
  }
  return -1;
}

/** Parameters of {@link makeBmpFile}: the header variants {@link makeBmp} does not write. */
export interface BmpSpec {
  width: number;
  height: number;
  grey: Uint8Array;
  bpp: 8 | 24 | 32;
  /** DIB header size: 40 (v3), 108 (v4) or 124 (v5). Default 40. */
  headerSize?: 40 | 108 | 124;
  /** 32-bit only: BI_BITFIELDS with these R, G, B masks (after a v3 header, or inside v4/v5). */
  bitFields?: readonly [number, number, number];
  /** 8-bit only: palette entries written and declared in biClrUsed. Default 256. */
  colours?: number;
  topDown?: boolean;
}

/** Writes a BMP with a v3, v4 or v5 header, optional bit fields and a short palette. */
export function makeBmpFile(spec: BmpSpec): Uint8Array {
  const { width, height, grey, bpp } = spec;
  const dib = spec.headerSize ?? 40;
  const colours = bpp === 8 ? (spec.colours ?? 256) : 0;
  const masksAfter = spec.bitFields && dib === 40 ? 12 : 0;
  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  const offset = 14 + dib + masksAfter + colours * 4;
  const out = new Uint8Array(offset + stride * height);
  const v = new DataView(out.buffer);
  out.set([0x42, 0x4d]);
  v.setUint32(2, out.length, true);
  v.setUint32(10, offset, true);
  v.setUint32(14, dib, true);
  v.setInt32(18, width, true);
  v.setInt32(22, spec.topDown ? -height : height, true);
  v.setUint16(26, 1, true);
  v.setUint16(28, bpp, true);
  v.setUint32(30, spec.bitFields ? 3 : 0, true);
  v.setUint32(34, stride * height, true);
  v.setUint32(46, bpp === 8 && colours !== 256 ? colours : 0, true);
  for (const [i, m] of (spec.bitFields ?? []).entries()) v.setUint32(54 + 4 * i, m, true);
  for (let i = 0; i < colours; i++) out.set([i, i, i, 0], 14 + dib + masksAfter + 4 * i);
  for (let y = 0; y < height; y++) {
    const row = offset + (spec.topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const g = grey[y * width + x]!;
      if (bpp === 8) out[row + x] = g;
      else out.set(bpp === 24 ? [g, g, g] : [g, g, g, 0], row + x * (bpp / 8));
    }
  }
  return out;
}
