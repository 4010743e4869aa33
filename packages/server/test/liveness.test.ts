// A liveness-required poll over HTTP with one real liveness-bound vote (committed default-profile
// artifacts of circuits/artifacts/liveness_vote): created by the admin, its challenge fetched, the
// vote cast and refused again, a plain proof refused, the tally and the audit log (recounted
// offline). Every response body is checked against the served OpenAPI document by the client.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Group } from "@semaphore-protocol/group";
import { Identity } from "@semaphore-protocol/identity";
import { DeviceKey, parseCapturePacket, signCapture } from "@zkiris/device";
import { DEFAULT_PROFILE, templateCommitment } from "@zkiris/iris-code";
import {
  type LivenessVoteArtifacts,
  livenessCaptureChallenge,
  loadLivenessVoteArtifacts,
  proveLivenessVote,
} from "@zkiris/match-proof";
import { type AuditLog, Registry, recount } from "@zkiris/registry";
import { startServer, type ZkirisServer } from "@zkiris/server";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Client, randomCode, recapture, sqliteDatabase, type TestDatabase } from "./helpers.js";

const here = dirname(fileURLToPath(import.meta.url));
const LIVENESS_ARTIFACTS = join(here, "..", "..", "..", "circuits", "artifacts", "liveness_vote");
const key = DeviceKey.fromSeed("server-liveness-camera");
const alice = new Identity("server-liveness-alice");

let artifacts: LivenessVoteArtifacts;
let db: TestDatabase;
let registry: Registry;
let server: ZkirisServer;
let api: Client;

beforeAll(async () => {
  artifacts = await loadLivenessVoteArtifacts(LIVENESS_ARTIFACTS);
  db = sqliteDatabase();
  registry = await Registry.open({
    database: db.location,
    profile: { ...DEFAULT_PROFILE, ...artifacts.profile },
    searchWorkers: 0,
    verifierWorkers: 1,
    livenessArtifacts: artifacts,
  });
  server = await startServer(registry, {
    adminToken: "test-admin-token-0123456789",
    rateLimit: false,
    log: false,
  });
  api = new Client(server);
}, 120_000);

afterAll(async () => {
  await server?.close();
  await registry?.close();
  await db?.drop();
  await artifacts?.close();
});

it("creates a liveness poll, hands out its challenge and takes one liveness-bound vote per person", async () => {
  expect((await api.call("POST", "/devices", { publicKey: key.publicKey.map(String) })).status).toBe(201);
  expect((await api.call("POST", "/groups", { id: "bio", kind: "biometric" })).status).toBe(201);
  expect((await api.call("POST", "/groups", { id: "plain", kind: "plain" })).status).toBe(201);
  const template = randomCode(41);
  const salt = 4242n;
  const { body: issued } = await api.call("POST", "/challenges");
  const enrolled = await api.call("POST", "/enrolments", {
    groupId: "bio",
    capture: signCapture(key, template, BigInt(issued.challenge), { focus: 1 }),
    identityCommitment: alice.commitment.toString(),
    templateCommitment: templateCommitment(template, salt).toString(),
    salt: salt.toString(),
  });
  expect(enrolled.status).toBe(201);

  const window = { options: ["yes", "no"], opensAt: Date.now() - 1000, closesAt: Date.now() + 3_600_000 };
  const created = await api.call("POST", "/polls", {
    id: "live",
    groupId: "bio",
    requireLiveness: true,
    ...window,
  });
  expect(created.status).toBe(201);
  expect(created.body.requireLiveness).toBe(true);
  expect((await api.call("POST", "/polls", { id: "plain-poll", groupId: "plain", ...window })).status).toBe(
    201,
  );
  const refusedKind = await api.call("POST", "/polls", {
    id: "x",
    groupId: "plain",
    requireLiveness: true,
    ...window,
  });
  expect([refusedKind.status, refusedKind.body.error.code, refusedKind.body.error.field]).toEqual([
    400,
    "INVALID_PARAMETER",
    "requireLiveness",
  ]);

  const challenge = await api.call("POST", "/polls/live/challenges");
  expect(challenge.status).toBe(200);
  const scope = BigInt(created.body.scope);
  expect(challenge.body.captureChallenge).toBe(
    livenessCaptureChallenge(scope, BigInt(challenge.body.challenge)).toString(),
  );
  expect((await api.call("POST", "/polls/live/challenges")).body.challenge).toBe(challenge.body.challenge);
  const plainChallenge = await api.call("POST", "/polls/plain-poll/challenges");
  expect([plainChallenge.status, plainChallenge.body.error.code]).toEqual([422, "LIVENESS_NOT_REQUIRED"]);
  // The challenges issued so far, public: the one every voter got.
  expect((await api.call("GET", "/polls/live/challenges")).body).toEqual({
    challenges: [
      {
        pollId: "live",
        value: challenge.body.challenge,
        issuedAt: challenge.body.issuedAt,
        expiresAt: challenge.body.expiresAt,
      },
    ],
  });
  const plainList = await api.call("GET", "/polls/plain-poll/challenges");
  expect([plainList.status, plainList.body.error.code]).toEqual([422, "LIVENESS_NOT_REQUIRED"]);
  const noPoll = await api.call("GET", "/polls/nowhere/challenges");
  expect([noPoll.status, noPoll.body.error.code]).toEqual([404, "UNKNOWN_POLL"]);

  const members = (await api.call("GET", "/groups/bio/members")).body.members as string[];
  const packet = signCapture(
    key,
    recapture(template, 7, 0.05, 2),
    BigInt(challenge.body.captureChallenge),
    {},
  );
  const vote = await proveLivenessVote(
    {
      identity: alice,
      group: new Group(members.map(BigInt)),
      template,
      salt,
      capture: parseCapturePacket(JSON.stringify(packet)),
      deviceProof: registry.deviceProof(key.deviceId),
      scope,
      message: 1,
      challenge: BigInt(challenge.body.challenge),
    },
    { artifacts },
  );

  const plainProof = {
    merkleTreeDepth: 1,
    merkleTreeRoot: vote.merkleTreeRoot,
    nullifier: vote.nullifier,
    message: "1",
    scope: created.body.scope,
    points: Array(8).fill("1"),
  };
  const plain = await api.call("POST", "/polls/live/votes", { proof: plainProof });
  expect([plain.status, plain.body.error.code]).toEqual([422, "LIVENESS_REQUIRED"]);
  const wrongPoll = await api.call("POST", "/polls/plain-poll/liveness-votes", { proof: vote });
  expect([wrongPoll.status, wrongPoll.body.error.code]).toEqual([422, "LIVENESS_NOT_REQUIRED"]);

  const accepted = await api.call("POST", "/polls/live/liveness-votes", { proof: vote });
  expect(accepted.status).toBe(201);
  expect(accepted.body).toMatchObject({ pollId: "live", option: 1, nullifier: vote.nullifier });
  const again = await api.call("POST", "/polls/live/liveness-votes", { proof: vote });
  expect([again.status, again.body.error.code]).toEqual([409, "DUPLICATE_NULLIFIER"]);

  expect((await api.call("GET", "/polls/live/tally")).body).toEqual({
    pollId: "live",
    options: ["yes", "no"],
    counts: [0, 1],
    total: 1,
  });
  const log = await api.call("GET", "/polls/live/audit-log");
  expect(log.status).toBe(200);
  expect(log.body.version).toBe(2);
  expect(await recount(log.body as AuditLog, { livenessArtifacts: artifacts })).toEqual({
    pollId: "live",
    counts: [0, 1],
    total: 1,
    rejected: [],
  });
}, 300_000);
