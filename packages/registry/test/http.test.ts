import { Group } from "@semaphore-protocol/group";
import { Identity } from "@semaphore-protocol/identity";
import { generateProof } from "@semaphore-protocol/proof";
import { DeviceKey, signCapture } from "@zkiris/device";
import { buildTemplate, DEFAULT_PROFILE, templateCommitment } from "@zkiris/iris-code";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AuditLog,
  httpStatusOf,
  Registry,
  type RegistryServer,
  ROUTES,
  recount,
  semaphoreArtifacts,
  startRegistryServer,
} from "../src/index.js";
import { randomCode, recapture, sparseCode, sqliteDatabase, type TestDatabase } from "./helpers.js";

const TOKEN = "test-admin-token";
const key = DeviceKey.fromSeed("http-test-device");
const alice = new Identity("http-alice");
const bob = new Identity("http-bob");

describe("HTTP API", () => {
  let db: TestDatabase;
  let registry: Registry;
  let api: RegistryServer;

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${api.url}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        authorization: `Bearer ${TOKEN}`,
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
    // biome-ignore lint/suspicious/noExplicitAny: response bodies are JSON checked by the assertions
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };

  async function enrolmentBody(seed: number, identity: Identity, code = randomCode(seed)) {
    const { body } = await call("POST", "/challenges");
    const salt = 5000n + BigInt(seed);
    return {
      groupId: "voters",
      capture: signCapture(key, code, BigInt(body.challenge), { focus: 1 }),
      identityCommitment: identity.commitment.toString(),
      templateCommitment: templateCommitment(code, salt).toString(),
      salt: salt.toString(),
    };
  }

  beforeAll(async () => {
    db = sqliteDatabase();
    registry = await Registry.open({ database: db.location, searchWorkers: 1, verifierWorkers: 1 });
    api = await startRegistryServer(registry, { port: 0, adminToken: TOKEN, bodyLimitBytes: 64 * 1024 });
  });

  afterAll(async () => {
    await api?.close();
    await registry?.close();
    await db?.drop();
  });

  it("serves an OpenAPI 3.1 document of exactly the routes the server answers", async () => {
    const { status, body } = await call("GET", "/openapi.json");
    expect(status).toBe(200);
    expect(body.openapi).toBe("3.1.0");
    const paths = body.paths as Record<string, Record<string, { security?: unknown; responses: object }>>;
    const documented = Object.entries(paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(documented).toContain("GET /openapi.json");
    expect(ROUTES.map((r) => `${r.method} ${r.path}`).sort()).toEqual(
      documented.filter((e) => e !== "GET /openapi.json").sort(),
    );
    // The server, not the route table, is checked against the document: every documented operation
    // reaches a handler (no 404 "No route", no 405), admin ones refuse a wrong token before acting,
    // and a method the document does not list is refused with the documented ones in Allow.
    const wrongToken = { authorization: "Bearer not-the-admin-token" };
    for (const [path, ops] of Object.entries(paths)) {
      const concrete = path.replace(/\{[^}]+\}/g, "0");
      for (const [method, op] of Object.entries(ops)) {
        const bodyless = method === "get" || method === "delete";
        const res = await call(method.toUpperCase(), concrete, bodyless ? undefined : {}, wrongToken);
        const where = `${method.toUpperCase()} ${path}`;
        expect(res.status, where).not.toBe(405);
        expect(String(res.body.error?.message ?? ""), where).not.toMatch(/^No route/);
        expect(res.status === 401, where).toBe(op.security !== undefined);
        if (path !== "/openapi.json") expect(op.responses, where).toHaveProperty("4XX");
      }
      if (path === "/openapi.json") continue;
      const refused = await fetch(`${api.url}${concrete}`, { method: "PUT" });
      expect(refused.status, `PUT ${path}`).toBe(405);
      expect(refused.headers.get("allow")?.split(", ").sort(), `PUT ${path}`).toEqual(
        Object.keys(ops)
          .map((m) => m.toUpperCase())
          .sort(),
      );
      await refused.body?.cancel();
    }
    const unknown = await call("GET", "/no-such-route");
    expect(unknown.status).toBe(404);
  });

  it("registers a device, creates a group and enrols over HTTP", async () => {
    const device = await call("POST", "/devices", { publicKey: key.publicKey.map(String) });
    expect(device).toEqual({
      status: 201,
      body: {
        id: key.deviceId.toString(),
        slot: 0,
        publicKey: key.publicKey.map(String),
        registeredAt: expect.any(Number),
        revokedAt: null,
      },
    });
    expect((await call("GET", `/devices/${key.deviceId}`)).body.id).toBe(key.deviceId.toString());
    const registryTree = await call("GET", "/device-registry");
    const deviceProof = await call("GET", `/devices/${key.deviceId}/proof`);
    expect(deviceProof.body).toMatchObject({
      root: registryTree.body.root,
      leaf: key.deviceId.toString(),
      leafIndex: 0,
    });
    expect(registryTree.body).toEqual({ root: expect.stringMatching(/^\d+$/), slots: 1, trusted: 1 });
    expect(await call("POST", "/groups", { id: "voters", kind: "plain" })).toEqual({
      status: 201,
      body: { id: "voters", kind: "plain", root: "0", depth: 0, size: 0 },
    });
    const first = await call("POST", "/enrolments", await enrolmentBody(1, alice));
    expect(first.status).toBe(201);
    expect(first.body).toEqual({
      groupId: "voters",
      memberIndex: 0,
      leaf: alice.commitment.toString(),
      root: new Group([alice.commitment]).root.toString(),
    });
    expect((await call("POST", "/enrolments", await enrolmentBody(2, bob))).status).toBe(201);
    const root = new Group([alice.commitment, bob.commitment]).root.toString();
    expect((await call("GET", "/groups/voters")).body).toEqual({
      id: "voters",
      kind: "plain",
      root,
      depth: 1,
      size: 2,
    });
    expect((await call("GET", "/groups/voters/members")).body).toEqual({
      members: [alice.commitment.toString(), bob.commitment.toString()],
    });
    const proof = await call("GET", "/groups/voters/members/1/proof");
    expect(proof.body).toEqual({
      root,
      leaf: bob.commitment.toString(),
      index: 1,
      siblings: [alice.commitment.toString()],
    });
    expect(
      (await call("GET", "/groups/voters/roots")).body.roots.map((r: { root: string }) => r.root).at(-1),
    ).toBe(root);
  });

  it("answers enrolment refusals with 4xx and the error code", async () => {
    const duplicate = await call(
      "POST",
      "/enrolments",
      await enrolmentBody(3, new Identity("x"), recapture(randomCode(1), 7, 0.04)),
    );
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error).toMatchObject({ code: "DUPLICATE_ENROLLMENT", field: "capture" });
    const body = await enrolmentBody(4, new Identity("y"));
    const forged = await call("POST", "/enrolments", {
      ...body,
      capture: { ...body.capture, challenge: "1" },
    });
    expect(forged.status).toBe(422);
    expect(forged.body.error.code).toBe("INVALID_CAPTURE");
    const extra = await call("POST", "/enrolments", { ...body, note: "hi" });
    expect(extra).toEqual({
      status: 400,
      body: { error: expect.objectContaining({ code: "INVALID_PARAMETER", field: "note" }) },
    });
    const missing = await call("POST", "/enrolments", { ...body, salt: undefined });
    expect(missing.body.error).toMatchObject({ code: "INVALID_PARAMETER", field: "salt" });
    expect((await call("GET", "/groups/voters")).body.size).toBe(2);
  });

  it("enrols from several captures and answers their refusals with 4xx and stable codes", async () => {
    const eye = randomCode(40);
    const probes = [recapture(eye, 41, 0.04), recapture(eye, 42, 0.04, 2), recapture(eye, 43, 0.04, -1)];
    const captures = [];
    for (const probe of probes) {
      const { body } = await call("POST", "/challenges");
      captures.push(signCapture(key, probe, BigInt(body.challenge), { focus: 1 }));
    }
    const salt = 4040n;
    const body = {
      groupId: "voters",
      captures,
      identityCommitment: new Identity("multi").commitment.toString(),
      templateCommitment: templateCommitment(
        buildTemplate(probes, DEFAULT_PROFILE).template,
        salt,
      ).toString(),
      salt: salt.toString(),
    };
    const inconsistent = await call("POST", "/enrolments/captures", {
      ...body,
      captures: [captures[0], captures[1], (await enrolmentBody(44, new Identity("z"))).capture],
    });
    expect(inconsistent.status).toBe(422);
    expect(inconsistent.body.error).toMatchObject({ code: "INCONSISTENT_CAPTURES", field: "captures[2]" });
    const accepted = await call("POST", "/enrolments/captures", body);
    expect(accepted.status).toBe(201);
    expect(accepted.body).toMatchObject({ groupId: "voters", leaf: body.identityCommitment });
    const sparse = await call(
      "POST",
      "/enrolments",
      await enrolmentBody(45, new Identity("s"), sparseCode(45, 900)),
    );
    expect(sparse.status).toBe(422);
    expect(sparse.body.error).toMatchObject({
      code: "INSUFFICIENT_USABLE_BITS",
      field: "capture.probe.mask",
    });
    const few = await call("POST", "/enrolments/captures", { ...body, captures: captures.slice(0, 2) });
    expect(few.status).toBe(400);
    expect(few.body.error).toMatchObject({ code: "INVALID_PARAMETER", field: "captures" });
    expect(httpStatusOf("UNDECIDABLE_COMPARISON")).toBe(409);
  });

  it("runs a poll: vote, duplicate, tally, audit log and offline recount", async () => {
    const poll = await call("POST", "/polls", {
      id: "lunch",
      groupId: "voters",
      options: ["pizza", "salad"],
      opensAt: Date.now() - 1000,
      closesAt: Date.now() + 3_600_000,
    });
    expect(poll.status).toBe(201);
    const group = new Group([alice.commitment, bob.commitment]);
    const proof = await generateProof(
      alice,
      group,
      1,
      BigInt(poll.body.scope),
      1,
      await semaphoreArtifacts(1),
    );
    const vote = await call("POST", "/polls/lunch/votes", { proof });
    expect(vote.status).toBe(201);
    expect(vote.body).toMatchObject({ pollId: "lunch", option: 1, nullifier: proof.nullifier });
    const again = await call("POST", "/polls/lunch/votes", { proof });
    expect(again).toEqual({
      status: 409,
      body: { error: expect.objectContaining({ code: "DUPLICATE_NULLIFIER", field: "proof.nullifier" }) },
    });
    const bad = await call("POST", "/polls/lunch/votes", { proof: { ...proof, message: "9" } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe("OPTION_OUT_OF_RANGE");
    expect((await call("GET", "/polls/lunch/tally")).body).toEqual({
      pollId: "lunch",
      options: ["pizza", "salad"],
      counts: [0, 1],
      total: 1,
    });
    const log = (await call("GET", "/polls/lunch/audit-log")).body as AuditLog;
    expect(log.votes.length).toBe(1);
    expect(await recount(log, { workers: 1 })).toEqual({
      pollId: "lunch",
      counts: [0, 1],
      total: 1,
      rejected: [],
    });
    expect((await call("GET", "/polls/nope/tally")).status).toBe(404);
  });

  it("refuses admin routes without the token, unknown routes, wrong methods, media types and bad JSON", async () => {
    const noToken = await call(
      "POST",
      "/groups",
      { id: "g2", kind: "plain" },
      { authorization: "Bearer wrong" },
    );
    expect(noToken).toEqual({
      status: 401,
      body: { error: { code: "UNAUTHORIZED", message: expect.any(String) } },
    });
    expect((await call("GET", "/nowhere")).body.error.code).toBe("NOT_FOUND");
    const wrongMethod = await call("PUT", "/groups/voters");
    expect([wrongMethod.status, wrongMethod.body.error.code]).toEqual([405, "METHOD_NOT_ALLOWED"]);
    const text = await call("POST", "/groups", "id=x", { "content-type": "text/plain" });
    expect([text.status, text.body.error.code]).toEqual([415, "UNSUPPORTED_MEDIA_TYPE"]);
    const broken = await call("POST", "/groups", "{oops");
    expect([broken.status, broken.body.error.code]).toEqual([400, "MALFORMED_JSON"]);
    const index = await call("GET", "/groups/voters/members/-1/proof");
    expect([index.status, index.body.error.field]).toEqual([400, "memberIndex"]);
    expect((await call("GET", "/groups/voters/members/9/proof")).body.error.code).toBe("UNKNOWN_MEMBER");
  });

  it("refuses a body over the size limit with 413", async () => {
    const big = await call("POST", "/groups", { id: "g3", kind: "plain", pad: "x".repeat(70 * 1024) });
    expect([big.status, big.body.error.code]).toEqual([413, "PAYLOAD_TOO_LARGE"]);
    expect((await call("GET", "/groups/g3")).status).toBe(404);
  });

  it("revokes a device over HTTP and then refuses its captures", async () => {
    expect((await call("POST", `/devices/${key.deviceId}/revoke`)).body.revokedAt).toEqual(
      expect.any(Number),
    );
    const refused = await call("POST", "/enrolments", await enrolmentBody(20, new Identity("z")));
    expect([refused.status, refused.body.error.code]).toEqual([422, "DEVICE_REVOKED"]);
    expect((await call("GET", "/device-registry")).body).toMatchObject({ slots: 1, trusted: 0 });
    expect((await call("GET", `/devices/${key.deviceId}/proof`)).status).toBe(404);
    const recovery = await call("POST", "/groups/voters/members/0/recover", {
      newIdentityCommitment: "5",
      matchProof: { proof: {}, publicSignals: ["1", "2", "3"] },
    });
    expect([recovery.status, recovery.body.error.code]).toEqual([501, "RECOVERY_UNAVAILABLE"]);
    const removed = await call("DELETE", "/groups/voters/members/0");
    expect(removed.body.root).toBe((await call("GET", "/groups/voters")).body.root);
  });
});
