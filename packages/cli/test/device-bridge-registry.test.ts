// The bridge's forwarding path against a real registry HTTP server (startServer of @zkiris/server
// over a registry on an in-memory database), through the real bridge process over HTTP and the
// in-process bridge.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { DeviceKey, verifyCapture } from "@zkiris/device";
import { DEFAULT_PROFILE, fromJson, templateCommitment } from "@zkiris/iris-code";
import { Registry } from "@zkiris/registry";
import { startServer, type ZkirisServer } from "@zkiris/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeviceBridge } from "../src/device/bridge.js";
import { keyFileJson } from "../src/device/key-file.js";
import { httpCall, spawnZkiris, waitForStderr } from "./bridge-process.js";

// Long enough for an encode and a signature on a loaded machine; expiry is tested by moving the
// registry's clock back when it is issued, not by waiting.
const TTL_MS = 30_000;
let clockOffset = 0;
const SERVER_OPTIONS = {
  port: 0,
  adminToken: "cli-bridge-test-admin-token",
  log: false,
  rateLimit: false,
} as const;
const key = DeviceKey.fromSeed("cli-bridge-registry-device");
const stranger = DeviceKey.fromSeed("cli-bridge-registry-stranger");

let registry: Registry;
let server: ZkirisServer;
let dir: string;
beforeAll(async () => {
  registry = await Registry.open({
    database: ":memory:",
    profile: DEFAULT_PROFILE,
    challengeTtlMs: TTL_MS,
    now: () => Date.now() + clockOffset,
    searchWorkers: 0,
    verifierWorkers: 1,
  });
  await registry.registerDevice(key.publicKey);
  await registry.createGroup({ id: "citizens", kind: "plain" });
  server = await startServer(registry, SERVER_OPTIONS);
  dir = mkdtempSync(path.join(tmpdir(), "zkiris-bridge-registry-"));
});
afterAll(async () => {
  await server?.close();
  await registry?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const registryError = (status: number, code: string) => ({
  code: "REGISTRY_REFUSED",
  registry: expect.objectContaining({ status, code }),
});

describe("zkiris device bridge --registry", () => {
  it("enrols a mock eye through the bridge process over HTTP and relays the registry's refusals", async () => {
    const keyFile = path.join(dir, "key.json");
    writeFileSync(keyFile, JSON.stringify(keyFileJson(key)));
    chmodSync(keyFile, 0o600);
    const bridge = spawnZkiris(
      [
        "device",
        "bridge",
        "--key",
        keyFile,
        // A mock subject whose first eight captures all have the 2,152 usable bits enrolment needs.
        "--mock",
        "--seed",
        "bridge-c",
        "--registry",
        server.url,
        "--http",
        "127.0.0.1:0",
        "--backend",
        "wasm",
      ],
      dir,
    );
    try {
      const port = Number((await waitForStderr(bridge, /http http:\/\/127\.0\.0\.1:(\d+)/))[1]);
      const post = async (p: string, body: unknown) => {
        const r = await httpCall(
          port,
          "POST",
          p,
          { "content-type": "application/json" },
          JSON.stringify(body),
        );
        return { status: r.status, body: JSON.parse(r.text) };
      };
      const info = await httpCall(port, "GET", "/info", {});
      expect(JSON.parse(info.text).result.registry).toBe(server.url);

      // A capture without a challenge takes a fresh one from the registry.
      const captured = await post("/capture", {});
      expect(captured.body.error).toBeUndefined();
      expect(captured.status).toBe(200);
      const packet = captured.body.result.packet;
      expect(() =>
        verifyCapture(packet, {
          trustedDevices: [key.publicKey],
          expectedChallenge: BigInt(packet.challenge),
        }),
      ).not.toThrow();

      // enrol: challenge, capture, signature, template commitment, POST /enrolments.
      const enrolled = await post("/enrol", { groupId: "citizens", identityCommitment: "1234567" });
      expect(enrolled.body.error).toBeUndefined();
      expect(enrolled.status).toBe(200);
      const { enrolment, salt, templateCommitment: commitment } = enrolled.body.result;
      expect(enrolment).toMatchObject({ groupId: "citizens", memberIndex: 0, leaf: "1234567" });
      expect(enrolment.root).toBe((await registry.group("citizens")).root.toString());
      const probe = fromJson(enrolled.body.result.packet.probe);
      expect(commitment).toBe(templateCommitment(probe, BigInt(salt)).toString());
      expect(registry.members("citizens")).toEqual([1234567n]);

      // The same eye again (the next mock capture of the subject), as another identity.
      const again = await post("/enrol", { groupId: "citizens", identityCommitment: "7654321" });
      expect(again.status).toBe(422);
      expect(again.body.error).toMatchObject(registryError(409, "DUPLICATE_ENROLLMENT"));

      // A challenge the registry never issued.
      const unknown = await post("/enrol", { groupId: "citizens", identityCommitment: "99", challenge: "7" });
      expect(unknown.status).toBe(422);
      expect(unknown.body.error).toMatchObject(registryError(422, "UNKNOWN_CHALLENGE"));
      expect(unknown.body.error.message).toMatch(
        /^The registry refused POST \/enrolments: UNKNOWN_CHALLENGE: /,
      );

      // A challenge issued a TTL ago (the capture itself is fresh).
      clockOffset = -(TTL_MS + 1);
      const issued = await registry.issueChallenge();
      clockOffset = 0;
      const expired = await post("/enrol", {
        groupId: "citizens",
        identityCommitment: "98",
        challenge: issued.challenge.toString(),
      });
      expect(expired.body.error).toMatchObject(registryError(422, "CHALLENGE_EXPIRED"));

      // An unknown group; the bridge still serves afterwards.
      const group = await post("/enrol", { groupId: "nobody", identityCommitment: "97" });
      expect(group.body.error).toMatchObject(registryError(404, "UNKNOWN_GROUP"));
      expect((await post("/capture", {})).status).toBe(200);
    } finally {
      bridge.child.kill("SIGTERM");
    }
    expect(await bridge.exited).toBe(0);
  });

  it("relays an untrusted device's refusal, and refuses with REGISTRY_UNREACHABLE and REGISTRY_BAD_RESPONSE", async () => {
    const untrusted = await DeviceBridge.create({
      key: stranger,
      registry: server.url,
      mock: true,
      backend: "wasm",
    });
    try {
      const r = await untrusted.handle({
        id: "u",
        method: "enrol",
        params: { groupId: "citizens", identityCommitment: "55" },
      });
      expect(r).toMatchObject({ id: "u", error: registryError(404, "UNKNOWN_DEVICE") });
    } finally {
      untrusted.close();
    }
    // A port nothing listens on: the closed registry server's.
    const closed = await startServer(registry, SERVER_OPTIONS);
    await closed.close();
    const gone = await DeviceBridge.create({ key, registry: closed.url, mock: true, backend: "wasm" });
    try {
      const r = await gone.handle({ id: 1, method: "capture" });
      expect(r).toEqual({
        id: 1,
        error: {
          code: "REGISTRY_UNREACHABLE",
          message: `The registry at ${closed.url} did not answer POST /challenges (ECONNREFUSED)`,
        },
      });
    } finally {
      gone.close();
    }
    // A URL that answers, but with a web page: a bridge pointed at the wrong service.
    const page = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>not a registry</html>");
    });
    await new Promise<void>((resolve) => page.listen(0, "127.0.0.1", resolve));
    const pageUrl = `http://127.0.0.1:${(page.address() as AddressInfo).port}`;
    const wrong = await DeviceBridge.create({ key, registry: pageUrl, mock: true, backend: "wasm" });
    try {
      expect(await wrong.handle({ id: 2, method: "capture" })).toEqual({
        id: 2,
        error: {
          code: "REGISTRY_BAD_RESPONSE",
          message: "The registry answered POST /challenges with status 200 and a body that is not JSON",
        },
      });
    } finally {
      wrong.close();
      await new Promise((resolve) => page.close(resolve));
    }
  });
});
