import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type {
  CapturesEnrolmentRequest,
  DeviceRecord,
  EnrolmentReceipt,
  EnrolmentRequest,
  GroupInfo,
  PollInfo,
  PollRequest,
  RecoveryRequest,
  Registry,
} from "@zkiris/registry";
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteShorthandOptions } from "fastify";
import { Type } from "typebox";
import { ServerError } from "./errors.js";
import * as S from "./schemas.js";

/** The Fastify instance the routes are registered on. */
export type App = FastifyInstance<
  import("node:http").Server,
  import("node:http").IncomingMessage,
  import("node:http").ServerResponse,
  import("fastify").FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** Hooks the server hands the routes: the admin check and the rate limits of unauthenticated routes. */
export interface RouteGuards {
  readonly admin: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /** Route config for unauthenticated writes (challenges, enrolments, votes, recovery). */
  readonly writeLimit: Record<string, unknown>;
  /** Route config for unauthenticated reads. */
  readonly readLimit: Record<string, unknown>;
}

const errorResponses = {
  "4xx": Type.Ref("Error", { description: "Refusal of the caller's request, with a stable error code" }),
  "5xx": Type.Ref("Error", { description: "Fault of the server (storage, workers, shutting down)" }),
};

function deviceJson(device: DeviceRecord) {
  return { ...device, publicKey: [...device.publicKey] };
}

function pollJson(poll: PollInfo) {
  return { ...poll, options: [...poll.options] };
}

function groupJson(group: GroupInfo) {
  return { ...group, root: group.root.toString() };
}

function receiptJson(receipt: EnrolmentReceipt) {
  return { ...receipt, leaf: receipt.leaf.toString(), root: receipt.root.toString() };
}

/** The registry's routes, each with one schema for validation, serialisation and the OpenAPI document. */
export function registerRoutes(app: App, registry: Registry, guards: RouteGuards): void {
  const adminOnly = { onRequest: guards.admin, schema: { security: [{ adminToken: [] }] } };
  const open = (write: boolean): RouteShorthandOptions => ({
    config: { rateLimit: write ? guards.writeLimit : guards.readLimit },
  });

  app.post(
    "/devices",
    {
      onRequest: adminOnly.onRequest,
      schema: {
        ...adminOnly.schema,
        operationId: "registerDevice",
        summary: "Register a capture device by its EdDSA-Poseidon public key",
        tags: ["devices"],
        body: S.RegisterDeviceBody,
        response: { 201: S.Device, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { publicKey } = request.body;
      return reply.code(201).send(deviceJson(await registry.registerDevice([publicKey[0]!, publicKey[1]!])));
    },
  );

  app.get(
    "/devices/:deviceId",
    {
      ...open(false),
      schema: {
        operationId: "getDevice",
        summary: "A registered device",
        tags: ["devices"],
        params: S.DeviceParams,
        response: { 200: S.Device, ...errorResponses },
      },
    },
    async (request) => deviceJson(await registry.device(request.params.deviceId)),
  );

  app.post(
    "/devices/:deviceId/revoke",
    {
      onRequest: adminOnly.onRequest,
      schema: {
        ...adminOnly.schema,
        operationId: "revokeDevice",
        summary: "Revoke a device; its captures are refused from now on",
        tags: ["devices"],
        params: S.DeviceParams,
        response: { 200: S.Device, ...errorResponses },
      },
    },
    async (request) => deviceJson(await registry.revokeDevice(request.params.deviceId)),
  );

  app.get(
    "/devices/:deviceId/proof",
    {
      ...open(false),
      schema: {
        operationId: "getDeviceProof",
        summary:
          "Inclusion proof of a trusted device in the device registry tree (input of the match prover)",
        tags: ["devices"],
        params: S.DeviceParams,
        response: { 200: S.DeviceProof, ...errorResponses },
      },
    },
    async (request) => {
      const p = registry.deviceProof(request.params.deviceId);
      return {
        root: String(p.root),
        leaf: String(p.leaf),
        leafIndex: p.leafIndex,
        siblings: p.siblings.map(String),
        pathIndices: p.pathIndices as (0 | 1)[],
      };
    },
  );

  app.get(
    "/device-registry",
    {
      ...open(false),
      schema: {
        operationId: "getDeviceRegistry",
        summary:
          "Root of the device registry tree (the deviceRoot of match proofs), used slots and trusted devices",
        tags: ["devices"],
        response: { 200: S.DeviceRegistry, ...errorResponses },
      },
    },
    async () => {
      const { root, slots, trusted } = registry.deviceRegistry();
      return { root: root.toString(), slots, trusted };
    },
  );

  app.get(
    "/device-registry/roots",
    {
      ...open(false),
      schema: {
        operationId: "getDeviceRootHistory",
        summary:
          "Root history of the device registry tree and how long a replaced root still accepts liveness-bound votes (what an off-chain verifier checks a vote's deviceRoot against)",
        tags: ["devices"],
        response: { 200: S.DeviceRootHistory, ...errorResponses },
      },
    },
    async () => {
      const { devices } = registry.services;
      return { deviceRootExpiryMs: devices.deviceRootExpiryMs, roots: await devices.rootHistory() };
    },
  );

  app.post(
    "/challenges",
    {
      ...open(true),
      schema: {
        operationId: "issueChallenge",
        summary: "Issue a one-time capture challenge",
        tags: ["enrolment"],
        response: { 201: S.Challenge, ...errorResponses },
      },
    },
    async (_request, reply) => {
      const { challenge, expiresAt } = await registry.issueChallenge();
      return reply.code(201).send({ challenge: challenge.toString(), expiresAt });
    },
  );

  app.post(
    "/enrolments",
    {
      ...open(true),
      schema: {
        operationId: "enrol",
        summary: "Enrol one eye from a signed capture into a group",
        tags: ["enrolment"],
        body: S.EnrolBody,
        response: { 201: S.EnrolmentReceipt, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply.code(201).send(receiptJson(await registry.enrol(request.body as unknown as EnrolmentRequest))),
  );

  app.post(
    "/enrolments/captures",
    {
      ...open(true),
      schema: {
        operationId: "enrolFromCaptures",
        summary:
          "Enrol one eye from 3 to 5 signed captures: consistency check, majority-vote template, fail-closed duplicate check",
        tags: ["enrolment"],
        body: S.EnrolFromCapturesBody,
        response: { 201: S.EnrolmentReceipt, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          receiptJson(await registry.enrolFromCaptures(request.body as unknown as CapturesEnrolmentRequest)),
        ),
  );

  app.get(
    "/groups",
    {
      ...open(false),
      schema: {
        operationId: "listGroups",
        summary: "Every group with its current root, depth and size, in creation order",
        tags: ["groups"],
        response: { 200: S.GroupList, ...errorResponses },
      },
    },
    async () => ({ groups: registry.groups().map(groupJson) }),
  );

  app.post(
    "/groups",
    {
      onRequest: adminOnly.onRequest,
      schema: {
        ...adminOnly.schema,
        operationId: "createGroup",
        summary: "Create an empty Semaphore group",
        tags: ["groups"],
        body: S.CreateGroupBody,
        response: { 201: S.Group, ...errorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(groupJson(await registry.createGroup(request.body))),
  );

  app.get(
    "/groups/:groupId",
    {
      ...open(false),
      schema: {
        operationId: "getGroup",
        summary: "Current root, depth and size of a group",
        tags: ["groups"],
        params: S.GroupParams,
        response: { 200: S.Group, ...errorResponses },
      },
    },
    async (request) => groupJson(registry.group(request.params.groupId)),
  );

  app.get(
    "/groups/:groupId/members",
    {
      ...open(false),
      schema: {
        operationId: "listMembers",
        summary:
          "Leaves of a group in index order (0 for removed members) and the removed indices: rebuild with new Group(leaves, 1 at each removed index) then removeMember(i) for each",
        tags: ["groups"],
        params: S.GroupParams,
        response: { 200: S.MemberList, ...errorResponses },
      },
    },
    async (request) => {
      const list = registry.memberList(request.params.groupId);
      return { members: list.members.map(String), removed: list.removed };
    },
  );

  app.get(
    "/groups/:groupId/members/:index/proof",
    {
      ...open(false),
      schema: {
        operationId: "getMerkleProof",
        summary: "LeanIMT Merkle proof of a member",
        tags: ["groups"],
        params: S.MemberParams,
        response: { 200: S.MerkleProof, ...errorResponses },
      },
    },
    async (request) => {
      const proof = registry.merkleProof(request.params.groupId, Number(request.params.index));
      return {
        root: proof.root.toString(),
        leaf: proof.leaf.toString(),
        index: proof.index,
        siblings: proof.siblings.map(String),
      };
    },
  );

  app.delete(
    "/groups/:groupId/members/:index",
    {
      onRequest: adminOnly.onRequest,
      schema: {
        ...adminOnly.schema,
        operationId: "removeMember",
        summary: "Remove a member (its leaf becomes 0; its eye may enrol again)",
        tags: ["groups"],
        params: S.MemberParams,
        response: { 200: S.RootAfterRemoval, ...errorResponses },
      },
    },
    async (request) => ({
      root: (await registry.removeMember(request.params.groupId, Number(request.params.index))).toString(),
    }),
  );

  app.post(
    "/groups/:groupId/members/:index/recover",
    {
      ...open(true),
      schema: {
        operationId: "recoverMember",
        summary: "Replace a member's lost identity after a match proof against its enrolled template",
        tags: ["groups"],
        params: S.MemberParams,
        body: S.RecoverBody,
        response: { 200: S.EnrolmentReceipt, ...errorResponses },
      },
    },
    async (request) =>
      receiptJson(
        await registry.recoverMember({
          groupId: request.params.groupId,
          memberIndex: Number(request.params.index),
          newIdentityCommitment: request.body.newIdentityCommitment,
          matchProof: request.body.matchProof as unknown as RecoveryRequest["matchProof"],
        }),
      ),
  );

  app.get(
    "/groups/:groupId/roots",
    {
      ...open(false),
      schema: {
        operationId: "getRootHistory",
        summary: "Root history of a group, oldest first",
        tags: ["groups"],
        params: S.GroupParams,
        response: { 200: S.RootList, ...errorResponses },
      },
    },
    async (request) => ({ roots: await registry.rootHistory(request.params.groupId) }),
  );

  app.get(
    "/polls",
    {
      ...open(false),
      schema: {
        operationId: "listPolls",
        summary: "Every poll's definition, oldest first",
        tags: ["polls"],
        response: { 200: S.PollList, ...errorResponses },
      },
    },
    async () => ({ polls: (await registry.polls()).map(pollJson) }),
  );

  app.post(
    "/polls",
    {
      onRequest: adminOnly.onRequest,
      schema: {
        ...adminOnly.schema,
        operationId: "createPoll",
        summary: "Create a poll over a group",
        tags: ["polls"],
        body: S.CreatePollBody,
        response: { 201: S.Poll, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply.code(201).send(pollJson(await registry.createPoll(request.body as unknown as PollRequest))),
  );

  app.get(
    "/polls/:pollId",
    {
      ...open(false),
      schema: {
        operationId: "getPoll",
        summary: "A poll's definition",
        tags: ["polls"],
        params: S.PollParams,
        response: { 200: S.Poll, ...errorResponses },
      },
    },
    async (request) => pollJson(await registry.poll(request.params.pollId)),
  );

  app.post(
    "/polls/:pollId/votes",
    {
      ...open(true),
      schema: {
        operationId: "vote",
        summary: "Cast a vote with a Semaphore proof (message = option index, scope = poll scope)",
        tags: ["polls"],
        params: S.PollParams,
        body: S.VoteBody,
        response: { 201: S.Vote, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          await registry.vote(
            request.params.pollId,
            request.body.proof as unknown as Parameters<Registry["vote"]>[1],
          ),
        ),
  );

  app.post(
    "/polls/:pollId/challenges",
    {
      ...open(true),
      schema: {
        operationId: "getPollChallenge",
        summary:
          "The current liveness challenge of a poll that requires liveness (the same for every voter until half its lifetime has passed, then a new one), with the challenge the capture device signs",
        tags: ["polls"],
        params: S.PollParams,
        response: { 200: S.PollChallenge, ...errorResponses },
      },
    },
    async (request) => {
      const c = await registry.pollChallenge(request.params.pollId);
      return {
        ...c,
        challenge: c.challenge.toString(),
        captureChallenge: c.captureChallenge.toString(),
      };
    },
  );

  app.get(
    "/polls/:pollId/challenges",
    {
      ...open(false),
      schema: {
        operationId: "listPollChallenges",
        summary:
          "Every liveness challenge a poll that requires liveness issued, oldest first, with its lifetime (what an off-chain verifier checks a vote's challenge against)",
        tags: ["polls"],
        params: S.PollParams,
        response: { 200: S.IssuedPollChallenges, ...errorResponses },
      },
    },
    async (request) => ({ challenges: await registry.pollChallenges(request.params.pollId) }),
  );

  app.post(
    "/polls/:pollId/liveness-votes",
    {
      ...open(true),
      schema: {
        operationId: "livenessVote",
        summary:
          "Cast a liveness-bound vote in a poll that requires liveness (message = option index, scope = poll scope, challenge = the poll's, device root = the registry's)",
        tags: ["polls"],
        params: S.PollParams,
        body: S.LivenessVoteBody,
        response: { 201: S.Vote, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          await registry.livenessVote(
            request.params.pollId,
            request.body.proof as unknown as Parameters<Registry["livenessVote"]>[1],
          ),
        ),
  );

  app.get(
    "/polls/:pollId/tally",
    {
      ...open(false),
      schema: {
        operationId: "getTally",
        summary: "Votes per option",
        tags: ["polls"],
        params: S.PollParams,
        response: { 200: S.Tally, ...errorResponses },
      },
    },
    async (request) => registry.tally(request.params.pollId),
  );

  app.get(
    "/polls/:pollId/audit-log",
    {
      ...open(false),
      schema: {
        operationId: "getAuditLog",
        summary:
          "Public audit log: the poll, its group's root history and every accepted proof (input of recount)",
        tags: ["polls"],
        params: S.PollParams,
        response: { 200: S.AuditLog, ...errorResponses },
      },
    },
    async (request) => registry.auditLog(request.params.pollId),
  );

  app.get(
    "/backup",
    {
      onRequest: adminOnly.onRequest,
      schema: {
        ...adminOnly.schema,
        operationId: "getBackup",
        summary:
          "A consistent copy of the embedded SQLite database, taken while the server keeps serving (the file is locked to this process); 501 BACKUP_UNSUPPORTED on PostgreSQL",
        tags: ["service"],
        response: {
          200: {
            description: "The SQLite database file",
            content: { "application/vnd.sqlite3": { schema: { type: "string", format: "binary" } } },
          },
          ...errorResponses,
        },
      },
    },
    async (_request, reply) => {
      const dir = await mkdtemp(join(tmpdir(), "zkiris-backup-"));
      const file = join(dir, "backup.sqlite");
      try {
        await registry.backup(file);
      } catch (error) {
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
      const stream = createReadStream(file);
      stream.on("close", () => void rm(dir, { recursive: true, force: true }));
      return reply
        .type("application/vnd.sqlite3")
        .header("content-disposition", 'attachment; filename="zkiris-backup.sqlite"')
        .send(stream);
    },
  );

  app.get(
    "/health",
    {
      schema: {
        operationId: "getHealth",
        summary: "Liveness: the process answers HTTP",
        tags: ["service"],
        response: { 200: S.Health, ...errorResponses },
      },
    },
    async () => ({ status: "ok" as const }),
  );

  app.get(
    "/ready",
    {
      schema: {
        operationId: "getReadiness",
        summary: "Readiness: the database answers a query (503 NOT_READY otherwise)",
        tags: ["service"],
        response: { 200: S.Ready, ...errorResponses },
      },
    },
    async () => {
      try {
        await registry.ping();
      } catch (error) {
        throw new ServerError("NOT_READY", "The database does not answer a query", { cause: error });
      }
      return { status: "ready" as const, database: registry.repository.dialect };
    },
  );
}
