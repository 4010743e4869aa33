import { createRequire } from "node:module";
import path from "node:path";
import type * as tfTypes from "@tensorflow/tfjs";
import { EncoderError } from "./errors.js";
import { modulePath } from "./module-path.js";

/** Which TensorFlow.js backend to use. `auto` tries `tensorflow` (tfjs-node), then `wasm`. */
export type BackendPreference = "auto" | "tensorflow" | "wasm" | "cpu";

/** The backend that actually runs. */
export type BackendName = "tensorflow" | "wasm" | "cpu";

/** A TensorFlow.js namespace with its backend selected. */
export interface TensorflowRuntime {
  readonly tf: typeof tfTypes;
  readonly backend: BackendName;
  /** Why faster backends were skipped (e.g. tfjs-node's native addon is missing), for reports. */
  readonly fallbacks: readonly string[];
}

const TFJS_NODE = "@tensorflow/tfjs-node";

/**
 * Loads TensorFlow.js with a backend: `@tensorflow/tfjs-node` (native, optional dependency) where
 * it loads, else `@tensorflow/tfjs` with the WebAssembly backend (its `.wasm` files are located in
 * node_modules; nothing is fetched), else the pure-JavaScript `cpu` backend only when asked for.
 * Throws `BACKEND_UNAVAILABLE` when the requested backend cannot start.
 */
export async function loadTensorflow(preference: BackendPreference = "auto"): Promise<TensorflowRuntime> {
  const fallbacks: string[] = [];
  if (preference === "auto" || preference === "tensorflow") {
    try {
      const tfn = (await import(/* @vite-ignore */ TFJS_NODE)) as typeof tfTypes;
      await tfn.setBackend("tensorflow");
      return { tf: tfn, backend: "tensorflow", fallbacks };
    } catch (cause) {
      const why = `${TFJS_NODE} unavailable: ${String((cause as Error).message).split("\n")[0]}`;
      if (preference === "tensorflow") {
        throw new EncoderError("BACKEND_UNAVAILABLE", why, { field: "backend", cause });
      }
      fallbacks.push(why);
    }
  }
  const tf = await import("@tensorflow/tfjs");
  if (preference === "cpu") {
    await tf.setBackend("cpu");
    return { tf, backend: "cpu", fallbacks };
  }
  try {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    const require = createRequire(modulePath());
    const dir = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"));
    wasm.setWasmPaths(`${dir}${path.sep}`);
    if (!(await tf.setBackend("wasm"))) throw new Error("tf.setBackend('wasm') returned false");
    return { tf, backend: "wasm", fallbacks };
  } catch (cause) {
    throw new EncoderError(
      "BACKEND_UNAVAILABLE",
      `WebAssembly backend cannot start: ${(cause as Error).message}`,
      {
        field: "backend",
        cause,
      },
    );
  }
}
