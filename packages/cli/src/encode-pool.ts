import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { BackendPreference } from "@zkiris/encoder";
import { ZkirisError } from "@zkiris/iris-code";
import type { EncodeRequest, EncodeResponse, KindOutcome } from "./encode-image-kinds.js";

/** A worker thread failed or stopped while encoding (exit code 3 of the CLI, with the cause). */
export class EncodeWorkerError extends ZkirisError {
  constructor(message: string) {
    super("ENCODE_WORKER_FAILED", message, { field: "workers" });
  }
}

/** file: URL of tsx's ESM register API (the `import` condition of `tsx/esm/api`). */
function tsxEsmApi(from: string): string {
  const pkg = createRequire(fileURLToPath(from)).resolve("tsx/package.json");
  return pathToFileURL(path.join(path.dirname(pkg), "dist", "esm", "api", "index.mjs")).href;
}

/**
 * Worker threads that each hold an `IrisEncoder` and encode image files with their degraded
 * copies. From the TypeScript sources the workers load `tsx` and the `zkiris-source` condition
 * themselves, so they work under `tsx`, the `zkiris` binary and Vitest alike. `close()` ends them.
 */
export class EncodePool {
  readonly size: number;
  readonly #workers: Worker[] = [];
  readonly #idle: Worker[] = [];
  readonly #waiting: ((w: Worker) => void)[] = [];
  readonly #pending = new Map<number, { resolve: (o: KindOutcome[]) => void; reject: (e: Error) => void }>();
  #nextId = 0;
  #failure: Error | undefined;

  constructor(size: number, backend: BackendPreference) {
    this.size = size;
    const here = import.meta.url;
    const fromSource = here.endsWith(".ts");
    const entry = new URL(fromSource ? "./encode-worker.ts" : "./encode-worker.js", here).href;
    // From the sources a worker registers tsx's loader itself before importing its TypeScript entry
    // (a loader passed as `--import` in a worker's execArgv does not reach its entry on Node 20).
    const script = fromSource
      ? `import(${JSON.stringify(tsxEsmApi(here))}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); });`
      : `import(${JSON.stringify(entry)});`;
    const execArgv = fromSource ? ["--conditions=zkiris-source"] : [];
    for (let i = 0; i < size; i++) {
      const w = new Worker(script, {
        eval: true,
        workerData: { zkirisEncodeWorker: true, backend },
        execArgv,
      });
      w.on("message", (r: EncodeResponse) => {
        const p = this.#pending.get(r.id);
        this.#pending.delete(r.id);
        if (r.fatal) p?.reject(new EncodeWorkerError(`An encode worker failed: ${r.fatal}`));
        else p?.resolve([...r.outcomes]);
        this.#release(w);
      });
      w.on("error", (e) => this.#fail(new EncodeWorkerError(`An encode worker failed: ${e.message}`)));
      w.on("exit", (code) => {
        if (code !== 0) this.#fail(new EncodeWorkerError(`An encode worker stopped with exit code ${code}`));
      });
      this.#workers.push(w);
      this.#idle.push(w);
    }
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const p of this.#pending.values()) p.reject(error);
    this.#pending.clear();
  }

  #release(w: Worker): void {
    const next = this.#waiting.shift();
    if (next) next(w);
    else this.#idle.push(w);
  }

  /** Encodes one file under `kinds` on the next free worker. */
  async encode(file: string, kinds: readonly string[], seed: number): Promise<KindOutcome[]> {
    if (this.#failure) throw this.#failure;
    const w = this.#idle.pop() ?? (await new Promise<Worker>((resolve) => this.#waiting.push(resolve)));
    const id = this.#nextId++;
    return await new Promise<KindOutcome[]>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      const request: EncodeRequest = { id, file, kinds, seed };
      w.postMessage(request);
    });
  }

  /** Stops every worker and waits for them to exit. Idempotent. */
  async close(): Promise<void> {
    const ws = this.#workers.splice(0);
    await Promise.all(
      ws.map(
        (w) =>
          new Promise<void>((resolve) => {
            w.once("exit", () => resolve());
            w.postMessage("close");
            setTimeout(() => void w.terminate(), 5000).unref();
          }),
      ),
    );
  }
}
