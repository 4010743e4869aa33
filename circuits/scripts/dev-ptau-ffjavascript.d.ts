// The part of ffjavascript 0.3.1 (no bundled types) that the development powers-of-tau tool uses.
declare module "ffjavascript" {
  /** A field element or curve point in ffjavascript's wasm representation (Montgomery, little endian). */
  export type FfElement = Uint8Array;

  export class ChaCha {
    constructor(seed?: number[]);
    nextU32(): number;
  }

  export interface FfWasmField {
    readonly n8: number;
    readonly s: number;
    readonly one: FfElement;
    readonly zero: FfElement;
    /** w[k] is the primitive 2^k-th root of unity the ffjavascript FFT uses. */
    readonly w: FfElement[];
    e(value: bigint | number | string): FfElement;
    add(a: FfElement, b: FfElement): FfElement;
    sub(a: FfElement, b: FfElement): FfElement;
    mul(a: FfElement, b: FfElement): FfElement;
    inv(a: FfElement): FfElement;
    exp(a: FfElement, e: bigint | number): FfElement;
    eq(a: FfElement, b: FfElement): boolean;
    isZero(a: FfElement): boolean;
    toObject(a: FfElement): bigint;
    fromRng(rng: ChaCha): FfElement;
  }

  export interface FfWasmGroup {
    readonly F: { readonly n8: number };
    readonly g: FfElement;
    readonly zeroAffine: FfElement;
    timesFr(p: FfElement, s: FfElement): FfElement;
    toAffine(p: FfElement): FfElement;
    fromRng(rng: ChaCha): FfElement;
    eq(a: FfElement, b: FfElement): boolean;
    isZero(a: FfElement): boolean;
    toUncompressed(p: FfElement): Uint8Array;
    toRprLEM(buff: Uint8Array, pos: number, p: FfElement): void;
    toRprUncompressed(buff: Uint8Array, pos: number, p: FfElement): void;
    fromRprLEM(buff: Uint8Array, pos?: number): FfElement;
  }

  export interface FfThreadManager {
    readonly instance: WebAssembly.Instance;
    readonly memory: WebAssembly.Memory;
    u8: Uint8Array;
    u32: Uint32Array;
    readonly pG1gen: number;
    readonly pG2gen: number;
  }

  export interface FfCurve {
    readonly Fr: FfWasmField;
    readonly G1: FfWasmGroup;
    readonly G2: FfWasmGroup;
    readonly q: bigint;
    readonly r: bigint;
    readonly tm: FfThreadManager;
    terminate(): Promise<void>;
  }

  export function buildBn128(singleThread?: boolean): Promise<FfCurve>;
}
