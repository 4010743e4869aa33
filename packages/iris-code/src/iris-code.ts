import { describeType, IrisCodeError } from "./errors.js";
import { bitCount, type CodeGeometry, checkGeometry, packedByteLength } from "./geometry.js";

/**
 * An iris code: packed bits and a packed mask of the same shape, plus the geometry.
 *
 * Bits are laid out row-major over (row, column, bit-in-cell), bit-in-cell fastest, packed
 * MSB-first into bytes (like `numpy.packbits`). A mask bit of 1 means the code bit is usable.
 * Padding bits of the last byte are always zero. Instances are immutable: the constructor copies
 * its inputs, and the getters return copies.
 */
export class IrisCode {
  readonly geometry: CodeGeometry;
  readonly #bits: Uint8Array;
  readonly #mask: Uint8Array;

  private constructor(geometry: CodeGeometry, bits: Uint8Array, mask: Uint8Array) {
    this.geometry = geometry;
    this.#bits = bits;
    this.#mask = mask;
  }

  /**
   * Builds a code from packed bytes. Throws `WRONG_LENGTH` unless both arrays have exactly the
   * packed length of the geometry, and `NONZERO_PADDING` if padding bits are set.
   */
  static fromPacked(geometry: CodeGeometry, bits: Uint8Array, mask: Uint8Array): IrisCode {
    const g = checkGeometry(geometry);
    const b = checkPacked(g, bits, "bits");
    const m = checkPacked(g, mask, "mask");
    return new IrisCode(g, b.slice(), m.slice());
  }

  /**
   * Builds a code from one value per bit (0 or 1), in layout order. Throws `WRONG_LENGTH` for a
   * wrong count and `NON_BINARY` for any other value, naming the index.
   */
  static fromBits(geometry: CodeGeometry, bits: ArrayLike<number>, mask: ArrayLike<number>): IrisCode {
    const g = checkGeometry(geometry);
    return new IrisCode(g, packBitValues(g, bits, "bits"), packBitValues(g, mask, "mask"));
  }

  /** A code with every bit usable. */
  static fullyUsable(geometry: CodeGeometry, bits: ArrayLike<number>): IrisCode {
    const g = checkGeometry(geometry);
    return new IrisCode(g, packBitValues(g, bits, "bits"), onesPacked(g));
  }

  /** Total number of bits. */
  get size(): number {
    return bitCount(this.geometry);
  }

  /** A copy of the packed bits. */
  get bits(): Uint8Array {
    return this.#bits.slice();
  }

  /** A copy of the packed mask. */
  get mask(): Uint8Array {
    return this.#mask.slice();
  }

  /** Read-only view of the packed bits without copying, for kernels in this package. */
  packedBitsView(): Readonly<Uint8Array> {
    return this.#bits;
  }

  /** Read-only view of the packed mask without copying. */
  packedMaskView(): Readonly<Uint8Array> {
    return this.#mask;
  }

  /** Index of (row, col, bit) in layout order. */
  indexOf(row: number, col: number, bit: number): number {
    const g = this.geometry;
    return (row * g.cols + col) * g.bitsPerCell + bit;
  }

  /** Value (0/1) of the code bit at a layout index. */
  bitAt(index: number): number {
    return readBit(this.#bits, index);
  }

  /** Value (0/1) of the mask bit at a layout index. */
  maskAt(index: number): number {
    return readBit(this.#mask, index);
  }

  /** Number of usable bits (set mask bits). */
  usableBitCount(): number {
    let n = 0;
    for (const byte of this.#mask) n += POPCOUNT8[byte]!;
    return n;
  }

  /** The bits as an array of 0/1 values in layout order. */
  bitValues(): Uint8Array {
    return unpackBits(this.#bits, this.size);
  }

  /** The mask as an array of 0/1 values in layout order. */
  maskValues(): Uint8Array {
    return unpackBits(this.#mask, this.size);
  }

  /** True when geometry, bits and mask are all equal. */
  equals(other: IrisCode): boolean {
    const a = this.geometry;
    const b = other.geometry;
    if (a.rows !== b.rows || a.cols !== b.cols || a.bitsPerCell !== b.bitsPerCell) return false;
    return bytesEqual(this.#bits, other.#bits) && bytesEqual(this.#mask, other.#mask);
  }
}

/** Popcount of every byte value. */
export const POPCOUNT8: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let i = 1; i < 256; i++) t[i] = (i & 1) + t[i >> 1]!;
  return t;
})();

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function readBit(bytes: Uint8Array, index: number): number {
  return (bytes[index >> 3]! >> (7 - (index & 7))) & 1;
}

function onesPacked(g: CodeGeometry): Uint8Array {
  const n = bitCount(g);
  const out = new Uint8Array(packedByteLength(g)).fill(0xff);
  const rem = n & 7;
  if (rem !== 0) out[out.length - 1] = (0xff << (8 - rem)) & 0xff;
  return out;
}

function checkPacked(g: CodeGeometry, bytes: unknown, field: string): Uint8Array {
  if (!(bytes instanceof Uint8Array)) {
    throw new IrisCodeError(
      "INVALID_PARAMETER",
      `Parameter '${field}' is not a Uint8Array, received ${describeType(bytes)}`,
      {
        field,
      },
    );
  }
  const expected = packedByteLength(g);
  if (bytes.length !== expected) {
    throw new IrisCodeError(
      "WRONG_LENGTH",
      `Field '${field}' has ${bytes.length} bytes; geometry ${g.rows}x${g.cols}x${g.bitsPerCell} needs exactly ${expected}`,
      { field },
    );
  }
  const rem = bitCount(g) & 7;
  if (rem !== 0 && (bytes[expected - 1]! & (0xff >> rem)) !== 0) {
    throw new IrisCodeError(
      "NONZERO_PADDING",
      `Field '${field}' has padding bits set after bit ${bitCount(g)}`,
      { field },
    );
  }
  return bytes;
}

/** Packs 0/1 values MSB-first; throws on a wrong count or a non-binary value. */
export function packBitValues(g: CodeGeometry, values: ArrayLike<number>, field: string): Uint8Array {
  const n = bitCount(g);
  if (values === null || typeof values !== "object" || typeof values.length !== "number") {
    throw new IrisCodeError(
      "INVALID_PARAMETER",
      `Parameter '${field}' is not an array, received ${describeType(values)}`,
      {
        field,
      },
    );
  }
  if (values.length !== n) {
    throw new IrisCodeError(
      "WRONG_LENGTH",
      `Field '${field}' has ${values.length} values; geometry ${g.rows}x${g.cols}x${g.bitsPerCell} needs exactly ${n}`,
      { field },
    );
  }
  const out = new Uint8Array(packedByteLength(g));
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === 1) out[i >> 3]! |= 0x80 >> (i & 7);
    else if (v !== 0) {
      throw new IrisCodeError(
        "NON_BINARY",
        `Field '${field}[${i}]' is ${String(v)}; every bit must be 0 or 1`,
        {
          field: `${field}[${i}]`,
        },
      );
    }
  }
  return out;
}

/** Unpacks the first `count` bits of MSB-first bytes into 0/1 values. */
export function unpackBits(bytes: Uint8Array, count: number): Uint8Array {
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = (bytes[i >> 3]! >> (7 - (i & 7))) & 1;
  return out;
}
