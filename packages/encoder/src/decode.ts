import { inflateSync } from "node:zlib";
import { crc32 } from "@zkiris/iris-code";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { ImageDecodeError } from "./errors.js";

/** An 8-bit grey image, row-major, one byte per pixel (`data.length === width * height`). */
export interface GreyImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/**
 * A raw grey frame as capture firmware hands it over: `width * height` bytes, row-major, one
 * byte per pixel. Same shape as {@link GreyImage}; accepted as is after its size is checked.
 */
export type RawGreyFrame = GreyImage;

/** Anything {@link decodeImage} reads: PNG, JPEG or BMP file bytes, or a raw grey frame. */
export type ImageInput = Uint8Array | RawGreyFrame;

/**
 * Limits of {@link decodeImage}. Each is checked against the dimensions a file's header declares
 * before any pixel buffer is allocated, so a small file that lies about its size costs nothing.
 */
export interface DecodeLimits {
  /** Smallest accepted width and height in pixels. Default 32. */
  minDimension?: number;
  /** Largest accepted width or height in pixels. Default 8192. */
  maxDimension?: number;
  /** Largest accepted pixel count. Default 16,777,216 (16 megapixels). */
  maxPixels?: number;
}

const DEFAULT_LIMITS: Required<DecodeLimits> = {
  minDimension: 32,
  maxDimension: 8192,
  maxPixels: 16_777_216,
};

/** The container format of an input, detected from its first bytes. */
export type ImageFormat = "png" | "jpeg" | "bmp" | "raw";

/**
 * Detects PNG (`89 50 4E 47`), JPEG (`FF D8`) or BMP (`BM`) from magic bytes; `undefined` for
 * anything else, including inputs too short to carry a whole magic number.
 */
export function detectImageFormat(bytes: Uint8Array): Exclude<ImageFormat, "raw"> | undefined {
  if (bytes.length >= 4 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) {
    return "png";
  }
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xd8) return "jpeg";
  if (bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d) return "bmp";
  return undefined;
}

/**
 * Decodes PNG, JPEG or BMP file bytes, or checks a raw grey frame, into a {@link GreyImage}.
 *
 * - PNG: every colour type and bit depth of the PNG standard, interlaced or not. 16-bit samples
 *   are scaled to 8 bits (`round(v * 255 / 65535)`), 1/2/4-bit grey is stretched to 0-255,
 *   transparency (alpha channel or `tRNS`) is composited over black. Bytes after `IEND` are ignored.
 * - JPEG: baseline, extended and progressive Huffman-coded, 8-bit, 1, 3 or 4 (Adobe) components.
 * - BMP: Windows v3-v5 headers, 8-bit palette, 24-bit, 32-bit (`BI_RGB` or `BGRX` bit fields);
 *   the fourth byte of a 32-bit pixel is ignored.
 *
 * Colour is converted to grey with Rec. 601 luma weights. Header sizes, chunk and segment lengths,
 * offsets and declared dimensions are all checked against the buffer and the limits before pixels
 * are decoded or allocated.
 *
 * Throws {@link ImageDecodeError}: `UNSUPPORTED_FORMAT` (not an image, or a variant this reader
 * does not handle: 16-bit or RLE BMP, lossless/arithmetic/12-bit JPEG), `TRUNCATED_IMAGE` (the
 * bytes stop early, or hold too little data for the size they declare), `CORRUPT_IMAGE`
 * (inconsistent contents: bad checksums, impossible header fields, undecodable pixel data),
 * `INVALID_DIMENSIONS` (zero, too small, too large, or a raw frame whose data does not match its
 * size), `INVALID_PARAMETER` (neither bytes nor a frame, or limits that are not positive integers).
 */
export function decodeImage(input: ImageInput, limits: DecodeLimits = {}): GreyImage {
  const lim = resolveLimits(limits);
  if (input instanceof Uint8Array) {
    const format = detectImageFormat(input);
    if (format === "png") return decodePng(input, lim);
    if (format === "jpeg") return decodeJpeg(input, lim);
    if (format === "bmp") return decodeBmp(input, lim);
    throw new ImageDecodeError(
      "UNSUPPORTED_FORMAT",
      `Parameter 'image' is not a PNG, JPEG or BMP file (first bytes ${hexPrefix(input)})`,
      { field: "image" },
    );
  }
  if (typeof input === "object" && input !== null && "data" in input) return checkRawFrame(input, lim);
  throw new ImageDecodeError(
    "INVALID_PARAMETER",
    `Parameter 'image' must be file bytes (Uint8Array) or a raw frame { width, height, data }, received ${input === null ? "null" : typeof input}`,
    { field: "image" },
  );
}

function resolveLimits(limits: DecodeLimits): Required<DecodeLimits> {
  if (typeof limits !== "object" || limits === null) {
    throw new ImageDecodeError(
      "INVALID_PARAMETER",
      `Parameter 'limits' must be an object, received ${limits === null ? "null" : typeof limits}`,
      { field: "limits" },
    );
  }
  const lim: Required<DecodeLimits> = {
    minDimension: limits.minDimension ?? DEFAULT_LIMITS.minDimension,
    maxDimension: limits.maxDimension ?? DEFAULT_LIMITS.maxDimension,
    maxPixels: limits.maxPixels ?? DEFAULT_LIMITS.maxPixels,
  };
  for (const key of ["minDimension", "maxDimension", "maxPixels"] as const) {
    const value: unknown = lim[key];
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
      throw new ImageDecodeError(
        "INVALID_PARAMETER",
        `Parameter 'limits.${key}' must be a positive integer, received ${typeof value === "number" ? value : typeof value}`,
        { field: `limits.${key}` },
      );
    }
  }
  if (lim.minDimension > lim.maxDimension) {
    throw new ImageDecodeError(
      "INVALID_PARAMETER",
      `Parameter 'limits.minDimension' (${lim.minDimension}) is larger than 'limits.maxDimension' (${lim.maxDimension})`,
      { field: "limits.minDimension" },
    );
  }
  return lim;
}

function hexPrefix(bytes: Uint8Array): string {
  return bytes.length === 0
    ? "none: the input is empty"
    : Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ");
}

function checkDimensions(width: number, height: number, lim: Required<DecodeLimits>, what: string): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new ImageDecodeError("INVALID_DIMENSIONS", `${what} has invalid size ${width}x${height}`, {
      field: Number.isInteger(width) && width > 0 ? "image.height" : "image.width",
    });
  }
  if (width < lim.minDimension || height < lim.minDimension) {
    throw new ImageDecodeError(
      "INVALID_DIMENSIONS",
      `${what} is ${width}x${height}, smaller than the minimum ${lim.minDimension}x${lim.minDimension}`,
      { field: width < lim.minDimension ? "image.width" : "image.height" },
    );
  }
  if (width > lim.maxDimension || height > lim.maxDimension || width * height > lim.maxPixels) {
    throw new ImageDecodeError(
      "INVALID_DIMENSIONS",
      `${what} is ${width}x${height}, larger than the limit (${lim.maxDimension} per side, ${lim.maxPixels} pixels)`,
      { field: width > lim.maxDimension ? "image.width" : "image.height" },
    );
  }
}

function checkRawFrame(frame: RawGreyFrame, lim: Required<DecodeLimits>): GreyImage {
  const { width, height, data } = frame;
  if (!(data instanceof Uint8Array)) {
    throw new ImageDecodeError(
      "INVALID_PARAMETER",
      "Field 'image.data' of a raw frame must be a Uint8Array",
      {
        field: "image.data",
      },
    );
  }
  checkDimensions(width, height, lim, "Raw frame");
  if (data.length !== width * height) {
    throw new ImageDecodeError(
      "INVALID_DIMENSIONS",
      `Field 'image.data' has ${data.length} bytes; a ${width}x${height} grey frame needs exactly ${width * height}`,
      { field: "image.data" },
    );
  }
  return { width, height, data: data.slice() };
}

/** Rec. 601 luma of RGBA pixels, composited over black by alpha when `useAlpha`. */
function rgbaToGrey(rgba: Uint8Array, width: number, height: number, useAlpha: boolean): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let i = 0, j = 0; i < out.length; i++, j += 4) {
    const luma = 299 * rgba[j]! + 587 * rgba[j + 1]! + 114 * rgba[j + 2]!;
    // Opaque pixels give round(luma / 1000) either way; the Uint8Array store truncates.
    out[i] = useAlpha ? (luma * rgba[j + 3]! + 127_500) / 255_000 : (luma + 500) / 1000;
  }
  return out;
}

function corrupt(message: string, cause?: unknown): ImageDecodeError {
  return new ImageDecodeError(
    "CORRUPT_IMAGE",
    message,
    cause === undefined ? { field: "image" } : { field: "image", cause },
  );
}

function truncated(message: string): ImageDecodeError {
  return new ImageDecodeError("TRUNCATED_IMAGE", message, { field: "image" });
}

function unsupported(message: string): ImageDecodeError {
  return new ImageDecodeError("UNSUPPORTED_FORMAT", message, { field: "image" });
}

// --- PNG ---------------------------------------------------------------------------------------

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] as const;
const PNG_IHDR = 0x49484452;
const PNG_IDAT = 0x49444154;
const PNG_IEND = 0x49454e44;
const PNG_PLTE = 0x504c5445;
/** Bit depths the PNG standard allows for each colour type, and the channels of each. */
const PNG_COLOUR_TYPES: Readonly<Record<number, { depths: readonly number[]; channels: number }>> = {
  0: { depths: [1, 2, 4, 8, 16], channels: 1 },
  2: { depths: [8, 16], channels: 3 },
  3: { depths: [1, 2, 4, 8], channels: 1 },
  4: { depths: [8, 16], channels: 2 },
  6: { depths: [8, 16], channels: 4 },
};
/** Adam7 passes: x start, y start, x step, y step. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;
/**
 * Deflate cannot expand more than about 1032:1 (a 258-byte match in two bits), so compressed
 * pixel data shorter than `raw / 1033` cannot hold the image its header declares.
 */
const DEFLATE_MAX_RATIO = 1033;

function chunkName(bytes: Uint8Array, at: number): string {
  let name = "";
  for (let i = at; i < at + 4; i++) {
    const b = bytes[i]!;
    name += (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) ? String.fromCharCode(b) : "?";
  }
  return name;
}

/** Bytes of filtered scanlines (one filter byte per row) that a PNG of this size inflates to. */
function pngRawSize(width: number, height: number, bitsPerPixel: number, interlaced: boolean): number {
  const rowBytes = (w: number) => 1 + Math.ceil((w * bitsPerPixel) / 8);
  if (!interlaced) return height * rowBytes(width);
  let size = 0;
  for (const [x0, y0, dx, dy] of ADAM7) {
    const w = width > x0 ? Math.ceil((width - x0) / dx) : 0;
    const h = height > y0 ? Math.ceil((height - y0) / dy) : 0;
    if (w > 0 && h > 0) size += h * rowBytes(w);
  }
  return size;
}

function decodePng(bytes: Uint8Array, lim: Required<DecodeLimits>): GreyImage {
  if (bytes.length < 33) {
    throw truncated(`PNG file has ${bytes.length} bytes, shorter than its header`);
  }
  if (!PNG_SIGNATURE.every((b, i) => bytes[i] === b)) {
    throw corrupt("PNG signature is damaged (was the file converted as text?)");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(12) !== PNG_IHDR || view.getUint32(8) !== 13) {
    throw corrupt("PNG file does not start with a 13-byte IHDR chunk");
  }
  if (crc32(bytes.subarray(12, 29)) !== view.getUint32(29))
    throw corrupt("PNG IHDR chunk fails its CRC check");
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const depth = bytes[24]!;
  const colourType = bytes[25]!;
  const kind = PNG_COLOUR_TYPES[colourType];
  if (kind === undefined) throw corrupt(`PNG colour type ${colourType} does not exist (0, 2, 3, 4 or 6)`);
  if (!kind.depths.includes(depth)) {
    throw corrupt(`PNG colour type ${colourType} cannot have bit depth ${depth} (${kind.depths.join(", ")})`);
  }
  if (bytes[26] !== 0 || bytes[27] !== 0 || bytes[28]! > 1) {
    throw corrupt(
      `PNG IHDR names unknown compression (${bytes[26]}), filter (${bytes[27]}) or interlace (${bytes[28]}) methods`,
    );
  }
  const interlaced = bytes[28] === 1;
  checkDimensions(width, height, lim, "PNG image");

  const idat: Uint8Array[] = [];
  let idatBytes = 0;
  let hasPalette = false;
  let end = -1;
  for (let p = 33; end < 0; ) {
    if (p + 8 > bytes.length) throw truncated(`PNG file ends at byte ${bytes.length}, before its IEND chunk`);
    const length = view.getUint32(p);
    const type = view.getUint32(p + 4);
    const name = chunkName(bytes, p + 4);
    if (length > 0x7fffffff)
      throw corrupt(`PNG ${name} chunk at byte ${p} claims ${length} bytes (at most 2^31-1)`);
    if (p + 12 + length > bytes.length) {
      throw truncated(`PNG file ends inside its ${name} chunk at byte ${p} (${length} data bytes declared)`);
    }
    if (crc32(bytes.subarray(p + 4, p + 8 + length)) !== view.getUint32(p + 8 + length)) {
      throw corrupt(`PNG ${name} chunk at byte ${p} fails its CRC check`);
    }
    if (name.includes("?"))
      throw corrupt(`PNG chunk at byte ${p} has an invalid type ${hexPrefix(bytes.subarray(p + 4))}`);
    if (type === PNG_IHDR) throw corrupt(`PNG file has a second IHDR chunk at byte ${p}`);
    // Bit 5 of the first type byte clear marks a critical chunk, which a reader must understand.
    if ((bytes[p + 4]! & 0x20) === 0 && type !== PNG_IDAT && type !== PNG_PLTE && type !== PNG_IEND) {
      throw unsupported(`PNG critical chunk ${name} at byte ${p} is not supported`);
    }
    if (type === PNG_IDAT) {
      idat.push(bytes.subarray(p + 8, p + 8 + length));
      idatBytes += length;
    }
    if (type === PNG_PLTE) hasPalette = true;
    if (type === PNG_IEND) end = p + 12;
    p += 12 + length;
  }
  if (idat.length === 0) throw corrupt("PNG file has no IDAT (pixel data) chunk");
  if (colourType === 3 && !hasPalette) throw corrupt("Palette PNG file has no PLTE chunk");

  const rawSize = pngRawSize(width, height, kind.channels * depth, interlaced);
  if (idatBytes * DEFLATE_MAX_RATIO < rawSize) {
    throw truncated(
      `PNG pixel data has ${idatBytes} compressed bytes; a ${width}x${height} image needs at least ${Math.ceil(rawSize / DEFLATE_MAX_RATIO)}`,
    );
  }
  // Inflate once with a cap before pngjs does: a zip bomb stops at the declared size, and data
  // that ends early is reported as truncation instead of being decoded as black rows.
  let inflated: Buffer;
  try {
    inflated = inflateSync(Buffer.concat(idat), { maxOutputLength: rawSize });
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    if (code === "ERR_BUFFER_TOO_LARGE") {
      throw corrupt(
        `PNG pixel data inflates to more than the ${rawSize} bytes a ${width}x${height} image needs`,
        cause,
      );
    }
    if (code === "Z_BUF_ERROR") throw truncated("PNG compressed pixel data stops before its end");
    throw corrupt(`PNG pixel data does not inflate: ${(cause as Error).message}`, cause);
  }
  if (inflated.length !== rawSize) {
    throw truncated(
      `PNG pixel data inflates to ${inflated.length} bytes; a ${width}x${height} image needs ${rawSize}`,
    );
  }
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, end));
  } catch (cause) {
    throw corrupt(`PNG file is corrupt: ${(cause as Error).message}`, cause);
  }
  if (png.width !== width || png.height !== height || png.data.length !== width * height * 4) {
    throw corrupt("PNG file decodes to a size different from its header");
  }
  return { width, height, data: rgbaToGrey(png.data, width, height, true) };
}

// --- JPEG --------------------------------------------------------------------------------------

interface JpegComponent {
  readonly id: number;
  readonly h: number;
  readonly v: number;
  readonly table: number;
}

interface JpegFrame {
  readonly width: number;
  readonly height: number;
  readonly progressive: boolean;
  readonly components: readonly JpegComponent[];
}

/** What a structural walk of a JPEG file found, before any pixel is decoded. */
interface JpegLayout {
  readonly frame: JpegFrame;
  /** Bytes of entropy-coded scan data, all scans together. */
  readonly scanBytes: number;
  /** Offset just past the end-of-image marker. */
  readonly end: number;
}

function markerName(marker: number): string {
  if (marker === 0xda) return "SOS";
  if (marker === 0xc4) return "DHT";
  if (marker === 0xdb) return "DQT";
  if (marker === 0xdd) return "DRI";
  if (marker >= 0xc0 && marker <= 0xcf) return `SOF${marker - 0xc0}`;
  if (marker >= 0xe0 && marker <= 0xef) return `APP${marker - 0xe0}`;
  if (marker === 0xfe) return "COM";
  return `FF${marker.toString(16).padStart(2, "0").toUpperCase()}`;
}

function isSof(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/**
 * Walks the marker segments and scans of a JPEG file, checking every length against the buffer
 * and every table reference against the tables defined, so jpeg-js only sees well-formed files.
 */
function jpegLayout(bytes: Uint8Array): JpegLayout {
  const u16 = (at: number) => (bytes[at]! << 8) | bytes[at + 1]!;
  let frame: JpegFrame | undefined;
  let adobe = false;
  let scans = 0;
  let scanBytes = 0;
  const quantTables = new Set<number>();
  const huffTables = new Set<number>(); // class * 4 + id
  let p = 2;
  for (;;) {
    if (p >= bytes.length) throw truncated("JPEG file ends before its end-of-image marker (FFD9)");
    if (bytes[p] !== 0xff) {
      throw corrupt(`JPEG file has byte ${bytes[p]!.toString(16)} at ${p} where a marker should start`);
    }
    while (p + 1 < bytes.length && bytes[p + 1] === 0xff) p++;
    if (p + 2 > bytes.length) throw truncated("JPEG file ends before its end-of-image marker (FFD9)");
    const marker = bytes[p + 1]!;
    if (marker === 0xd9) {
      p += 2;
      break;
    }
    if (marker === 0x00 || marker === 0xd8)
      throw corrupt(`JPEG file has a stray ${markerName(marker)} marker at byte ${p}`);
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      p += 2;
      continue;
    }
    const name = markerName(marker);
    if (p + 4 > bytes.length) throw truncated(`JPEG file ends inside its ${name} segment at byte ${p}`);
    const length = u16(p + 2);
    if (length < 2) throw corrupt(`JPEG ${name} segment at byte ${p} has impossible length ${length}`);
    const start = p + 4;
    const end = p + 2 + length;
    if (end > bytes.length) throw truncated(`JPEG file ends inside its ${name} segment at byte ${p}`);
    if (isSof(marker)) {
      if (marker > 0xc2) {
        throw unsupported(
          `${name} JPEG (lossless, hierarchical or arithmetic-coded) is not supported; only baseline, extended and progressive Huffman`,
        );
      }
      if (frame !== undefined) throw corrupt(`JPEG file has a second frame header (${name}) at byte ${p}`);
      frame = parseSof(bytes.subarray(start, end), marker === 0xc2, p);
    } else if (marker === 0xdb) {
      for (let q = start; q < end; ) {
        const precision = bytes[q]! >> 4;
        const id = bytes[q]! & 15;
        if (precision > 1 || id > 3)
          throw corrupt(`JPEG DQT segment at byte ${p} defines an invalid table ${bytes[q]}`);
        q += 1 + (precision === 1 ? 128 : 64);
        if (q > end) throw corrupt(`JPEG DQT segment at byte ${p} is shorter than its tables`);
        quantTables.add(id);
      }
    } else if (marker === 0xc4) {
      for (let q = start; q < end; ) {
        if (q + 17 > end) throw corrupt(`JPEG DHT segment at byte ${p} is shorter than its tables`);
        const tableClass = bytes[q]! >> 4;
        const id = bytes[q]! & 15;
        if (tableClass > 1 || id > 3)
          throw corrupt(`JPEG DHT segment at byte ${p} defines an invalid table ${bytes[q]}`);
        let codes = 0;
        for (let i = 1; i <= 16; i++) codes += bytes[q + i]!;
        q += 17 + codes;
        if (codes > 256 || q > end) throw corrupt(`JPEG DHT segment at byte ${p} is shorter than its tables`);
        huffTables.add(tableClass * 4 + id);
      }
    } else if (marker === 0xee) {
      adobe = length >= 7 && String.fromCharCode(...bytes.subarray(start, start + 5)) === "Adobe";
    } else if (marker === 0xda) {
      if (frame === undefined)
        throw corrupt(`JPEG scan (SOS) at byte ${p} comes before its frame header (SOF)`);
      checkSos(bytes.subarray(start, end), frame, huffTables, p);
      // Entropy-coded data runs to the next marker that is neither a stuffed 00 nor a restart.
      let q = end;
      for (;;) {
        if (q + 1 >= bytes.length)
          throw truncated(`JPEG file ends inside the scan data that starts at byte ${end}`);
        if (bytes[q] === 0xff) {
          const next = bytes[q + 1]!;
          if (next !== 0x00 && next !== 0xff && (next < 0xd0 || next > 0xd7)) break;
          q += next === 0xff ? 1 : 2;
        } else q++;
      }
      scans++;
      scanBytes += q - end;
      p = q;
      continue;
    }
    p = end;
  }
  if (frame === undefined) throw corrupt("JPEG file has no frame header (SOF)");
  if (scans === 0) throw corrupt("JPEG file has no scan (SOS)");
  for (const c of frame.components) {
    if (!quantTables.has(c.table)) {
      throw corrupt(
        `JPEG component ${c.id} uses quantisation table ${c.table}, which the file never defines`,
      );
    }
  }
  if (frame.components.length === 4 && !adobe) {
    throw unsupported("JPEG with 4 components (CMYK) but no Adobe marker is not supported");
  }
  return { frame, scanBytes, end: p };
}

function parseSof(seg: Uint8Array, progressive: boolean, at: number): JpegFrame {
  if (seg.length < 6) throw corrupt(`JPEG frame header at byte ${at} is ${seg.length} bytes, shorter than 6`);
  const count = seg[5]!;
  if (seg.length !== 6 + 3 * count) {
    throw corrupt(
      `JPEG frame header at byte ${at} has ${seg.length} bytes; ${count} components need ${6 + 3 * count}`,
    );
  }
  if (seg[0] !== 8) throw unsupported(`${seg[0]}-bit JPEG samples are not supported (only 8)`);
  if (count === 0) throw corrupt(`JPEG frame header at byte ${at} has no components`);
  if (count !== 1 && count !== 3 && count !== 4) {
    throw unsupported(`JPEG with ${count} colour components is not supported (only 1, 3 or 4)`);
  }
  const components: JpegComponent[] = [];
  for (let i = 0; i < count; i++) {
    const id = seg[6 + 3 * i]!;
    const h = seg[7 + 3 * i]! >> 4;
    const v = seg[7 + 3 * i]! & 15;
    const table = seg[8 + 3 * i]!;
    if (h < 1 || h > 4 || v < 1 || v > 4) {
      throw corrupt(`JPEG component ${id} has sampling factors ${h}x${v}; each must be 1 to 4`);
    }
    if (table > 3) throw corrupt(`JPEG component ${id} names quantisation table ${table}; at most 3`);
    if (components.some((c) => c.id === id)) throw corrupt(`JPEG frame header lists component ${id} twice`);
    components.push({ id, h, v, table });
  }
  return { height: (seg[1]! << 8) | seg[2]!, width: (seg[3]! << 8) | seg[4]!, progressive, components };
}

function checkSos(seg: Uint8Array, frame: JpegFrame, huffTables: ReadonlySet<number>, at: number): void {
  const count = seg[0] ?? 0;
  if (count < 1 || count > 4 || seg.length !== 4 + 2 * count) {
    throw corrupt(`JPEG scan header at byte ${at} is malformed (${count} components in ${seg.length} bytes)`);
  }
  const spectralStart = seg[1 + 2 * count]!;
  const spectralEnd = seg[2 + 2 * count]!;
  const refining = seg[3 + 2 * count]! >> 4 !== 0;
  if (spectralEnd > 63 || spectralStart > spectralEnd) {
    throw corrupt(`JPEG scan header at byte ${at} has spectral range ${spectralStart}-${spectralEnd}`);
  }
  const needsDc = !frame.progressive || (spectralStart === 0 && !refining);
  const needsAc = !frame.progressive || spectralStart > 0;
  for (let i = 0; i < count; i++) {
    const id = seg[1 + 2 * i]!;
    if (!frame.components.some((c) => c.id === id)) {
      throw corrupt(`JPEG scan at byte ${at} refers to component ${id}, which its frame does not have`);
    }
    const dc = seg[2 + 2 * i]! >> 4;
    const ac = seg[2 + 2 * i]! & 15;
    if ((needsDc && !huffTables.has(dc)) || (needsAc && !huffTables.has(4 + ac))) {
      throw corrupt(`JPEG scan at byte ${at} uses a Huffman table the file has not defined`);
    }
  }
}

function decodeJpeg(bytes: Uint8Array, lim: Required<DecodeLimits>): GreyImage {
  const { frame, scanBytes, end } = jpegLayout(bytes);
  const { width, height } = frame;
  checkDimensions(width, height, lim, "JPEG image");
  // Every 8x8 block costs at least one Huffman code (progressive DC) or two (baseline DC + EOB).
  const maxH = Math.max(...frame.components.map((c) => c.h));
  const maxV = Math.max(...frame.components.map((c) => c.v));
  const mcusPerLine = Math.ceil(width / 8 / maxH);
  const mcusPerColumn = Math.ceil(height / 8 / maxV);
  let blocks = 0;
  let memory = 0;
  for (const c of frame.components) {
    const perLine = Math.ceil((Math.ceil(width / 8) * c.h) / maxH);
    const perColumn = Math.ceil((Math.ceil(height / 8) * c.v) / maxV);
    blocks += perLine * perColumn;
    // What jpeg-js allocates per component: Int32Array(64) coefficient blocks and sample lines.
    memory += mcusPerLine * c.h * mcusPerColumn * c.v * 256 + perLine * 8 * perColumn * 8;
  }
  const minBits = blocks * (frame.progressive ? 1 : 2);
  if (scanBytes * 8 < minBits) {
    throw truncated(
      `JPEG scan data has ${scanBytes} bytes; a ${width}x${height} frame needs at least ${Math.ceil(minBits / 8)}`,
    );
  }
  memory += width * height * (frame.components.length + 4) + 1_048_576 + 4 * bytes.length;
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = jpeg.decode(bytes.subarray(0, end), {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: Math.ceil(lim.maxPixels / 1e6),
      maxMemoryUsageInMB: Math.ceil(memory / 1_048_576),
    });
  } catch (cause) {
    throw corrupt(`JPEG file is corrupt: ${(cause as Error).message}`, cause);
  }
  if (decoded.width !== width || decoded.height !== height || decoded.data.length !== width * height * 4) {
    throw corrupt("JPEG file decodes to a size different from its header");
  }
  return { width, height, data: rgbaToGrey(decoded.data, width, height, false) };
}

// --- BMP ---------------------------------------------------------------------------------------

const BMP_HEADER_SIZES = [40, 52, 56, 108, 124];

function decodeBmp(bytes: Uint8Array, lim: Required<DecodeLimits>): GreyImage {
  if (bytes.length < 18) throw truncated(`BMP file has ${bytes.length} bytes, shorter than its headers`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dataOffset = view.getUint32(10, true);
  const dibSize = view.getUint32(14, true);
  if (!BMP_HEADER_SIZES.includes(dibSize)) {
    throw unsupported(`BMP header of ${dibSize} bytes is not supported (only Windows BMP v3-v5)`);
  }
  if (bytes.length < 14 + dibSize)
    throw truncated(`BMP file has ${bytes.length} bytes, shorter than its headers`);
  const width = view.getInt32(18, true);
  const rawHeight = view.getInt32(22, true);
  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);
  const planes = view.getUint16(26, true);
  const bpp = view.getUint16(28, true);
  const compression = view.getUint32(30, true);
  if (planes !== 1) throw corrupt(`BMP file has ${planes} colour planes; must be 1`);
  if (bpp !== 8 && bpp !== 24 && bpp !== 32) {
    throw unsupported(`BMP with ${bpp} bits per pixel is not supported (only 8, 24, 32)`);
  }
  if (!(compression === 0 || (compression === 3 && bpp === 32))) {
    const kind =
      compression === 1 || compression === 2 ? "RLE" : compression === 3 ? "bit fields" : "unknown";
    throw unsupported(
      `Compressed BMP (compression ${compression}, ${kind}) is not supported for ${bpp}-bit pixels`,
    );
  }
  // With a v3 header the three bit-field masks follow it; v4/v5 headers hold them at the same place.
  let headersEnd = 14 + dibSize;
  if (compression === 3) {
    if (dibSize === 40) headersEnd += 12;
    if (bytes.length < headersEnd)
      throw truncated(`BMP file has ${bytes.length} bytes, shorter than its headers`);
    const masks = [view.getUint32(54, true), view.getUint32(58, true), view.getUint32(62, true)];
    if (masks[0] !== 0xff0000 || masks[1] !== 0xff00 || masks[2] !== 0xff) {
      throw unsupported(
        `BMP bit-field masks ${masks.map((m) => `0x${m.toString(16)}`).join(", ")} are not supported (only 8-bit BGRX)`,
      );
    }
  }
  checkDimensions(width, height, lim, "BMP image");
  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  let palette: Uint8Array | undefined;
  let colours = 0;
  if (bpp === 8) {
    const used = view.getUint32(46, true);
    colours = used === 0 ? 256 : used;
    if (colours > 256) throw corrupt(`BMP palette claims ${colours} colours; 8-bit allows 256`);
    if (headersEnd + colours * 4 > bytes.length) throw truncated("BMP file ends inside its palette");
    palette = new Uint8Array(256);
    for (let i = 0; i < colours; i++) {
      const at = headersEnd + 4 * i;
      palette[i] = (299 * bytes[at + 2]! + 587 * bytes[at + 1]! + 114 * bytes[at]! + 500) / 1000;
    }
    headersEnd += colours * 4;
  }
  if (dataOffset < headersEnd) {
    throw corrupt(
      `BMP pixel data offset ${dataOffset} overlaps its headers and palette (${headersEnd} bytes)`,
    );
  }
  if (dataOffset + stride * height > bytes.length) {
    throw truncated(
      `BMP file has ${bytes.length} bytes; its ${width}x${height} pixels at offset ${dataOffset} need ${dataOffset + stride * height}`,
    );
  }
  const out = new Uint8Array(width * height);
  const bytesPerPixel = bpp / 8;
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const p = row + x * bytesPerPixel;
      if (palette) {
        const index = bytes[p]!;
        if (index >= colours) {
          throw corrupt(`BMP pixel (${x}, ${y}) uses colour ${index}, beyond its ${colours}-colour palette`);
        }
        out[y * width + x] = palette[index]!;
      } else out[y * width + x] = (299 * bytes[p + 2]! + 587 * bytes[p + 1]! + 114 * bytes[p]! + 500) / 1000;
    }
  }
  return { width, height, data: out };
}
