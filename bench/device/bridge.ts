/**
 * Cost of the device bridge per capture (a 320 x 280 8-bit frame: base64, encode with the quality
 * gates, sign, JSON), against encoding and signing the same frames in this process
 * (`IrisEncoder.encode` + `signCapture`, the work the bridge wraps), measured in the same run:
 * the in-process bridge (`DeviceBridge.handleLine`), and the real `zkiris device bridge` process
 * over JSON lines (one request at a time, and pipelined) and over HTTP. Also the process's start
 * time (spawn to its start line: tsx, the encoder, the model).
 *
 *   npx tsx --conditions=zkiris-source bench/device/bridge.ts [--captures 20]
 */

import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { DeviceKey, signCapture } from "@zkiris/device";
import { IrisEncoder } from "@zkiris/encoder";
import { toBase64 } from "@zkiris/iris-code";
import { renderCapture } from "@zkiris/mock-capture";
import { DeviceBridge } from "../../packages/cli/src/device/bridge.js";
import { keyFileJson } from "../../packages/cli/src/device/key-file.js";

const arg = process.argv.indexOf("--captures");
const count = arg > 0 ? Number(process.argv[arg + 1]) : 20;
const key = DeviceKey.fromSeed("bench-bridge-device");
const challenge = "12345678901234567890";
const frames = Array.from({ length: count }, (_, i) => renderCapture("bench-bridge", i + 1));
const lines = frames.map((f, i) =>
  JSON.stringify({
    id: i,
    method: "capture",
    params: {
      challenge,
      timestamp: 0,
      frame: { width: f.width, height: f.height, data: toBase64(f.pixels) },
    },
  }),
);
const bodies = lines.map((l) => JSON.stringify((JSON.parse(l) as { params: unknown }).params));

const report = (label: string, ms: number, base?: number) =>
  console.log(
    `  ${label.padEnd(50)} ${ms.toFixed(1).padStart(8)} ms/capture${base ? `  (${(ms / base).toFixed(2)}x baseline)` : ""}`,
  );

console.log(
  `device bridge: ${count} mock captures of 320 x 280, 8-bit frames (${lines[0]!.length} bytes a request), wasm backend`,
);

// Baseline: the encoder and the signature in this process, interleaved frame by frame with the
// in-process bridge so that both see the same machine load.
const encoder = await IrisEncoder.create({ backend: "wasm" });
const bridge = await DeviceBridge.create({ key, backend: "wasm" });
const baseline = async (i: number) => {
  const f = frames[i]!;
  const { code, quality } = await encoder.encode({ width: f.width, height: f.height, data: f.pixels });
  signCapture(key, code, BigInt(challenge), { usableFraction: quality.usableFraction }, 0);
};
await baseline(0);
await bridge.handleLine(lines[0]!);
let baseMs = 0;
let inProcessMs = 0;
for (let i = 0; i < count; i++) {
  let t0 = performance.now();
  await baseline(i);
  baseMs += performance.now() - t0;
  t0 = performance.now();
  await bridge.handleLine(lines[i]!);
  inProcessMs += performance.now() - t0;
}
const base = baseMs / count;
encoder.close();
bridge.close();
report("baseline: IrisEncoder.encode + signCapture", base);
report("DeviceBridge.handleLine (in process)", inProcessMs / count, base);
let t: number;

const dir = mkdtempSync(path.join(tmpdir(), "zkiris-bench-bridge-"));
const keyFile = path.join(dir, "key.json");
writeFileSync(keyFile, JSON.stringify(keyFileJson(key)));
chmodSync(keyFile, 0o600);
const main = fileURLToPath(new URL("../../packages/cli/src/main.ts", import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const started = performance.now();
const child = spawn(
  process.execPath,
  [
    "--conditions=zkiris-source",
    "--import",
    tsx,
    main,
    "device",
    "bridge",
    "--key",
    keyFile,
    "--http",
    "127.0.0.1:0",
    "--backend",
    "wasm",
  ],
  { stdio: ["pipe", "pipe", "pipe"] },
);
const port = await new Promise<number>((resolve, reject) => {
  let err = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (s: string) => {
    err += s;
    const m = /http http:\/\/127\.0\.0\.1:(\d+)/.exec(err);
    if (m) resolve(Number(m[1]));
  });
  child.on("exit", (code) => reject(new Error(`bridge exited ${code}: ${err}`)));
});
console.log(
  `  ${"process start (spawn to start line)".padEnd(50)} ${(performance.now() - started).toFixed(0).padStart(8)} ms`,
);

const responses = createInterface({ input: child.stdout });
const waiting: ((line: string) => void)[] = [];
responses.on("line", (l) => waiting.shift()?.(l));
const ask = (l: string) =>
  new Promise<string>((resolve) => {
    waiting.push(resolve);
    child.stdin.write(`${l}\n`);
  });
await ask(lines[0]!);
t = performance.now();
for (const l of lines) await ask(l);
report("process, JSON lines, one request at a time", (performance.now() - t) / count, base);
t = performance.now();
await Promise.all(lines.map(ask));
report("process, JSON lines, all requests pipelined", (performance.now() - t) / count, base);

const post = (body: string) =>
  new Promise<void>((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: "POST",
        path: "/capture",
        headers: { "content-type": "application/json" },
      },
      (res) => {
        res.resume();
        res.on("end", () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`)),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
t = performance.now();
for (const b of bodies) await post(b);
report("process, HTTP POST /capture, one at a time", (performance.now() - t) / count, base);
child.kill("SIGTERM");
await new Promise((r) => child.on("exit", r));
rmSync(dir, { recursive: true, force: true });
