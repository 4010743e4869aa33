import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { crc32 } from "node:zlib";
import {
  checkProfile,
  compareForDeduplication,
  type DeduplicationComparison,
  type DeduplicationDecision,
  fromBinary,
  IRIS_CODE_FORMAT_VERSION,
  type IrisCode,
  type IrisProfile,
  PreparedProbe,
  rowWords,
} from "@zkiris/iris-code";
import { checkCode } from "./brute-force-search.js";
import { UniquenessError } from "./errors.js";
import {
  type CodeLayout,
  codeLayout,
  prepareProbeWords,
  shiftOrder,
  writeCodeWords,
  writePackedHalves,
} from "./layout.js";
import {
  checkId,
  type EnrolmentId,
  finishResult,
  resolveSearchOptions,
  type SearchMatch,
  type SearchOptions,
  type SearchResult,
  searchDecision,
} from "./search-types.js";
import { emitKernelModule, scanChunk, type WasmKernel } from "./wasm-kernel.js";
import { WORKER_SOURCE } from "./worker-source.js";

/** Options of {@link UniquenessIndex.create}. */
export interface UniquenessIndexOptions {
  /** Geometry and default decision policy (`deduplication` threshold and usable-bit floor, `maxShift`). */
  profile: IrisProfile;
  /**
   * Worker threads the search is partitioned over (one contiguous slot range each). Default: the
   * available cores. 0 runs the same WebAssembly kernel on the calling thread.
   */
  workers?: number;
  /** Codes the arena holds before it first grows. Default 1024. */
  initialCapacity?: number;
  /** Upper bound of the arena in bytes (codes plus scratch); at most 4 GiB (wasm32). Default 4 GiB. */
  maxArenaBytes?: number;
}

const PAGE = 65_536;
const MAX_PAGES = 65_536;
/** Codes per kernel call; bounds a lane's output area (16 bytes per match). */
const CHUNK = 4096;
/** iris-code's binary form (`toBinary`): "ZKIC", version, rows u16 BE, cols u16 BE, bitsPerCell, then bits, mask, CRC-32 BE. */
const BINARY_MAGIC = [0x5a, 0x4b, 0x49, 0x43];
const BINARY_HEADER = 10;
/** Snapshot form, version 1 (see {@link UniquenessIndex.snapshot}). */
const SNAPSHOT_MAGIC = [0x5a, 0x4b, 0x55, 0x53]; // "ZKUS"
const SNAPSHOT_VERSION = 1;
const SNAPSHOT_HEADER = 18;
const ID_BIGINT = 0;
const ID_STRING = 1;

/** The bigint written as ASCII decimal in `bytes[from..to)` (`-?(0|[1-9][0-9]*)`), or undefined. */
function decimalBigint(bytes: Uint8Array, from: number, to: number): bigint | undefined {
  const negative = bytes[from] === 0x2d;
  const start = negative ? from + 1 : from;
  if (start >= to || (bytes[start] === 0x30 && (to - start > 1 || negative))) return undefined;
  let small = 0;
  for (let i = start; i < to; i++) {
    const digit = bytes[i]! - 0x30;
    if (digit < 0 || digit > 9) return undefined;
    small = small * 10 + digit;
  }
  // Up to 15 digits the number is exact; longer ones go through the string.
  const value = to - start <= 15 ? BigInt(small) : BigInt(String.fromCharCode(...bytes.subarray(start, to)));
  return negative ? -value : value;
}

function invalidSnapshot(message: string): UniquenessError {
  return new UniquenessError("INVALID_SNAPSHOT", `Snapshot refused: ${message}`, { field: "snapshot" });
}

interface Pending {
  resolve: (records: Int32Array) => void;
  reject: (error: Error) => void;
}

interface Lane {
  worker: Worker;
  pending: Map<number, Pending>;
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

function checkCount(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new UniquenessError(
      "INVALID_PARAMETER",
      `Parameter '${field}' must be an integer between ${min} and ${max}, received ${typeof value} ${String(value)}`,
      { field },
    );
  }
  return value;
}

/**
 * Exact 1:N uniqueness search over enrolled iris codes.
 *
 * Codes live bit-packed in one shared WebAssembly memory (a growable SharedArrayBuffer): per code
 * the bits rows then the mask rows as 64-bit words, each row padded to whole words. A search
 * pre-shifts the probe to all `2K + 1` shifts, and each worker thread scans one contiguous slot
 * range with a WebAssembly `i64.popcnt` kernel; the partial results are merged. The answer is
 * exactly that of {@link bruteForceSearch}: every code whose best shift (lowest
 * `differing / usable` among shifts with at least `minUsableBits` usable bits) satisfies
 * `differing * 10000 <= thresholdPer10k * usable`, and every code with no such shift, which is
 * undecidable and reported apart (fail closed: it is never taken for a different eye). The
 * decision defaults to the profile's deduplication decision.
 *
 * Consistency: a search sees the codes present when it was called. `add` during a search appends
 * past the search's snapshot; `remove` takes effect for later searches at once and frees its slot
 * (swap-remove compaction) when no search is running. Call {@link close} to stop the workers.
 */
export class UniquenessIndex {
  /** The profile (geometry and default decision policy). */
  readonly profile: IrisProfile;
  /** Arena layout of one code. */
  readonly layout: CodeLayout;
  /** Number of worker threads (0: searches run on the calling thread). */
  readonly workerCount: number;

  readonly #memory: WebAssembly.Memory;
  #words: Uint32Array;
  #bytes: Uint8Array;
  readonly #lanes: Lane[];
  readonly #inlineKernel: WasmKernel | undefined;
  readonly #probeBytes: number;
  readonly #arenaBase: number;
  readonly #maxPages: number;
  #capacity: number;
  #count = 0;
  readonly #slotIds: EnrolmentId[] = [];
  readonly #idSlots = new Map<EnrolmentId, number>();
  readonly #pendingRemovals = new Set<number>();
  #inFlight = 0;
  #nextMessage = 1;
  #closed = false;
  #failure: UniquenessError | undefined;

  private constructor(
    profile: IrisProfile,
    layout: CodeLayout,
    memory: WebAssembly.Memory,
    lanes: Lane[],
    inlineKernel: WasmKernel | undefined,
    probeBytes: number,
    arenaBase: number,
    capacity: number,
    maxPages: number,
  ) {
    this.profile = profile;
    this.layout = layout;
    this.workerCount = lanes.length;
    this.#memory = memory;
    this.#words = new Uint32Array(memory.buffer);
    this.#bytes = new Uint8Array(memory.buffer);
    this.#lanes = lanes;
    this.#inlineKernel = inlineKernel;
    this.#probeBytes = probeBytes;
    this.#arenaBase = arenaBase;
    this.#capacity = capacity;
    this.#maxPages = maxPages;
    for (const lane of lanes) {
      this.#watch(lane);
      // Idle workers must not keep the process alive (adding a message listener re-refs them).
      lane.worker.unref();
    }
  }

  /**
   * Creates an index and starts its workers. Throws `INVALID_PARAMETER` for a bad worker count,
   * capacity or arena bound, and the profile's own error for a malformed profile.
   */
  static async create(options: UniquenessIndexOptions): Promise<UniquenessIndex> {
    if (typeof options !== "object" || options === null) {
      throw new UniquenessError("INVALID_PARAMETER", "Parameter 'options' is not an object", {
        field: "options",
      });
    }
    const profile = checkProfile(options.profile);
    const workers = checkCount(options.workers ?? availableParallelism(), "options.workers", 0, 256);
    const initialCapacity = checkCount(
      options.initialCapacity ?? 1024,
      "options.initialCapacity",
      1,
      2 ** 32,
    );
    const maxArenaBytes = checkCount(
      options.maxArenaBytes ?? MAX_PAGES * PAGE,
      "options.maxArenaBytes",
      PAGE,
      MAX_PAGES * PAGE,
    );
    const layout = codeLayout(profile.geometry);
    const maxShifts = 2 * Math.floor((profile.geometry.cols - 1) / 2) + 1;
    const probeBytes = maxShifts * (layout.codeBytes + 4 * layout.checkpoints.length);
    const laneBytes = alignUp(probeBytes + CHUNK * 16, 64);
    const arenaBase = alignUp(Math.max(workers, 1) * laneBytes, 64);
    const maxPages = Math.floor(maxArenaBytes / PAGE);
    const maxCapacity = Math.floor((maxPages * PAGE - arenaBase) / layout.codeBytes);
    if (maxCapacity < 1) {
      throw new UniquenessError(
        "INVALID_PARAMETER",
        `Parameter 'options.maxArenaBytes' (${maxArenaBytes}) leaves no room for a code after ${arenaBase} bytes of scratch`,
        { field: "options.maxArenaBytes" },
      );
    }
    const capacity = Math.min(initialCapacity, maxCapacity);
    const pages = Math.ceil((arenaBase + capacity * layout.codeBytes) / PAGE);
    const memory = new WebAssembly.Memory({ initial: pages, maximum: maxPages, shared: true });
    const module = new WebAssembly.Module(
      emitKernelModule(layout.halfWords, pages, maxPages, undefined, layout.checkpoints),
    );
    let inlineKernel: WasmKernel | undefined;
    const lanes: Lane[] = [];
    if (workers === 0) {
      inlineKernel = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as WasmKernel;
    } else {
      // The workers start together (each boots in its own thread) and are awaited all at once; a
      // failure is reported for the first failing worker in order, as when they started one by one.
      try {
        const started: Promise<void>[] = [];
        for (let i = 0; i < workers; i++) {
          const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
          lanes.push({ worker, pending: new Map() });
          started.push(
            new Promise<void>((resolve, reject) => {
              const onMessage = (msg: { type: string }) => {
                if (msg.type !== "ready") return;
                worker.off("error", onError);
                worker.off("message", onMessage);
                resolve();
              };
              const onError = (error: Error) => {
                reject(
                  new UniquenessError(
                    "WORKER_FAILED",
                    `Search worker ${i} failed to start: ${error.message}`,
                    {
                      cause: error,
                    },
                  ),
                );
              };
              worker.on("message", onMessage);
              worker.once("error", onError);
              worker.postMessage({
                type: "init",
                module,
                memory,
                probePtr: i * laneBytes,
                outPtr: i * laneBytes + probeBytes,
                chunk: CHUNK,
              });
            }),
          );
        }
        const outcomes = await Promise.allSettled(started);
        const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
        if (failed !== undefined) throw failed.reason;
      } catch (error) {
        await Promise.all(lanes.map((lane) => lane.worker.terminate()));
        throw error;
      }
    }
    return new UniquenessIndex(
      profile,
      layout,
      memory,
      lanes,
      inlineKernel,
      probeBytes,
      arenaBase,
      capacity,
      maxPages,
    );
  }

  /** Number of enrolled codes (removals count at once, even while a search is running). */
  get size(): number {
    return this.#idSlots.size;
  }

  /** Codes the arena holds before it next grows. */
  get capacity(): number {
    return this.#capacity;
  }

  /** Bytes of the shared arena (scratch areas plus code slots), as allocated now. */
  get arenaBytes(): number {
    return this.#memory.buffer.byteLength;
  }

  /** True when a code with this id is enrolled. */
  has(id: EnrolmentId): boolean {
    return this.#idSlots.has(id);
  }

  /**
   * Adds a code. Throws `INVALID_ID` for an id that is not a non-empty string or a bigint,
   * `DUPLICATE_ID` for an id already present, `INVALID_PARAMETER` for a non-code,
   * `GEOMETRY_MISMATCH` for a code of another geometry, `CAPACITY_EXCEEDED` when the arena is at
   * its maximum, and `INDEX_CLOSED` after {@link close}.
   */
  add(id: EnrolmentId, code: IrisCode): void {
    this.#assertOpen();
    checkId(id);
    checkCode(this.profile, code, "code");
    if (this.#idSlots.has(id)) {
      throw new UniquenessError("DUPLICATE_ID", `Id ${String(id)} is already in the index`, { field: "id" });
    }
    if (this.#count === this.#capacity) this.#grow();
    const slot = this.#count;
    writeCodeWords(this.layout, code, this.#words, (this.#arenaBase + slot * this.layout.codeBytes) / 4);
    this.#slotIds[slot] = id;
    this.#idSlots.set(id, slot);
    this.#count++;
  }

  /**
   * Adds a code given in iris-code's binary form (`toBinary`, as a registry stores it): the same as
   * `add(id, fromBinary(bytes))`, with the same refusals (iris-code's `fromBinary` errors for a
   * malformed, corrupted or truncated buffer, then those of {@link add}), but the packed bits and
   * mask are copied straight from the buffer into the arena after checking the header, length and
   * CRC-32, without building an `IrisCode`. Loading an index from stored rows is bound by this.
   */
  addBinary(id: EnrolmentId, bytes: Uint8Array): void {
    this.#assertOpen();
    checkId(id);
    const g = this.profile.geometry;
    const n = this.layout.halfBytes;
    const end = BINARY_HEADER + 2 * n;
    const valid =
      bytes instanceof Uint8Array &&
      bytes.length === end + 4 &&
      (g.rows * g.cols * g.bitsPerCell) % 8 === 0 &&
      bytes[0] === BINARY_MAGIC[0] &&
      bytes[1] === BINARY_MAGIC[1] &&
      bytes[2] === BINARY_MAGIC[2] &&
      bytes[3] === BINARY_MAGIC[3] &&
      bytes[4] === IRIS_CODE_FORMAT_VERSION &&
      ((bytes[5]! << 8) | bytes[6]!) === g.rows &&
      ((bytes[7]! << 8) | bytes[8]!) === g.cols &&
      bytes[9] === g.bitsPerCell &&
      ((bytes[end]! << 24) | (bytes[end + 1]! << 16) | (bytes[end + 2]! << 8) | bytes[end + 3]!) >>> 0 ===
        crc32(bytes.subarray(0, end));
    // Anything else (another geometry, a bad header or checksum, bit padding to check) takes the
    // reference path, which refuses it exactly as fromBinary and add do.
    if (!valid) {
      this.add(id, fromBinary(bytes));
      return;
    }
    if (this.#idSlots.has(id)) {
      throw new UniquenessError("DUPLICATE_ID", `Id ${String(id)} is already in the index`, { field: "id" });
    }
    if (this.#count === this.#capacity) this.#grow();
    const slot = this.#count;
    const at = this.#arenaBase + slot * this.layout.codeBytes;
    // Halves of whole words (the default geometry): the row's bits and mask are the slot as is.
    if (n === this.layout.halfWords * 8) this.#bytes.set(bytes.subarray(BINARY_HEADER, end), at);
    else
      writePackedHalves(
        this.layout,
        bytes.subarray(BINARY_HEADER, BINARY_HEADER + n),
        bytes.subarray(BINARY_HEADER + n, end),
        this.#bytes,
        at,
      );
    this.#slotIds[slot] = id;
    this.#idSlots.set(id, slot);
    this.#count++;
  }

  /**
   * The enrolled codes and their ids as one buffer, for {@link loadSnapshot}: `"ZKUS" | version u8 |
   * rows u16 | cols u16 | bitsPerCell u8 | count u32 | id bytes u32 | ids (kind u8: 0 bigint, 1
   * string; length u16; UTF-8 of the decimal bigint or of the string) | count arena slots (packed
   * bits then packed mask, each padded to whole 64-bit words) | CRC-32`, integers big-endian, the
   * CRC covering everything before it. Codes removed while a search runs are left out.
   *
   * A snapshot is a cache of the caller's own records and says nothing about what was enrolled or
   * removed after it was taken: a caller restoring one must establish that it is current (for
   * example by the last enrolment id and removal it includes) and add or remove what changed since,
   * or a duplicate enrolled meanwhile would go unseen. Throws `INDEX_CLOSED` after {@link close}.
   */
  snapshot(): Uint8Array {
    this.#assertOpen();
    const g = this.profile.geometry;
    const encoder = new TextEncoder();
    const slots: number[] = [];
    const ids: Uint8Array[] = [];
    let idBytes = 0;
    for (let slot = 0; slot < this.#count; slot++) {
      if (this.#pendingRemovals.has(slot)) continue;
      const id = this.#slotIds[slot]!;
      const text = encoder.encode(typeof id === "bigint" ? id.toString() : id);
      if (text.length > 0xffff)
        throw invalidSnapshot(`id ${String(id).slice(0, 40)}... is over 65,535 bytes`);
      const entry = new Uint8Array(3 + text.length);
      entry[0] = typeof id === "bigint" ? ID_BIGINT : ID_STRING;
      entry[1] = text.length >> 8;
      entry[2] = text.length & 0xff;
      entry.set(text, 3);
      ids.push(entry);
      idBytes += entry.length;
      slots.push(slot);
    }
    const codeBytes = this.layout.codeBytes;
    const codesAt = SNAPSHOT_HEADER + idBytes;
    const end = codesAt + slots.length * codeBytes;
    const out = new Uint8Array(end + 4);
    const view = new DataView(out.buffer);
    out.set(SNAPSHOT_MAGIC, 0);
    out[4] = SNAPSHOT_VERSION;
    view.setUint16(5, g.rows);
    view.setUint16(7, g.cols);
    out[9] = g.bitsPerCell;
    view.setUint32(10, slots.length);
    view.setUint32(14, idBytes);
    let at = SNAPSHOT_HEADER;
    for (const entry of ids) {
      out.set(entry, at);
      at += entry.length;
    }
    // Runs of consecutive slots are copied at once (all of them when nothing is pending removal).
    for (let i = 0; i < slots.length; ) {
      let j = i + 1;
      while (j < slots.length && slots[j] === slots[j - 1]! + 1) j++;
      const from = this.#arenaBase + slots[i]! * codeBytes;
      out.set(this.#bytes.subarray(from, from + (j - i) * codeBytes), codesAt + i * codeBytes);
      i = j;
    }
    view.setUint32(end, crc32(out.subarray(0, end)));
    return out;
  }

  /**
   * Fills an empty index from a {@link snapshot} in one copy. Throws `INVALID_SNAPSHOT` (field
   * `snapshot`) for a buffer that is not a snapshot of this geometry (bad magic, version, geometry,
   * lengths, CRC-32, id, duplicate id, or non-zero padding bits), `INVALID_PARAMETER` when the
   * index is not empty, `CAPACITY_EXCEEDED` when the codes do not fit the arena's maximum, and
   * `INDEX_CLOSED` after {@link close}; a refused snapshot leaves the index empty. See
   * {@link snapshot} for what a caller must check before trusting one.
   */
  loadSnapshot(bytes: Uint8Array): void {
    this.#assertOpen();
    if (this.#count !== 0 || this.#idSlots.size !== 0) {
      throw new UniquenessError(
        "INVALID_PARAMETER",
        `A snapshot loads into an empty index; this one holds ${this.#idSlots.size} codes`,
        { field: "snapshot" },
      );
    }
    if (!(bytes instanceof Uint8Array)) throw invalidSnapshot(`not a Uint8Array but ${typeof bytes}`);
    if (bytes.length < SNAPSHOT_HEADER + 4)
      throw invalidSnapshot(`${bytes.length} bytes is shorter than its header`);
    for (let i = 0; i < SNAPSHOT_MAGIC.length; i++) {
      if (bytes[i] !== SNAPSHOT_MAGIC[i])
        throw invalidSnapshot("it does not start with the magic bytes 'ZKUS'");
    }
    if (bytes[4] !== SNAPSHOT_VERSION) {
      throw invalidSnapshot(`version ${bytes[4]}; this reader supports version ${SNAPSHOT_VERSION}`);
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const g = this.profile.geometry;
    const rows = view.getUint16(5);
    const cols = view.getUint16(7);
    if (rows !== g.rows || cols !== g.cols || bytes[9] !== g.bitsPerCell) {
      throw invalidSnapshot(
        `its geometry is ${rows}x${cols}x${bytes[9]}, the index's ${g.rows}x${g.cols}x${g.bitsPerCell}`,
      );
    }
    const count = view.getUint32(10);
    const idBytes = view.getUint32(14);
    const codeBytes = this.layout.codeBytes;
    const codesAt = SNAPSHOT_HEADER + idBytes;
    const end = codesAt + count * codeBytes;
    if (bytes.length !== end + 4) {
      throw invalidSnapshot(
        `${bytes.length} bytes, but its header (${count} codes, ${idBytes} id bytes) needs ${end + 4}`,
      );
    }
    if (view.getUint32(end) !== crc32(bytes.subarray(0, end))) {
      throw invalidSnapshot("it is corrupted: its CRC-32 does not match");
    }
    const decoder = new TextDecoder("utf-8", { fatal: true });
    // The ids go straight into the (empty) id maps; a refusal empties them again.
    try {
      this.#loadSnapshotIds(bytes, count, codesAt, decoder);
      this.#checkSnapshotPadding(bytes, count, codesAt);
      while (this.#capacity < count) this.#grow();
    } catch (error) {
      this.#idSlots.clear();
      this.#slotIds.length = 0;
      throw error;
    }
    this.#bytes.set(bytes.subarray(codesAt, end), this.#arenaBase);
    this.#count = count;
  }

  #loadSnapshotIds(bytes: Uint8Array, count: number, codesAt: number, decoder: TextDecoder): void {
    let at = SNAPSHOT_HEADER;
    for (let i = 0; i < count; i++) {
      if (at + 3 > codesAt) throw invalidSnapshot(`its ids end before id ${i}`);
      const kind = bytes[at]!;
      const length = (bytes[at + 1]! << 8) | bytes[at + 2]!;
      const from = at + 3;
      if (from + length > codesAt) throw invalidSnapshot(`id ${i} runs past the ids`);
      let id: EnrolmentId | undefined;
      if (kind === ID_BIGINT) id = decimalBigint(bytes, from, from + length);
      else if (kind === ID_STRING && length > 0) {
        try {
          id = decoder.decode(bytes.subarray(from, from + length));
        } catch {
          throw invalidSnapshot(`id ${i} is not UTF-8`);
        }
      }
      if (id === undefined)
        throw invalidSnapshot(`id ${i} is neither a decimal bigint nor a non-empty string`);
      if (this.#idSlots.has(id)) throw invalidSnapshot(`id ${String(id)} appears twice`);
      this.#idSlots.set(id, i);
      this.#slotIds[i] = id;
      at = from + length;
    }
    if (at !== codesAt) throw invalidSnapshot(`${codesAt - at} bytes are left after its ${count} ids`);
  }

  #checkSnapshotPadding(bytes: Uint8Array, count: number, codesAt: number): void {
    const g = this.profile.geometry;
    const codeBytes = this.layout.codeBytes;
    // A set padding bit of a mask would count as usable: refuse any. Padding is the bytes after a
    // half's packed bytes, and the bits after the geometry's last bit in its last packed byte.
    const half = this.layout.halfWords * 8;
    const spare = this.layout.halfBytes * 8 - g.rows * g.cols * g.bitsPerCell;
    if (this.layout.halfBytes !== half || spare > 0) {
      const low = (1 << spare) - 1;
      for (let i = 0; i < count; i++) {
        for (const start of [codesAt + i * codeBytes, codesAt + i * codeBytes + half]) {
          let bad = (bytes[start + this.layout.halfBytes - 1]! & low) !== 0;
          for (let b = start + this.layout.halfBytes; b < start + half; b++) bad ||= bytes[b] !== 0;
          if (bad) throw invalidSnapshot(`code ${i} has non-zero padding`);
        }
      }
    }
  }

  /**
   * Removes a code; returns false when the id is not present. The slot is reclaimed by moving the
   * last code into it, at once or, if a search is running, when the last running search ends.
   * Throws `INVALID_ID` for a malformed id and `INDEX_CLOSED` after {@link close}.
   */
  remove(id: EnrolmentId): boolean {
    this.#assertOpen();
    checkId(id);
    const slot = this.#idSlots.get(id);
    if (slot === undefined) return false;
    this.#idSlots.delete(id);
    if (this.#inFlight === 0) this.#swapRemove(slot);
    else this.#pendingRemovals.add(slot);
    return true;
  }

  /**
   * Exact 1:N search of the probe against every enrolled code at every shift `-maxShift..maxShift`:
   * the matches, and the codes whose comparison is undecidable.
   * Throws `INVALID_PARAMETER` for a non-code or a bad option (naming it), `GEOMETRY_MISMATCH`
   * for a probe of another geometry, `INDEX_CLOSED` after {@link close}, and `WORKER_FAILED` if a
   * worker died.
   */
  async search(probe: IrisCode, options?: SearchOptions): Promise<SearchResult> {
    const startedAt = performance.now();
    this.#assertOpen();
    checkCode(this.profile, probe, "probe");
    const o = resolveSearchOptions(this.profile, options);
    const shifts = shiftOrder(o.maxShift);
    // The normalised distance is never below the raw one, so every normalised duplicate is under
    // the raw threshold: the kernels scan with it, and each code they find is decided exactly here.
    const decision = searchDecision(o);
    const kernelThreshold = o.thresholdPer10k;
    const exact = o.referenceBits !== undefined ? new PreparedProbe(probe, o.maxShift) : undefined;
    const probeWords = prepareProbeWords(this.layout, probe, o.maxShift);
    const n = this.#count;
    const excluded = this.#pendingRemovals.size === 0 ? undefined : new Set(this.#pendingRemovals);
    const matches: SearchMatch[] = [];
    const undecidable: EnrolmentId[] = [];
    const collect = (records: Int32Array) => {
      for (let j = 0; j < records.length; j += 4) {
        const slot = records[j]!;
        if (excluded?.has(slot)) continue;
        const d = records[j + 2]!;
        const u = records[j + 3]!;
        if (u === 0) {
          undecidable.push(this.#slotIds[slot]!);
          continue;
        }
        if (exact) {
          const c = this.#decideSlot(exact, slot, decision);
          if (c.duplicate)
            matches.push({
              id: this.#slotIds[slot]!,
              distance: c.differingBits / c.usableBits,
              decisionDistance: c.distance,
              differingBits: c.differingBits,
              usableBits: c.usableBits,
              shift: c.shift,
            });
          continue;
        }
        matches.push({
          id: this.#slotIds[slot]!,
          distance: d / u,
          decisionDistance: d / u,
          differingBits: d,
          usableBits: u,
          shift: shifts[records[j + 1]!]!,
        });
      }
    };
    this.#inFlight++;
    try {
      if (this.#inlineKernel) {
        collect(this.#scanInline(probeWords, shifts.length, n, o.minUsableBits, kernelThreshold));
      } else {
        const parts = this.#lanes.length;
        const per = Math.ceil(n / parts);
        const jobs: Promise<Int32Array>[] = [];
        for (let i = 0; i < parts; i++) {
          const start = Math.min(n, i * per);
          const end = Math.min(n, start + per);
          if (start === end) continue;
          jobs.push(
            this.#post(
              this.#lanes[i]!,
              probeWords,
              shifts.length,
              start,
              end,
              o.minUsableBits,
              kernelThreshold,
            ),
          );
        }
        for (const records of await Promise.all(jobs)) collect(records);
      }
    } finally {
      this.#inFlight--;
      if (this.#inFlight === 0 && this.#pendingRemovals.size > 0 && !this.#closed)
        this.#applyPendingRemovals();
    }
    return finishResult(matches, undecidable, o.limit, n - (excluded?.size ?? 0), startedAt);
  }

  /** Stops the workers; pending searches reject with `INDEX_CLOSED`. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const closed = new UniquenessError("INDEX_CLOSED", "The uniqueness index was closed");
    for (const lane of this.#lanes) {
      for (const p of lane.pending.values()) p.reject(closed);
      lane.pending.clear();
    }
    await Promise.all(this.#lanes.map((lane) => lane.worker.terminate()));
  }

  /**
   * The exact decision between a probe and the code in `slot`: the slot's packed bits and mask read
   * back as iris-code row words.
   */
  #decideSlot(probe: PreparedProbe, slot: number, decision: DeduplicationDecision): DeduplicationComparison {
    const g = this.layout.geometry;
    const base = this.#arenaBase + slot * this.layout.codeBytes;
    const half = this.layout.halfWords * 8;
    const n = this.layout.halfBytes;
    const bits = rowWords(this.#bytes.slice(base, base + n), g);
    const mask = rowWords(this.#bytes.slice(base + half, base + half + n), g);
    return compareForDeduplication(probe, bits, mask, decision);
  }

  #assertOpen(): void {
    if (this.#closed) throw new UniquenessError("INDEX_CLOSED", "The uniqueness index was closed");
    if (this.#failure) throw this.#failure;
  }

  #scanInline(probeWords: Uint32Array, nShifts: number, n: number, minU: number, thr: number): Int32Array {
    const kernel = this.#inlineKernel!;
    const probePtr = 0;
    const outPtr = this.#probeBytes;
    new Uint32Array(this.#memory.buffer, probePtr, probeWords.length).set(probeWords);
    const records: number[] = [];
    for (let first = 0; first < n; first += CHUNK) {
      const count = Math.min(CHUNK, n - first);
      const found = scanChunk(
        kernel,
        this.#memory,
        probePtr,
        nShifts,
        this.#arenaBase + first * this.layout.codeBytes,
        this.layout.codeBytes,
        count,
        minU,
        thr,
        outPtr,
      );
      if (found === 0) continue;
      const out = new Int32Array(this.#memory.buffer, outPtr, found * 4);
      for (let j = 0; j < found * 4; j += 4)
        records.push(out[j]! + first, out[j + 1]!, out[j + 2]!, out[j + 3]!);
    }
    return Int32Array.from(records);
  }

  #post(
    lane: Lane,
    probe: Uint32Array,
    nShifts: number,
    start: number,
    end: number,
    minUsable: number,
    thresholdPer10k: number,
  ): Promise<Int32Array> {
    const id = this.#nextMessage++;
    return new Promise<Int32Array>((resolve, reject) => {
      if (lane.pending.size === 0) lane.worker.ref();
      lane.pending.set(id, { resolve, reject });
      lane.worker.postMessage({
        type: "scan",
        id,
        probe,
        nShifts,
        codesPtr: this.#arenaBase,
        codeBytes: this.layout.codeBytes,
        start,
        end,
        minUsable,
        thresholdPer10k,
      });
    });
  }

  #watch(lane: Lane): void {
    const settle = (id: number): Pending | undefined => {
      const p = lane.pending.get(id);
      lane.pending.delete(id);
      if (lane.pending.size === 0) lane.worker.unref();
      return p;
    };
    lane.worker.on("message", (msg: { type: string; id: number; records?: Int32Array; message?: string }) => {
      if (msg.type === "result") settle(msg.id)?.resolve(msg.records!);
      else if (msg.type === "error") {
        settle(msg.id)?.reject(new UniquenessError("WORKER_FAILED", `Search worker failed: ${msg.message}`));
      }
    });
    const fail = (reason: string, cause?: unknown) => {
      if (this.#closed) return;
      this.#failure ??= new UniquenessError("WORKER_FAILED", `A search worker stopped: ${reason}`, { cause });
      for (const p of lane.pending.values()) p.reject(this.#failure);
      lane.pending.clear();
    };
    lane.worker.on("error", (error) => fail(error.message, error));
    lane.worker.on("exit", (code) => fail(`exit code ${code}`));
  }

  #grow(): void {
    const codeBytes = this.layout.codeBytes;
    const maxCapacity = Math.floor((this.#maxPages * PAGE - this.#arenaBase) / codeBytes);
    if (this.#capacity >= maxCapacity) {
      throw new UniquenessError(
        "CAPACITY_EXCEEDED",
        `The index is full: ${this.#capacity} codes of ${codeBytes} bytes fill its ${this.#maxPages * PAGE}-byte arena`,
        { field: "code" },
      );
    }
    const target = Math.min(maxCapacity, Math.max(this.#capacity * 2, this.#capacity + 1024));
    const pages = Math.ceil((this.#arenaBase + target * codeBytes) / PAGE);
    const current = this.#memory.buffer.byteLength / PAGE;
    if (pages > current) this.#memory.grow(pages - current);
    this.#words = new Uint32Array(this.#memory.buffer);
    this.#bytes = new Uint8Array(this.#memory.buffer);
    this.#capacity = Math.floor((this.#memory.buffer.byteLength - this.#arenaBase) / codeBytes);
  }

  #swapRemove(slot: number): void {
    const last = this.#count - 1;
    const w = this.layout.codeWords32;
    if (slot !== last) {
      const base = this.#arenaBase / 4;
      this.#words.copyWithin(base + slot * w, base + last * w, base + (last + 1) * w);
      const moved = this.#slotIds[last]!;
      this.#slotIds[slot] = moved;
      this.#idSlots.set(moved, slot);
    }
    this.#slotIds.length = last;
    this.#count = last;
  }

  #applyPendingRemovals(): void {
    const slots = [...this.#pendingRemovals].sort((a, b) => b - a);
    this.#pendingRemovals.clear();
    for (const slot of slots) this.#swapRemove(slot);
  }
}
