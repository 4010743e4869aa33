/**
 * A single-party DEVELOPMENT powers of tau (BN254) written directly in its prepared (phase-2
 * ready) `.ptau` form, in minutes up to 2^20 instead of the hour-plus of snarkjs's
 * `new` + `contribute` + `prepare phase2`.
 *
 * One secret (tau, alpha, beta) is drawn in this process, used by its worker threads and
 * overwritten when the file is written. Sections 2-6 hold tau^i·G1 (2^(p+1) - 1 of them), tau^i·G2,
 * alpha·tau^i·G1, beta·tau^i·G1 and beta·G2; the Lagrange sections 12-15 hold L_i(tau) times the
 * same generators and factors for every domain 2^k, k = 0..p (and k = p + 1 for section 12),
 * computed as scalars in closed form rather than by snarkjs's FFT over group elements. Section 7
 * is one contribution record with a key proof for the secret and the hashes snarkjs computes,
 * so `snarkjs powersoftau verify` accepts the file ("Powers of Tau Ok!").
 *
 * Whoever runs this knows the toxic waste while it runs: it is NOT a trusted setup.
 */
import { createHash, getRandomValues } from "node:crypto";
import { type FileHandle, mkdir, open, rename, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { blake2b } from "@noble/hashes/blake2.js";
import { ZkirisError } from "@zkiris/iris-code";
import { buildBn128, ChaCha, type FfCurve, type FfElement } from "ffjavascript";
import {
  type GroupName,
  MAX_CHUNK_POINTS,
  MAX_WINDOW_BITS,
  type ScalarFactor,
  type WorkerJob,
  type WorkerRequest,
  type WorkerResponse,
} from "./dev-ptau-protocol.js";

/** Label every development setup carries (the same as the committed match-circuit keys). */
export const DEV_PTAU_LABEL = "development setup (single-party, NOT for production)";

/** Name of the contribution record (snarkjs keeps at most 64 bytes). */
export const DEV_PTAU_CONTRIBUTION_NAME = "zkiris DEVELOPMENT single-party setup, NOT for production";

/** Smallest power the tool writes. */
export const MIN_DEV_PTAU_POWER = 1;

/** Largest power the tool writes (2^20 constraints; the memory and time were measured up to here). */
export const MAX_DEV_PTAU_POWER = 20;

/** Codes of {@link DevPtauError}. */
export type DevPtauErrorCode = "INVALID_POWER" | "INVALID_THREADS" | "INVALID_WINDOW" | "WORKER_FAILED";

/** A refused request or a failed run of the development powers-of-tau tool. */
export class DevPtauError extends ZkirisError {
  declare readonly code: DevPtauErrorCode;
  constructor(code: DevPtauErrorCode, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(code, message, options);
  }
}

/** File name of a development powers of tau of 2^power (`pot<power>` first, as `build.ts` reads it). */
export function devPtauFileName(power: number): string {
  return `pot${power}_development_single_party.ptau`;
}

/** Options of {@link writeDevPtau}. */
export interface DevPtauOptions {
  /** log2 of the largest circuit (constraints) the file supports: 1..maxPower. */
  power: number;
  /** Path of the `.ptau` file to write (written as `<output>.partial`, then renamed). */
  output: string;
  /** Cap on `power` below {@link MAX_DEV_PTAU_POWER} (e.g. to bound time or disk in CI). */
  maxPower?: number;
  /** Worker threads (default: the available parallelism). */
  threads?: number;
  /** Fixed-base window in bits, 1..16 (default: chosen from the number of points). */
  window?: number;
  /** Progress lines (default: written to stderr). */
  onProgress?: (line: string) => void;
}

/** What {@link writeDevPtau} wrote. */
export interface DevPtauResult {
  path: string;
  power: number;
  bytes: number;
  /** snarkjs's "Contribution Response Hash" of the one contribution (hex). */
  responseHash: string;
  /** Hash of the accumulator after the contribution (snarkjs's "Next Challenge Hash", hex). */
  nextChallengeHash: string;
  /** Fixed-base window used per group. */
  window: Record<GroupName, number>;
  threads: number;
  /** Wall time of each section, in seconds, by section id. */
  sectionSeconds: Record<number, number>;
  seconds: number;
}

const G1_BYTES = 64;
const G2_BYTES = 128;
const POINT_BYTES: Record<GroupName, number> = { G1: G1_BYTES, G2: G2_BYTES };
const PUBKEY_BYTES = 6 * G1_BYTES + 3 * G2_BYTES;
const PARTIAL_HASH_BYTES = 216;
const HASH_BYTES = 64;
const CHUNK_POINTS = 1 << 14;

interface SectionPlan {
  id: number;
  name: string;
  group: GroupName;
  points: number;
  jobs: WorkerJob[];
}

function checkedInteger(
  value: unknown,
  min: number,
  max: number,
  name: string,
  code: DevPtauErrorCode,
): number {
  if (typeof value !== "number") {
    throw new DevPtauError(code, `Parameter '${name}' is not a number, received type: ${typeof value}`, {
      field: name,
    });
  }
  if (!Number.isInteger(value)) {
    throw new DevPtauError(code, `Parameter '${name}' is not an integer, received ${value}`, { field: name });
  }
  if (value < min || value > max) {
    throw new DevPtauError(code, `Parameter '${name}' must be in ${min}..${max}, received ${value}`, {
      field: name,
    });
  }
  return value;
}

function powersJobs(group: GroupName, factor: ScalarFactor, count: number, compressed: boolean): WorkerJob[] {
  const jobs: WorkerJob[] = [];
  for (let start = 0; start < count; start += CHUNK_POINTS) {
    jobs.push({
      type: "powers",
      group,
      factor,
      start,
      count: Math.min(CHUNK_POINTS, count - start),
      compressed,
    });
  }
  return jobs;
}

function lagrangeJobs(group: GroupName, factor: ScalarFactor, power: number, withTop: boolean): WorkerJob[] {
  const jobs: WorkerJob[] = [];
  const top = withTop ? power + 1 : power;
  for (let k = 0; k <= top; k++) {
    const size = 2 ** k;
    for (let start = 0; start < size; start += CHUNK_POINTS) {
      jobs.push({
        type: "lagrange",
        group,
        factor,
        log2Size: k,
        start,
        count: Math.min(CHUNK_POINTS, size - start),
        withoutTopPower: k === power + 1,
      });
    }
  }
  return jobs;
}

/** The sections in file order, with the jobs that compute them. */
function planSections(power: number): { hashed: SectionPlan[]; lagrange: SectionPlan[] } {
  const n = 2 ** power;
  const hashed: SectionPlan[] = [
    { id: 2, name: "tauG1", group: "G1", points: 2 * n - 1, jobs: powersJobs("G1", "one", 2 * n - 1, true) },
    { id: 3, name: "tauG2", group: "G2", points: n, jobs: powersJobs("G2", "one", n, true) },
    { id: 4, name: "alphaTauG1", group: "G1", points: n, jobs: powersJobs("G1", "alpha", n, true) },
    { id: 5, name: "betaTauG1", group: "G1", points: n, jobs: powersJobs("G1", "beta", n, true) },
    { id: 6, name: "betaG2", group: "G2", points: 1, jobs: powersJobs("G2", "beta", 1, true) },
  ];
  const lagrange: SectionPlan[] = [
    {
      id: 12,
      name: "lagrange tauG1",
      group: "G1",
      points: 4 * n - 1,
      jobs: lagrangeJobs("G1", "one", power, true),
    },
    {
      id: 13,
      name: "lagrange tauG2",
      group: "G2",
      points: 2 * n - 1,
      jobs: lagrangeJobs("G2", "one", power, false),
    },
    {
      id: 14,
      name: "lagrange alphaTauG1",
      group: "G1",
      points: 2 * n - 1,
      jobs: lagrangeJobs("G1", "alpha", power, false),
    },
    {
      id: 15,
      name: "lagrange betaTauG1",
      group: "G1",
      points: 2 * n - 1,
      jobs: lagrangeJobs("G1", "beta", power, false),
    },
  ];
  return { hashed, lagrange };
}

/**
 * Window (bits) that minimises table plus multiplication additions for `points` scalars per
 * worker: ceil(254/w)·(2^w + points), capped at 16 bits (a 2^16-row G2 table is 128 MiB).
 */
export function chooseWindow(pointsPerWorker: number): number {
  let best = 1;
  let bestCost = Number.POSITIVE_INFINITY;
  for (let w = 1; w <= MAX_WINDOW_BITS; w++) {
    const cost = Math.ceil(254 / w) * (2 ** w + pointsPerWorker);
    if (cost < bestCost) {
      best = w;
      bestCost = cost;
    }
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// Hashes and the contribution record, as snarkjs 0.7.6 computes them (powersoftau_utils.js,
// powersoftau_contribute.js, keypair.js, misc.js).

function blake2b512(): ReturnType<typeof createHash> {
  return createHash("blake2b512");
}

function updateRepeated(hash: ReturnType<typeof createHash>, unit: Uint8Array, times: number): void {
  const perBlock = 4096;
  const block = new Uint8Array(unit.byteLength * perBlock);
  for (let i = 0; i < perBlock; i++) block.set(unit, i * unit.byteLength);
  for (let left = times; left > 0; left -= perBlock) {
    hash.update(left >= perBlock ? block : block.subarray(0, left * unit.byteLength));
  }
}

/** Challenge hash of the blank accumulator of 2^power (all points the generators). */
export function firstChallengeHash(curve: FfCurve, power: number): Uint8Array {
  const g1 = new Uint8Array(G1_BYTES);
  const g2 = new Uint8Array(G2_BYTES);
  curve.G1.toRprUncompressed(g1, 0, curve.G1.g);
  curve.G2.toRprUncompressed(g2, 0, curve.G2.g);
  const hash = blake2b512();
  hash.update(blake2b512().digest());
  const n = 2 ** power;
  updateRepeated(hash, g1, 2 * n - 1);
  updateRepeated(hash, g2, n);
  updateRepeated(hash, g1, n);
  updateRepeated(hash, g1, n);
  hash.update(g2);
  return new Uint8Array(hash.digest());
}

interface KeyShare {
  prvKey: FfElement;
  g1_s: FfElement;
  g1_sx: FfElement;
  g2_sp: FfElement;
  g2_spx: FfElement;
}

interface ContributionKey {
  tau: KeyShare;
  alpha: KeyShare;
  beta: KeyShare;
}

/** snarkjs keypair.getG2sp: a G2 point derived from the challenge and the G1 pair. */
function g2sp(
  curve: FfCurve,
  personalization: number,
  challenge: Uint8Array,
  g1s: FfElement,
  g1sx: FfElement,
) {
  const digest = blake2b512()
    .update(Uint8Array.of(personalization))
    .update(challenge)
    .update(curve.G1.toUncompressed(g1s))
    .update(curve.G1.toUncompressed(g1sx))
    .digest();
  const view = new DataView(digest.buffer, digest.byteOffset, digest.byteLength);
  const seed = Array.from({ length: 8 }, (_, i) => view.getUint32(i * 4));
  return curve.G2.fromRng(new ChaCha(seed));
}

/** snarkjs keypair.createPTauKey: the proof of knowledge of tau, alpha and beta for `challenge`. */
function createKey(curve: FfCurve, challenge: Uint8Array, rng: ChaCha, secret: Secret): ContributionKey {
  const share = (prvKey: FfElement, personalization: number): KeyShare => {
    const g1_s = curve.G1.toAffine(curve.G1.fromRng(rng));
    const g1_sx = curve.G1.toAffine(curve.G1.timesFr(g1_s, prvKey));
    const g2_sp = curve.G2.toAffine(g2sp(curve, personalization, challenge, g1_s, g1_sx));
    const g2_spx = curve.G2.toAffine(curve.G2.timesFr(g2_sp, prvKey));
    return { prvKey, g1_s, g1_sx, g2_sp, g2_spx };
  };
  return { tau: share(secret.tau, 0), alpha: share(secret.alpha, 1), beta: share(secret.beta, 2) };
}

/** snarkjs toPtauPubKeyRpr: 6 G1 then 3 G2 points, Montgomery (file) or uncompressed (hashes). */
function publicKeyBytes(curve: FfCurve, key: ContributionKey, montgomery: boolean): Uint8Array {
  const out = new Uint8Array(PUBKEY_BYTES);
  let pos = 0;
  const g1 = [key.tau.g1_s, key.tau.g1_sx, key.alpha.g1_s, key.alpha.g1_sx, key.beta.g1_s, key.beta.g1_sx];
  for (const p of g1) {
    if (montgomery) curve.G1.toRprLEM(out, pos, p);
    else curve.G1.toRprUncompressed(out, pos, p);
    pos += G1_BYTES;
  }
  for (const p of [key.tau.g2_spx, key.alpha.g2_spx, key.beta.g2_spx]) {
    if (montgomery) curve.G2.toRprLEM(out, pos, p);
    else curve.G2.toRprUncompressed(out, pos, p);
    pos += G2_BYTES;
  }
  return out;
}

type NobleBlake2b = ReturnType<typeof blake2b.create>;

/**
 * snarkjs misc.toPartialHash: the BLAKE2b state after the challenge and the compressed points,
 * in the 216-byte layout of blake2b-wasm that `.ptau` files keep (the verifier finishes it with
 * the public key to get the response hash). Reads @noble/hashes' internal state, as snarkjs does.
 */
function partialHash(hash: NobleBlake2b): Uint8Array {
  const state = hash as unknown as Record<string, number> & { buffer: Uint8Array };
  const out = new Uint8Array(PARTIAL_HASH_BYTES);
  out.set(state.buffer);
  const words = new Uint32Array(out.buffer, 128, (PARTIAL_HASH_BYTES - 128) / 4);
  for (let i = 0; i < 8; i++) {
    words[2 * i] = state[`v${i}l`]!;
    words[2 * i + 1] = state[`v${i}h`]!;
  }
  const pos = state.pos!;
  words[16] = state.length! - pos;
  words[18] = pos;
  return out;
}

interface FirstPoints {
  tauG1: Uint8Array;
  tauG2: Uint8Array;
  alphaG1: Uint8Array;
  betaG1: Uint8Array;
  betaG2: Uint8Array;
}

/** Section 7: one contribution (type 0, a named contributor; no beacon). */
function contributionSection(
  curve: FfCurve,
  first: FirstPoints,
  key: ContributionKey,
  partial: Uint8Array,
  nextChallenge: Uint8Array,
): Uint8Array {
  const name = new TextEncoder().encode(DEV_PTAU_CONTRIBUTION_NAME);
  if (name.byteLength > 64) throw new Error("contribution name longer than snarkjs keeps");
  const params = Uint8Array.of(1, name.byteLength, ...name);
  const size =
    4 +
    3 * G1_BYTES +
    2 * G2_BYTES +
    PUBKEY_BYTES +
    PARTIAL_HASH_BYTES +
    HASH_BYTES +
    4 +
    4 +
    params.byteLength;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let pos = 0;
  const put = (bytes: Uint8Array) => {
    out.set(bytes, pos);
    pos += bytes.byteLength;
  };
  view.setUint32(pos, 1, true);
  pos += 4;
  put(first.tauG1);
  put(first.tauG2);
  put(first.alphaG1);
  put(first.betaG1);
  put(first.betaG2);
  put(publicKeyBytes(curve, key, true));
  put(partial);
  put(nextChallenge);
  view.setUint32(pos, 0, true); // type 0: a contribution, not a beacon
  pos += 4;
  view.setUint32(pos, params.byteLength, true);
  pos += 4;
  put(params);
  return out;
}

// ---------------------------------------------------------------------------------------------
// The secret.

interface Secret {
  tau: FfElement;
  alpha: FfElement;
  beta: FfElement;
}

/**
 * Draws tau, alpha, beta from a ChaCha stream seeded by the OS (as snarkjs's contribute does).
 * Refuses (redraws) zero and a tau that is a 2^(power+1)-th root of unity, where the closed form
 * of L_i(tau) would divide by zero (probability about 2^-230).
 */
function drawSecret(curve: FfCurve, power: number): { secret: Secret; rng: ChaCha } {
  const Fr = curve.Fr;
  for (;;) {
    const seed = getRandomValues(new Uint32Array(8));
    const rng = new ChaCha(Array.from(seed));
    seed.fill(0);
    const secret = { tau: Fr.fromRng(rng), alpha: Fr.fromRng(rng), beta: Fr.fromRng(rng) };
    const rootOfUnity = Fr.eq(Fr.exp(secret.tau, 2 ** (power + 1)), Fr.one);
    if (!Fr.isZero(secret.tau) && !Fr.isZero(secret.alpha) && !Fr.isZero(secret.beta) && !rootOfUnity) {
      return { secret, rng };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Worker pool.

function tsxEsmApi(from: string): string {
  const pkg = createRequire(fileURLToPath(from)).resolve("tsx/package.json");
  return pathToFileURL(path.join(path.dirname(pkg), "dist", "esm", "api", "index.mjs")).href;
}

interface Pending {
  resolve: (response: WorkerResponse) => void;
  reject: (error: Error) => void;
}

class SectionPool {
  readonly size: number;
  readonly #workers: Worker[] = [];
  readonly #queues: Pending[][] = [];
  readonly #exited = new Set<Worker>();
  #failure: Error | undefined;

  private constructor(size: number) {
    this.size = size;
    const here = import.meta.url;
    const fromSource = here.endsWith(".ts");
    const entry = new URL(fromSource ? "./dev-ptau-worker.ts" : "./dev-ptau-worker.js", here).href;
    // From the sources a worker registers tsx itself before importing its TypeScript entry.
    const load = fromSource
      ? `import(${JSON.stringify(tsxEsmApi(here))}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); });`
      : `import(${JSON.stringify(entry)});`;
    // ffjavascript imports "web-worker", which, loaded in a worker thread, takes the thread for one
    // of its own (and fails on our workerData). The worker's curve is single-threaded: stub it out.
    const webWorker = createRequire(createRequire(import.meta.url).resolve("ffjavascript")).resolve(
      "web-worker",
    );
    const script = `
const Module = require("node:module");
const stub = new Module(${JSON.stringify(webWorker)});
stub.filename = ${JSON.stringify(webWorker)};
stub.loaded = true;
stub.exports = function Worker() { throw new Error("nested workers are disabled in the powers-of-tau workers"); };
require.cache[${JSON.stringify(webWorker)}] = stub;
${load}`;
    for (let i = 0; i < size; i++) {
      const worker = new Worker(script, { eval: true, execArgv: [] });
      const queue: Pending[] = [];
      worker.on("message", (response: WorkerResponse) => {
        const pending = queue.shift();
        if (!pending) return;
        if (response.type === "failed") {
          pending.reject(
            new DevPtauError("WORKER_FAILED", `A powers-of-tau worker failed: ${response.message}`),
          );
        } else {
          pending.resolve(response);
        }
      });
      worker.on("error", (error) => this.#fail(i, error));
      worker.on("exit", (code) => {
        this.#exited.add(worker);
        if (code !== 0) this.#fail(i, new Error(`exit code ${code}`));
      });
      this.#workers.push(worker);
      this.#queues.push(queue);
    }
  }

  /** Starts `size` workers and gives each the secret. */
  static async start(size: number, secret: Secret): Promise<SectionPool> {
    const pool = new SectionPool(size);
    try {
      // Each worker posts "ready" once loaded; the first queued wait takes it.
      await Promise.all(pool.#workers.map((_, i) => pool.#expect(i)));
      await Promise.all(
        pool.#workers.map((_, i) =>
          pool.#send(i, {
            type: "init",
            tau: secret.tau.slice(),
            alpha: secret.alpha.slice(),
            beta: secret.beta.slice(),
          }),
        ),
      );
      return pool;
    } catch (error) {
      // A worker that failed to start: stop the others, or they would keep the process alive.
      await Promise.all(pool.#workers.map((worker) => worker.terminate()));
      throw error;
    }
  }

  #fail(index: number, error: Error): void {
    const failure = new DevPtauError("WORKER_FAILED", `A powers-of-tau worker failed: ${error.message}`, {
      cause: error,
    });
    this.#failure ??= failure;
    for (const pending of this.#queues[index]!.splice(0)) pending.reject(failure);
  }

  #expect(index: number): Promise<WorkerResponse> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => this.#queues[index]!.push({ resolve, reject }));
  }

  #send(index: number, request: WorkerRequest): Promise<WorkerResponse> {
    const answer = this.#expect(index);
    const transfer = request.type === "uncompress" ? [request.points.buffer as ArrayBuffer] : [];
    this.#workers[index]!.postMessage(request, transfer);
    return answer;
  }

  async buildTables(window: Record<GroupName, number>): Promise<void> {
    await Promise.all(
      this.#workers.map(async (_, i) => {
        await this.#send(i, { type: "table", group: "G1", window: window.G1 });
        await this.#send(i, { type: "table", group: "G2", window: window.G2 });
      }),
    );
  }

  /**
   * Runs `count` jobs (made on demand by `job(i)`) on whichever worker is free and hands the
   * results to `consume` in job order; at most 4 results per worker wait to be consumed.
   */
  async runOrdered(
    count: number,
    job: (index: number) => WorkerJob | Promise<WorkerJob>,
    consume: (response: WorkerResponse & { type: "result" }, index: number) => void | Promise<void>,
  ): Promise<void> {
    const results: Promise<WorkerResponse>[] = [];
    const settle: Pending[] = [];
    for (let i = 0; i < count; i++) {
      results.push(
        new Promise<WorkerResponse>((resolve, reject) => {
          settle.push({ resolve, reject });
        }),
      );
      results[i]!.catch(() => {});
    }
    let next = 0;
    let consumed = 0;
    let stopped = false;
    let wakeProducers: (() => void)[] = [];
    const ahead = 4 * this.size;
    const producers = Promise.all(
      this.#workers.map(async (_, w) => {
        while (next < count && !stopped) {
          const i = next++;
          while (i - consumed >= ahead && !stopped) {
            await new Promise<void>((resolve) => wakeProducers.push(resolve));
          }
          if (stopped) return;
          try {
            const request = await job(i);
            settle[i]!.resolve(await this.#send(w, { ...request, id: i } as WorkerRequest));
          } catch (error) {
            settle[i]!.reject(error as Error);
            return;
          }
        }
      }),
    );
    const wake = () => {
      const waiting = wakeProducers;
      wakeProducers = [];
      for (const resolve of waiting) resolve();
    };
    try {
      for (let i = 0; i < count; i++) {
        const response = await results[i]!;
        if (response.type !== "result" || response.id !== i) {
          throw new DevPtauError("WORKER_FAILED", `A powers-of-tau worker answered job ${i} out of order`);
        }
        await consume(response, i);
        consumed = i + 1;
        wake();
      }
    } catch (error) {
      stopped = true;
      wake();
      await producers;
      throw error;
    }
    await producers;
  }

  /** Tells each worker to overwrite its secret and stop; terminates any that has not after 5 s. */
  async close(): Promise<void> {
    await Promise.all(
      this.#workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (this.#exited.has(worker)) return resolve();
            const timer = setTimeout(() => void worker.terminate().then(() => resolve()), 5000);
            worker.once("exit", () => {
              clearTimeout(timer);
              resolve();
            });
            worker.postMessage({ type: "close" } satisfies WorkerRequest);
          }),
      ),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// The file.

class PtauWriter {
  readonly #file: FileHandle;
  position = 0;
  private constructor(file: FileHandle) {
    this.#file = file;
  }
  static async create(file: string, sections: number): Promise<PtauWriter> {
    const writer = new PtauWriter(await open(file, "w+"));
    const header = new Uint8Array(12);
    header.set(new TextEncoder().encode("ptau"));
    const view = new DataView(header.buffer);
    view.setUint32(4, 1, true);
    view.setUint32(8, sections, true);
    await writer.write(header);
    return writer;
  }
  async write(bytes: Uint8Array): Promise<void> {
    let done = 0;
    while (done < bytes.byteLength) {
      const { bytesWritten } = await this.#file.write(
        bytes,
        done,
        bytes.byteLength - done,
        this.position + done,
      );
      done += bytesWritten;
    }
    this.position += bytes.byteLength;
  }
  /** Writes a section header; returns where its data starts. */
  async section(id: number, bytes: number): Promise<number> {
    const header = new Uint8Array(12);
    const view = new DataView(header.buffer);
    view.setUint32(0, id, true);
    view.setBigUint64(4, BigInt(bytes), true);
    await this.write(header);
    return this.position;
  }
  async read(position: number, bytes: number): Promise<Uint8Array> {
    const out = new Uint8Array(bytes);
    let done = 0;
    while (done < bytes) {
      const { bytesRead } = await this.#file.read(out, done, bytes - done, position + done);
      if (bytesRead === 0) throw new Error("short read of the file being written");
      done += bytesRead;
    }
    return out;
  }
  close(): Promise<void> {
    return this.#file.close();
  }
}

function headerSection(curve: FfCurve, power: number): Uint8Array {
  const out = new Uint8Array(44);
  const view = new DataView(out.buffer);
  view.setUint32(0, 32, true);
  let q = curve.q;
  for (let i = 0; i < 32; i++) {
    out[4 + i] = Number(q & 0xffn);
    q >>= 8n;
  }
  view.setUint32(36, power, true);
  view.setUint32(40, power, true); // ceremony power: the file is not a truncated one
  return out;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

/**
 * Writes a prepared single-party DEVELOPMENT `.ptau` of 2^power to `output` (see the module
 * comment). Refuses a power outside 1..maxPower (`INVALID_POWER`), threads outside
 * 1..64 (`INVALID_THREADS`) and a window outside 1..16 (`INVALID_WINDOW`); a worker that fails
 * ends the run with `WORKER_FAILED` and leaves no file at `output`.
 */
export async function writeDevPtau(options: DevPtauOptions): Promise<DevPtauResult> {
  const maxPower = checkedInteger(
    options.maxPower ?? MAX_DEV_PTAU_POWER,
    MIN_DEV_PTAU_POWER,
    MAX_DEV_PTAU_POWER,
    "maxPower",
    "INVALID_POWER",
  );
  const power = checkedInteger(options.power, MIN_DEV_PTAU_POWER, maxPower, "power", "INVALID_POWER");
  const threads = checkedInteger(
    options.threads ?? availableParallelism(),
    1,
    64,
    "threads",
    "INVALID_THREADS",
  );
  if (options.window !== undefined)
    checkedInteger(options.window, 1, MAX_WINDOW_BITS, "window", "INVALID_WINDOW");
  const progress = options.onProgress ?? ((line: string) => process.stderr.write(`[dev-ptau] ${line}\n`));
  const started = performance.now();
  const plan = planSections(power);
  const all = [...plan.hashed, ...plan.lagrange];
  const pointsOf = (group: GroupName) =>
    all.filter((s) => s.group === group).reduce((a, s) => a + s.points, 0);
  const window = {
    G1: options.window ?? chooseWindow(Math.ceil(pointsOf("G1") / threads)),
    G2: options.window ?? chooseWindow(Math.ceil(pointsOf("G2") / threads)),
  };
  progress(
    `DEVELOPMENT powers of tau 2^${power} (single-party, NOT for production): ` +
      `${formatCount(pointsOf("G1"))} G1 + ${formatCount(pointsOf("G2"))} G2 points, ` +
      `${threads} threads, windows G1 ${window.G1} / G2 ${window.G2} bits`,
  );

  const curve = await buildBn128(true);
  const { secret, rng } = drawSecret(curve, power);
  const challenge = firstChallengeHash(curve, power);
  const key = createKey(curve, challenge, rng, secret);
  await mkdir(path.dirname(path.resolve(options.output)), { recursive: true });
  const partialPath = `${options.output}.partial`;
  let pool: SectionPool | undefined;
  let writer: PtauWriter | undefined;
  const sectionSeconds: Record<number, number> = {};
  try {
    pool = await SectionPool.start(threads, secret);
    // The workers hold their own copies now; the main thread's key shares keep only public points.
    for (const s of [secret.tau, secret.alpha, secret.beta]) s.fill(0);
    const tableStart = performance.now();
    await pool.buildTables(window);
    progress(`fixed-base tables built in ${((performance.now() - tableStart) / 1000).toFixed(1)} s`);

    writer = await PtauWriter.create(partialPath, 11);
    await writer.section(1, 44);
    await writer.write(headerSection(curve, power));

    const response = blake2b.create({ dkLen: HASH_BYTES });
    response.update(challenge);
    const first: Partial<FirstPoints> = {};
    const dataStart: Record<number, number> = {};
    const runSection = async (section: SectionPlan, hashed: boolean) => {
      const t0 = performance.now();
      const bytes = section.points * POINT_BYTES[section.group];
      dataStart[section.id] = await writer!.section(section.id, bytes);
      progress(
        `section ${section.id} ${section.name}: ${formatCount(section.points)} ${section.group} points`,
      );
      let done = 0;
      let reported = 0;
      await pool!.runOrdered(
        section.jobs.length,
        (i) => section.jobs[i]!,
        async (result, i) => {
          if (hashed) {
            response.update(result.compressed!);
            if (i === 0) keepFirstPoints(section.id, result.points, first);
          }
          await writer!.write(result.points);
          done += result.points.byteLength / POINT_BYTES[section.group];
          if (section.points >= 1 << 16 && done - reported >= section.points / 10 && done < section.points) {
            reported = done;
            progress(`  ${section.name}: ${Math.floor((100 * done) / section.points)}%`);
          }
        },
      );
      sectionSeconds[section.id] = (performance.now() - t0) / 1000;
      progress(`  ${section.name} done in ${sectionSeconds[section.id]!.toFixed(1)} s`);
    };

    for (const section of plan.hashed) await runSection(section, true);

    const partial = partialHash(response);
    response.update(publicKeyBytes(curve, key, false));
    const responseHash = response.digest();

    // Next challenge: the response hash, then sections 2-6 uncompressed (re-read from the file).
    const t0 = performance.now();
    const next = blake2b512().update(responseHash);
    for (const section of plan.hashed) {
      const size = POINT_BYTES[section.group];
      const chunks = Math.ceil(section.points / MAX_CHUNK_POINTS);
      await pool.runOrdered(
        chunks,
        async (i) => {
          const count = Math.min(MAX_CHUNK_POINTS, section.points - i * MAX_CHUNK_POINTS);
          const points = await writer!.read(
            dataStart[section.id]! + i * MAX_CHUNK_POINTS * size,
            count * size,
          );
          return { type: "uncompress", group: section.group, points };
        },
        (result) => {
          next.update(result.points);
        },
      );
    }
    const nextChallenge = new Uint8Array(next.digest());
    progress(`contribution hashes in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const record = contributionSection(curve, first as FirstPoints, key, partial, nextChallenge);
    await writer.section(7, record.byteLength);
    await writer.write(record);

    for (const section of plan.lagrange) await runSection(section, false);

    const bytes = writer.position;
    await writer.close();
    writer = undefined;
    await rename(partialPath, options.output);
    return {
      path: options.output,
      power,
      bytes,
      responseHash: hex(responseHash),
      nextChallengeHash: hex(nextChallenge),
      window,
      threads,
      sectionSeconds,
      seconds: (performance.now() - started) / 1000,
    };
  } catch (error) {
    if (writer) await writer.close().catch(() => {});
    await rm(partialPath, { force: true });
    throw error;
  } finally {
    for (const s of [secret.tau, secret.alpha, secret.beta]) s.fill(0);
    if (pool) await pool.close();
    // The main thread's wasm memory held the secret during key generation; the curve is not reused.
    curve.tm.u8.fill(0);
  }
}

function keepFirstPoints(section: number, points: Uint8Array, first: Partial<FirstPoints>): void {
  switch (section) {
    case 2:
      first.tauG1 = points.slice(G1_BYTES, 2 * G1_BYTES);
      break;
    case 3:
      first.tauG2 = points.slice(G2_BYTES, 2 * G2_BYTES);
      break;
    case 4:
      first.alphaG1 = points.slice(0, G1_BYTES);
      break;
    case 5:
      first.betaG1 = points.slice(0, G1_BYTES);
      break;
    case 6:
      first.betaG2 = points.slice(0, G2_BYTES);
      break;
  }
}
