import { Group } from "@semaphore-protocol/group";
import { Identity } from "@semaphore-protocol/identity";
import { generateProof } from "@semaphore-protocol/proof";
import {
  type CapturePacket,
  type CapturePacketJson,
  deviceIdOf,
  parseCapturePacket,
  toCapturePacketJson,
} from "@zkiris/device";
import {
  buildTemplate,
  DEFAULT_PROFILE,
  IrisCode,
  type IrisProfile,
  randomSalt,
  templateCommitment,
  ZkirisError,
} from "@zkiris/iris-code";
import { proveLivenessVote as proveLivenessBound } from "@zkiris/match-proof";
import { type ArtifactResolver, resolveArtifacts } from "./artifacts.js";
import { describeType, invalidParameter, ZkirisSdkError } from "./errors.js";
import { fieldParameter } from "./field.js";
import { type LivenessArtifactResolver, resolveLivenessArtifacts } from "./liveness-artifacts.js";
import { type LivenessVote, livenessVoteToJson, parseLivenessVote } from "./liveness-proof.js";
import { parseProof, proofToJson, type UniqueActionProof } from "./proof.js";
import { ResponseReader } from "./response.js";
import type {
  AuditLog,
  Challenge,
  Device,
  DeviceProof,
  DeviceRootRecord,
  Enrolment,
  GroupInfo,
  GroupKind,
  IssuedPollChallenge,
  MerkleProof,
  Poll,
  PollChallenge,
  RootRecord,
  Tally,
  VoteReceipt,
} from "./types.js";

/** How to reach a zkiris server. */
export interface ZkirisClientOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:8080` (a path prefix is kept). */
  readonly baseUrl: string | URL;
  /** The fetch to use; default `globalThis.fetch`. */
  readonly fetch?: typeof globalThis.fetch;
  /** Bearer token of the admin routes (devices, groups, polls, member removal); only operators have it. */
  readonly adminToken?: string;
}

/** A signed capture packet as the device bridge hands it over: JSON text, the parsed JSON, or a `CapturePacket`. */
export type CaptureInput = string | CapturePacketJson | CapturePacket;

/** Whom an enrolment adds to the group: an identity, or only its commitment. */
export type Member = Identity | bigint;

/** Proving options: where the artifacts come from (never downloaded by the SDK). */
export interface ProveOptions {
  readonly artifacts: ArtifactResolver;
}

/** Liveness proving options: where the liveness-vote artifacts come from (never downloaded by the SDK). */
export interface LivenessProveOptions {
  readonly livenessArtifacts: LivenessArtifactResolver;
  /** Told when each stage starts: `artifacts` (resolving them), `witness`, `proving`. */
  readonly onStage?: (stage: "artifacts" | "witness" | "proving") => void;
}

/** What a voter holds for a liveness-bound vote. */
export interface LivenessVoter {
  /** The voter's Semaphore identity (its secret never leaves the prover). */
  readonly identity: Identity;
  /** The enrolled template (for a single-capture enrolment, the probe of that capture) and its salt. */
  readonly template: IrisCode;
  readonly salt: bigint;
  /** A fresh capture the device signed for the poll's `captureChallenge` ({@link ZkirisClient.pollChallenge}). */
  readonly capture: CaptureInput;
}

/** A poll to create (admin). */
export interface PollRequest {
  readonly id: string;
  readonly groupId: string;
  readonly options: readonly string[];
  readonly opensAt: number;
  readonly closesAt: number;
  /** Default: the server's SHA-256 of `zkiris.poll:<id>` reduced into the field. */
  readonly scope?: bigint;
  /** Take only liveness-bound votes (a biometric group). */
  readonly requireLiveness?: boolean;
}

type Method = "GET" | "POST" | "DELETE";

const segment = (value: string, field: string): string => {
  if (typeof value !== "string" || value.length === 0)
    throw invalidParameter(field, "a non-empty string", value);
  return encodeURIComponent(value);
};

const memberIndex = (value: number, field = "index"): number => {
  if (!Number.isSafeInteger(value) || value < 0)
    throw invalidParameter(field, "a non-negative integer", value);
  return value;
};

function commitmentOf(member: Member, field: string): bigint {
  if (member instanceof Identity) return member.commitment;
  return fieldParameter(member, field);
}

function requireIdentity(identity: Identity, field = "identity"): Identity {
  if (!(identity instanceof Identity)) throw invalidParameter(field, "a Semaphore Identity", identity);
  return identity;
}

/** Rethrows a refusal of another zkiris package (a malformed capture, a bad salt) as a ZkirisSdkError with its code. */
function asSdkError(error: unknown, fieldPrefix: string): never {
  if (error instanceof ZkirisSdkError) throw error;
  if (ZkirisError.is(error)) {
    const field = error.field === undefined ? fieldPrefix : `${fieldPrefix}.${error.field}`;
    throw new ZkirisSdkError(error.code, error.message, { field, cause: error });
  }
  throw error;
}

function readGroup(r: ResponseReader): GroupInfo {
  const kind = r.string("kind");
  if (kind !== "plain" && kind !== "biometric") {
    throw new ZkirisSdkError("BAD_RESPONSE", "The server's answer has no valid 'kind'", { field: "kind" });
  }
  return {
    id: r.string("id"),
    kind,
    root: r.field("root"),
    depth: r.integer("depth"),
    size: r.integer("size"),
  };
}

function readPoll(r: ResponseReader): Poll {
  return {
    id: r.string("id"),
    groupId: r.string("groupId"),
    scope: r.field("scope"),
    options: r.strings("options"),
    opensAt: r.integer("opensAt"),
    closesAt: r.integer("closesAt"),
    createdAt: r.integer("createdAt"),
    requireLiveness: r.flag("requireLiveness"),
  };
}

function readReceipt(r: ResponseReader): VoteReceipt {
  return {
    seq: r.integer("seq"),
    pollId: r.string("pollId"),
    nullifier: r.field("nullifier"),
    option: r.integer("option"),
    root: r.field("root"),
    acceptedAt: r.integer("acceptedAt"),
  };
}

function checkOption(poll: Poll, option: number): void {
  if (!Number.isSafeInteger(option) || option < 0 || option >= poll.options.length) {
    throw new ZkirisSdkError(
      "INVALID_PARAMETER",
      `Parameter 'option' must be an integer from 0 to ${poll.options.length - 1} (the options of poll '${poll.id}'), received ${typeof option === "number" ? option : describeType(option)}`,
      { field: "option" },
    );
  }
}

function readRoot(r: ResponseReader): RootRecord {
  return {
    groupId: r.string("groupId"),
    root: r.field("root"),
    createdAt: r.integer("createdAt"),
    replacedAt: r.integerOrNull("replacedAt"),
  };
}

function readIssuedChallenge(r: ResponseReader): IssuedPollChallenge {
  return {
    pollId: r.string("pollId"),
    challenge: r.field("value"),
    issuedAt: r.integer("issuedAt"),
    expiresAt: r.integer("expiresAt"),
  };
}

function readDeviceRoot(r: ResponseReader): DeviceRootRecord {
  return {
    root: r.field("root"),
    createdAt: r.integer("createdAt"),
    replacedAt: r.integerOrNull("replacedAt"),
  };
}

function readDevice(r: ResponseReader): Device {
  const key = r.fields("publicKey");
  if (key.length !== 2)
    throw new ZkirisSdkError("BAD_RESPONSE", "The server's answer has no valid 'publicKey'");
  return {
    id: r.field("id"),
    slot: r.integer("slot"),
    publicKey: [key[0]!, key[1]!],
    registeredAt: r.integer("registeredAt"),
    revokedAt: r.integerOrNull("revokedAt"),
  };
}

/**
 * A typed client of a zkiris server (`@zkiris/server`, started by `zkiris serve`) over `fetch`, for
 * browsers and Node. Field elements are bigints in and out; proofs are made locally with artifacts
 * the caller resolves (`nodeArtifacts()` of `@zkiris/sdk/node`). Every failure is a
 * {@link ZkirisSdkError}: the server's code for its refusals, `NETWORK`, `BAD_RESPONSE` or `CLOSED`
 * otherwise. The client holds no state but its options and the requests in flight; {@link close}
 * aborts those.
 */
export class ZkirisClient {
  readonly #base: string;
  readonly #fetch: typeof globalThis.fetch;
  readonly #adminToken: string | undefined;
  readonly #inFlight = new Set<AbortController>();
  #closed = false;

  constructor(options: ZkirisClientOptions) {
    if (typeof options !== "object" || options === null)
      throw invalidParameter("options", "an object", options);
    let url: URL;
    try {
      url = new URL(String(options.baseUrl));
    } catch (cause) {
      throw new ZkirisSdkError("INVALID_PARAMETER", "Parameter 'baseUrl' is not an absolute URL", {
        field: "baseUrl",
        cause,
      });
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new ZkirisSdkError(
        "INVALID_PARAMETER",
        `Parameter 'baseUrl' must be an http or https URL, received ${url.protocol}`,
        {
          field: "baseUrl",
        },
      );
    }
    this.#base = url.href.replace(/\/+$/, "");
    const f = options.fetch ?? globalThis.fetch;
    if (typeof f !== "function") throw invalidParameter("fetch", "a fetch function", f);
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    if (options.adminToken !== undefined && typeof options.adminToken !== "string") {
      throw invalidParameter("adminToken", "a string", options.adminToken);
    }
    this.#adminToken = options.adminToken;
  }

  /** The base URL requests go to, without a trailing slash. */
  get baseUrl(): string {
    return this.#base;
  }

  async #request(
    method: Method,
    path: string,
    options: { body?: unknown; admin?: boolean } = {},
  ): Promise<unknown> {
    if (this.#closed) throw closedError();
    const what = `${method} ${path}`;
    const headers: Record<string, string> = { accept: "application/json" };
    if (options.body !== undefined) headers["content-type"] = "application/json";
    if (options.admin) {
      if (this.#adminToken === undefined) {
        throw new ZkirisSdkError("UNAUTHORIZED", `${what} is an admin route; this client has no adminToken`, {
          field: "adminToken",
        });
      }
      headers.authorization = `Bearer ${this.#adminToken}`;
    }
    const controller = new AbortController();
    this.#inFlight.add(controller);
    try {
      let response: Response;
      let text: string;
      try {
        response = await this.#fetch(`${this.#base}${path}`, {
          method,
          headers,
          signal: controller.signal,
          ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        });
        text = await response.text();
      } catch (cause) {
        if (this.#closed) throw closedError(cause);
        throw new ZkirisSdkError(
          "NETWORK",
          `${what} to ${this.#base} failed: ${(cause as Error)?.message ?? cause}`,
          {
            cause,
          },
        );
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (cause) {
        throw new ZkirisSdkError(
          "BAD_RESPONSE",
          `${what} answered ${response.status} with a body that is not JSON (${response.headers.get("content-type") ?? "no content type"})`,
          { status: response.status, cause },
        );
      }
      if (response.ok) return body;
      const error = (body as { error?: { code?: unknown; message?: unknown; field?: unknown } } | null)
        ?.error;
      if (typeof error?.code !== "string" || typeof error.message !== "string") {
        throw new ZkirisSdkError(
          "BAD_RESPONSE",
          `${what} answered ${response.status} without the documented error body`,
          {
            status: response.status,
          },
        );
      }
      throw new ZkirisSdkError(error.code, error.message, {
        status: response.status,
        ...(typeof error.field === "string" ? { field: error.field } : {}),
      });
    } finally {
      this.#inFlight.delete(controller);
    }
  }

  /** Issues a one-time capture challenge (`POST /challenges`) for a capture device to sign. */
  async requestChallenge(): Promise<Challenge> {
    const r = new ResponseReader(await this.#request("POST", "/challenges"), "POST /challenges");
    return { challenge: r.field("challenge"), expiresAt: r.integer("expiresAt") };
  }

  /**
   * Enrols one eye from a device-signed capture (`POST /enrolments`): the template is the capture's
   * probe, committed with `salt` (default: a fresh random salt). Returns the receipt with the salt and
   * template commitment, which the user keeps (secret). The capture is parsed first (its code on a
   * malformed packet, e.g. `MALFORMED_PACKET`, field `capture.…`); the server's refusals keep their codes
   * (`DUPLICATE_ENROLLMENT`, `UNKNOWN_CHALLENGE`, `DEVICE_REVOKED`, ...).
   */
  async enrol(request: {
    readonly groupId: string;
    readonly capture: CaptureInput;
    readonly member: Member;
    readonly salt?: bigint;
  }): Promise<Enrolment> {
    segment(request?.groupId, "groupId");
    const identityCommitment = commitmentOf(request.member, "member");
    const salt = request.salt === undefined ? randomSalt() : fieldParameter(request.salt, "salt");
    let capture: CapturePacket;
    let commitment: bigint;
    try {
      capture = parseCapturePacket(request.capture);
      commitment = templateCommitment(capture.probe, salt);
    } catch (error) {
      asSdkError(error, "capture");
    }
    return this.#enrolled("/enrolments", salt, commitment, {
      groupId: request.groupId,
      capture: toCapturePacketJson(capture),
      identityCommitment: identityCommitment.toString(),
      templateCommitment: commitment.toString(),
      salt: salt.toString(),
    });
  }

  /**
   * Enrols one eye from 3 to 5 device-signed captures (`POST /enrolments/captures`): the template is
   * `buildTemplate(probes, profile)` of `@zkiris/iris-code` (default profile `DEFAULT_PROFILE`, which the
   * server must use too), committed with `salt` (default: fresh). Refusals as {@link enrol}, plus
   * `INCONSISTENT_CAPTURES`.
   */
  async enrolFromCaptures(request: {
    readonly groupId: string;
    readonly captures: readonly CaptureInput[];
    readonly member: Member;
    readonly salt?: bigint;
    readonly profile?: IrisProfile;
  }): Promise<Enrolment> {
    segment(request?.groupId, "groupId");
    const identityCommitment = commitmentOf(request.member, "member");
    const salt = request.salt === undefined ? randomSalt() : fieldParameter(request.salt, "salt");
    if (!Array.isArray(request.captures))
      throw invalidParameter("captures", "an array of capture packets", request.captures);
    const captures: CapturePacket[] = [];
    let commitment: bigint;
    try {
      for (const [i, c] of request.captures.entries()) {
        try {
          captures.push(parseCapturePacket(c));
        } catch (error) {
          asSdkError(error, `captures[${i}]`);
        }
      }
      const template = buildTemplate(
        captures.map((c) => c.probe),
        request.profile ?? DEFAULT_PROFILE,
      ).template;
      commitment = templateCommitment(template, salt);
    } catch (error) {
      asSdkError(error, "captures");
    }
    return this.#enrolled("/enrolments/captures", salt, commitment, {
      groupId: request.groupId,
      captures: captures.map(toCapturePacketJson),
      identityCommitment: identityCommitment.toString(),
      templateCommitment: commitment.toString(),
      salt: salt.toString(),
    });
  }

  async #enrolled(path: string, salt: bigint, commitment: bigint, body: object): Promise<Enrolment> {
    const r = new ResponseReader(await this.#request("POST", path, { body }), `POST ${path}`);
    return {
      groupId: r.string("groupId"),
      memberIndex: r.integer("memberIndex"),
      leaf: r.field("leaf"),
      root: r.field("root"),
      salt,
      templateCommitment: commitment,
    };
  }

  /** Every group with its current root, depth and size (`GET /groups`). */
  async groups(): Promise<GroupInfo[]> {
    return new ResponseReader(await this.#request("GET", "/groups"), "GET /groups").list("groups", readGroup);
  }

  /** One group (`GET /groups/{id}`); `UNKNOWN_GROUP`. */
  async group(groupId: string): Promise<GroupInfo> {
    const path = `/groups/${segment(groupId, "groupId")}`;
    return readGroup(new ResponseReader(await this.#request("GET", path), `GET ${path}`));
  }

  /**
   * The group's leaves in index order (`GET /groups/{id}/members`), with `0n` where a member was
   * removed. While no member was removed, stock `new Group(members)` of `@semaphore-protocol/group`
   * accepts the list and has the server's root; it refuses a `0n` leaf, so with removals use
   * {@link semaphoreGroup}, which rebuilds the tree with those leaves removed.
   */
  async members(groupId: string): Promise<bigint[]> {
    const path = `/groups/${segment(groupId, "groupId")}/members`;
    return new ResponseReader(await this.#request("GET", path), `GET ${path}`).fields("members");
  }

  /**
   * The group as a stock Semaphore `Group`, built from {@link members}: leaves of removed members are
   * removed with `Group.removeMember` (they are 0 in the tree, as on the server), so its root is the
   * server's and member indices are kept.
   */
  async semaphoreGroup(groupId: string): Promise<Group> {
    const members = await this.members(groupId);
    // A placeholder leaf keeps the index; removeMember then sets it to 0 as the server did.
    const group = new Group(members.map((m) => (m === 0n ? 1n : m)));
    members.forEach((m, i) => {
      if (m === 0n) group.removeMember(i);
    });
    return group;
  }

  /**
   * The Merkle proof of the member at `index` (`GET /groups/{id}/members/{index}/proof`);
   * `UNKNOWN_MEMBER`. Asking for one index tells the server which member is about to prove: the
   * proving methods of this client build the proof from the whole member list instead.
   */
  async merkleProof(groupId: string, index: number): Promise<MerkleProof> {
    const path = `/groups/${segment(groupId, "groupId")}/members/${memberIndex(index)}/proof`;
    const r = new ResponseReader(await this.#request("GET", path), `GET ${path}`);
    return {
      root: r.field("root"),
      leaf: r.field("leaf"),
      index: r.integer("index"),
      siblings: r.fields("siblings"),
    };
  }

  /** The group's root history, oldest first (`GET /groups/{id}/roots`): what `verifyUniqueAction` checks roots against. */
  async roots(groupId: string): Promise<RootRecord[]> {
    const path = `/groups/${segment(groupId, "groupId")}/roots`;
    return new ResponseReader(await this.#request("GET", path), `GET ${path}`).list("roots", readRoot);
  }

  /** Every poll, oldest first (`GET /polls`). */
  async polls(): Promise<Poll[]> {
    return new ResponseReader(await this.#request("GET", "/polls"), "GET /polls").list("polls", readPoll);
  }

  /** One poll (`GET /polls/{id}`); `UNKNOWN_POLL`. */
  async poll(pollId: string): Promise<Poll> {
    const path = `/polls/${segment(pollId, "pollId")}`;
    return readPoll(new ResponseReader(await this.#request("GET", path), `GET ${path}`));
  }

  /**
   * A Semaphore proof, made locally, that `identity` is a member of the group and acts once in `scope`
   * with `message`. The tree depth is the group's (at least 1) and the artifacts for it come from
   * `options.artifacts`; the member list is fetched whole, so the server does not learn who proves.
   * Refusals: `UNSUPPORTED_GROUP` (a biometric group), `NOT_A_MEMBER`, `ARTIFACTS_MISSING`, `ARTIFACT_HASH_MISMATCH`, `PROOF_FAILED`, the server's codes.
   */
  async proveAction(
    groupId: string,
    identity: Identity,
    action: { readonly scope: bigint; readonly message: bigint },
    options: ProveOptions,
  ): Promise<UniqueActionProof> {
    requireIdentity(identity);
    const scope = fieldParameter(action?.scope, "scope");
    const message = fieldParameter(action?.message, "message");
    const [info, group] = await Promise.all([this.group(groupId), this.semaphoreGroup(groupId)]);
    if (info.kind !== "plain") {
      throw new ZkirisSdkError(
        "UNSUPPORTED_GROUP",
        `Group '${groupId}' is a ${info.kind} group: its leaves bind the template commitment, so a vote needs a liveness proof (@zkiris/match-proof), not a plain Semaphore proof`,
        { field: "groupId" },
      );
    }
    const index = group.indexOf(identity.commitment);
    if (index < 0) {
      throw new ZkirisSdkError(
        "NOT_A_MEMBER",
        `The identity's commitment is not a member of group '${groupId}'`,
        {
          field: "identity",
        },
      );
    }
    const depth = Math.max(1, group.depth);
    const artifacts = await resolveArtifacts(options?.artifacts, depth);
    const merkleProof = group.generateMerkleProof(index);
    let proof: Awaited<ReturnType<typeof generateProof>>;
    try {
      proof = await generateProof(
        identity,
        { ...merkleProof, siblings: [...merkleProof.siblings] },
        message,
        scope,
        depth,
        artifacts as Parameters<typeof generateProof>[5],
      );
    } catch (cause) {
      throw new ZkirisSdkError(
        "PROOF_FAILED",
        `Generating the Semaphore proof failed: ${(cause as Error)?.message ?? cause}`,
        {
          cause,
        },
      );
    }
    return parseProof(proof);
  }

  /**
   * A vote proof for `option` (an index into the poll's options) in the poll's scope, made locally
   * (see {@link proveAction}). `INVALID_PARAMETER` for an option outside the poll's.
   */
  async proveVote(
    pollId: string,
    identity: Identity,
    option: number,
    options: ProveOptions,
  ): Promise<UniqueActionProof> {
    requireIdentity(identity);
    const poll = await this.poll(pollId);
    if (poll.requireLiveness) {
      throw new ZkirisSdkError(
        "UNSUPPORTED_GROUP",
        `Poll '${poll.id}' takes only liveness-bound votes (@zkiris/match-proof), not plain Semaphore proofs`,
        { field: "pollId" },
      );
    }
    checkOption(poll, option);
    return this.proveAction(poll.groupId, identity, { scope: poll.scope, message: BigInt(option) }, options);
  }

  /**
   * Submits a vote proof (`POST /polls/{id}/votes`). Refusals keep the server's codes:
   * `DUPLICATE_NULLIFIER` for a second vote, `POLL_NOT_OPEN`, `SCOPE_MISMATCH`, `UNKNOWN_ROOT`,
   * `STALE_ROOT`, `INVALID_PROOF`, ...
   */
  async submitVote(pollId: string, proof: UniqueActionProof): Promise<VoteReceipt> {
    const path = `/polls/${segment(pollId, "pollId")}/votes`;
    const body = { proof: proofToJson(proof) };
    return readReceipt(new ResponseReader(await this.#request("POST", path, { body }), `POST ${path}`));
  }

  /** {@link proveVote} then {@link submitVote}. */
  async vote(
    pollId: string,
    identity: Identity,
    option: number,
    options: ProveOptions,
  ): Promise<VoteReceipt> {
    return this.submitVote(pollId, await this.proveVote(pollId, identity, option, options));
  }

  /**
   * The current liveness challenge of a poll that requires liveness (`POST /polls/{id}/challenges`):
   * the capture device signs `captureChallenge`. `LIVENESS_NOT_REQUIRED` for a plain poll,
   * `UNKNOWN_POLL`, `POLL_NOT_OPEN`.
   */
  async pollChallenge(pollId: string): Promise<PollChallenge> {
    const path = `/polls/${segment(pollId, "pollId")}/challenges`;
    const r = new ResponseReader(await this.#request("POST", path), `POST ${path}`);
    return {
      pollId: r.string("pollId"),
      challenge: r.field("challenge"),
      captureChallenge: r.field("captureChallenge"),
      issuedAt: r.integer("issuedAt"),
      expiresAt: r.integer("expiresAt"),
    };
  }

  /** A trusted device's inclusion proof in the device registry tree (`GET /devices/{id}/proof`); `UNKNOWN_DEVICE`. */
  async deviceProof(deviceId: bigint): Promise<DeviceProof> {
    const path = `/devices/${fieldParameter(deviceId, "deviceId")}/proof`;
    const r = new ResponseReader(await this.#request("GET", path), `GET ${path}`);
    return {
      root: r.field("root"),
      leaf: r.field("leaf"),
      leafIndex: r.integer("leafIndex"),
      siblings: r.fields("siblings"),
      pathIndices: r.integers("pathIndices"),
    };
  }

  /**
   * Every liveness challenge a poll that requires liveness issued, oldest first, with its lifetime
   * (`GET /polls/{id}/challenges`): what {@link verifyLivenessVote} checks a vote's `challenge`
   * against. `LIVENESS_NOT_REQUIRED` for a plain poll, `UNKNOWN_POLL`.
   */
  async pollChallenges(pollId: string): Promise<IssuedPollChallenge[]> {
    const path = `/polls/${segment(pollId, "pollId")}/challenges`;
    return new ResponseReader(await this.#request("GET", path), `GET ${path}`).list(
      "challenges",
      readIssuedChallenge,
    );
  }

  /**
   * The device registry tree's root history, oldest first, and how long a replaced root still
   * accepts liveness-bound votes (`GET /device-registry/roots`): what {@link verifyLivenessVote}
   * checks a vote's `deviceRoot` against (a revocation replaces the root).
   */
  async deviceRootHistory(): Promise<{ deviceRootExpiryMs: number; roots: DeviceRootRecord[] }> {
    const path = "/device-registry/roots";
    const r = new ResponseReader(await this.#request("GET", path), `GET ${path}`);
    return { deviceRootExpiryMs: r.integer("deviceRootExpiryMs"), roots: r.list("roots", readDeviceRoot) };
  }

  /**
   * A liveness-bound vote for `option`, made locally with `proveLivenessVote` of
   * `@zkiris/match-proof`: the voter's leaf `Poseidon2(commitment, templateCommitment(template, salt))`
   * is in the poll's biometric group, the voter knows the identity's secret, and the fresh capture,
   * signed by a trusted device for the poll's current `captureChallenge`, matches the template. The
   * member list and the device proof are fetched whole or by device (the server learns the device,
   * not the voter). Refusals before proving: `UNSUPPORTED_GROUP` (a plain poll: use
   * {@link proveVote}), `INVALID_PARAMETER` (option, template, salt), the capture's parse codes
   * (`MALFORMED_PACKET`, field `capture.…`), `ARTIFACTS_MISSING`, `ARTIFACT_HASH_MISMATCH`, and
   * `@zkiris/match-proof`'s codes: `NOT_A_MEMBER`, `CHALLENGE_MISMATCH` (the capture was signed
   * for another challenge, e.g. a rotated one or another poll's), `NO_MATCH`, `TOO_FEW_USABLE_BITS`,
   * `INVALID_SIGNATURE`, `UNTRUSTED_DEVICE`; `INVALID_IDENTITY` and `PROOF_FAILED` from the prover.
   */
  async proveLivenessVote(
    pollId: string,
    voter: LivenessVoter,
    option: number,
    options: LivenessProveOptions,
  ): Promise<LivenessVote> {
    requireIdentity(voter?.identity, "voter.identity");
    if (!(voter.template instanceof IrisCode))
      throw invalidParameter("voter.template", "an IrisCode", voter.template);
    const salt = fieldParameter(voter.salt, "voter.salt");
    let capture: CapturePacket;
    try {
      capture = parseCapturePacket(voter.capture);
    } catch (error) {
      asSdkError(error, "voter.capture");
    }
    const poll = await this.poll(pollId);
    if (!poll.requireLiveness) {
      throw new ZkirisSdkError(
        "UNSUPPORTED_GROUP",
        `Poll '${poll.id}' does not require liveness: vote with a plain Semaphore proof (proveVote)`,
        { field: "pollId" },
      );
    }
    checkOption(poll, option);
    options?.onStage?.("artifacts");
    const [challenge, group, deviceProof, artifacts] = await Promise.all([
      this.pollChallenge(pollId),
      this.semaphoreGroup(poll.groupId),
      this.deviceProof(deviceIdOf(capture.publicKey)),
      resolveLivenessArtifacts(options?.livenessArtifacts),
    ]);
    options?.onStage?.("witness");
    try {
      const vote = await proveLivenessBound(
        {
          identity: voter.identity,
          group,
          template: voter.template,
          salt,
          capture,
          deviceProof: { ...deviceProof, siblings: [...deviceProof.siblings] },
          scope: poll.scope,
          message: BigInt(option),
          challenge: challenge.challenge,
        },
        { artifacts, onWitness: () => options?.onStage?.("proving") },
      );
      return parseLivenessVote(vote);
    } catch (error) {
      if (ZkirisError.is(error) && (error as ZkirisError).code !== "WITNESS_FAILED") {
        const e = error as ZkirisError;
        const field =
          e.field === undefined ? undefined : e.field.startsWith("capture") ? `voter.${e.field}` : e.field;
        throw new ZkirisSdkError(e.code, e.message, { ...(field === undefined ? {} : { field }), cause: e });
      }
      throw new ZkirisSdkError(
        "PROOF_FAILED",
        `Generating the liveness-bound vote failed: ${(error as Error)?.message ?? error}`,
        { cause: error },
      );
    }
  }

  /**
   * Submits a liveness-bound vote (`POST /polls/{id}/liveness-votes`). Refusals keep the server's
   * codes: `DUPLICATE_NULLIFIER` for a second vote, `LIVENESS_NOT_REQUIRED`, `UNKNOWN_CHALLENGE`,
   * `CHALLENGE_EXPIRED`, `UNKNOWN_DEVICE_ROOT`, `STALE_ROOT`, `INVALID_PROOF`, ...
   */
  async submitLivenessVote(pollId: string, vote: LivenessVote): Promise<VoteReceipt> {
    const path = `/polls/${segment(pollId, "pollId")}/liveness-votes`;
    const body = { proof: livenessVoteToJson(vote) };
    return readReceipt(new ResponseReader(await this.#request("POST", path, { body }), `POST ${path}`));
  }

  /** {@link proveLivenessVote} then {@link submitLivenessVote}. */
  async livenessVote(
    pollId: string,
    voter: LivenessVoter,
    option: number,
    options: LivenessProveOptions,
  ): Promise<VoteReceipt> {
    return this.submitLivenessVote(pollId, await this.proveLivenessVote(pollId, voter, option, options));
  }

  /** Votes per option (`GET /polls/{id}/tally`). */
  async tally(pollId: string): Promise<Tally> {
    const path = `/polls/${segment(pollId, "pollId")}/tally`;
    const r = new ResponseReader(await this.#request("GET", path), `GET ${path}`);
    return {
      pollId: r.string("pollId"),
      options: r.strings("options"),
      counts: r.integers("counts"),
      total: r.integer("total"),
    };
  }

  /**
   * The poll's public audit log (`GET /polls/{id}/audit-log`): the poll, its group's root history and
   * root expiry, every accepted vote with its recorded proof (JSON, unchecked here), and for a poll that
   * requires liveness the challenges it issued and the device root history with its expiry: what
   * {@link verifyLivenessVote} checks a liveness-bound vote against. `UNKNOWN_POLL`.
   */
  async auditLog(pollId: string): Promise<AuditLog> {
    const path = `/polls/${segment(pollId, "pollId")}/audit-log`;
    const r = new ResponseReader(await this.#request("GET", path), `GET ${path}`);
    const version = r.integer("version");
    if (version !== 1 && version !== 2) {
      throw new ZkirisSdkError("BAD_RESPONSE", `The server's answer to GET ${path} has version ${version}`, {
        field: "version",
      });
    }
    const liveness = r.optional("liveness", (l) => ({
      challenges: l.list("challenges", readIssuedChallenge),
      deviceRootExpiryMs: l.integer("deviceRootExpiryMs"),
      deviceRoots: l.list("deviceRoots", readDeviceRoot),
    }));
    return {
      version,
      poll: r.object("poll", readPoll),
      rootExpiryMs: r.integer("rootExpiryMs"),
      roots: r.list("roots", readRoot),
      votes: r.list("votes", (v) => ({ ...readReceipt(v), proof: v.json("proof") })),
      ...(liveness === undefined ? {} : { liveness }),
    };
  }

  /** Registers a capture device by its EdDSA-Poseidon public key (admin, `POST /devices`). */
  async registerDevice(publicKey: readonly [bigint, bigint]): Promise<Device> {
    if (!Array.isArray(publicKey) || publicKey.length !== 2)
      throw invalidParameter("publicKey", "a pair [Ax, Ay]", publicKey);
    const body = { publicKey: publicKey.map((c, i) => fieldParameter(c, `publicKey[${i}]`).toString()) };
    return readDevice(
      new ResponseReader(await this.#request("POST", "/devices", { body, admin: true }), "POST /devices"),
    );
  }

  /** Revokes a device (admin, `POST /devices/{id}/revoke`): its captures are refused from now on. */
  async revokeDevice(deviceId: bigint): Promise<Device> {
    const path = `/devices/${fieldParameter(deviceId, "deviceId")}/revoke`;
    return readDevice(new ResponseReader(await this.#request("POST", path, { admin: true }), `POST ${path}`));
  }

  /** Creates an empty group (admin, `POST /groups`); `GROUP_EXISTS`. */
  async createGroup(group: { readonly id: string; readonly kind: GroupKind }): Promise<GroupInfo> {
    const body = { id: group?.id, kind: group?.kind };
    return readGroup(
      new ResponseReader(await this.#request("POST", "/groups", { body, admin: true }), "POST /groups"),
    );
  }

  /** Creates a poll over a group (admin, `POST /polls`); `POLL_EXISTS`, `UNKNOWN_GROUP`. */
  async createPoll(poll: PollRequest): Promise<Poll> {
    const body = {
      id: poll?.id,
      groupId: poll?.groupId,
      options: poll?.options,
      opensAt: poll?.opensAt,
      closesAt: poll?.closesAt,
      ...(poll?.scope === undefined ? {} : { scope: fieldParameter(poll.scope, "scope").toString() }),
      ...(poll?.requireLiveness === undefined ? {} : { requireLiveness: poll.requireLiveness }),
    };
    return readPoll(
      new ResponseReader(await this.#request("POST", "/polls", { body, admin: true }), "POST /polls"),
    );
  }

  /** Removes the member at `index` (admin, `DELETE /groups/{id}/members/{index}`); its leaf becomes 0. Returns the new root. */
  async removeMember(groupId: string, index: number): Promise<bigint> {
    const path = `/groups/${segment(groupId, "groupId")}/members/${memberIndex(index)}`;
    return new ResponseReader(await this.#request("DELETE", path, { admin: true }), `DELETE ${path}`).field(
      "root",
    );
  }

  /**
   * Aborts the requests in flight (they reject with `CLOSED`) and refuses new ones. Idempotent. Proofs
   * being generated run to the end, but their submission is refused.
   */
  async close(): Promise<void> {
    this.#closed = true;
    for (const controller of this.#inFlight) controller.abort();
    this.#inFlight.clear();
  }
}

function closedError(cause?: unknown): ZkirisSdkError {
  return new ZkirisSdkError("CLOSED", "The ZkirisClient was closed", cause === undefined ? {} : { cause });
}
