import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { SemaphoreProof } from "@semaphore-protocol/proof";
import { ZkirisError } from "@zkiris/iris-code";
import { HttpError, InvalidParameterError } from "./errors.js";
import {
  type CapturesEnrolmentRequest,
  type EnrolmentRequest,
  type GroupInfo,
  MAX_ENROLMENT_CAPTURES,
  MIN_ENROLMENT_CAPTURES,
  type PollRequest,
  type RecoveryRequest,
  type Registry,
} from "./registry.js";
import { object } from "./validation.js";

/** Options of {@link startRegistryServer}. */
export interface RegistryServerOptions {
  /** TCP port; 0 picks a free one. Default 0. */
  readonly port?: number;
  /** Interface to bind. Default `127.0.0.1`. */
  readonly host?: string;
  /** Largest accepted request body in bytes. Default 256 KiB. */
  readonly bodyLimitBytes?: number;
  /**
   * Bearer token required by the administrative routes (devices, groups, polls, member removal).
   * Without it those routes are open, which suits only a development setup.
   */
  readonly adminToken?: string;
  /** Called with every unexpected (500) error, for logging. */
  readonly onError?: (error: unknown) => void;
}

/** A running HTTP server over a registry. `close()` stops the server (not the registry). */
export interface RegistryServer {
  readonly server: Server;
  readonly port: number;
  /** `http://host:port` */
  readonly url: string;
  close(): Promise<void>;
}

type Params = Record<string, string>;
type Handler = (
  registry: Registry,
  params: Params,
  body: unknown,
) => Promise<{ status: number; body: unknown }>;

/** One HTTP route; the same table drives the router and the OpenAPI document. */
export interface RouteSpec {
  readonly method: "GET" | "POST" | "DELETE";
  /** OpenAPI path template, e.g. `/groups/{groupId}`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly admin: boolean;
  readonly requestSchema?: Record<string, unknown>;
  readonly responseStatus: number;
  readonly responseSchema: Record<string, unknown>;
  readonly handler: Handler;
}

const decimal = { type: "string", pattern: "^(0|[1-9][0-9]*)$", description: "Field element, decimal" };
const identifierSchema = { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$" };
const deviceSchema = {
  type: "object",
  required: ["id", "publicKey", "registeredAt", "revokedAt"],
  properties: {
    id: decimal,
    publicKey: { type: "array", items: decimal, minItems: 2, maxItems: 2 },
    registeredAt: { type: "integer" },
    revokedAt: { type: ["integer", "null"] },
  },
};
const groupSchema = {
  type: "object",
  required: ["id", "kind", "root", "depth", "size"],
  properties: {
    id: identifierSchema,
    kind: { enum: ["plain", "biometric"] },
    root: decimal,
    depth: { type: "integer" },
    size: { type: "integer" },
  },
};
const rootRecordSchema = {
  type: "object",
  required: ["groupId", "root", "createdAt", "replacedAt"],
  properties: {
    groupId: identifierSchema,
    root: decimal,
    createdAt: { type: "integer" },
    replacedAt: { type: ["integer", "null"] },
  },
};
const pollSchema = {
  type: "object",
  required: ["id", "groupId", "scope", "options", "opensAt", "closesAt", "createdAt"],
  properties: {
    id: identifierSchema,
    groupId: identifierSchema,
    scope: decimal,
    options: {
      type: "array",
      items: { type: "string", minLength: 1, maxLength: 200 },
      minItems: 2,
      maxItems: 64,
    },
    opensAt: { type: "integer", description: "Unix milliseconds" },
    closesAt: { type: "integer", description: "Unix milliseconds (exclusive)" },
    createdAt: { type: "integer" },
  },
};
const enrolmentReceiptSchema = {
  type: "object",
  required: ["groupId", "memberIndex", "leaf", "root"],
  properties: {
    groupId: identifierSchema,
    memberIndex: { type: "integer" },
    leaf: decimal,
    root: decimal,
  },
};
const semaphoreProofSchema = {
  type: "object",
  required: ["merkleTreeDepth", "merkleTreeRoot", "nullifier", "message", "scope", "points"],
  properties: {
    merkleTreeDepth: { type: "integer", minimum: 1, maximum: 32 },
    merkleTreeRoot: decimal,
    nullifier: decimal,
    message: { ...decimal, description: "The option index" },
    scope: decimal,
    points: { type: "array", items: decimal, minItems: 8, maxItems: 8 },
  },
};
const voteSchema = {
  type: "object",
  required: ["seq", "pollId", "nullifier", "option", "root", "acceptedAt"],
  properties: {
    seq: { type: "integer" },
    pollId: identifierSchema,
    nullifier: decimal,
    option: { type: "integer" },
    root: decimal,
    acceptedAt: { type: "integer" },
  },
};
const errorSchema = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: { code: { type: "string" }, message: { type: "string" }, field: { type: "string" } },
    },
  },
};

function groupJson(group: GroupInfo) {
  return { ...group, root: group.root.toString() };
}

/** Refuses keys outside `allowed` and returns the object. */
/** A receipt with its field elements as decimal strings (JSON has no bigint). */
function receiptJson<T extends { readonly leaf: bigint; readonly root: bigint }>(
  receipt: T,
): Omit<T, "leaf" | "root"> & { leaf: string; root: string } {
  return { ...receipt, leaf: receipt.leaf.toString(), root: receipt.root.toString() };
}

function exactObject(value: unknown, field: string, allowed: readonly string[]): Record<string, unknown> {
  const obj = object(value, field);
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      throw new InvalidParameterError(
        key,
        `Field '${key}' is not accepted here; expected ${allowed.join(", ")}`,
      );
    }
  }
  return obj;
}

function pathIndex(params: Params): number {
  const raw = params.index!;
  if (!/^(0|[1-9][0-9]{0,14})$/.test(raw)) {
    throw new InvalidParameterError(
      "memberIndex",
      `Path parameter 'index' must be a non-negative integer, received ${raw}`,
    );
  }
  return Number(raw);
}

/** The routes of the registry API. */
export const ROUTES: readonly RouteSpec[] = [
  {
    method: "POST",
    path: "/devices",
    operationId: "registerDevice",
    summary: "Register a capture device by its EdDSA-Poseidon public key",
    admin: true,
    requestSchema: {
      type: "object",
      required: ["publicKey"],
      additionalProperties: false,
      properties: { publicKey: { type: "array", items: decimal, minItems: 2, maxItems: 2 } },
    },
    responseStatus: 201,
    responseSchema: deviceSchema,
    handler: async (registry, _params, body) => {
      const b = exactObject(body, "body", ["publicKey"]);
      return { status: 201, body: await registry.registerDevice(b.publicKey as [string, string]) };
    },
  },
  {
    method: "GET",
    path: "/devices/{deviceId}",
    operationId: "getDevice",
    summary: "A registered device",
    admin: false,
    responseStatus: 200,
    responseSchema: deviceSchema,
    handler: async (registry, params) => ({ status: 200, body: await registry.device(params.deviceId!) }),
  },
  {
    method: "POST",
    path: "/devices/{deviceId}/revoke",
    operationId: "revokeDevice",
    summary: "Revoke a device; its captures are refused from now on",
    admin: true,
    responseStatus: 200,
    responseSchema: deviceSchema,
    handler: async (registry, params) => ({
      status: 200,
      body: await registry.revokeDevice(params.deviceId!),
    }),
  },
  {
    method: "GET",
    path: "/devices/{deviceId}/proof",
    operationId: "getDeviceProof",
    summary: "Inclusion proof of a trusted device in the device registry tree (input of the match prover)",
    admin: false,
    responseStatus: 200,
    responseSchema: {
      type: "object",
      required: ["root", "leaf", "leafIndex", "siblings", "pathIndices"],
      properties: {
        root: decimal,
        leaf: decimal,
        leafIndex: { type: "integer" },
        siblings: { type: "array", items: decimal, minItems: 10, maxItems: 10 },
        pathIndices: { type: "array", items: { enum: [0, 1] }, minItems: 10, maxItems: 10 },
      },
    },
    handler: async (registry, params) => {
      const p = registry.deviceProof(params.deviceId!);
      return {
        status: 200,
        body: {
          root: String(p.root),
          leaf: String(p.leaf),
          leafIndex: p.leafIndex,
          siblings: p.siblings.map(String),
          pathIndices: p.pathIndices,
        },
      };
    },
  },
  {
    method: "GET",
    path: "/device-registry",
    operationId: "getDeviceRegistry",
    summary:
      "Root of the device registry tree (the deviceRoot of match proofs), used slots and trusted devices",
    admin: false,
    responseStatus: 200,
    responseSchema: {
      type: "object",
      required: ["root", "slots", "trusted"],
      properties: { root: decimal, slots: { type: "integer" }, trusted: { type: "integer" } },
    },
    handler: async (registry) => {
      const { root, slots, trusted } = registry.deviceRegistry();
      return { status: 200, body: { root: root.toString(), slots, trusted } };
    },
  },
  {
    method: "POST",
    path: "/challenges",
    operationId: "issueChallenge",
    summary: "Issue a one-time capture challenge",
    admin: false,
    responseStatus: 201,
    responseSchema: {
      type: "object",
      required: ["challenge", "expiresAt"],
      properties: { challenge: decimal, expiresAt: { type: "integer" } },
    },
    handler: async (registry) => {
      const { challenge, expiresAt } = await registry.issueChallenge();
      return { status: 201, body: { challenge: challenge.toString(), expiresAt } };
    },
  },
  {
    method: "POST",
    path: "/enrolments",
    operationId: "enrol",
    summary: "Enrol one eye from a signed capture into a group",
    admin: false,
    requestSchema: {
      type: "object",
      required: ["groupId", "capture", "identityCommitment", "templateCommitment", "salt"],
      additionalProperties: false,
      properties: {
        groupId: identifierSchema,
        capture: { type: "object", description: "Signed capture packet of @zkiris/device (version 1)" },
        identityCommitment: decimal,
        templateCommitment: decimal,
        salt: decimal,
      },
    },
    responseStatus: 201,
    responseSchema: enrolmentReceiptSchema,
    handler: async (registry, _params, body) => {
      const b = exactObject(body, "body", [
        "groupId",
        "capture",
        "identityCommitment",
        "templateCommitment",
        "salt",
      ]);
      const receipt = await registry.enrol(b as unknown as EnrolmentRequest);
      return {
        status: 201,
        body: receiptJson(receipt),
      };
    },
  },
  {
    method: "POST",
    path: "/enrolments/captures",
    operationId: "enrolFromCaptures",
    summary:
      "Enrol one eye from 3 to 5 signed captures: consistency check, majority-vote template, fail-closed duplicate check",
    admin: false,
    requestSchema: {
      type: "object",
      required: ["groupId", "captures", "identityCommitment", "templateCommitment", "salt"],
      additionalProperties: false,
      properties: {
        groupId: identifierSchema,
        captures: {
          type: "array",
          minItems: MIN_ENROLMENT_CAPTURES,
          maxItems: MAX_ENROLMENT_CAPTURES,
          items: { type: "object", description: "Signed capture packet of @zkiris/device (version 1)" },
        },
        identityCommitment: decimal,
        templateCommitment: {
          ...decimal,
          description:
            "templateCommitment(buildTemplate(probes, profile).template, salt) of @zkiris/iris-code",
        },
        salt: decimal,
      },
    },
    responseStatus: 201,
    responseSchema: enrolmentReceiptSchema,
    handler: async (registry, _params, body) => {
      const b = exactObject(body, "body", [
        "groupId",
        "captures",
        "identityCommitment",
        "templateCommitment",
        "salt",
      ]);
      const receipt = await registry.enrolFromCaptures(b as unknown as CapturesEnrolmentRequest);
      return {
        status: 201,
        body: receiptJson(receipt),
      };
    },
  },
  {
    method: "POST",
    path: "/groups",
    operationId: "createGroup",
    summary: "Create an empty Semaphore group",
    admin: true,
    requestSchema: {
      type: "object",
      required: ["id", "kind"],
      additionalProperties: false,
      properties: { id: identifierSchema, kind: { enum: ["plain", "biometric"] } },
    },
    responseStatus: 201,
    responseSchema: groupSchema,
    handler: async (registry, _params, body) => {
      const b = exactObject(body, "body", ["id", "kind"]);
      return { status: 201, body: groupJson(await registry.createGroup(b as { id: string; kind: "plain" })) };
    },
  },
  {
    method: "GET",
    path: "/groups/{groupId}",
    operationId: "getGroup",
    summary: "Current root, depth and size of a group",
    admin: false,
    responseStatus: 200,
    responseSchema: groupSchema,
    handler: async (registry, params) => ({ status: 200, body: groupJson(registry.group(params.groupId!)) }),
  },
  {
    method: "GET",
    path: "/groups/{groupId}/members",
    operationId: "listMembers",
    summary: "Leaves of a group in index order (0 for removed members)",
    admin: false,
    responseStatus: 200,
    responseSchema: {
      type: "object",
      required: ["members"],
      properties: { members: { type: "array", items: decimal } },
    },
    handler: async (registry, params) => ({
      status: 200,
      body: { members: registry.members(params.groupId!).map(String) },
    }),
  },
  {
    method: "GET",
    path: "/groups/{groupId}/members/{index}/proof",
    operationId: "getMerkleProof",
    summary: "LeanIMT Merkle proof of a member",
    admin: false,
    responseStatus: 200,
    responseSchema: {
      type: "object",
      required: ["root", "leaf", "index", "siblings"],
      properties: {
        root: decimal,
        leaf: decimal,
        index: { type: "integer" },
        siblings: { type: "array", items: decimal },
      },
    },
    handler: async (registry, params) => {
      const proof = registry.merkleProof(params.groupId!, pathIndex(params));
      return {
        status: 200,
        body: {
          root: proof.root.toString(),
          leaf: proof.leaf.toString(),
          index: proof.index,
          siblings: proof.siblings.map(String),
        },
      };
    },
  },
  {
    method: "DELETE",
    path: "/groups/{groupId}/members/{index}",
    operationId: "removeMember",
    summary: "Remove a member (its leaf becomes 0; its eye may enrol again)",
    admin: true,
    responseStatus: 200,
    responseSchema: { type: "object", required: ["root"], properties: { root: decimal } },
    handler: async (registry, params) => ({
      status: 200,
      body: { root: (await registry.removeMember(params.groupId!, pathIndex(params))).toString() },
    }),
  },
  {
    method: "POST",
    path: "/groups/{groupId}/members/{index}/recover",
    operationId: "recoverMember",
    summary: "Replace a member's lost identity after a match proof against its enrolled template",
    admin: false,
    requestSchema: {
      type: "object",
      required: ["newIdentityCommitment", "matchProof"],
      additionalProperties: false,
      properties: {
        newIdentityCommitment: decimal,
        matchProof: {
          type: "object",
          required: ["proof", "publicSignals"],
          properties: {
            proof: { type: "object", description: "Groth16 proof (snarkjs JSON)" },
            publicSignals: { type: "array", items: decimal, minItems: 3, maxItems: 3 },
          },
        },
      },
    },
    responseStatus: 200,
    responseSchema: {
      type: "object",
      required: ["groupId", "memberIndex", "leaf", "root"],
      properties: {
        groupId: identifierSchema,
        memberIndex: { type: "integer" },
        leaf: decimal,
        root: decimal,
      },
    },
    handler: async (registry, params, body) => {
      const b = exactObject(body, "body", ["newIdentityCommitment", "matchProof"]);
      const receipt = await registry.recoverMember({
        groupId: params.groupId!,
        memberIndex: pathIndex(params),
        newIdentityCommitment: b.newIdentityCommitment as string,
        matchProof: b.matchProof as RecoveryRequest["matchProof"],
      });
      return {
        status: 200,
        body: receiptJson(receipt),
      };
    },
  },
  {
    method: "GET",
    path: "/groups/{groupId}/roots",
    operationId: "getRootHistory",
    summary: "Root history of a group, oldest first",
    admin: false,
    responseStatus: 200,
    responseSchema: {
      type: "object",
      required: ["roots"],
      properties: { roots: { type: "array", items: rootRecordSchema } },
    },
    handler: async (registry, params) => ({
      status: 200,
      body: { roots: await registry.rootHistory(params.groupId!) },
    }),
  },
  {
    method: "POST",
    path: "/polls",
    operationId: "createPoll",
    summary: "Create a poll over a group",
    admin: true,
    requestSchema: {
      type: "object",
      required: ["id", "groupId", "options", "opensAt", "closesAt"],
      additionalProperties: false,
      properties: {
        id: identifierSchema,
        groupId: identifierSchema,
        options: pollSchema.properties.options,
        opensAt: { type: "integer" },
        closesAt: { type: "integer" },
        scope: decimal,
      },
    },
    responseStatus: 201,
    responseSchema: pollSchema,
    handler: async (registry, _params, body) => {
      const b = exactObject(body, "body", ["id", "groupId", "options", "opensAt", "closesAt", "scope"]);
      return { status: 201, body: await registry.createPoll(b as unknown as PollRequest) };
    },
  },
  {
    method: "GET",
    path: "/polls/{pollId}",
    operationId: "getPoll",
    summary: "A poll's definition",
    admin: false,
    responseStatus: 200,
    responseSchema: pollSchema,
    handler: async (registry, params) => ({ status: 200, body: await registry.poll(params.pollId!) }),
  },
  {
    method: "POST",
    path: "/polls/{pollId}/votes",
    operationId: "vote",
    summary: "Cast a vote with a Semaphore proof (message = option index, scope = poll scope)",
    admin: false,
    requestSchema: {
      type: "object",
      required: ["proof"],
      additionalProperties: false,
      properties: { proof: semaphoreProofSchema },
    },
    responseStatus: 201,
    responseSchema: voteSchema,
    handler: async (registry, params, body) => {
      const b = exactObject(body, "body", ["proof"]);
      return { status: 201, body: await registry.vote(params.pollId!, b.proof as SemaphoreProof) };
    },
  },
  {
    method: "GET",
    path: "/polls/{pollId}/tally",
    operationId: "getTally",
    summary: "Votes per option",
    admin: false,
    responseStatus: 200,
    responseSchema: {
      type: "object",
      required: ["pollId", "options", "counts", "total"],
      properties: {
        pollId: identifierSchema,
        options: { type: "array", items: { type: "string" } },
        counts: { type: "array", items: { type: "integer" } },
        total: { type: "integer" },
      },
    },
    handler: async (registry, params) => ({ status: 200, body: await registry.tally(params.pollId!) }),
  },
  {
    method: "GET",
    path: "/polls/{pollId}/audit-log",
    operationId: "getAuditLog",
    summary:
      "Public audit log: the poll, its group's root history and every accepted proof (input of recount)",
    admin: false,
    responseStatus: 200,
    responseSchema: {
      type: "object",
      required: ["version", "poll", "rootExpiryMs", "roots", "votes"],
      properties: {
        version: { const: 1 },
        poll: pollSchema,
        rootExpiryMs: { type: "integer" },
        roots: { type: "array", items: rootRecordSchema },
        votes: {
          type: "array",
          items: {
            ...voteSchema,
            required: [...voteSchema.required, "proof"],
            properties: { ...voteSchema.properties, proof: semaphoreProofSchema },
          },
        },
      },
    },
    handler: async (registry, params) => ({ status: 200, body: await registry.auditLog(params.pollId!) }),
  },
];

const HTTP_STATUS: Readonly<Record<string, number>> = {
  INVALID_PARAMETER: 400,
  MALFORMED_JSON: 400,
  UNAUTHORIZED: 401,
  UNKNOWN_DEVICE: 404,
  UNKNOWN_GROUP: 404,
  UNKNOWN_MEMBER: 404,
  UNKNOWN_POLL: 404,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  DEVICE_EXISTS: 409,
  GROUP_EXISTS: 409,
  POLL_EXISTS: 409,
  DUPLICATE_MEMBER: 409,
  DUPLICATE_ENROLLMENT: 409,
  UNDECIDABLE_COMPARISON: 409,
  INSUFFICIENT_USABLE_BITS: 422,
  INCONSISTENT_CAPTURES: 422,
  DUPLICATE_NULLIFIER: 409,
  CHALLENGE_REPLAYED: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  DEVICE_REGISTRY_FULL: 409,
  RECOVERY_UNAVAILABLE: 501,
  CLOSED: 503,
};

/** HTTP status of a refusal code: the table above, 422 for any other refusal of a well-formed request. */
export function httpStatusOf(code: string): number {
  return HTTP_STATUS[code] ?? 422;
}

/** The OpenAPI 3.1 document of {@link ROUTES}. */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const parameters = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    const operation: Record<string, unknown> = {
      operationId: route.operationId,
      summary: route.summary,
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(route.admin ? { security: [{ adminToken: [] }] } : {}),
      ...(route.requestSchema === undefined
        ? {}
        : {
            requestBody: { required: true, content: { "application/json": { schema: route.requestSchema } } },
          }),
      responses: {
        [String(route.responseStatus)]: {
          description: "Success",
          content: { "application/json": { schema: route.responseSchema } },
        },
        "4XX": {
          description: "Refusal with a stable error code",
          content: { "application/json": { schema: errorSchema } },
        },
      },
    };
    paths[route.path] = { ...(paths[route.path] ?? {}), [route.method.toLowerCase()]: operation };
  }
  paths["/openapi.json"] = {
    get: {
      operationId: "getOpenApiDocument",
      summary: "This document",
      responses: {
        "200": {
          description: "OpenAPI 3.1 document",
          content: { "application/json": { schema: { type: "object" } } },
        },
      },
    },
  };
  return {
    openapi: "3.1.0",
    info: {
      title: "zkiris registry",
      version: "0.1.0",
      description:
        "Unique iris enrolment from signed captures, Semaphore groups with root history, and anonymous polls with a public audit log. Field elements are decimal strings; times are Unix milliseconds.",
    },
    components: {
      securitySchemes: { adminToken: { type: "http", scheme: "bearer" } },
      schemas: { Error: errorSchema },
    },
    paths,
  };
}

interface CompiledRoute {
  readonly spec: RouteSpec;
  readonly pattern: RegExp;
  readonly names: string[];
}

function compile(spec: RouteSpec): CompiledRoute {
  const names: string[] = [];
  const source = spec.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return "([^/]+)";
  });
  return { spec, pattern: new RegExp(`^${source}$`), names };
}

function readBody(req: IncomingMessage, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? "0");
    if (declared > limit) {
      reject(
        new HttpError("PAYLOAD_TOO_LARGE", `Request body of ${declared} bytes exceeds the limit of ${limit}`),
      );
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on("data", (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(new HttpError("PAYLOAD_TOO_LARGE", `Request body exceeds the limit of ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on("error", reject);
    req.on("end", () => {
      if (failed) return;
      if (size === 0) {
        resolve(undefined);
        return;
      }
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch {
        reject(new HttpError("MALFORMED_JSON", "Request body is not valid JSON"));
      }
    });
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_key, value) => (typeof value === "bigint" ? value.toString() : value));
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

function tokenMatches(header: string | undefined, token: string): boolean {
  if (header === undefined || !header.startsWith("Bearer ")) return false;
  const given = Buffer.from(header.slice(7));
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Starts the registry's HTTP API (node:http) and resolves once it listens. Every route of
 * {@link ROUTES} plus `GET /openapi.json`. Refusals answer `{ error: { code, message, field } }` with a
 * 4xx status ({@link httpStatusOf}); bodies over `bodyLimitBytes` get 413 `PAYLOAD_TOO_LARGE`, non-JSON
 * bodies 415/400, unknown paths 404 `NOT_FOUND`, wrong methods 405. Unexpected failures answer 500
 * `INTERNAL` without details.
 */
export async function startRegistryServer(
  registry: Registry,
  options: RegistryServerOptions = {},
): Promise<RegistryServer> {
  const limit = options.bodyLimitBytes ?? 256 * 1024;
  const routes = ROUTES.map(compile);
  const openapi = JSON.stringify(openApiDocument());

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const method = req.method ?? "GET";
    if (url.pathname === "/openapi.json") {
      if (method !== "GET") throw new HttpError("METHOD_NOT_ALLOWED", "Use GET /openapi.json");
      res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
      res.end(openapi);
      return;
    }
    const matching = routes
      .map((route) => ({ route, match: route.pattern.exec(url.pathname) }))
      .filter((m) => m.match !== null);
    if (matching.length === 0) throw new HttpError("NOT_FOUND", `No route ${url.pathname}`);
    const found = matching.find((m) => m.route.spec.method === method);
    if (found === undefined) {
      res.setHeader("allow", matching.map((m) => m.route.spec.method).join(", "));
      throw new HttpError("METHOD_NOT_ALLOWED", `${method} is not allowed on ${url.pathname}`);
    }
    const { route, match } = found as { route: CompiledRoute; match: RegExpExecArray };
    if (
      route.spec.admin &&
      options.adminToken !== undefined &&
      !tokenMatches(req.headers.authorization, options.adminToken)
    ) {
      throw new HttpError("UNAUTHORIZED", "This route needs the admin bearer token");
    }
    const params: Params = {};
    route.names.forEach((name, i) => {
      params[name] = decodeURIComponent(match[i + 1]!);
    });
    let body: unknown;
    if (route.spec.requestSchema !== undefined) {
      const type = req.headers["content-type"] ?? "";
      if (!/^application\/json\b/i.test(type)) {
        throw new HttpError("UNSUPPORTED_MEDIA_TYPE", "Request body must be application/json");
      }
      body = await readBody(req, limit);
    } else {
      await readBody(req, limit);
    }
    const result = await route.spec.handler(registry, params, body);
    send(res, result.status, result.body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof ZkirisError) {
        const status = httpStatusOf(error.code);
        send(res, status, {
          error: {
            code: error.code,
            message: error.message,
            ...(error.field === undefined ? {} : { field: error.field }),
          },
        });
        if (error.code === "PAYLOAD_TOO_LARGE") req.resume();
        return;
      }
      options.onError?.(error);
      send(res, 500, { error: { code: "INTERNAL", message: "Internal error" } });
    });
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    server,
    port: address.port,
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
