// Replays every test vector of docs/device-bridge-vectors/vectors.json against the real bridge
// process, over stdin/stdout and over HTTP, and compares every response exactly.
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DeviceKey, verifyCapture } from "@zkiris/device";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BridgeProcess, httpCall, spawnZkiris, waitForStderr } from "./bridge-process.js";

const vectorsDir = path.resolve(__dirname, "../docs/device-bridge-vectors");

interface Vector {
  name: string;
  description: string;
  line: string;
  response: { id: unknown; result?: Record<string, unknown>; error?: Record<string, unknown> };
  http: {
    method: string;
    path: string;
    headers: Record<string, string>;
    body?: string;
    status: number;
  } | null;
}
interface HttpOnlyVector {
  name: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  status: number;
  response: unknown;
}
const file = JSON.parse(readFileSync(path.join(vectorsDir, "vectors.json"), "utf8")) as {
  protocol: number;
  keySeed: string;
  mockSeed: string;
  bridgeArgs: string[];
  vectors: Vector[];
  httpOnly: HttpOnlyVector[];
};

let tmp: string;
let keyPath: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), "zkiris-bridge-vectors-"));
  keyPath = path.join(tmp, "key.json");
  copyFileSync(path.join(vectorsDir, "key.json"), keyPath);
  chmodSync(keyPath, 0o600);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const bridgeArgs = () => ["device", "bridge", "--key", keyPath, ...file.bridgeArgs, "--backend", "wasm"];

describe("the device bridge test vectors", () => {
  it("cover every error code a request can draw on JSON lines and HTTP", () => {
    const codes = new Set([
      ...file.vectors.map((v) => v.response.error?.code),
      ...file.httpOnly.map((v) => (v.response as { error: { code: string } }).error.code),
    ]);
    for (const code of [
      "MALFORMED_JSON",
      "INVALID_REQUEST",
      "UNSUPPORTED_VERSION",
      "UNKNOWN_METHOD",
      "INVALID_PARAMS",
      "MALFORMED_BASE64",
      "WRONG_FRAME_SIZE",
      "INVALID_FRAME",
      "UNREADABLE_FILE",
      "UNSUPPORTED_FORMAT",
      "QUALITY_GATE",
      "NO_REGISTRY",
      "FORBIDDEN",
      "METHOD_NOT_ALLOWED",
      "UNSUPPORTED_MEDIA_TYPE",
    ])
      expect(codes).toContain(code);
  });

  it("hold packets that verify under the published test key, for their challenge", () => {
    const key = DeviceKey.fromSeed(file.keySeed);
    const packets = file.vectors.filter((v) => v.response.result?.packet !== undefined);
    expect(packets.map((v) => v.name)).toEqual([
      "capture-mock",
      "capture-frame-8bit",
      "capture-frame-10bit",
      "capture-file",
    ]);
    for (const v of packets) {
      const packet = v.response.result!.packet as { challenge: string };
      const capture = verifyCapture(packet, {
        expectedChallenge: BigInt(packet.challenge),
        trustedDevices: [key.publicKey],
      });
      expect(capture.deviceId).toBe(key.deviceId);
    }
    // The 10-bit frame is the 8-bit frame's eye: the same probe, signed alike.
    const byName = (n: string) => packets.find((v) => v.name === n)!.response.result!.packet;
    expect(byName("capture-frame-10bit")).toEqual(byName("capture-frame-8bit"));
    expect((byName("capture-file") as { probe: unknown }).probe).toEqual(
      (byName("capture-frame-8bit") as { probe: unknown }).probe,
    );
  });
});

describe("zkiris device bridge against the vectors", () => {
  it("answers every vector over stdin/stdout, in order, one line each, and exits 0 at the end of stdin", async () => {
    const bridge: BridgeProcess = spawnZkiris(bridgeArgs(), vectorsDir);
    let out = "";
    bridge.child.stdout.setEncoding("utf8");
    bridge.child.stdout.on("data", (t: string) => {
      out += t;
    });
    // Every request at once: the bridge answers them in order.
    bridge.child.stdin.end(file.vectors.map((v) => `${v.line}\n`).join(""));
    expect(await bridge.exited).toBe(0);
    const lines = out.split("\n");
    expect(lines.pop()).toBe("");
    expect(lines).toHaveLength(file.vectors.length);
    lines.forEach((line, i) => {
      expect({ name: file.vectors[i]!.name, response: JSON.parse(line) }).toEqual({
        name: file.vectors[i]!.name,
        response: file.vectors[i]!.response,
      });
    });
    expect(bridge.stderr()).toMatch(
      /^zkiris device bridge: device \d+, protocol 1, json lines on stdin, mock eye\n$/,
    );
  });

  it("answers every vector over HTTP with the same bodies, and stops on SIGTERM with exit code 0", async () => {
    const bridge = spawnZkiris([...bridgeArgs(), "--http", "127.0.0.1:0"], vectorsDir);
    try {
      const port = Number((await waitForStderr(bridge, /http http:\/\/127\.0\.0\.1:(\d+)/))[1]);
      for (const v of file.vectors) {
        if (v.http === null) continue;
        const r = v.response;
        const body =
          v.http.body ??
          (v.http.method === "GET"
            ? undefined
            : JSON.stringify((JSON.parse(v.line) as { params?: unknown }).params ?? {}));
        const got = await httpCall(port, v.http.method, v.http.path, v.http.headers, body);
        expect({ name: v.name, status: got.status, body: JSON.parse(got.text) }).toEqual({
          name: v.name,
          status: v.http.status,
          body: r.error === undefined ? { result: r.result } : { error: r.error },
        });
        expect(got.headers["content-type"]).toBe("application/json; charset=utf-8");
      }
      for (const v of file.httpOnly) {
        const got = await httpCall(port, v.method, v.path, v.headers, v.body);
        expect({ name: v.name, status: got.status, body: JSON.parse(got.text) }).toEqual({
          name: v.name,
          status: v.status,
          body: v.response,
        });
      }
    } finally {
      bridge.child.kill("SIGTERM");
    }
    expect(await bridge.exited).toBe(0);
  });
});
