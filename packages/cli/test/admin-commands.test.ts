// The operator's commands against a real server on a temporary SQLite file: devices registered and
// revoked (`zkiris device register|revoke`), groups created, listed and shown (`zkiris group`), the
// admin token from the flag or the environment, and every refusal with its exit code.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DeviceKey, signCapture } from "@zkiris/device";
import { DEFAULT_PROFILE } from "@zkiris/iris-code";
import { Registry } from "@zkiris/registry";
import { ZkirisClient } from "@zkiris/sdk";
import { startServer, type ZkirisServer } from "@zkiris/server";
import { randomCode, unit, xorshift32 } from "@zkiris/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../src/index.js";

const TOKEN = "cli-admin-commands-token-7";

async function zkiris(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
  return { code, stdout: out.join(""), stderr: err.join("") };
}

const json = (text: string) => JSON.parse(text.trim().split("\n").at(-1)!);
const lines = (text: string) =>
  text
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));

let dir: string;
let registry: Registry;
let server: ZkirisServer;
let client: ZkirisClient;
let url: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "zkiris-cli-admin-"));
  registry = await Registry.open({
    database: path.join(dir, "registry.sqlite"),
    searchWorkers: 0,
    verifierWorkers: 1,
  });
  server = await startServer(registry, { adminToken: TOKEN, rateLimit: false, log: false });
  url = server.url;
  client = new ZkirisClient({ baseUrl: url });
});

afterAll(async () => {
  await client?.close();
  await server?.close();
  await registry?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe("zkiris device register|revoke and zkiris group against a running server", () => {
  const camera = DeviceKey.fromSeed("cli-admin-camera");
  const phone = DeviceKey.fromSeed("cli-admin-phone");

  it("registers a device by its public key, and refuses it twice and without a valid token", async () => {
    const publicKey = camera.publicKey.join(",");
    const admin = ["--registry", url, "--admin-token", TOKEN];
    const registered = await zkiris("device", "register", "--public-key", publicKey, ...admin);
    expect([registered.code, registered.stderr]).toEqual([0, ""]);
    expect(json(registered.stdout)).toEqual({
      id: camera.deviceId.toString(),
      slot: 0,
      publicKey: camera.publicKey.map(String),
      registeredAt: expect.any(Number),
      revokedAt: null,
    });
    expect((await client.deviceProof(camera.deviceId)).leaf).toBe(camera.deviceId);

    const twice = await zkiris("device", "register", "--public-key", publicKey, ...admin);
    expect([twice.code, twice.stdout]).toEqual([1, ""]);
    expect(twice.stderr).toMatch(/^zkiris device: DUPLICATE_DEVICE 409: /);
    const noToken = await zkiris("device", "register", "--public-key", publicKey, "--registry", url);
    expect([noToken.code, noToken.stderr]).toEqual([
      1,
      expect.stringMatching(/^zkiris device: UNAUTHORIZED: /),
    ]);
    const wrong = await zkiris(
      "device",
      "register",
      "--public-key",
      publicKey,
      "--registry",
      url,
      "--admin-token",
      "nope",
    );
    expect([wrong.code, wrong.stderr]).toEqual([
      1,
      expect.stringMatching(/^zkiris device: UNAUTHORIZED 401: /),
    ]);
  });

  it("registers a device from its key file with the token from ZKIRIS_ADMIN_TOKEN", async () => {
    const keyFile = path.join(dir, "phone-key.json");
    const generated = await zkiris("device", "keygen", "--out", keyFile);
    expect(generated.code).toBe(0);
    const { publicKey, deviceId } = json(generated.stdout);
    const saved = process.env.ZKIRIS_ADMIN_TOKEN;
    process.env.ZKIRIS_ADMIN_TOKEN = TOKEN;
    try {
      const registered = await zkiris("device", "register", "--key", keyFile, "--registry", url);
      expect([registered.code, json(registered.stdout)]).toEqual([
        0,
        expect.objectContaining({ id: deviceId, slot: 1, publicKey, revokedAt: null }),
      ]);
      // The phone's own key below is another device: slot 2.
      const other = await zkiris(
        "device",
        "register",
        "--public-key",
        phone.publicKey.join(","),
        "--registry",
        url,
      );
      expect([other.code, json(other.stdout).slot]).toEqual([0, 2]);
    } finally {
      if (saved === undefined) delete process.env.ZKIRIS_ADMIN_TOKEN;
      else process.env.ZKIRIS_ADMIN_TOKEN = saved;
    }
    const missing = await zkiris(
      "device",
      "register",
      "--key",
      path.join(dir, "none.json"),
      "--registry",
      url,
    );
    expect([missing.code, missing.stderr]).toEqual([
      1,
      expect.stringMatching(/^zkiris device: UNREADABLE_KEY_FILE: /),
    ]);
  });

  it("creates groups of both kinds, lists and shows them, and refuses a second one with the same id", async () => {
    const admin = ["--registry", url, "--admin-token", TOKEN];
    const plain = await zkiris("group", "create", "--id", "citizens", "--kind", "plain", ...admin);
    expect([plain.code, json(plain.stdout)]).toEqual([
      0,
      { id: "citizens", kind: "plain", root: "0", depth: 0, size: 0 },
    ]);
    const biometric = await zkiris("group", "create", "--id", "residents", "--kind", "biometric", ...admin);
    expect([biometric.code, json(biometric.stdout)]).toEqual([
      0,
      { id: "residents", kind: "biometric", root: "0", depth: 0, size: 0 },
    ]);
    const again = await zkiris("group", "create", "--id", "citizens", "--kind", "biometric", ...admin);
    expect([again.code, again.stderr]).toEqual([
      1,
      expect.stringMatching(/^zkiris group: GROUP_EXISTS 409: /),
    ]);
    const noToken = await zkiris("group", "create", "--id", "x", "--kind", "plain", "--registry", url);
    expect([noToken.code, noToken.stderr]).toEqual([
      1,
      expect.stringMatching(/^zkiris group: UNAUTHORIZED: /),
    ]);

    // A member enrols with the registered camera; list and show see the new root and size.
    const { challenge } = await client.requestChallenge();
    const eye = randomCode(unit(xorshift32(11, 0x9e3779b9)), DEFAULT_PROFILE.geometry, 0.9);
    const receipt = await client.enrol({
      groupId: "citizens",
      capture: signCapture(camera, eye, challenge, { focus: 1 }),
      member: 42n,
    });
    const listed = await zkiris("group", "list", "--registry", url);
    expect([listed.code, lines(listed.stdout)]).toEqual([
      0,
      [
        { id: "citizens", kind: "plain", root: receipt.root.toString(), depth: 0, size: 1 },
        { id: "residents", kind: "biometric", root: "0", depth: 0, size: 0 },
      ],
    ]);
    const shown = await zkiris("group", "show", "citizens", "--registry", url);
    expect([shown.code, json(shown.stdout)]).toEqual([0, json(listed.stdout.split("\n")[0]!)]);
    const unknown = await zkiris("group", "show", "nobody", "--registry", url);
    expect([unknown.code, unknown.stderr]).toEqual([
      1,
      expect.stringMatching(/^zkiris group: UNKNOWN_GROUP 404: /),
    ]);
  });

  it("revokes a device: its captures are refused from then on, and it cannot be revoked twice", async () => {
    const admin = ["--registry", url, "--admin-token", TOKEN];
    const before = (await client.deviceProof(phone.deviceId)).root;
    const revoked = await zkiris("device", "revoke", phone.deviceId.toString(), ...admin);
    expect([revoked.code, json(revoked.stdout)]).toEqual([
      0,
      {
        id: phone.deviceId.toString(),
        slot: 2,
        publicKey: phone.publicKey.map(String),
        registeredAt: expect.any(Number),
        revokedAt: expect.any(Number),
      },
    ]);
    expect((await client.deviceProof(camera.deviceId)).root).not.toBe(before);
    const { challenge } = await client.requestChallenge();
    const eye = randomCode(unit(xorshift32(12, 0x9e3779b9)), DEFAULT_PROFILE.geometry, 0.9);
    const refused = await client
      .enrol({ groupId: "citizens", capture: signCapture(phone, eye, challenge, { focus: 1 }), member: 43n })
      .then(
        () => "enrolled",
        (e: { code: string }) => e.code,
      );
    expect(refused).toBe("DEVICE_REVOKED");
    const twice = await zkiris("device", "revoke", phone.deviceId.toString(), ...admin);
    expect([twice.code, twice.stderr]).toEqual([
      1,
      expect.stringMatching(/^zkiris device: DEVICE_REVOKED 422: /),
    ]);
    const unknown = await zkiris("device", "revoke", "12345", ...admin);
    expect([unknown.code, unknown.stderr]).toEqual([
      1,
      expect.stringMatching(/^zkiris device: UNKNOWN_DEVICE 404: /),
    ]);
  });

  it("prints each subcommand's usage on --help and refuses bad arguments with exit code 2", async () => {
    for (const args of [["device", "register"], ["device", "revoke"], ["group"], ["group", "create"]]) {
      const help = await zkiris(...args, "--help");
      expect([help.code, help.stdout.startsWith("Usage:")]).toEqual([0, true]);
    }
    const bad = [
      [["device", "register"], "device register needs --public-key AX,AY or --key FILE (one of them)"],
      [
        ["device", "register", "--public-key", "1,2", "--key", "k.json"],
        "device register needs --public-key AX,AY or --key FILE (one of them)",
      ],
      [
        ["device", "register", "--public-key", "0x1,2"],
        "Option '--public-key' must be two decimal coordinates AX,AY, received 0x1,2",
      ],
      [["device", "revoke"], "device revoke needs exactly one decimal DEVICE_ID"],
      [["device", "revoke", "abc"], "device revoke needs exactly one decimal DEVICE_ID"],
      [["group"], "group needs a subcommand: create, list or show"],
      [["group", "drop"], "Unknown group subcommand 'drop'; expected create, list or show"],
      [["group", "create", "--kind", "plain"], "group create needs --id G"],
      [
        ["group", "create", "--id", "g", "--kind", "open"],
        "Option '--kind' must be plain or biometric, received open",
      ],
      [["group", "show"], "group show needs a group id"],
    ] as const;
    for (const [args, message] of bad) {
      const run = await zkiris(...args);
      expect([run.code, run.stderr.split("\n")[0]]).toEqual([2, `zkiris: ${message}`]);
    }
  });
});
