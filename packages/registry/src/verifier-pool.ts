import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { SemaphoreProof } from "@semaphore-protocol/proof";
import type { CapturePacketJson } from "@zkiris/device";
import type { CodeGeometry } from "@zkiris/iris-code";
import type { LivenessVoteProof } from "@zkiris/match-proof";
import { Piscina } from "piscina";
import { InvalidParameterError, RegistryError } from "./errors.js";
import type { CheckRefusal, VerifierResult, VerifierTask } from "./verifier-worker.js";

/** Outcome of one Semaphore verification: `valid`, and the verifier's message when the proof was malformed. */
export interface ProofCheck {
  readonly valid: boolean;
  readonly error?: string;
}

/** Outcome of a capture packet's checks ({@link ProofVerifierPool.verifyCapture}). */
export type CaptureCheck = Extract<VerifierResult, { kind: "capture" }>;

/** Outcome of a liveness-bound vote's verification ({@link ProofVerifierPool.verifyLivenessVote}). */
export type LivenessCheck = Extract<VerifierResult, { kind: "liveness" }>;

export type { CheckRefusal };

/** Options of {@link ProofVerifierPool}. */
export interface VerifierPoolOptions {
  /**
   * Longest a check may take, in milliseconds, queueing included; a check that has not answered
   * by then is refused with `VERIFIER_FAILED` and its worker is replaced. Default 30 s.
   */
  readonly timeoutMs?: number;
}

/** The worker module: TypeScript next to the sources, JavaScript next to the build. */
function workerFile(): string {
  const here = import.meta.url;
  return fileURLToPath(new URL(here.endsWith(".ts") ? "./verifier-worker.ts" : "./verifier-worker.js", here));
}

/**
 * Node flags of the workers: the parent's, plus tsx's loader when the pool runs from the
 * TypeScript sources (tests, `tsx` scripts) and the parent has no loader for them.
 */
function workerExecArgv(file: string): string[] {
  const argv = [...process.execArgv];
  if (!file.endsWith(".ts") || argv.some((a) => a.includes("tsx"))) return argv;
  const tsx = join(dirname(createRequire(import.meta.url).resolve("tsx/package.json")), "dist", "loader.mjs");
  return [...argv, "--import", pathToFileURL(tsx).href];
}

/**
 * The registry's CPU-bound checks off the main thread, in a `piscina` pool of worker threads:
 * Groth16 verification of Semaphore proofs (`verifyProof` of `@semaphore-protocol/proof`, keys
 * bundled with it, no network) and of liveness-bound votes (`verifyLivenessVote` of
 * `@zkiris/match-proof`), and capture packets' EdDSA-Poseidon signatures (`verifyCapture` of
 * `@zkiris/device`). With 0 workers the same checks run on the calling thread (the baseline of
 * `bench/registry/event-loop.ts`).
 *
 * It fails closed: a check whose worker crashed, or that did not answer within `timeoutMs`, is
 * refused with `VERIFIER_FAILED` (a fault of the server, never an accepted proof), and piscina
 * replaces the worker. `close()` rejects pending and later checks with `CLOSED`.
 */
export class ProofVerifierPool {
  /** Worker threads (0: checks run on the calling thread). */
  readonly size: number;
  readonly timeoutMs: number;
  readonly #pool: Piscina<VerifierTask, VerifierResult> | undefined;
  readonly #inline: Promise<(task: VerifierTask) => Promise<VerifierResult>> | undefined;
  #closed = false;

  /** Starts `workers` threads (default: available cores; 0 = the calling thread; at most 64). */
  constructor(workers = Math.max(1, availableParallelism()), options: VerifierPoolOptions = {}) {
    if (!Number.isInteger(workers) || workers < 0 || workers > 64) {
      throw new InvalidParameterError(
        "workers",
        `Parameter 'workers' must be an integer between 0 and 64, received ${workers}`,
      );
    }
    const timeoutMs = options.timeoutMs ?? 30_000;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
      throw new InvalidParameterError(
        "timeoutMs",
        `Parameter 'timeoutMs' must be a positive integer of milliseconds, received ${timeoutMs}`,
      );
    }
    this.size = workers;
    this.timeoutMs = timeoutMs;
    const filename = workerFile();
    if (workers === 0) {
      this.#inline = import(pathToFileURL(filename).href).then(
        (module: { default: (task: VerifierTask) => Promise<VerifierResult> }) => module.default,
      );
    } else {
      this.#pool = new Piscina<VerifierTask, VerifierResult>({
        filename,
        minThreads: workers,
        maxThreads: workers,
        idleTimeout: Number.POSITIVE_INFINITY,
        execArgv: workerExecArgv(filename),
      });
      // A worker that fails to start is reported on the task that needed it; no unhandled event.
      this.#pool.on("error", () => {});
    }
  }

  async #run(task: VerifierTask): Promise<VerifierResult> {
    if (this.#closed) throw new RegistryError("CLOSED", "The verifier pool is closed");
    if (this.#inline !== undefined) return (await this.#inline)(task);
    try {
      return await this.#pool!.run(task, { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      if (this.#closed) throw new RegistryError("CLOSED", "The verifier pool is closed", { cause: error });
      const timedOut = (error as { name?: unknown })?.name === "AbortError";
      throw new RegistryError(
        "VERIFIER_FAILED",
        timedOut
          ? `The ${task.kind} check did not answer within ${this.timeoutMs} ms; refused, not accepted`
          : `The verifier worker failed during the ${task.kind} check (${String((error as Error)?.message ?? error)}); refused, not accepted`,
        { cause: error },
      );
    }
  }

  /**
   * Verifies one Semaphore proof. Resolves `{ valid: false, error }` for a malformed proof; rejects
   * `VERIFIER_FAILED` (worker crash, timeout) and `CLOSED` after `close()`.
   */
  async verify(proof: SemaphoreProof): Promise<ProofCheck> {
    const result = (await this.#run({ kind: "semaphore", proof })) as Extract<
      VerifierResult,
      { kind: "semaphore" }
    >;
    return result.error === undefined ? { valid: result.valid } : { valid: false, error: result.error };
  }

  /**
   * `verifyCapture` of `@zkiris/device` (form, geometry, both signatures, age): the probe in
   * binary wire form, or the device package's refusal as data. Rejects `VERIFIER_FAILED`, `CLOSED`.
   */
  async verifyCapture(
    packet: CapturePacketJson | string,
    options: { readonly expectedGeometry: CodeGeometry; readonly now: number; readonly maxAgeMs: number },
  ): Promise<CaptureCheck> {
    return (await this.#run({ kind: "capture", packet, ...options })) as CaptureCheck;
  }

  /**
   * `verifyLivenessVote` of `@zkiris/match-proof` against `expected` with `verificationKey`:
   * `valid`, or match-proof's refusal of a malformed vote as data. Rejects `VERIFIER_FAILED`, `CLOSED`.
   */
  async verifyLivenessVote(
    vote: LivenessVoteProof,
    expected: Extract<VerifierTask, { kind: "liveness" }>["expected"],
    verificationKey: object,
  ): Promise<LivenessCheck> {
    return (await this.#run({ kind: "liveness", vote, expected, verificationKey })) as LivenessCheck;
  }

  /** Terminates the workers; pending checks reject with `CLOSED`. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool?.destroy();
  }
}
