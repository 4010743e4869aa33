// Writes the device bridge test vectors (docs/device-bridge-vectors/): a fixed test key, the image
// files the vectors name, and vectors.json with every request and its expected response on JSON
// lines and on HTTP. The responses come from the bridge in this process; test/device-bridge-
// conformance.test.ts replays them against the real `zkiris device bridge` process.
//   npx tsx --conditions=zkiris-source packages/cli/scripts/make-bridge-vectors.ts

import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DeviceKey } from "@zkiris/device";
import { toBase64 } from "@zkiris/iris-code";
import { renderCapture } from "@zkiris/mock-capture";
import { DeviceBridge } from "../src/device/bridge.js";
import { keyFileJson, readKeyFile } from "../src/device/key-file.js";
import { startBridgeHttp } from "../src/device/transports.js";

const dir = fileURLToPath(new URL("../docs/device-bridge-vectors/", import.meta.url));
const KEY_SEED = "zkiris-bridge-test-key";
const MOCK_SEED = "zkiris-bridge-vectors";
const CHALLENGE = "12345678901234567890";
const TIMESTAMP = 1764028800000;

const key = DeviceKey.fromSeed(KEY_SEED);
writeFileSync(path.join(dir, "key.json"), `${JSON.stringify(keyFileJson(key), null, 2)}\n`);

// The eye of the frame and file vectors: a 160 x 140 mock capture.
const eye = renderCapture(MOCK_SEED, "frame", { width: 160, height: 140 });
writeFileSync(path.join(dir, "eye.png"), eye.toPng());
writeFileSync(
  path.join(dir, "closed-eye.png"),
  renderCapture(MOCK_SEED, "closed", { width: 160, height: 140, failure: "closed-eye" }).toPng(),
);
writeFileSync(path.join(dir, "notes.txt"), "not an image\n");
const tenBit = new Uint8Array(eye.pixels.length * 2);
eye.pixels.forEach((v, i) => {
  const w = Math.round((v * 1023) / 255);
  tenBit[2 * i] = w & 0xff;
  tenBit[2 * i + 1] = w >> 8;
});
const overRange = new Uint8Array(64 * 64 * 2);
overRange[2 * 100 + 1] = 0x04; // pixel 100 = 1024, one above the 10-bit maximum
const frame8 = { width: 160, height: 140, data: toBase64(eye.pixels) };

interface Case {
  readonly name: string;
  readonly description: string;
  /** The request: an object (written as one JSON line) or the exact line text. */
  readonly request: Record<string, unknown> | unknown[] | string;
  /** HTTP form; `null` for envelope errors that only exist on JSON lines. Default: from `method`/`params`. */
  readonly http?: { method: "GET" | "POST"; path: string; body?: string } | null;
}

const cases: Case[] = [
  {
    name: "info",
    description: "The bridge's protocol version, methods, device key, profile and mode.",
    request: { id: 1, method: "info" },
  },
  {
    name: "capture-mock",
    description:
      "With --mock and no image: the first mock eye (subject seed --seed, capture seed 1), signed for the challenge at the given timestamp.",
    request: { id: 2, method: "capture", params: { challenge: CHALLENGE, timestamp: TIMESTAMP } },
  },
  {
    name: "capture-frame-8bit",
    description: "A raw 8-bit grey frame, 160 x 140, base64 of 22,400 bytes.",
    request: {
      id: 3,
      method: "capture",
      params: { challenge: CHALLENGE, timestamp: TIMESTAMP, frame: frame8 },
    },
  },
  {
    name: "capture-frame-10bit",
    description:
      "The same eye as a 10-bit frame (two bytes a pixel, little-endian, scaled to 8 bits as round(v * 255 / 1023)): the same probe, so the same packet as capture-frame-8bit.",
    request: {
      id: "frame-10",
      method: "capture",
      params: {
        challenge: CHALLENGE,
        timestamp: TIMESTAMP,
        frame: { width: 160, height: 140, bitDepth: 10, data: toBase64(tenBit) },
      },
    },
  },
  {
    name: "capture-file",
    description:
      "An image file (path relative to the bridge's working directory): the same eye as a PNG, at another timestamp.",
    request: {
      id: 5,
      method: "capture",
      params: { challenge: "7", timestamp: TIMESTAMP + 1000, file: "eye.png" },
    },
  },
  {
    name: "malformed-json",
    description: "A line that is not JSON: answered with id null, and the bridge keeps serving.",
    request: '{"id":6,"method":"capture","params":{',
    http: { method: "POST", path: "/capture", body: '{"challenge":' },
  },
  {
    name: "not-an-object",
    description: "A request that is JSON but not an object.",
    request: [1, 2, 3],
    http: null,
  },
  {
    name: "unknown-request-field",
    description: "Requests have only v, id, method, params.",
    request: { id: 7, method: "info", extra: true },
    http: null,
  },
  {
    name: "bad-id",
    description: "An id that is neither a string of at most 256 characters nor a safe integer.",
    request: { id: 1.5, method: "info" },
    http: null,
  },
  {
    name: "unsupported-version",
    description: "A request for protocol version 2.",
    request: { v: 2, id: 8, method: "info" },
    http: null,
  },
  {
    name: "unknown-method",
    description: "A method the bridge does not have.",
    request: { id: 9, method: "calibrate" },
  },
  {
    name: "wrong-frame-size",
    description: "width * height * bytes per pixel differs from the decoded data length.",
    request: {
      id: 10,
      method: "capture",
      params: {
        challenge: CHALLENGE,
        frame: { width: 160, height: 140, data: toBase64(eye.pixels.subarray(0, 300)) },
      },
    },
  },
  {
    name: "truncated-base64",
    description: "Frame data cut in the middle of a base64 quantum.",
    request: {
      id: 11,
      method: "capture",
      params: { challenge: CHALLENGE, frame: { ...frame8, data: frame8.data.slice(0, 1001) } },
    },
  },
  {
    name: "pixel-above-bit-depth",
    description: "A 10-bit frame with a pixel value of 1024.",
    request: {
      id: 12,
      method: "capture",
      params: {
        challenge: CHALLENGE,
        frame: { width: 64, height: 64, bitDepth: 10, data: toBase64(overRange) },
      },
    },
  },
  {
    name: "bad-bit-depth",
    description: "bitDepth outside 8..16.",
    request: {
      id: 13,
      method: "capture",
      params: { challenge: CHALLENGE, frame: { width: 2, height: 2, bitDepth: 7, data: "AAAAAA==" } },
    },
  },
  {
    name: "unsupported-image",
    description: "A file that is not a PNG, JPEG or BMP.",
    request: { id: 14, method: "capture", params: { challenge: CHALLENGE, file: "notes.txt" } },
  },
  {
    name: "unreadable-file",
    description: "A file that does not exist.",
    request: { id: 15, method: "capture", params: { challenge: CHALLENGE, file: "missing.png" } },
  },
  {
    name: "quality-gate-frame",
    description:
      "A uniform grey 64 x 64 frame: refused by the first quality gate, with the gate, the measured value and the limit.",
    request: {
      id: 16,
      method: "capture",
      params: {
        challenge: CHALLENGE,
        frame: { width: 64, height: 64, data: toBase64(new Uint8Array(4096).fill(128)) },
      },
    },
  },
  {
    name: "quality-gate-file",
    description: "A closed eye: refused by a quality gate.",
    request: { id: 17, method: "capture", params: { challenge: CHALLENGE, file: "closed-eye.png" } },
  },
  {
    name: "missing-challenge",
    description: "Without --registry a capture needs the registry's challenge.",
    request: { id: 18, method: "capture", params: { file: "eye.png" } },
  },
  {
    name: "non-canonical-challenge",
    description: "Field elements are canonical decimal strings: no leading zeros.",
    request: { id: 19, method: "capture", params: { challenge: "0123", file: "eye.png" } },
  },
  {
    name: "frame-and-file",
    description: "A request names one image source.",
    request: { id: 20, method: "capture", params: { challenge: CHALLENGE, file: "eye.png", frame: frame8 } },
  },
  {
    name: "unknown-param",
    description: "Parameters a method does not take are refused.",
    request: { id: 21, method: "capture", params: { challenge: CHALLENGE, file: "eye.png", verbose: true } },
  },
  {
    name: "enrol-without-registry",
    description: "enrol forwards to a registry; this bridge has none.",
    request: { id: 22, method: "enrol", params: { groupId: "citizens", identityCommitment: "42" } },
  },
];

/** Requests that exist only on HTTP (headers and methods). */
const httpOnly: {
  name: string;
  description: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}[] = [
  {
    name: "http-origin",
    description: "A request with an Origin header (sent by web pages) is refused.",
    method: "POST",
    path: "/capture",
    headers: { "content-type": "application/json", origin: "https://example.com" },
    body: "{}",
  },
  {
    name: "http-host",
    description: "A Host other than this bridge's loopback address and port (DNS rebinding) is refused.",
    method: "GET",
    path: "/info",
    headers: { host: "bridge.example.com" },
  },
  {
    name: "http-method",
    description: "Each route takes one HTTP method.",
    method: "GET",
    path: "/capture",
    headers: {},
  },
  {
    name: "http-media-type",
    description: "POST bodies must be application/json.",
    method: "POST",
    path: "/capture",
    headers: { "content-type": "text/plain" },
    body: "{}",
  },
];

function httpCall(
  port: number,
  method: string,
  p: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, method, path: p, headers: { host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const tmp = mkdtempSync(path.join(tmpdir(), "zkiris-vectors-"));
const keyPath = path.join(tmp, "key.json");
copyFileSync(path.join(dir, "key.json"), keyPath);
chmodSync(keyPath, 0o600);
const cwd = process.cwd();
process.chdir(dir);
const options = {
  key: await readKeyFile(keyPath),
  mock: true,
  mockSeed: MOCK_SEED,
  backend: "wasm" as const,
};
const lines = await DeviceBridge.create(options);
const viaHttp = await DeviceBridge.create(options);
const server = await startBridgeHttp(viaHttp, "127.0.0.1", 0);
const vectors = [];
for (const c of cases) {
  const line = typeof c.request === "string" ? c.request : JSON.stringify(c.request);
  const response = await lines.handleLine(line);
  let http: Record<string, unknown> | null = null;
  if (c.http !== null) {
    const r = c.request as { method: string; params?: unknown };
    const form =
      c.http ??
      (r.method === "info" && r.params === undefined
        ? { method: "GET" as const, path: "/info" }
        : { method: "POST" as const, path: `/${r.method}`, body: JSON.stringify(r.params ?? {}) });
    const headers: Record<string, string> =
      form.method === "POST" ? { "content-type": "application/json" } : {};
    const got = await httpCall(server.port, form.method, form.path, headers, form.body);
    const expected = "result" in response ? { result: response.result } : { error: response.error };
    if (JSON.stringify(got.body) !== JSON.stringify(expected))
      throw new Error(
        `${c.name}: the HTTP answer differs from the JSON-lines answer:\n${JSON.stringify(got.body).slice(0, 400)}\n${JSON.stringify(expected).slice(0, 400)}`,
      );
    // The body is the params as JSON; written out only where it is something else.
    const custom = c.http?.body !== undefined;
    http = {
      method: form.method,
      path: form.path,
      headers,
      ...(custom ? { body: form.body } : {}),
      status: got.status,
    };
  }
  vectors.push({ name: c.name, description: c.description, line, response, http });
}
const httpVectors = [];
for (const h of httpOnly) {
  const got = await httpCall(server.port, h.method, h.path, h.headers, h.body);
  httpVectors.push({
    ...h,
    ...(h.body === undefined ? {} : { body: h.body }),
    status: got.status,
    response: got.body,
  });
}
await server.close();
lines.close();
viaHttp.close();
process.chdir(cwd);
rmSync(tmp, { recursive: true, force: true });

const file = {
  description:
    "Test vectors of the zkiris device bridge protocol, version 1 (docs/device-bridge-protocol.md). Start the bridge in this directory with a 0600 copy of key.json: zkiris device bridge --key <copy> --mock --seed zkiris-bridge-vectors [--http 127.0.0.1:0]. Write every 'line' to its stdin in order; each stdout line is the 'response'. Over HTTP send each 'http' request in the same order (Host 127.0.0.1:PORT; the body is 'http.body' when given, else the request's params as JSON, nothing for GET); the answer is 'http.status' with the response without 'id' as body. key.json is a published test key (DeviceKey.fromSeed(\"zkiris-bridge-test-key\")): never trust it.",
  protocol: 1,
  keySeed: KEY_SEED,
  mockSeed: MOCK_SEED,
  bridgeArgs: ["--mock", "--seed", MOCK_SEED],
  vectors,
  httpOnly: httpVectors,
};
writeFileSync(path.join(dir, "vectors.json"), `${JSON.stringify(file, null, 1)}\n`);
console.log(`wrote ${vectors.length} vectors and ${httpVectors.length} HTTP-only vectors to ${dir}`);
