// The CPU-bound checks of the registry, run by the piscina pool of verifier-pool.ts in worker
// threads (or on the calling thread when the pool has no workers): Groth16 verification of
// Semaphore proofs and of liveness-bound votes, and the EdDSA-Poseidon signature checks of capture
// packets. Only libraries are loaded here; every decision stays with the registry.
import { createRequire } from "node:module";
import { isMainThread } from "node:worker_threads";
import type { SemaphoreProof } from "@semaphore-protocol/proof";
import type { CapturePacketJson } from "@zkiris/device";
import type { CodeGeometry } from "@zkiris/iris-code";
import type { LivenessVoteProof } from "@zkiris/match-proof";
import { CRASH_POINT_ENV, crashPoint } from "./crash-points.js";

/** One check for the pool. */
export type VerifierTask =
  | { readonly kind: "semaphore"; readonly proof: SemaphoreProof }
  | {
      readonly kind: "capture";
      readonly packet: CapturePacketJson | string;
      readonly expectedGeometry: CodeGeometry;
      readonly now: number;
      readonly maxAgeMs: number;
    }
  | {
      readonly kind: "liveness";
      readonly vote: LivenessVoteProof;
      readonly expected: {
        readonly merkleTreeRoots: readonly bigint[];
        readonly scope: bigint;
        readonly challenge: bigint;
        readonly deviceRoot: bigint;
      };
      readonly verificationKey: object;
    };

/** A typed refusal of the checked library (a `ZkirisError`'s code, message and field), passed back as data. */
export interface CheckRefusal {
  readonly code: string;
  readonly message: string;
  readonly field?: string;
}

/** What a task answers. */
export type VerifierResult =
  | { readonly kind: "semaphore"; readonly valid: boolean; readonly error?: string }
  | {
      readonly kind: "capture";
      readonly refusal?: CheckRefusal;
      readonly capture?: {
        /** `toBinary(probe)` of `@zkiris/iris-code`. */
        readonly probe: Uint8Array;
        /**
         * `codeDigest(probe)` of `@zkiris/iris-code`, which the signature check has just computed
         * for the signed message: the registry derives the template commitment from it instead of
         * hashing the probe a second time.
         */
        readonly digest: { readonly bits: bigint; readonly mask: bigint };
        readonly challenge: bigint;
        readonly deviceId: bigint;
        readonly quality: Readonly<Record<string, number>>;
      };
    }
  | { readonly kind: "liveness"; readonly valid: boolean; readonly refusal?: CheckRefusal };

interface Libraries {
  readonly verifyProof: (proof: SemaphoreProof) => Promise<boolean>;
  readonly device: typeof import("@zkiris/device");
  readonly irisCode: typeof import("@zkiris/iris-code");
  readonly matchProof: typeof import("@zkiris/match-proof");
}

let libraries: Promise<Libraries> | undefined;

/**
 * Loads the verifiers once per thread. In a worker thread, snarkjs must not build its usual
 * multi-threaded curve: the "web-worker" package it uses cannot start nested workers from a worker
 * thread (and rewrites the worker's global scope when loaded there). The pool is the parallelism,
 * so the module is stubbed out and a single-threaded curve installed, which snarkjs then reuses from
 * its global cache.
 */
function load(): Promise<Libraries> {
  libraries ??= (async () => {
    if (!isMainThread) {
      const require = createRequire(import.meta.url);
      const snarkjs = createRequire(require.resolve("@semaphore-protocol/proof")).resolve("snarkjs");
      const ffjavascript = createRequire(snarkjs).resolve("ffjavascript");
      const webWorker = createRequire(ffjavascript).resolve("web-worker");
      const Module = require("node:module") as {
        new (id: string): { filename: string; loaded: boolean; exports: unknown };
      };
      const stub = new Module(webWorker);
      stub.filename = webWorker;
      stub.loaded = true;
      stub.exports = function Worker() {
        throw new Error("nested workers are disabled in the registry's verifier pool");
      };
      require.cache[webWorker] = stub as never;
    }
    if (!isMainThread && import.meta.url.endsWith(".ts")) {
      // From the TypeScript sources (tests, tsx scripts) the workspace packages resolve to their
      // sources too (the zkiris-source condition): tsx's ESM hooks load them in this thread.
      const { register } = await import("tsx/esm/api");
      register();
    }
    const [proof, device, irisCode, matchProof] = await Promise.all([
      import("@semaphore-protocol/proof"),
      import("@zkiris/device"),
      import("@zkiris/iris-code"),
      import("@zkiris/match-proof"),
    ]);
    if (!isMainThread) {
      // Every copy of ffjavascript clears globalThis.curve_bn128 when it loads, so the curve is
      // installed once all of them are loaded.
      const require = createRequire(import.meta.url);
      const snarkjs = createRequire(require.resolve("@semaphore-protocol/proof")).resolve("snarkjs");
      const { buildBn128 } = require(createRequire(snarkjs).resolve("ffjavascript")) as {
        buildBn128(singleThread: boolean): Promise<unknown>;
      };
      (globalThis as { curve_bn128?: unknown }).curve_bn128 = await buildBn128(true);
    }
    return { verifyProof: proof.verifyProof, device, irisCode, matchProof };
  })();
  return libraries;
}

function refusalOf(error: unknown, irisCode: Libraries["irisCode"]): CheckRefusal {
  if (!irisCode.ZkirisError.is(error)) throw error;
  return error.field === undefined
    ? { code: error.code, message: error.message }
    : { code: error.code, message: error.message, field: error.field };
}

/** Runs one task (the piscina handler). Library refusals are answered as data; anything else throws. */
export default async function runVerifierTask(task: VerifierTask): Promise<VerifierResult> {
  if (!isMainThread) {
    // Test hooks (see crash-points.ts): freeze this worker, or end it, in the middle of a task.
    crashPoint("verifier:task");
    if (process.env[CRASH_POINT_ENV] === "verifier:exit") process.exit(70);
  }
  const lib = await load();
  switch (task.kind) {
    case "semaphore":
      try {
        return { kind: "semaphore", valid: await lib.verifyProof(task.proof) };
      } catch (error) {
        return { kind: "semaphore", valid: false, error: String((error as Error)?.message ?? error) };
      }
    case "capture": {
      let capture: ReturnType<Libraries["device"]["verifyCapture"]>;
      try {
        capture = lib.device.verifyCapture(task.packet, {
          expectedGeometry: task.expectedGeometry,
          now: task.now,
          maxAgeMs: task.maxAgeMs,
        });
      } catch (error) {
        return { kind: "capture", refusal: refusalOf(error, lib.irisCode) };
      }
      return {
        kind: "capture",
        capture: {
          probe: lib.irisCode.toBinary(capture.probe),
          digest: { ...lib.irisCode.codeDigest(capture.probe) },
          challenge: capture.challenge,
          deviceId: capture.deviceId,
          quality: { ...capture.quality },
        },
      };
    }
    case "liveness":
      try {
        const valid = await lib.matchProof.verifyLivenessVote(task.vote, task.expected, {
          artifacts: { verificationKey: task.verificationKey as never },
        });
        return { kind: "liveness", valid };
      } catch (error) {
        return { kind: "liveness", valid: false, refusal: refusalOf(error, lib.irisCode) };
      }
  }
}
