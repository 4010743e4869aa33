import { describeType, IrisCodeError } from "./errors.js";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DECODE = (() => {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) t[ALPHABET.charCodeAt(i)] = i;
  return t;
})();

/** Standard base64 (RFC 4648, with padding). */
export function toBase64(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    out += ALPHABET[a >> 2];
    out += ALPHABET[((a & 3) << 4) | ((b ?? 0) >> 4)];
    out += b === undefined ? "=" : ALPHABET[((b & 15) << 2) | ((c ?? 0) >> 6)];
    out += c === undefined ? "=" : ALPHABET[c & 63];
  }
  return out;
}

/**
 * Strict standard base64 decoding: the length must be a multiple of 4, only the standard alphabet,
 * padding only at the end and unused bits zero. Anything else throws `MALFORMED_BASE64`.
 */
export function fromBase64(text: unknown, field = "base64"): Uint8Array {
  if (typeof text !== "string") {
    throw new IrisCodeError(
      "MALFORMED_BASE64",
      `Field '${field}' is not a string, received ${describeType(text)}`,
      {
        field,
      },
    );
  }
  const fail = (why: string): never => {
    throw new IrisCodeError("MALFORMED_BASE64", `Field '${field}' is not valid base64: ${why}`, { field });
  };
  if (text.length % 4 !== 0) fail(`length ${text.length} is not a multiple of 4`);
  let pad = 0;
  if (text.endsWith("==")) pad = 2;
  else if (text.endsWith("=")) pad = 1;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const last = i + 4 === text.length;
    const q: number[] = [];
    for (let k = 0; k < 4; k++) {
      const ch = text.charCodeAt(i + k);
      if (ch === 61 /* = */ && last && k >= 4 - pad) {
        q.push(0);
        continue;
      }
      const v = ch < 128 ? DECODE[ch]! : -1;
      if (v < 0) fail(`unexpected character ${JSON.stringify(text[i + k])} at offset ${i + k}`);
      q.push(v);
    }
    const n = (q[0]! << 18) | (q[1]! << 12) | (q[2]! << 6) | q[3]!;
    if (last && pad === 2 && (n & 0xffff) !== 0) fail("non-zero bits after the last byte");
    if (last && pad === 1 && (n & 0xff) !== 0) fail("non-zero bits after the last byte");
    out[o++] = n >> 16;
    if (o < out.length) out[o++] = (n >> 8) & 0xff;
    if (o < out.length) out[o++] = n & 0xff;
  }
  return out;
}

/** Lower-case hexadecimal. */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/** Strict hexadecimal decoding (even length, 0-9a-fA-F only); throws `MALFORMED_HEX`. */
export function fromHex(text: unknown, field = "hex"): Uint8Array {
  if (typeof text !== "string" || text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
    throw new IrisCodeError("MALFORMED_HEX", `Field '${field}' is not an even-length hexadecimal string`, {
      field,
    });
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3), as in zlib and PNG. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
