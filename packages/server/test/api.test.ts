import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Group } from "@semaphore-protocol/group";
import { Identity } from "@semaphore-protocol/identity";
import { generateProof } from "@semaphore-protocol/proof";
import { DeviceKey, signCapture } from "@zkiris/device";
import { buildTemplate, DEFAULT_PROFILE, templateCommitment } from "@zkiris/iris-code";
import { type AuditLog, Registry, recount, semaphoreArtifacts } from "@zkiris/registry";
import { startServer, type ZkirisServer } from "@zkiris/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, BACKENDS, Client, randomCode, recapture, type TestDatabase } from "./helpers.js";

const key = DeviceKey.fromSeed("server-test-device");
const alice = new Identity("server-alice");
const bob = new Identity("server-bob");

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(backend.title("HTTP API"), () => {
    let db: TestDatabase;
    let registry: Registry;
    let server: ZkirisServer;
    let api: Client;

    async function enrolmentBody(seed: number, identity: Identity, code = randomCode(seed)) {
      const { body } = await api.call("POST", "/challenges");
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
      db = backend.create();
      registry = await Registry.open({ database: db.location, searchWorkers: 1, verifierWorkers: 1 });
      server = await startServer(registry, {
        adminToken: ADMIN_TOKEN,
        bodyLimitBytes: 64 * 1024,
        rateLimit: false,
        log: false,
      });
      api = new Client(server);
    });

    afterAll(async () => {
      await server?.close();
      await registry?.close();
      await db?.drop();
    });

    it("serves an OpenAPI 3.1 document of exactly the routes the server answers", async () => {
      const { status, body } = await api.call("GET", "/openapi.json");
      expect(status).toBe(200);
      expect(body.openapi).toBe("3.1.0");
      const paths = body.paths as Record<string, Record<string, { security?: unknown; responses: object }>>;
      const documented = Object.entries(paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
      );
      expect(documented.sort()).toEqual([...server.routes]);
      expect(documented).toEqual(
        expect.arrayContaining(["GET /groups", "GET /polls", "GET /health", "GET /ready"]),
      );
      expect(body.components.schemas.Error.required).toEqual(["error"]);
      // Every documented operation reaches a handler (no 404 "No route", no 405); admin ones refuse a
      // wrong token before acting; a method the document does not list is refused with the
      // documented ones in Allow.
      const wrongToken = { authorization: "Bearer not-the-admin-token" };
      for (const [path, ops] of Object.entries(paths)) {
        const concrete = path.replace(/\{[^}]+\}/g, "0");
        for (const [method, op] of Object.entries(ops)) {
          const bodyless = method === "get" || method === "delete";
          const res = await api.call(method.toUpperCase(), concrete, bodyless ? undefined : {}, wrongToken);
          const where = `${method.toUpperCase()} ${path}`;
          expect(res.status, where).not.toBe(405);
          expect(String(res.body.error?.message ?? ""), where).not.toMatch(/^No route/);
          expect(res.status === 401, where).toBe(op.security !== undefined);
          if (path !== "/openapi.json") {
            expect(op.responses, where).toMatchObject({
              "4XX": { content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } },
              "5XX": { content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } },
            });
          }
        }
        const refused = await api.call("PUT", concrete);
        expect(refused.status, `PUT ${path}`).toBe(405);
        expect(refused.body.error.code).toBe("METHOD_NOT_ALLOWED");
        expect(refused.headers.get("allow")?.split(", ").sort(), `PUT ${path}`).toEqual(
          Object.keys(ops)
            .map((m) => m.toUpperCase())
            .sort(),
        );
      }
      const unknown = await api.call("GET", "/no-such-route");
      expect([unknown.status, unknown.body.error.code]).toEqual([404, "NOT_FOUND"]);
      expect(unknown.headers.get("x-zkiris-error")).toBe("NOT_FOUND");
    });

    it("answers health and readiness", async () => {
      expect((await api.call("GET", "/health")).body).toEqual({ status: "ok" });
      expect((await api.call("GET", "/ready")).body).toEqual({
        status: "ready",
        database: backend.name === "SQLite" ? "sqlite" : "postgres",
      });
    });

    it("registers a device, creates a group, lists groups and enrols over HTTP", async () => {
      const device = await api.call("POST", "/devices", { publicKey: key.publicKey.map(String) });
      expect(device.status).toBe(201);
      expect(device.body).toEqual({
        id: key.deviceId.toString(),
        slot: 0,
        publicKey: key.publicKey.map(String),
        registeredAt: expect.any(Number),
        revokedAt: null,
      });
      expect((await api.call("GET", `/devices/${key.deviceId}`)).body.id).toBe(key.deviceId.toString());
      const registryTree = await api.call("GET", "/device-registry");
      expect(registryTree.body).toEqual({ root: expect.stringMatching(/^\d+$/), slots: 1, trusted: 1 });
      // The empty tree's root at open, replaced by the registration's.
      const history = await api.call("GET", "/device-registry/roots");
      expect([history.status, history.body]).toEqual([
        200,
        {
          deviceRootExpiryMs: 300_000,
          roots: [
            {
              root: expect.stringMatching(/^\d+$/),
              createdAt: expect.any(Number),
              replacedAt: expect.any(Number),
            },
            { root: registryTree.body.root, createdAt: expect.any(Number), replacedAt: null },
          ],
        },
      ]);
      expect(history.body.roots[0].root).not.toBe(registryTree.body.root);
      expect((await api.call("GET", `/devices/${key.deviceId}/proof`)).body).toMatchObject({
        root: registryTree.body.root,
        leaf: key.deviceId.toString(),
        leafIndex: 0,
      });
      expect(await api.call("GET", "/groups")).toMatchObject({ status: 200, body: { groups: [] } });
      const created = await api.call("POST", "/groups", { id: "voters", kind: "plain" });
      expect([created.status, created.body]).toEqual([
        201,
        { id: "voters", kind: "plain", root: "0", depth: 0, size: 0, rootExpiryMs: 3_600_000 },
      ]);
      const eyes = await api.call("POST", "/groups", {
        id: "eyes",
        kind: "biometric",
        rootExpiryMs: 600_000,
      });
      expect(eyes.body.rootExpiryMs).toBe(600_000);
      const badExpiry = await api.call("POST", "/groups", { id: "g9", kind: "plain", rootExpiryMs: -1 });
      expect([badExpiry.status, badExpiry.body.error.code]).toEqual([400, "INVALID_PARAMETER"]);
      const first = await api.call("POST", "/enrolments", await enrolmentBody(1, alice));
      expect([first.status, first.body]).toEqual([
        201,
        {
          groupId: "voters",
          memberIndex: 0,
          leaf: alice.commitment.toString(),
          root: new Group([alice.commitment]).root.toString(),
        },
      ]);
      expect((await api.call("POST", "/enrolments", await enrolmentBody(2, bob))).status).toBe(201);
      const root = new Group([alice.commitment, bob.commitment]).root.toString();
      expect((await api.call("GET", "/groups")).body).toEqual({
        groups: [
          { id: "voters", kind: "plain", root, depth: 1, size: 2, rootExpiryMs: 3_600_000 },
          { id: "eyes", kind: "biometric", root: "0", depth: 0, size: 0, rootExpiryMs: 600_000 },
        ],
      });
      expect((await api.call("GET", "/groups/voters/members")).body).toEqual({
        members: [alice.commitment.toString(), bob.commitment.toString()],
        removed: [],
      });
      expect((await api.call("GET", "/groups/voters/members/1/proof")).body).toEqual({
        root,
        leaf: bob.commitment.toString(),
        index: 1,
        siblings: [alice.commitment.toString()],
      });
      const roots = (await api.call("GET", "/groups/voters/roots")).body.roots as { root: string }[];
      expect(roots.map((r) => r.root)).toEqual(["0", new Group([alice.commitment]).root.toString(), root]);
    });

    it("answers enrolment refusals with 4xx and the error code, storing nothing", async () => {
      const duplicate = await api.call(
        "POST",
        "/enrolments",
        await enrolmentBody(3, new Identity("x"), recapture(randomCode(1), 7, 0.04)),
      );
      expect(duplicate.status).toBe(409);
      expect(duplicate.body.error).toMatchObject({ code: "DUPLICATE_ENROLLMENT", field: "capture" });
      const body = await enrolmentBody(4, new Identity("y"));
      const forged = await api.call("POST", "/enrolments", {
        ...body,
        capture: { ...body.capture, challenge: "1" },
      });
      expect([forged.status, forged.body.error.code]).toEqual([422, "INVALID_CAPTURE"]);
      expect(await api.call("POST", "/enrolments", { ...body, note: "hi" })).toMatchObject({
        status: 400,
        body: {
          error: {
            code: "INVALID_PARAMETER",
            field: "note",
            message:
              "Field 'note' is not accepted here; expected groupId, capture, identityCommitment, templateCommitment, salt",
          },
        },
      });
      const missing = await api.call("POST", "/enrolments", { ...body, salt: undefined });
      expect([missing.status, missing.body.error]).toEqual([
        400,
        { code: "INVALID_PARAMETER", field: "salt", message: "Field 'salt' is required" },
      ]);
      const numeric = await api.call("POST", "/enrolments", { ...body, salt: 5004 });
      expect(numeric.body.error).toEqual({
        code: "INVALID_PARAMETER",
        field: "salt",
        message:
          "Field 'salt' must be a field element: a decimal string of digits such as \"12345\", below the BN254 field order (hash a text label into the field first), received the number 5004",
      });
      const tooBig = await api.call("POST", "/enrolments", { ...body, salt: "9".repeat(78) });
      expect([tooBig.status, tooBig.body.error.code, tooBig.body.error.field]).toEqual([
        400,
        "INVALID_PARAMETER",
        "salt",
      ]);
      expect((await api.call("GET", "/groups/voters")).body.size).toBe(2);
    });

    it("enrols from several captures and answers their refusals with 4xx and stable codes", async () => {
      const eye = randomCode(40);
      const probes = [recapture(eye, 41, 0.04), recapture(eye, 42, 0.04, 2), recapture(eye, 43, 0.04, -1)];
      const captures = [];
      for (const probe of probes) {
        const { body } = await api.call("POST", "/challenges");
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
      const inconsistent = await api.call("POST", "/enrolments/captures", {
        ...body,
        captures: [captures[0], captures[1], (await enrolmentBody(44, new Identity("z"))).capture],
      });
      expect(inconsistent.status).toBe(422);
      expect(inconsistent.body.error).toMatchObject({ code: "INCONSISTENT_CAPTURES", field: "captures[2]" });
      const accepted = await api.call("POST", "/enrolments/captures", body);
      expect(accepted.status).toBe(201);
      expect(accepted.body).toMatchObject({ groupId: "voters", leaf: body.identityCommitment });
      const few = await api.call("POST", "/enrolments/captures", { ...body, captures: captures.slice(0, 2) });
      expect([few.status, few.body.error.code, few.body.error.field]).toEqual([
        400,
        "INVALID_PARAMETER",
        "captures",
      ]);
    });

    it("runs a poll: list, vote, duplicate, tally, audit log and offline recount", async () => {
      const opensAt = Date.now() - 1000;
      const poll = await api.call("POST", "/polls", {
        id: "lunch",
        groupId: "voters",
        options: ["pizza", "salad"],
        opensAt,
        closesAt: opensAt + 3_600_000,
      });
      expect(poll.status).toBe(201);
      expect((await api.call("GET", "/polls")).body).toEqual({ polls: [poll.body] });
      expect((await api.call("GET", "/polls/lunch")).body).toEqual(poll.body);
      const group = new Group((await api.call("GET", "/groups/voters/members")).body.members.map(BigInt));
      const proof = await generateProof(
        alice,
        group,
        1,
        BigInt(poll.body.scope),
        group.depth,
        await semaphoreArtifacts(group.depth),
      );
      const vote = await api.call("POST", "/polls/lunch/votes", { proof });
      expect(vote.status).toBe(201);
      expect(vote.body).toMatchObject({ pollId: "lunch", option: 1, nullifier: proof.nullifier });
      expect(await api.call("POST", "/polls/lunch/votes", { proof })).toMatchObject({
        status: 409,
        body: { error: { code: "DUPLICATE_NULLIFIER", field: "proof.nullifier" } },
      });
      const bad = await api.call("POST", "/polls/lunch/votes", { proof: { ...proof, message: "9" } });
      expect([bad.status, bad.body.error.code]).toEqual([422, "OPTION_OUT_OF_RANGE"]);
      const stringScope = await api.call("POST", "/polls/lunch/votes", {
        proof: { ...proof, scope: "lunch" },
      });
      expect([stringScope.status, stringScope.body.error.field]).toEqual([400, "proof.scope"]);
      expect(stringScope.body.error.message).toMatch(
        /^Field 'proof\.scope' must be a field element: a decimal string/,
      );
      expect((await api.call("GET", "/polls/lunch/tally")).body).toEqual({
        pollId: "lunch",
        options: ["pizza", "salad"],
        counts: [0, 1],
        total: 1,
      });
      const log = (await api.call("GET", "/polls/lunch/audit-log")).body as AuditLog;
      expect(log.votes.length).toBe(1);
      expect(await recount(log, { workers: 1 })).toEqual({
        pollId: "lunch",
        counts: [0, 1],
        total: 1,
        rejected: [],
      });
      expect((await api.call("GET", "/polls/nope/tally")).status).toBe(404);
    });

    it("refuses a poll scope that is not a decimal field element, with a message that says so", async () => {
      const base = { id: "p2", groupId: "voters", options: ["a", "b"], opensAt: 1, closesAt: 2 };
      const text = await api.call("POST", "/polls", { ...base, scope: "my-poll" });
      expect([text.status, text.body.error]).toEqual([
        400,
        {
          code: "INVALID_PARAMETER",
          field: "scope",
          message:
            "Field 'scope' must be a field element: a decimal string of digits such as \"12345\", below the BN254 field order (hash a text label into the field first), received a string",
        },
      ]);
      const order = "21888242871839275222246405745257275088548364400416034343698204186575808495617";
      const over = await api.call("POST", "/polls", { ...base, scope: order });
      expect([over.status, over.body.error.code, over.body.error.field]).toEqual([
        400,
        "INVALID_PARAMETER",
        "scope",
      ]);
      expect((await api.call("GET", "/polls/p2")).status).toBe(404);
    });

    it("refuses labels that are not valid UTF-8 instead of storing U+FFFD", async () => {
      const json = '{"id":"utf","groupId":"voters","options":["caf\u00e9","XX"],"opensAt":1,"closesAt":2}';
      const bytes = new TextEncoder().encode(json);
      const at = bytes.indexOf(0x58); // the first "X"
      bytes[at] = 0xc3; // a lead byte followed by "X": not UTF-8
      const refused = await api.call("POST", "/polls", bytes);
      expect([refused.status, refused.body.error.code]).toEqual([400, "INVALID_UTF8"]);
      const surrogate = await api.call(
        "POST",
        "/polls",
        '{"id":"utf","groupId":"voters","options":["a","\\ud800"],"opensAt":1,"closesAt":2}',
      );
      expect([surrogate.status, surrogate.body.error]).toEqual([
        400,
        {
          code: "INVALID_UTF8",
          field: "options[1]",
          message: "Field 'options[1]' holds a lone UTF-16 surrogate (a \\u escape that is no character)",
        },
      ]);
      expect((await api.call("GET", "/polls/utf")).status).toBe(404);
      const good = await api.call("POST", "/polls", new TextEncoder().encode(json.replace("XX", "\u00fc")));
      expect([good.status, good.body.options]).toEqual([201, ["caf\u00e9", "\u00fc"]]);
    });

    it("refuses bad percent-encoding, admin routes without the token, media types, bad JSON and bad bodies", async () => {
      for (const path of ["/groups/%zz", "/groups/%E0%A4%A", "/groups/%FF/members", "/polls/%C3%28/tally"]) {
        const res = await api.call("GET", path);
        expect([res.status, res.body.error.code], path).toEqual([400, "BAD_URL_ENCODING"]);
        expect(res.headers.get("x-zkiris-error")).toBe("BAD_URL_ENCODING");
      }
      expect((await api.call("GET", "/groups/%76oters")).body.id).toBe("voters");
      for (const authorization of ["Bearer wrong", `Bearer ${ADMIN_TOKEN}x`, ADMIN_TOKEN, ""]) {
        const res = await api.call("POST", "/groups", { id: "g2", kind: "plain" }, { authorization });
        expect([res.status, res.body.error.code], authorization).toEqual([401, "UNAUTHORIZED"]);
      }
      const saved = api.token;
      api.token = undefined;
      expect((await api.call("DELETE", "/groups/voters/members/0")).status).toBe(401);
      api.token = saved;
      expect((await api.call("GET", "/groups/g2")).status).toBe(404);
      const text = await api.call("POST", "/groups", "id=x", { "content-type": "text/plain" });
      expect([text.status, text.body.error.code]).toEqual([415, "UNSUPPORTED_MEDIA_TYPE"]);
      const broken = await api.call("POST", "/groups", "{oops");
      expect([broken.status, broken.body.error.code]).toEqual([400, "MALFORMED_JSON"]);
      const poisoned = await api.call("POST", "/groups", '{"id":"g4","kind":"plain","__proto__":{"x":1}}');
      expect([poisoned.status, poisoned.body.error.code]).toEqual([400, "MALFORMED_JSON"]);
      const empty = await api.call("POST", "/groups", "");
      expect([empty.status, empty.body.error]).toEqual([
        400,
        {
          code: "INVALID_PARAMETER",
          field: "body",
          message: "The request body must be a JSON object, received nothing",
        },
      ]);
      const array = await api.call("POST", "/groups", [1, 2]);
      expect([array.status, array.body.error.message]).toEqual([
        400,
        "The request body must be a JSON object, received an array of 2",
      ]);
      const kind = await api.call("POST", "/groups", { id: "g5", kind: "open" });
      expect(kind.body.error).toEqual({
        code: "INVALID_PARAMETER",
        field: "kind",
        message: 'Field \'kind\' must be one of "plain", "biometric", received a string',
      });
      const index = await api.call("GET", "/groups/voters/members/-1/proof");
      expect([index.status, index.body.error.field]).toEqual([400, "index"]);
      expect((await api.call("GET", "/groups/voters/members/9/proof")).body.error.code).toBe(
        "UNKNOWN_MEMBER",
      );
    });

    it("refuses a body over the size limit with 413 and stores nothing", async () => {
      const big = await api.call("POST", "/groups", { id: "g3", kind: "plain", pad: "x".repeat(70 * 1024) });
      expect([big.status, big.body.error.code]).toEqual([413, "PAYLOAD_TOO_LARGE"]);
      expect((await api.call("GET", "/groups/g3")).status).toBe(404);
    });

    it("serves a live backup of the embedded database to the admin, and refuses it on PostgreSQL", async () => {
      const saved = api.token;
      api.token = undefined;
      expect((await api.call("GET", "/backup")).status).toBe(401);
      api.token = saved;
      const res = await api.call("GET", "/backup");
      if (backend.name === "PostgreSQL") {
        expect([res.status, res.body.error.code]).toEqual([501, "BACKUP_UNSUPPORTED"]);
        return;
      }
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/vnd.sqlite3");
      expect(new TextDecoder().decode(res.bytes.subarray(0, 15))).toBe("SQLite format 3");
      const dir = mkdtempSync(join(tmpdir(), "zkiris-backup-test-"));
      try {
        writeFileSync(join(dir, "copy.sqlite"), res.bytes);
        const copy = await Registry.open({
          database: join(dir, "copy.sqlite"),
          searchWorkers: 0,
          verifierWorkers: 1,
        });
        try {
          expect(copy.groups()).toEqual(registry.groups());
          expect(await copy.polls()).toEqual(await registry.polls());
        } finally {
          await copy.close();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("revokes a device over HTTP and then refuses its captures", async () => {
      expect((await api.call("POST", `/devices/${key.deviceId}/revoke`)).body.revokedAt).toEqual(
        expect.any(Number),
      );
      const refused = await api.call("POST", "/enrolments", await enrolmentBody(20, new Identity("z")));
      expect([refused.status, refused.body.error.code]).toEqual([422, "DEVICE_REVOKED"]);
      const revokedTree = await api.call("GET", "/device-registry");
      expect(revokedTree.body).toMatchObject({ slots: 1, trusted: 0 });
      // The revocation replaced the device's root: the history ends with the tree without it.
      const roots = (await api.call("GET", "/device-registry/roots")).body.roots;
      expect(roots.at(-1)).toEqual({
        root: revokedTree.body.root,
        createdAt: expect.any(Number),
        replacedAt: null,
      });
      expect(roots.at(-2).replacedAt).toBe(roots.at(-1).createdAt);
      expect((await api.call("GET", `/devices/${key.deviceId}/proof`)).status).toBe(404);
      const recovery = await api.call("POST", "/groups/voters/members/0/recover", {
        newIdentityCommitment: "5",
        matchProof: { proof: {}, publicSignals: ["1", "2", "3"] },
      });
      expect([recovery.status, recovery.body.error.code]).toEqual([501, "RECOVERY_UNAVAILABLE"]);
      const removed = await api.call("DELETE", "/groups/voters/members/0");
      expect(removed.body.root).toBe((await api.call("GET", "/groups/voters")).body.root);
      const list = (await api.call("GET", "/groups/voters/members")).body;
      expect(list.members[0]).toBe("0");
      expect(list.removed).toEqual([0]);
      const group = new Group(
        list.members.map((m: string, i: number) => (list.removed.includes(i) ? 1n : BigInt(m))),
      );
      for (const index of list.removed) group.removeMember(index);
      expect(group.root.toString()).toBe(removed.body.root);
    });
  });
}
