/**
 * Worker thread of the development powers-of-tau tool (`dev-ptau-setup.ts`). It holds the secret
 * (tau, alpha, beta) sent by the main thread, computes the scalars of a chunk of a section
 * (powers of tau, or Lagrange basis values L_i(tau) over a radix-2 domain) with ffjavascript's
 * wasm field, multiplies the group generator by them with a fixed-base windowed table (one
 * mixed addition per window instead of a full double-and-add), and returns the points as affine
 * Montgomery (the `.ptau` layout), plus their compressed form when the main thread hashes them.
 * The secret is sent once; job messages carry only indices. `close` overwrites it before exit.
 */
import { parentPort } from "node:worker_threads";
import { buildBn128, type FfCurve, type FfElement } from "ffjavascript";
import {
  type GroupName,
  MAX_CHUNK_POINTS,
  MAX_WINDOW_BITS,
  type ScalarFactor,
  type WorkerRequest,
  type WorkerResponse,
} from "./dev-ptau-protocol.js";

type Exports = Record<string, (...args: number[]) => number>;

const FR_BYTES = 32;
/** batchToAffine of n G2 points takes (2n + 1)·64 bytes above u32[0] (n up to 2^16 for a table row). */
const WASM_SCRATCH_BYTES = 16 << 20;

/** Bump allocator over the wasm memory; wasm routines take their scratch space above u32[0]. */
class WasmHeap {
  readonly #curve: FfCurve;
  constructor(curve: FfCurve) {
    this.#curve = curve;
  }
  get top(): number {
    return this.#curve.tm.u32[0]!;
  }
  set top(pointer: number) {
    this.#curve.tm.u32[0] = pointer;
  }
  /** Allocates `bytes` (8-aligned) and keeps room above them for the temporaries of wasm batch routines. */
  alloc(bytes: number): number {
    const tm = this.#curve.tm;
    const pointer = (this.top + 7) & ~7;
    const needed = pointer + bytes + WASM_SCRATCH_BYTES;
    const have = tm.memory.buffer.byteLength;
    if (needed > have) {
      tm.memory.grow(Math.ceil((needed - have) / 65536));
      tm.u8 = new Uint8Array(tm.memory.buffer);
      tm.u32 = new Uint32Array(tm.memory.buffer);
    }
    this.top = pointer + bytes;
    return pointer;
  }
  set(pointer: number, bytes: Uint8Array): void {
    this.#curve.tm.u8.set(bytes, pointer);
  }
  copy(pointer: number, bytes: number): Uint8Array {
    return this.#curve.tm.u8.slice(pointer, pointer + bytes);
  }
  words(pointer: number, count: number): Uint32Array {
    return new Uint32Array(this.#curve.tm.memory.buffer, pointer, count);
  }
}

interface FixedBaseTable {
  window: number;
  windows: number;
  pointer: number;
}

interface GroupOps {
  name: GroupName;
  affineBytes: number;
  jacobianBytes: number;
  generator: number;
  zero: (p: number) => void;
  add: (a: number, b: number, r: number) => void;
  addMixed: (a: number, b: number, r: number) => void;
  batchToAffine: (p: number, n: number, r: number) => void;
  batchLEMtoC: (p: number, n: number, r: number) => void;
  batchLEMtoU: (p: number, n: number, r: number) => void;
}

class SectionWorker {
  readonly #curve: FfCurve;
  readonly #heap: WasmHeap;
  readonly #ex: Exports;
  readonly #groups: Record<GroupName, GroupOps>;
  readonly #tables: Partial<Record<GroupName, FixedBaseTable>> = {};
  #secret: Record<ScalarFactor | "tau", FfElement> | undefined;

  constructor(curve: FfCurve) {
    this.#curve = curve;
    this.#heap = new WasmHeap(curve);
    this.#ex = curve.tm.instance.exports as unknown as Exports;
    const ex = this.#ex;
    const ops = (name: GroupName, n8: number, generator: number): GroupOps => {
      const pre = name === "G1" ? "g1m" : "g2m";
      return {
        name,
        affineBytes: 2 * n8,
        jacobianBytes: 3 * n8,
        generator,
        zero: ex[`${pre}_zero`]!,
        add: ex[`${pre}_add`]!,
        addMixed: ex[`${pre}_addMixed`]!,
        batchToAffine: ex[`${pre}_batchToAffine`]!,
        batchLEMtoC: ex[`${pre}_batchLEMtoC`]!,
        batchLEMtoU: ex[`${pre}_batchLEMtoU`]!,
      };
    };
    this.#groups = {
      G1: ops("G1", curve.G1.F.n8, curve.tm.pG1gen),
      G2: ops("G2", curve.G2.F.n8, curve.tm.pG2gen),
    };
  }

  init(tau: Uint8Array, alpha: Uint8Array, beta: Uint8Array): void {
    this.#secret = { tau, alpha, beta, one: this.#curve.Fr.one };
  }

  /** Rows k = 0..windows-1 of d·2^(k·window)·G for d = 0..2^window - 1, affine (d = 0 unused). */
  buildTable(group: GroupName, window: number): void {
    if (!Number.isInteger(window) || window < 1 || window > MAX_WINDOW_BITS) {
      throw new Error(`window must be 1..${MAX_WINDOW_BITS} bits, received ${window}`);
    }
    const g = this.#groups[group];
    const windows = Math.ceil(254 / window);
    const rowSize = 1 << window;
    const heap = this.#heap;
    const pointer = heap.alloc(windows * rowSize * g.affineBytes);
    const mark = heap.top;
    const row = heap.alloc(rowSize * g.jacobianBytes);
    const base = heap.alloc(g.jacobianBytes);
    g.zero(base);
    g.addMixed(base, g.generator, base);
    for (let k = 0; k < windows; k++) {
      g.zero(row);
      for (let d = 1; d < rowSize; d++) {
        g.add(row + (d - 1) * g.jacobianBytes, base, row + d * g.jacobianBytes);
      }
      g.batchToAffine(row, rowSize, pointer + k * rowSize * g.affineBytes);
      // 2^((k+1)·window)·G = (2^window - 1)·base + base
      g.add(row + (rowSize - 1) * g.jacobianBytes, base, base);
    }
    heap.top = mark;
    this.#tables[group] = { window, windows, pointer };
  }

  #factor(factor: ScalarFactor | "tau"): FfElement {
    if (!this.#secret) throw new Error("worker has no secret (init was not sent)");
    return this.#secret[factor];
  }

  /** Scalars factor·tau^(start + j), j < count, Montgomery, at `pointer`. */
  #powers(pointer: number, factor: ScalarFactor, start: number, count: number): void {
    const Fr = this.#curve.Fr;
    const tau = this.#factor("tau");
    const heap = this.#heap;
    heap.set(pointer, Fr.mul(this.#factor(factor), Fr.exp(tau, start)));
    const pTau = heap.alloc(FR_BYTES);
    heap.set(pTau, tau);
    const mul = this.#ex.frm_mul!;
    for (let j = 1; j < count; j++) mul(pointer + (j - 1) * FR_BYTES, pTau, pointer + j * FR_BYTES);
  }

  /**
   * Scalars factor·L_i(tau) for i = start..start+count-1 over the domain of size N = 2^log2Size
   * with root w = Fr.w[log2Size]:  L_i(tau) = w^i·(tau^N - 1) / (N·(tau - w^i)), from
   * L_i(x) = (1/N)·sum_j (x/w^i)^j. Without the top power, (1/N)·w^i·tau^(N-1) is subtracted
   * (the j = N-1 term, as w^(-i(N-1)) = w^i).
   */
  #lagrange(
    pointer: number,
    factor: ScalarFactor,
    log2Size: number,
    start: number,
    count: number,
    withoutTopPower: boolean,
  ): void {
    const Fr = this.#curve.Fr;
    const tau = this.#factor("tau");
    const size = 2 ** log2Size;
    const w = Fr.w[log2Size]!;
    const invSize = Fr.inv(Fr.e(size));
    const f = this.#factor(factor);
    // c = factor·(tau^N - 1)/N, e = factor·tau^(N-1)/N or 0
    const c = Fr.mul(f, Fr.mul(Fr.sub(Fr.exp(tau, size), Fr.one), invSize));
    const e = withoutTopPower ? Fr.mul(f, Fr.mul(Fr.exp(tau, size - 1), invSize)) : Fr.zero;
    const heap = this.#heap;
    const ex = this.#ex;
    const mark = heap.top;
    const roots = heap.alloc(count * FR_BYTES);
    const inverses = heap.alloc(count * FR_BYTES);
    const consts = heap.alloc(4 * FR_BYTES);
    const [pW, pTau, pC, pE] = [consts, consts + 32, consts + 64, consts + 96];
    heap.set(pW, w);
    heap.set(pTau, tau);
    heap.set(pC, c);
    heap.set(pE, e);
    heap.set(roots, Fr.exp(w, start));
    for (let j = 1; j < count; j++) ex.frm_mul!(roots + (j - 1) * FR_BYTES, pW, roots + j * FR_BYTES);
    // tau - w^i; tau is never a 2^(power+1)-th root of unity (checked in the main thread)
    for (let j = 0; j < count; j++) ex.frm_sub!(pTau, roots + j * FR_BYTES, inverses + j * FR_BYTES);
    ex.frm_batchInverse!(inverses, FR_BYTES, count, inverses, FR_BYTES);
    for (let j = 0; j < count; j++) {
      const out = pointer + j * FR_BYTES;
      ex.frm_mul!(pC, inverses + j * FR_BYTES, out);
      ex.frm_sub!(out, pE, out);
      ex.frm_mul!(out, roots + j * FR_BYTES, out);
    }
    heap.top = mark;
  }

  /** Points s_j·G for the Montgomery scalars at `scalars`, affine Montgomery. */
  #multiply(group: GroupName, scalars: number, count: number, compressed: boolean) {
    const g = this.#groups[group];
    const table = this.#tables[group];
    if (!table) throw new Error(`worker has no ${group} table`);
    const heap = this.#heap;
    const ex = this.#ex;
    ex.frm_batchFromMontgomery!(scalars, count, scalars);
    const jac = heap.alloc(count * g.jacobianBytes);
    const aff = heap.alloc(count * g.affineBytes);
    const words = heap.words(scalars, count * 8);
    const { window, windows, pointer } = table;
    const mask = (1 << window) - 1;
    const rowBytes = (1 << window) * g.affineBytes;
    const addMixed = g.addMixed;
    for (let j = 0; j < count; j++) {
      const acc = jac + j * g.jacobianBytes;
      g.zero(acc);
      const w0 = j * 8;
      for (let k = 0; k < windows; k++) {
        const bit = k * window;
        const word = bit >>> 5;
        const offset = bit & 31;
        let digit = words[w0 + word]! >>> offset;
        if (offset + window > 32 && word < 7) digit |= words[w0 + word + 1]! << (32 - offset);
        digit &= mask;
        if (digit !== 0) addMixed(acc, pointer + k * rowBytes + digit * g.affineBytes, acc);
      }
    }
    // The scalars were secret-derived: overwrite them in wasm memory.
    heap.words(scalars, count * 8).fill(0);
    g.batchToAffine(jac, count, aff);
    const points = heap.copy(aff, count * g.affineBytes);
    let comp: Uint8Array | undefined;
    if (compressed) {
      const pComp = heap.alloc((count * g.affineBytes) / 2);
      g.batchLEMtoC(aff, count, pComp);
      comp = heap.copy(pComp, (count * g.affineBytes) / 2);
    }
    return { points, compressed: comp };
  }

  run(request: WorkerRequest & { type: "powers" | "lagrange" }): WorkerResponse {
    if (!Number.isInteger(request.count) || request.count < 1 || request.count > MAX_CHUNK_POINTS) {
      throw new Error(`a job takes 1..${MAX_CHUNK_POINTS} points, received ${request.count}`);
    }
    const heap = this.#heap;
    const mark = heap.top;
    const scalars = heap.alloc(request.count * FR_BYTES);
    if (request.type === "powers") {
      this.#powers(scalars, request.factor, request.start, request.count);
      const out = this.#multiply(request.group, scalars, request.count, request.compressed);
      heap.top = mark;
      return { type: "result", id: request.id, ...out };
    }
    this.#lagrange(
      scalars,
      request.factor,
      request.log2Size,
      request.start,
      request.count,
      request.withoutTopPower,
    );
    const out = this.#multiply(request.group, scalars, request.count, false);
    heap.top = mark;
    return { type: "result", id: request.id, points: out.points };
  }

  uncompress(request: WorkerRequest & { type: "uncompress" }): WorkerResponse {
    const g = this.#groups[request.group];
    const heap = this.#heap;
    const mark = heap.top;
    const bytes = request.points.byteLength;
    const pointer = heap.alloc(bytes);
    heap.set(pointer, request.points);
    g.batchLEMtoU(pointer, bytes / g.affineBytes, pointer);
    const points = heap.copy(pointer, bytes);
    heap.top = mark;
    return { type: "result", id: request.id, points };
  }

  close(): void {
    if (this.#secret) {
      this.#secret.tau.fill(0);
      this.#secret.alpha.fill(0);
      this.#secret.beta.fill(0);
      this.#secret = undefined;
    }
    // Scalars and the inverses of tau - w^i passed through wasm memory; the worker stops next.
    this.#curve.tm.u8.fill(0);
  }
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error("dev-ptau-worker.ts runs as a worker thread");
  const curve = await buildBn128(true);
  const worker = new SectionWorker(curve);
  port.on("message", (request: WorkerRequest) => {
    try {
      switch (request.type) {
        case "init":
          worker.init(request.tau, request.alpha, request.beta);
          port.postMessage({ type: "ready" } satisfies WorkerResponse);
          break;
        case "table":
          worker.buildTable(request.group, request.window);
          port.postMessage({ type: "ready" } satisfies WorkerResponse);
          break;
        case "powers":
        case "lagrange":
        case "uncompress": {
          const response = request.type === "uncompress" ? worker.uncompress(request) : worker.run(request);
          const transfer =
            response.type === "result"
              ? [response.points.buffer, ...(response.compressed ? [response.compressed.buffer] : [])]
              : [];
          port.postMessage(response, transfer as ArrayBuffer[]);
          break;
        }
        case "close":
          worker.close();
          port.close();
          break;
      }
    } catch (error) {
      port.postMessage({
        type: "failed",
        message: error instanceof Error ? error.message : String(error),
      } satisfies WorkerResponse);
    }
  });
  port.postMessage({ type: "ready" } satisfies WorkerResponse);
}

void main();
