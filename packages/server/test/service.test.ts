import { request } from "node:http";
import { connect } from "node:net";
import { Writable } from "node:stream";
import { Group } from "@semaphore-protocol/group";
import { Identity } from "@semaphore-protocol/identity";
import { generateProof } from "@semaphore-protocol/proof";
import { DeviceKey, signCapture } from "@zkiris/device";
import { templateCommitment } from "@zkiris/iris-code";
import { Registry, semaphoreArtifacts } from "@zkiris/registry";
import { type ServerOptions, startServer, type ZkirisServer } from "@zkiris/server";
import { afterEach, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, Client, randomCode, recapture, sqliteDatabase, type TestDatabase } from "./helpers.js";

const key = DeviceKey.fromSeed("service-test-device");

/** A registry on a fresh SQLite file and a server over it, closed after each test. */
const opened: { db: TestDatabase; registry: Registry; server: ZkirisServer }[] = [];
async function serve(
  options: Partial<ServerOptions> = {},
  registryOptions: { challengeTtlMs?: number } = {},
) {
  const db = sqliteDatabase();
  const registry = await Registry.open({
    database: db.location,
    searchWorkers: 0,
    verifierWorkers: 1,
    ...registryOptions,
  });
  const server = await startServer(registry, { adminToken: ADMIN_TOKEN, log: false, ...options });
  opened.push({ db, registry, server });
  return { db, registry, server, api: new Client(server) };
}

afterEach(async () => {
  for (const { db, registry, server } of opened.splice(0)) {
    await server.close();
    await registry.close();
    await db.drop();
  }
});

describe("server options", () => {
  it("refuses to start without an admin token of at least 16 characters", async () => {
    const db = sqliteDatabase();
    const registry = await Registry.open({ database: db.location, searchWorkers: 0, verifierWorkers: 1 });
    try {
      for (const adminToken of [undefined, "", "short-token", "has whitespace inside it"]) {
        await expect(startServer(registry, { adminToken } as unknown as ServerOptions)).rejects.toMatchObject(
          {
            code: "INVALID_PARAMETER",
            field: "adminToken",
          },
        );
      }
      await expect(
        startServer(registry, { adminToken: ADMIN_TOKEN, corsOrigins: ["https://app.example.org/path"] }),
      ).rejects.toMatchObject({ code: "INVALID_PARAMETER", field: "corsOrigins" });
    } finally {
      await registry.close();
      await db.drop();
    }
  });
});

describe("CORS", () => {
  it("sends no CORS headers unless origins are configured", async () => {
    const { api } = await serve();
    const res = await api.call("GET", "/health", undefined, { origin: "https://vote.example.org" });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("allows the configured origins, and only them, including preflights of admin routes", async () => {
    const { server, api } = await serve({ corsOrigins: ["https://vote.example.org"] });
    const allowed = await api.call("GET", "/health", undefined, { origin: "https://vote.example.org" });
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://vote.example.org");
    expect(allowed.headers.get("access-control-expose-headers")).toContain("x-zkiris-error");
    const other = await api.call("GET", "/health", undefined, { origin: "https://evil.example.org" });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    const preflight = await fetch(`${server.url}/polls`, {
      method: "OPTIONS",
      headers: {
        origin: "https://vote.example.org",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://vote.example.org");
    const list = (name: string) => preflight.headers.get(name)?.split(/,\s*/);
    expect(list("access-control-allow-headers")).toEqual(["content-type", "authorization"]);
    expect(list("access-control-allow-methods")).toEqual(["GET", "POST", "DELETE"]);
  });

  it("allows any origin with '*'", async () => {
    const { api } = await serve({ corsOrigins: "*" });
    const res = await api.call("GET", "/groups", undefined, { origin: "https://anywhere.example" });
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
  });
});

describe("rate limits", () => {
  it("answers 429 RATE_LIMITED past the limit of unauthenticated writes, and stores nothing more", async () => {
    const { api, registry } = await serve({
      rateLimit: { writes: { max: 5, windowMs: 60_000 }, reads: { max: 8, windowMs: 60_000 } },
    });
    const statuses: number[] = [];
    const issued: string[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await api.call("POST", "/challenges");
      statuses.push(res.status);
      if (res.status === 201) issued.push(res.body.challenge);
      else {
        expect(res.body.error.code).toBe("RATE_LIMITED");
        expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
      }
    }
    expect(statuses).toEqual([201, 201, 201, 201, 201, 429, 429, 429]);
    // The six refused requests issued nothing: the repository holds exactly the five answered.
    for (const value of issued) expect(await registry.repository.getChallenge(value)).toBeDefined();
    // Reads have their own budget; admin routes, /health and /ready are not limited.
    for (let i = 0; i < 8; i++) expect((await api.call("GET", "/groups")).status).toBe(200);
    expect((await api.call("GET", "/groups")).status).toBe(429);
    for (let i = 0; i < 12; i++) {
      expect((await api.call("POST", "/groups", { id: `g${i}`, kind: "plain" })).status).toBe(201);
      expect((await api.call("GET", "/health")).status).toBe(200);
      expect((await api.call("GET", "/ready")).status).toBe(200);
    }
  });
});

describe("challenge pruning", () => {
  it("deletes expired challenges on a timer, so a late capture finds its challenge gone", async () => {
    const { api, registry } = await serve({ challengePruneIntervalMs: 25 }, { challengeTtlMs: 50 });
    const { body } = await api.call("POST", "/challenges");
    expect(await registry.repository.getChallenge(body.challenge)).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await registry.repository.getChallenge(body.challenge)).toBeUndefined();
  });
});

describe("faults of the server", () => {
  it("answers 500 INTERNAL without details when storage fails, 503 NOT_READY on /ready, 503 CLOSED once the registry is closed", async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const { api, registry } = await serve({ log: { level: "info", destination } });
    await registry.repository.close();
    const storage = await api.call("GET", "/polls");
    expect([storage.status, storage.body]).toEqual([
      500,
      { error: { code: "INTERNAL", message: "Internal error; the server log has the details" } },
    ]);
    const ready = await api.call("GET", "/ready");
    expect([ready.status, ready.body.error.code]).toEqual([503, "NOT_READY"]);
    expect((await api.call("GET", "/health")).status).toBe(200);
    await registry.close();
    const closed = await api.call("POST", "/challenges");
    expect([closed.status, closed.body.error.code]).toEqual([503, "CLOSED"]);
    const logged = lines.map((l) => JSON.parse(l));
    expect(logged.find((l) => l.msg === "request failed" && l.route === "/polls")).toMatchObject({
      level: 50,
      code: "INTERNAL",
      err: { type: "TypeError", message: expect.stringContaining("database connection is not open") },
    });
  });
});

describe("requests that are not HTTP", () => {
  it("answers 400 BAD_REQUEST in the Error shape and closes the connection", async () => {
    const { server } = await serve();
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(server.port, "127.0.0.1", () => socket.write("NOT HTTP AT ALL\r\n\r\n"));
      let text = "";
      socket.on("data", (chunk) => {
        text += chunk;
      });
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    const [head, body] = answer.split("\r\n\r\n") as [string, string];
    expect(head.split("\r\n")[0]).toBe("HTTP/1.1 400 Bad Request");
    expect(head).toContain("x-zkiris-error: BAD_REQUEST");
    expect(JSON.parse(body)).toEqual({
      error: { code: "BAD_REQUEST", message: "The request is not valid HTTP/1.1" },
    });
  });
});

describe("shutdown", () => {
  it("closes idempotently: a second close resolves, then the port refuses connections", async () => {
    const { server, api } = await serve();
    expect((await api.call("GET", "/health")).status).toBe(200);
    const first = server.close();
    expect(server.close()).toBe(first);
    await first;
    await server.close();
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  });

  it("lets a request in flight finish before close resolves", async () => {
    const { server } = await serve();
    // Headers sent, body not yet complete: the request is in flight when close() starts.
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${server.url}/challenges`,
        { method: "POST", headers: { "content-type": "application/json", "content-length": "2" } },
        (res) => {
          let body = "";
          res.on("data", (chunk) => {
            body += chunk;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on("error", reject);
      req.write("{");
      setTimeout(() => {
        closing = server.close();
        setTimeout(() => req.end("}"), 50);
      }, 100);
    });
    let closing: Promise<void> | undefined;
    const { status, body } = await answer;
    expect(status).toBe(201);
    expect(JSON.parse(body)).toEqual({
      challenge: expect.stringMatching(/^\d+$/),
      expiresAt: expect.any(Number),
    });
    await closing;
  });
});

describe("structured logs", () => {
  it("never contain iris codes, masks, salts, identity secrets or the admin token during a full enrolment and vote", async () => {
    const chunks: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        chunks.push(String(chunk));
        done();
      },
    });
    const { api } = await serve({ log: { level: "trace", destination } });
    const identity = new Identity("log-test-secret-identity");
    await api.call("POST", "/devices", { publicKey: key.publicKey.map(String) });
    await api.call("POST", "/groups", { id: "citizens", kind: "plain" });
    const code = randomCode(77);
    const salt = 987654321987654321987654321n;
    const { body } = await api.call("POST", "/challenges");
    const capture = signCapture(key, code, BigInt(body.challenge), { focus: 1 });
    const request = {
      groupId: "citizens",
      capture,
      identityCommitment: identity.commitment.toString(),
      templateCommitment: templateCommitment(code, salt).toString(),
      salt: salt.toString(),
    };
    expect((await api.call("POST", "/enrolments", request)).status).toBe(201);
    // Refusals log too: a duplicate of the same eye, a malformed body carrying the salt, a bad token.
    const again = await api.call("POST", "/challenges");
    const sameEye = recapture(code, 78, 0.03);
    const duplicate = await api.call("POST", "/enrolments", {
      ...request,
      capture: signCapture(key, sameEye, BigInt(again.body.challenge), { focus: 1 }),
      identityCommitment: new Identity("other").commitment.toString(),
      templateCommitment: templateCommitment(sameEye, salt).toString(),
    });
    expect(duplicate.status).toBe(409);
    expect((await api.call("POST", "/enrolments", { ...request, salt: Number(salt) })).status).toBe(400);
    expect(
      (
        await api.call(
          "POST",
          "/groups",
          { id: "x", kind: "plain" },
          { authorization: "Bearer guess-guess-guess" },
        )
      ).status,
    ).toBe(401);
    const opensAt = Date.now() - 1000;
    const poll = await api.call("POST", "/polls", {
      id: "budget",
      groupId: "citizens",
      options: ["parks", "roads"],
      opensAt,
      closesAt: opensAt + 3_600_000,
    });
    const group = new Group([identity.commitment]);
    const proof = await generateProof(
      identity,
      group,
      0,
      BigInt(poll.body.scope),
      1,
      await semaphoreArtifacts(1),
    );
    expect((await api.call("POST", "/polls/budget/votes", { proof })).status).toBe(201);
    expect((await api.call("POST", "/polls/budget/votes", { proof })).status).toBe(409);

    const log = chunks.join("");
    const lines = log
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.msg === "request").map((l) => l.statusCode)).toEqual([
      201, 201, 201, 201, 201, 409, 400, 401, 201, 201, 409,
    ]);
    expect(lines.find((l) => l.statusCode === 409)).toMatchObject({
      route: "/enrolments",
      code: "DUPLICATE_ENROLLMENT",
    });
    const secrets: Record<string, string> = {
      "iris code bits": capture.probe.bits,
      "iris code mask": capture.probe.mask,
      salt: salt.toString(),
      "salt as a number": String(Number(salt)),
      "identity secret": identity.secretScalar.toString(),
      "identity private key": identity.export(),
      "admin token": ADMIN_TOKEN,
      "guessed token": "guess-guess-guess",
      "capture signature": capture.signature.S,
    };
    for (const [what, value] of Object.entries(secrets)) {
      expect(value.length, what).toBeGreaterThan(8);
      expect(log.includes(value), what).toBe(false);
    }
    // Chunks of the packed code too, in case a line carried part of it.
    for (let i = 0; i + 24 <= capture.probe.bits.length; i += 97) {
      expect(log.includes(capture.probe.bits.slice(i, i + 24))).toBe(false);
    }
  });
});
