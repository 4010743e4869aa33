// End-to-end: the real server over HTTP (in this process, and `zkiris serve` as a child process),
// driven through @zkiris/sdk with real Semaphore proofs. The proofs are made once, against the first
// server, and reused on every other database: each database enrols the same identities in the same
// order (so the group roots agree) and creates its polls with the same explicit scopes.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DeviceKey, signCapture } from "@zkiris/device";
import { DEFAULT_PROFILE, type IrisCode, ZkirisError } from "@zkiris/iris-code";
import { type DatabaseLocation, Registry, recount } from "@zkiris/registry";
import {
  createIdentity,
  proofToJson,
  type UniqueActionProof,
  type VoteReceipt,
  ZkirisClient,
  ZkirisSdkError,
} from "@zkiris/sdk";
import { nodeArtifacts, releaseProverThreads } from "@zkiris/sdk/node";
import { startServer } from "@zkiris/server";
import {
  randomCode as kitRandomCode,
  recapture as kitRecapture,
  needs,
  requirement,
  unit,
  xorshift32,
} from "@zkiris/test-kit";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const TOKEN = "server-e2e-admin-token-0123456789";
const MAIN = fileURLToPath(new URL("../packages/cli/src/main.ts", import.meta.url));
const POSTGRES = requirement("postgresql");
const device = DeviceKey.fromSeed("server-e2e-device");
/** Voters enrolled in every database, in this order; the burst before the SIGKILL has one vote each. */
const VOTERS = 16;
const identities = Array.from({ length: VOTERS }, () => createIdentity());
const codes = Array.from({ length: VOTERS }, (_, i) =>
  kitRandomCode(unit(xorshift32(1000 + i, 0x9e3779b9)), DEFAULT_PROFILE.geometry, 0.9),
);
const recaptureOf = (code: IrisCode, seed: number) =>
  kitRecapture(unit(xorshift32(seed, 0x9e3779b9)), code, { flip: 0.05, shift: 2 });
const SCOPES = { tally: 7001n, concurrent: 7002n, burst: 7003n } as const;
/** The option each voter picks in the tally poll. */
const CHOICES = [0, 1, 1, 2];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "zkiris-server-e2e-"));
});
afterAll(async () => {
  await releaseProverThreads();
  rmSync(dir, { recursive: true, force: true });
});

/** The error a promise rejects with (a ZkirisSdkError); fails the test if it resolves. */
async function refusal(promise: Promise<unknown>): Promise<ZkirisSdkError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ZkirisSdkError);
    return error as ZkirisSdkError;
  }
  throw new Error("expected a refusal, the call succeeded");
}

/** A capture of `code` signed by `key` for a fresh challenge of the client's server. */
async function signed(client: ZkirisClient, code: IrisCode, key = device) {
  const { challenge } = await client.requestChallenge();
  return signCapture(key, code, challenge, { focus: 1 });
}

/** A server in this process over a registry on `location`. */
async function startService(location: DatabaseLocation) {
  const registry = await Registry.open({ database: location, searchWorkers: 1, verifierWorkers: 2 });
  const server = await startServer(registry, { adminToken: TOKEN, rateLimit: false, log: false });
  const client = new ZkirisClient({ baseUrl: server.url, adminToken: TOKEN });
  return {
    registry,
    server,
    client,
    close: async () => {
      await client.close();
      await server.close();
      await registry.close();
    },
  };
}

/** The device, one plain group with every voter enrolled in order, and the polls with the shared scopes. */
async function populate(client: ZkirisClient, polls: (keyof typeof SCOPES)[]) {
  await client.registerDevice(device.publicKey);
  await client.createGroup({ id: "citizens", kind: "plain" });
  for (const [i, identity] of identities.entries()) {
    const enrolment = await client.enrol({
      groupId: "citizens",
      capture: await signed(client, codes[i]!),
      member: identity,
    });
    expect(enrolment.memberIndex).toBe(i);
  }
  const now = Date.now();
  for (const name of polls)
    await client.createPoll({
      id: name,
      groupId: "citizens",
      options: ["a", "b", "c"],
      opensAt: now - 60_000,
      closesAt: now + 3_600_000,
      scope: SCOPES[name],
    });
}

/** Proofs made once through the SDK against the first server, reused on every database. */
interface Proofs {
  tally: UniqueActionProof[];
  concurrent: UniqueActionProof;
  burst: UniqueActionProof[];
}
let proofs: Proofs;

/** Enrolment to tally on one database: refusals on the way, votes, a double vote, tally, audit recount. */
async function enrolmentToTally(client: ZkirisClient) {
  // The same eye again under a new identity.
  const twin = await refusal(
    client.enrol({
      groupId: "citizens",
      capture: await signed(client, recaptureOf(codes[0]!, 5)),
      member: createIdentity(),
    }),
  );
  expect([twin.code, twin.status]).toEqual(["DUPLICATE_ENROLLMENT", 409]);
  // A signed capture sent twice: the first use enrols, the second is a replay.
  const packet = await signed(
    client,
    kitRandomCode(unit(xorshift32(77, 0x9e3779b9)), DEFAULT_PROFILE.geometry, 0.9),
  );
  const extra = createIdentity();
  await client.createGroup({ id: "extras", kind: "plain" });
  await client.enrol({ groupId: "extras", capture: packet, member: extra });
  const replay = await refusal(
    client.enrol({ groupId: "extras", capture: packet, member: createIdentity() }),
  );
  expect([replay.code, replay.status]).toEqual(["CHALLENGE_REPLAYED", 409]);
  // A revoked device: its captures are refused from then on.
  const revoked = DeviceKey.fromSeed("server-e2e-revoked-device");
  await client.registerDevice(revoked.publicKey);
  const fresh = kitRandomCode(unit(xorshift32(78, 0x9e3779b9)), DEFAULT_PROFILE.geometry, 0.9);
  const before = await signed(client, fresh, revoked);
  expect((await client.revokeDevice(revoked.deviceId)).revokedAt).toEqual(expect.any(Number));
  const refused = await refusal(
    client.enrol({ groupId: "extras", capture: before, member: createIdentity() }),
  );
  expect([refused.code, refused.status]).toEqual(["DEVICE_REVOKED", 422]);

  const receipts: VoteReceipt[] = [];
  for (const proof of proofs.tally) receipts.push(await client.submitVote("tally", proof));
  expect(receipts.map((r) => r.option)).toEqual(CHOICES);
  const again = await refusal(client.submitVote("tally", proofs.tally[1]!));
  expect([again.code, again.status]).toEqual(["DUPLICATE_NULLIFIER", 409]);
  // A proof for another poll's scope.
  const scope = await refusal(client.submitVote("tally", proofs.concurrent));
  expect([scope.code, scope.status]).toEqual(["SCOPE_MISMATCH", 422]);
  expect(await client.tally("tally")).toEqual({
    pollId: "tally",
    options: ["a", "b", "c"],
    counts: [1, 2, 1],
    total: 4,
  });
  const log = await auditLog(client, "tally");
  expect(log.votes.map((v: { nullifier: string }) => v.nullifier)).toEqual(
    receipts.map((r) => r.nullifier.toString()),
  );
  const recounted = await recount(log);
  expect([recounted.counts, recounted.rejected]).toEqual([[1, 2, 1], []]);
}

/** 50 submissions of one proof at once: exactly one accepted, 49 refused as double votes. */
async function fiftyIdenticalVotes(client: ZkirisClient) {
  const outcomes = await Promise.allSettled(
    Array.from({ length: 50 }, () => client.submitVote("concurrent", proofs.concurrent)),
  );
  const accepted = outcomes.filter((o) => o.status === "fulfilled");
  const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected");
  expect(accepted).toHaveLength(1);
  expect(
    refused.map((o) => [(o.reason as ZkirisSdkError).code, (o.reason as ZkirisSdkError).status]),
  ).toEqual(Array.from({ length: 49 }, () => ["DUPLICATE_NULLIFIER", 409]));
  expect((await client.tally("concurrent")).total).toBe(1);
}

/** The public audit log (the SDK has no method for it). */
async function auditLog(client: ZkirisClient, pollId: string) {
  const response = await fetch(`${client.baseUrl}/polls/${pollId}/audit-log`);
  expect(response.status).toBe(200);
  return response.json();
}

describe("the server over HTTP on SQLite, through the SDK", () => {
  let service: Awaited<ReturnType<typeof startService>>;
  const database = () => path.join(dir, "main.sqlite");

  beforeAll(async () => {
    service = await startService(database());
    await populate(service.client, ["tally", "concurrent", "burst"]);
    const artifacts = nodeArtifacts();
    const prove = (poll: string, i: number, option: number) =>
      service.client.proveVote(poll, identities[i]!, option, { artifacts });
    const tally: UniqueActionProof[] = [];
    for (const [i, option] of CHOICES.entries()) tally.push(await prove("tally", i, option));
    const concurrent = await prove("concurrent", 4, 2);
    const burst: UniqueActionProof[] = [];
    for (let i = 0; i < VOTERS; i++) burst.push(await prove("burst", i, i % 3));
    proofs = { tally, concurrent, burst };
  });
  afterAll(async () => {
    await service?.close();
  });

  it("enrols, refuses a duplicate eye, a replayed capture and a revoked device, counts votes once and recounts", async () => {
    await enrolmentToTally(service.client);
  });

  it("accepts exactly one of 50 concurrent identical votes; the 49 others are DUPLICATE_NULLIFIER 409", async () => {
    await fiftyIdenticalVotes(service.client);
  });

  it("answers malformed, oversized and mistyped bodies with their status and code", async () => {
    const url = `${service.server.url}/polls/tally/votes`;
    const post = (body: BodyInit, type = "application/json") =>
      fetch(url, { method: "POST", headers: { "content-type": type }, body });
    const expectError = async (response: Response, status: number, code: string) => {
      const body = (await response.json()) as { error: { code: string } };
      expect([response.status, body.error.code, response.headers.get("x-zkiris-error")]).toEqual([
        status,
        code,
        code,
      ]);
    };
    await expectError(await post('{"proof": {"merkleTreeDepth": 4,'), 400, "MALFORMED_JSON");
    await expectError(
      await post(JSON.stringify({ proof: { points: "x".repeat(300 * 1024) } })),
      413,
      "PAYLOAD_TOO_LARGE",
    );
    await expectError(await post("proof=1", "text/plain"), 415, "UNSUPPORTED_MEDIA_TYPE");
    await expectError(
      await post(new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])),
      400,
      "INVALID_UTF8",
    );
    await expectError(
      await post(JSON.stringify({ proof: proofToJson(proofs.tally[0]!), extra: 1 })),
      400,
      "INVALID_PARAMETER",
    );
    await expectError(await post(JSON.stringify([1, 2])), 400, "INVALID_PARAMETER");
    await expectError(
      await fetch(`${service.server.url}/enrolments`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      }),
      400,
      "INVALID_PARAMETER",
    );
    // Nothing of it was stored.
    expect((await service.client.tally("tally")).total).toBe(4);
  });

  it("serves the same state after a restart on the same file, and takes the next vote", async () => {
    const before = {
      groups: await service.client.groups(),
      polls: await service.client.polls(),
      roots: await service.client.roots("citizens"),
      tally: await service.client.tally("tally"),
      members: await service.client.members("citizens"),
    };
    await service.close();
    await service.close(); // idempotent
    service = await startService(database());
    expect({
      groups: await service.client.groups(),
      polls: await service.client.polls(),
      roots: await service.client.roots("citizens"),
      tally: await service.client.tally("tally"),
      members: await service.client.members("citizens"),
    }).toEqual(before);
    const receipt = await service.client.submitVote("burst", proofs.burst[0]!);
    expect(receipt.option).toBe(0);
    const twice = await refusal(service.client.submitVote("tally", proofs.tally[0]!));
    expect(twice.code).toBe("DUPLICATE_NULLIFIER");
  });
});

describe.skipIf(!POSTGRES.available)(
  needs(POSTGRES, "the server over HTTP on PostgreSQL, through the SDK"),
  () => {
    const schema = `e2e_${process.pid}_${Date.now().toString(36)}`;
    let service: Awaited<ReturnType<typeof startService>>;

    beforeAll(async () => {
      service = await startService({ postgres: process.env.ZKIRIS_TEST_DATABASE_URL!, schema });
      await populate(service.client, ["tally", "concurrent"]);
      // The same members in the same order as on SQLite: the same root, so the same proofs.
      expect((await service.client.group("citizens")).root).toBe(proofs.tally[0]!.merkleTreeRoot);
    });
    afterAll(async () => {
      await service?.close();
      const db = new pg.Client({ connectionString: process.env.ZKIRIS_TEST_DATABASE_URL });
      await db.connect();
      await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await db.end();
    });

    it("enrols, refuses a duplicate eye, a replayed capture and a revoked device, counts votes once and recounts", async () => {
      await enrolmentToTally(service.client);
    });

    it("accepts exactly one of 50 concurrent identical votes; the 49 others are DUPLICATE_NULLIFIER 409", async () => {
      await fiftyIdenticalVotes(service.client);
    });
  },
);

interface Served {
  readonly child: ChildProcessWithoutNullStreams;
  readonly url: string;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `zkiris serve` from the sources as a child process, once it prints where it listens. */
async function serve(database: string): Promise<Served> {
  const child = spawn(
    process.execPath,
    [
      "--conditions=zkiris-source",
      "--import",
      "tsx",
      MAIN,
      "serve",
      "--database",
      database,
      "--port",
      "0",
      "--admin-token",
      TOKEN,
      "--log-level",
      "warn",
    ],
    { env: { ...process.env } },
  );
  let stderr = "";
  child.stdout.resume();
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
      const found = /listening on (http:\/\/\S+)/.exec(stderr);
      if (found && /OpenAPI .*\n/.test(stderr)) resolve(found[1]!);
    });
    void exit.then(({ code }) => reject(new Error(`zkiris serve exited with ${code}: ${stderr}`)));
  });
  return { child, url, exit };
}

describe("zkiris serve killed with SIGKILL in the middle of a burst of votes", () => {
  it("restarts on the same file and its recount agrees with every receipt it gave", async () => {
    const database = path.join(dir, "killed.sqlite");
    {
      const service = await startService(database);
      await populate(service.client, ["burst"]);
      await service.close();
    }
    const first = await serve(database);
    const client = new ZkirisClient({ baseUrl: first.url });
    const receipts: VoteReceipt[] = [];
    let killed = false;
    const burst = proofs.burst.map((proof) =>
      client.submitVote("burst", proof).then(
        (receipt) => {
          receipts.push(receipt);
          // The first answer: the rest of the burst is on the wire or being verified.
          if (!killed) {
            killed = true;
            first.child.kill("SIGKILL");
          }
        },
        (error: unknown) => error,
      ),
    );
    const failures = (await Promise.all(burst)).filter((e) => e !== undefined);
    expect(await first.exit).toEqual({ code: null, signal: "SIGKILL" });
    // Whatever did not answer failed on the connection, never with a refusal of the vote.
    for (const error of failures)
      expect(ZkirisError.is(error) && ["NETWORK", "CLOSED"].includes(error.code)).toBe(true);
    expect(receipts.length).toBeGreaterThanOrEqual(1);
    await client.close();

    const second = await serve(database);
    const after = new ZkirisClient({ baseUrl: second.url });
    try {
      const log = await auditLog(after, "burst");
      const logged = new Set(log.votes.map((v: { nullifier: string }) => v.nullifier));
      // Every receipt given before the kill is in the log; a vote committed without its answer may be too.
      for (const r of receipts) expect(logged.has(r.nullifier.toString())).toBe(true);
      expect(log.votes.length).toBeGreaterThanOrEqual(receipts.length);
      expect(log.votes.length).toBeLessThanOrEqual(VOTERS);
      const recounted = await recount(log);
      const tally = await after.tally("burst");
      expect(recounted.rejected).toEqual([]);
      expect([recounted.counts, recounted.total]).toEqual([tally.counts, log.votes.length]);
      expect(tally.total).toBe(log.votes.length);
      // The burst again: what was stored is a double vote, the rest is accepted, nothing twice.
      const resent = await Promise.allSettled(proofs.burst.map((proof) => after.submitVote("burst", proof)));
      const refusedAgain = resent.filter((o): o is PromiseRejectedResult => o.status === "rejected");
      expect(refusedAgain.map((o) => (o.reason as ZkirisSdkError).code)).toEqual(
        Array.from({ length: log.votes.length }, () => "DUPLICATE_NULLIFIER"),
      );
      const final = await after.tally("burst");
      expect(final.total).toBe(VOTERS);
      expect(final.counts).toEqual([6, 5, 5]);
    } finally {
      await after.close();
      second.child.kill("SIGTERM");
      expect(await second.exit).toEqual({ code: 0, signal: null });
    }
  });
});
