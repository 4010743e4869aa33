import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { SemaphoreProof } from "@semaphore-protocol/proof";
import { InvalidParameterError, RegistryError } from "./errors.js";

// Runs as a CommonJS eval worker: it loads @semaphore-protocol/proof from the path resolved by the
// parent, so the pool works the same from TypeScript sources, tests and the published build.
// snarkjs builds a multi-threaded curve through the "web-worker" package, which cannot start nested
// workers from a worker thread (and rewrites the worker's global scope when loaded there). The pool is
// the parallelism, so each worker stubs that module out and installs a single-threaded curve that
// snarkjs then reuses from its global cache.
const WORKER_SOURCE = `
const Module = require("node:module");
const { parentPort, workerData } = require("node:worker_threads");
const stub = new Module(workerData.webWorkerModule);
stub.filename = workerData.webWorkerModule;
stub.loaded = true;
stub.exports = function Worker() { throw new Error("nested workers are disabled in the proof verifier pool"); };
require.cache[workerData.webWorkerModule] = stub;
const { verifyProof } = require(workerData.proofModule);
const ready = require(workerData.ffjavascriptModule).buildBn128(true).then((curve) => { globalThis.curve_bn128 = curve; });
parentPort.on("message", (task) => {
  ready.then(() => verifyProof(task.proof)).then(
    (valid) => parentPort.postMessage({ id: task.id, valid }),
    (error) => parentPort.postMessage({ id: task.id, valid: false, error: String((error && error.message) || error) }),
  );
});
`;

/** Module paths the verifier workers load, resolved the way `require` resolves them. */
function workerModules(): { proofModule: string; ffjavascriptModule: string; webWorkerModule: string } {
  const proofModule = createRequire(import.meta.url).resolve("@semaphore-protocol/proof");
  const snarkjs = createRequire(proofModule).resolve("snarkjs");
  const ffjavascriptModule = createRequire(snarkjs).resolve("ffjavascript");
  const webWorkerModule = createRequire(ffjavascriptModule).resolve("web-worker");
  return { proofModule, ffjavascriptModule, webWorkerModule };
}

interface Task {
  readonly id: number;
  readonly resolve: (result: ProofCheck) => void;
  readonly reject: (error: Error) => void;
}

/** Outcome of one verification: `valid`, and the verifier's message when the proof was malformed. */
export interface ProofCheck {
  readonly valid: boolean;
  readonly error?: string;
}

interface Lane {
  worker: Worker;
  readonly pending: Map<number, Task>;
}

/**
 * A pool of worker threads verifying Semaphore proofs (`verifyProof` of `@semaphore-protocol/proof`,
 * verification keys bundled with that package, no network). Tasks go to the least busy worker.
 * A worker that dies (out of memory, a crash in the verifier) fails its pending tasks and is
 * restarted. `close()` terminates every worker and rejects pending tasks with `CLOSED`.
 */
export class ProofVerifierPool {
  readonly size: number;
  readonly #lanes: Lane[];
  readonly #modules: ReturnType<typeof workerModules>;
  #nextId = 0;
  #closed = false;

  /** Starts `workers` threads (default: available cores, at least 1; at most 64). */
  constructor(workers = Math.max(1, availableParallelism())) {
    if (!Number.isInteger(workers) || workers < 1 || workers > 64) {
      throw new InvalidParameterError(
        "workers",
        `Parameter 'workers' must be an integer between 1 and 64, received ${workers}`,
      );
    }
    const modules = workerModules();
    this.size = workers;
    this.#lanes = [];
    this.#modules = modules;
    for (let i = 0; i < workers; i++) {
      const lane: Lane = { worker: undefined as unknown as Worker, pending: new Map() };
      this.#start(lane);
      this.#lanes.push(lane);
    }
  }

  /** Starts (or restarts, after an unexpected exit) the worker of a lane. */
  #start(lane: Lane): void {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: this.#modules });
    lane.worker = worker;
    worker.on("message", (message: { id: number; valid: boolean; error?: string }) => {
      const task = lane.pending.get(message.id);
      if (task === undefined) return;
      lane.pending.delete(message.id);
      task.resolve(
        message.error === undefined ? { valid: message.valid } : { valid: false, error: message.error },
      );
    });
    worker.on("error", (error) => this.#failLane(lane, error));
    worker.on("exit", () => {
      this.#failLane(lane, new RegistryError("CLOSED", "Proof verifier worker exited"));
      if (!this.#closed && lane.worker === worker) this.#start(lane);
    });
    worker.unref();
  }

  #failLane(lane: Lane, error: Error): void {
    for (const task of lane.pending.values()) task.reject(error);
    lane.pending.clear();
  }

  /** Verifies one proof. Resolves `{ valid: false, error }` for a malformed proof; rejects `CLOSED` after `close()`. */
  verify(proof: SemaphoreProof): Promise<ProofCheck> {
    if (this.#closed) return Promise.reject(new RegistryError("CLOSED", "The proof verifier pool is closed"));
    let lane = this.#lanes[0]!;
    for (const candidate of this.#lanes) if (candidate.pending.size < lane.pending.size) lane = candidate;
    const id = this.#nextId++;
    return new Promise<ProofCheck>((resolve, reject) => {
      lane.pending.set(id, { id, resolve, reject });
      lane.worker.ref();
      lane.worker.postMessage({ id, proof });
    }).finally(() => {
      if (lane.pending.size === 0) lane.worker.unref();
    });
  }

  /** Terminates the workers. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(this.#lanes.map((lane) => lane.worker.terminate()));
  }
}
