// Starts the real `zkiris device bridge` process from the TypeScript sources, for the tests.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { request } from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

const main = path.resolve(__dirname, "../src/main.ts");
const tsx = pathToFileURL(createRequire(__filename).resolve("tsx")).href;

/** A running bridge process. `stderr` collects what it printed there. */
export interface BridgeProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly stderr: () => string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

/** Spawns `zkiris <args>` (the sources through tsx) in `cwd`. */
export function spawnZkiris(args: readonly string[], cwd: string): BridgeProcess {
  const child = spawn(process.execPath, ["--conditions=zkiris-source", "--import", tsx, main, ...args], {
    cwd,
    env: { ...process.env, ZKIRIS_DEBUG: "" },
  });
  let err = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (t: string) => {
    err += t;
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, stderr: () => err, exited };
}

/** Waits until the process's stderr matches `pattern` and returns the match. */
export async function waitForStderr(
  p: BridgeProcess,
  pattern: RegExp,
  timeoutMs = 60_000,
): Promise<RegExpMatchArray> {
  const start = Date.now();
  for (;;) {
    const m = pattern.exec(p.stderr());
    if (m) return m;
    if (p.child.exitCode !== null)
      throw new Error(`the bridge exited with ${p.child.exitCode}: ${p.stderr()}`);
    if (Date.now() - start > timeoutMs)
      throw new Error(`no ${pattern} on the bridge's stderr: ${p.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One HTTP exchange with full control of the headers (Host included). */
export function httpCall(
  port: number,
  method: string,
  urlPath: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, method, path: urlPath, headers: { host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          text += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}
