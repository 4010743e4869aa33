import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { DeviceKey } from "@zkiris/device";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeviceBridge, MAX_REQUEST_BYTES } from "../src/device/bridge.js";
import { keyFileJson } from "../src/device/key-file.js";
import { startBridgeHttp } from "../src/device/transports.js";
import { runCli } from "../src/index.js";

function collect() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) }, out, err };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "zkiris-device-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const mode = (file: string) => statSync(file).mode & 0o777;

describe("zkiris device keygen", () => {
  it("writes a key file with mode 0600 and prints its public key and device id", async () => {
    const file = path.join(dir, "key.json");
    const { io, out, err } = collect();
    expect(await runCli(["device", "keygen", "--out", file], io)).toBe(0);
    expect(err).toEqual([]);
    expect(mode(file)).toBe(0o600);
    const printed = JSON.parse(out.join("")) as { file: string; publicKey: string[]; deviceId: string };
    const json = JSON.parse(readFileSync(file, "utf8"));
    expect(Object.keys(json)).toEqual(["type", "version", "privateKey", "publicKey", "deviceId"]);
    expect(json.type).toBe("zkiris.device-key");
    expect(json.version).toBe(1);
    const key = DeviceKey.fromPrivateKey(json.privateKey);
    expect(printed).toEqual({ file, ...key.toJSON() });
    expect(json.publicKey).toEqual(printed.publicKey);
    // The private key is printed nowhere.
    expect(out.join("")).not.toContain(json.privateKey);
  });

  it("refuses to overwrite an existing file (exit code 1) and keeps it; --force replaces it with mode 0600", async () => {
    const file = path.join(dir, "taken.json");
    writeFileSync(file, "precious");
    chmodSync(file, 0o644);
    const { io, out, err } = collect();
    expect(await runCli(["device", "keygen", "--out", file], io)).toBe(1);
    expect(err.join("")).toBe(
      `zkiris: KEY_FILE_EXISTS: Key file '${file}' exists; pass --force to replace it (the old key is lost)\n`,
    );
    expect(out).toEqual([]);
    expect(readFileSync(file, "utf8")).toBe("precious");
    const forced = collect();
    expect(await runCli(["device", "keygen", "--out", file, "--force"], forced.io)).toBe(0);
    expect(mode(file)).toBe(0o600);
    const printed = JSON.parse(forced.out.join(""));
    expect(JSON.parse(readFileSync(file, "utf8")).deviceId).toBe(printed.deviceId);
  });

  it("gives two keys two device ids", async () => {
    const a = collect();
    const b = collect();
    await runCli(["device", "keygen", "--out", path.join(dir, "a.json")], a.io);
    await runCli(["device", "keygen", "--out", path.join(dir, "b.json")], b.io);
    expect(JSON.parse(a.out.join("")).deviceId).not.toBe(JSON.parse(b.out.join("")).deviceId);
  });
});

describe("zkiris device pubkey", () => {
  const write = (name: string, content: string, fileMode = 0o600) => {
    const file = path.join(dir, name);
    writeFileSync(file, content);
    chmodSync(file, fileMode);
    return file;
  };
  const key = DeviceKey.fromSeed("cli-pubkey-test");
  const good = () => JSON.stringify(keyFileJson(key));

  it("prints the public key and device id of a key file", async () => {
    const { io, out } = collect();
    expect(await runCli(["device", "pubkey", write("good.json", good())], io)).toBe(0);
    expect(out.join("")).toBe(`${JSON.stringify(key.toJSON())}\n`);
  });

  it("refuses key files that are readable by others, unreadable, malformed or inconsistent (exit code 1)", async () => {
    const other = DeviceKey.fromSeed("cli-pubkey-other").toJSON();
    const cases: [string, string][] = [
      [
        write("open.json", good(), 0o644),
        "KEY_FILE_PERMISSIONS: Key file '%' has mode 0644; it must not be readable or writable by others (chmod 600 '%')",
      ],
      [
        path.join(dir, "absent.json"),
        "UNREADABLE_KEY_FILE: Key file '%' cannot be read: ENOENT: no such file or directory, stat '%'",
      ],
      [write("text.json", "not json"), "INVALID_KEY_FILE: Key file '%' is not JSON"],
      [
        write("short.json", JSON.stringify({ ...keyFileJson(key), privateKey: "abcd" })),
        "INVALID_KEY_FILE: Key file '%': field 'privateKey' must be 64 lower-case hexadecimal digits",
      ],
      [
        write("version.json", JSON.stringify({ ...keyFileJson(key), version: 2 })),
        "INVALID_KEY_FILE: Key file '%': field 'version' must be 1, received 2",
      ],
      [
        write("extra.json", JSON.stringify({ ...keyFileJson(key), note: "x" })),
        "INVALID_KEY_FILE: Key file '%': field 'note' is not a key file field",
      ],
      [
        write("mismatch.json", JSON.stringify({ ...keyFileJson(key), publicKey: other.publicKey })),
        "INVALID_KEY_FILE: Key file '%': field 'publicKey' is not the public key of 'privateKey'",
      ],
      [
        write("id.json", JSON.stringify({ ...keyFileJson(key), deviceId: other.deviceId })),
        "INVALID_KEY_FILE: Key file '%': field 'deviceId' is not the device id of 'privateKey'",
      ],
    ];
    for (const [file, message] of cases) {
      const { io, out, err } = collect();
      expect(await runCli(["device", "pubkey", file], io)).toBe(1);
      expect(err.join("")).toBe(`zkiris: ${message.replaceAll("%", file)}\n`);
      expect(out).toEqual([]);
    }
  });
});

describe("zkiris device usage", () => {
  it("prints the usage of device and of each subcommand for --help", async () => {
    for (const args of [
      ["device", "--help"],
      ["device", "keygen", "--help"],
      ["device", "pubkey", "-h"],
      ["device", "bridge", "--help"],
    ]) {
      const { io, out } = collect();
      expect(await runCli(args, io)).toBe(0);
      const sub = args[1] === "--help" ? "keygen" : args[1];
      expect(out.join("")).toMatch(new RegExp(`^Usage:\\n  zkiris device ${sub}`));
    }
  });

  it("refuses bad arguments with exit code 2 and the subcommand's usage", async () => {
    const keyFile = path.join(dir, "usage-key.json");
    writeFileSync(keyFile, JSON.stringify(keyFileJson(DeviceKey.fromSeed("usage"))));
    chmodSync(keyFile, 0o600);
    const cases: [string[], string, string][] = [
      [
        ["device"],
        "device needs a subcommand: keygen, pubkey, register, revoke or bridge",
        "zkiris device keygen",
      ],
      [
        ["device", "reboot"],
        "Unknown device subcommand 'reboot'; expected keygen, pubkey, register, revoke or bridge",
        "zkiris device keygen",
      ],
      [["device", "keygen"], "device keygen needs --out FILE", "zkiris device keygen"],
      [["device", "keygen", "--out", "a", "b"], "Unexpected argument 'b'", "zkiris device keygen"],
      [["device", "pubkey"], "device pubkey needs exactly one key file", "zkiris device pubkey"],
      [["device", "bridge"], "device bridge needs --key FILE", "zkiris device bridge"],
      [
        ["device", "bridge", "--key", keyFile, "--seed", "s"],
        "Option '--seed' is the mock eye's seed and needs --mock",
        "zkiris device bridge",
      ],
      [
        ["device", "bridge", "--key", keyFile, "--http", "0.0.0.0:8080"],
        "Option '--http' must name a loopback address (127.0.0.1, ::1, localhost); the bridge holds the device key and never listens beyond this machine, received 0.0.0.0",
        "zkiris device bridge",
      ],
      [
        ["device", "bridge", "--key", keyFile, "--http", "8080"],
        "Option '--http' must be HOST:PORT (e.g. 127.0.0.1:8787), received 8080",
        "zkiris device bridge",
      ],
      [
        ["device", "bridge", "--key", keyFile, "--registry", "ftp://x"],
        "Option '--registry' must be an http or https URL, received ftp://x",
        "zkiris device bridge",
      ],
    ];
    for (const [args, message, usage] of cases) {
      const { io, err } = collect();
      expect(await runCli(args, io)).toBe(2);
      expect(err.join("")).toMatch(
        new RegExp(`^zkiris: ${message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\nUsage:\\n  ${usage}`),
      );
    }
  });
});

describe("the device bridge in-process", () => {
  let bridge: DeviceBridge;
  beforeAll(async () => {
    bridge = await DeviceBridge.create({
      key: DeviceKey.fromSeed("cli-bridge-test"),
      backend: "wasm",
      mock: true,
    });
  });
  afterAll(() => bridge.close());

  it("refuses an HTTP body over the size limit with 413 REQUEST_TOO_LARGE and keeps serving", async () => {
    const http = await startBridgeHttp(bridge, "127.0.0.1", 0);
    try {
      const call = (body: Buffer | string, method = "POST", p = "/capture") =>
        new Promise<{ status: number; text: string }>((resolve, reject) => {
          const req = request(
            {
              host: "127.0.0.1",
              port: http.port,
              method,
              path: p,
              headers: { "content-type": "application/json" },
            },
            (res) => {
              let text = "";
              res.on("data", (c) => {
                text += c;
              });
              res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
            },
          );
          req.on("error", reject);
          req.end(body);
        });
      const big = await call(Buffer.alloc(MAX_REQUEST_BYTES + 1, 0x20));
      expect(big.status).toBe(413);
      expect(JSON.parse(big.text)).toEqual({
        error: {
          code: "REQUEST_TOO_LARGE",
          message: `The request is larger than ${MAX_REQUEST_BYTES} bytes`,
        },
      });
      const info = await call("", "GET", "/info");
      expect(info.status).toBe(200);
      expect(JSON.parse(info.text).result.mock).toBe(true);
    } finally {
      await http.close();
      await http.close();
    }
  });

  it("refuses to listen beyond loopback", async () => {
    await expect(startBridgeHttp(bridge, "0.0.0.0", 0)).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("refuses a taken --http address with one line and exit code 1", async () => {
    const keyFile = path.join(dir, "taken-port-key.json");
    writeFileSync(keyFile, JSON.stringify(keyFileJson(DeviceKey.fromSeed("cli-bridge-test"))));
    chmodSync(keyFile, 0o600);
    const holder = await startBridgeHttp(bridge, "127.0.0.1", 0);
    try {
      const { io, err, out } = collect();
      const address = `127.0.0.1:${holder.port}`;
      const args = ["device", "bridge", "--key", keyFile, "--http", address, "--backend", "wasm"];
      expect(await runCli(args, { ...io, stdin: new PassThrough() })).toBe(1);
      expect(err.join("")).toBe(
        `zkiris: EADDRINUSE: the bridge cannot listen on ${address} (listen EADDRINUSE: address already in use ${address})\n`,
      );
      expect(out).toEqual([]);
    } finally {
      await holder.close();
    }
  });

  it("runs as a command on a stream: each mock capture is the next capture seed", async () => {
    const keyFile = path.join(dir, "stream-key.json");
    writeFileSync(keyFile, JSON.stringify(keyFileJson(DeviceKey.fromSeed("cli-bridge-test"))));
    chmodSync(keyFile, 0o600);
    const stdin = new PassThrough();
    const { io, out, err } = collect();
    const run = runCli(
      ["device", "bridge", "--key", keyFile, "--mock", "--seed", "stream", "--backend", "wasm"],
      { ...io, stdin },
    );
    const line = (id: number) =>
      `${JSON.stringify({ id, method: "capture", params: { challenge: "5", timestamp: 0 } })}\n`;
    stdin.end(`${line(1)}\n${line(2)}`);
    expect(await run).toBe(0);
    const responses = out
      .join("")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(responses.map((r) => r.id)).toEqual([1, 2]);
    expect(responses[0].result.packet.probe.bits).not.toBe(responses[1].result.packet.probe.bits);
    expect(err.join("")).toContain(", json lines on stdin, mock eye\n");
  });
});
