// verifyLivenessVote against the public data of a real server: one real liveness-bound vote, proved
// locally with the committed artifacts (circuits/artifacts/liveness_vote) for a capture signed for
// the poll's challenge, verified as the registry would accept it, and every refusal with its code
// (the vote tampered, the poll's records moved on: another challenge, a replaced root, a revoked device).
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeviceKey, signCapture } from "@zkiris/device";
import { loadLivenessVoteArtifacts } from "@zkiris/match-proof";
import { Registry } from "@zkiris/registry";
import { startServer } from "@zkiris/server";
import { REPO_ROOT } from "@zkiris/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AuditLog,
  createIdentity,
  InMemoryNullifierStore,
  LIVENESS_VOTE_ARTIFACT_SHA256,
  LIVENESS_VOTE_VERIFICATION_KEY,
  type LivenessVote,
  livenessVoteToJson,
  type Poll,
  type VerifyLivenessVoteOptions,
  verifyLivenessVote,
  ZkirisClient,
  ZkirisSdkError,
} from "../src/index.js";
import { nodeLivenessArtifacts, releaseProverThreads } from "../src/node.js";
import { ADMIN_TOKEN, randomCode, recapture, signedCapture } from "./helpers.js";

const ARTIFACTS = join(REPO_ROOT, "circuits", "artifacts", "liveness_vote");
const CHALLENGE_TTL_MS = 10 * 60_000;
const DEVICE_ROOT_EXPIRY_MS = 60_000;
const key = DeviceKey.fromSeed("sdk-verify-liveness-device");
const alice = createIdentity();
const aliceEye = randomCode(81);

async function refusal(promise: Promise<unknown>): Promise<[string, string | undefined]> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ZkirisSdkError);
    return [(error as ZkirisSdkError).code, (error as ZkirisSdkError).field];
  }
  throw new Error("expected a refusal, the call succeeded");
}

describe("verifyLivenessVote against a real server's public records", () => {
  let dir: string;
  let registry: Registry;
  let server: Awaited<ReturnType<typeof startServer>>;
  let client: ZkirisClient;
  let operator: ZkirisClient;
  let poll: Poll;
  let plain: Poll;
  let vote: LivenessVote;
  // The registry's clock runs ahead of the wall clock by `offset` (to let a challenge rotate).
  let offset = 0;
  const now = () => Date.now() + offset;

  /** Options read from the poll's audit log as a dApp backend would, with a fresh nullifier store. */
  async function optionsFor(pollId = "live"): Promise<VerifyLivenessVoteOptions & { log: AuditLog }> {
    const log = await client.auditLog(pollId);
    return {
      log,
      poll: log.poll,
      rootHistory: () => log.roots,
      rootExpiryMs: log.rootExpiryMs,
      challenges: () => log.liveness?.challenges ?? [],
      deviceRootHistory: () => log.liveness?.deviceRoots ?? [],
      deviceRootExpiryMs: log.liveness?.deviceRootExpiryMs,
      nullifiers: new InMemoryNullifierStore(),
      now,
    };
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "zkiris-sdk-verify-liveness-"));
    registry = await Registry.open({
      database: join(dir, "registry.sqlite"),
      searchWorkers: 0,
      verifierWorkers: 1,
      livenessArtifacts: await loadLivenessVoteArtifacts(ARTIFACTS, { verifyOnly: true }),
      livenessChallengeTtlMs: CHALLENGE_TTL_MS,
      deviceRootExpiryMs: DEVICE_ROOT_EXPIRY_MS,
      now,
    });
    server = await startServer(registry, { adminToken: ADMIN_TOKEN, rateLimit: false, log: false });
    client = new ZkirisClient({ baseUrl: server.url });
    operator = new ZkirisClient({ baseUrl: server.url, adminToken: ADMIN_TOKEN });
    await operator.registerDevice(key.publicKey);
    await operator.createGroup({ id: "residents", kind: "biometric" });
    await operator.createGroup({ id: "citizens", kind: "plain" });
    const window = { options: ["yes", "no"], opensAt: Date.now() - 1000, closesAt: Date.now() + 3_600_000 };
    poll = await operator.createPoll({ id: "live", groupId: "residents", requireLiveness: true, ...window });
    plain = await operator.createPoll({ id: "plain", groupId: "citizens", ...window });
    const enrolment = await client.enrol({
      groupId: "residents",
      capture: await signedCapture(client, key, aliceEye),
      member: alice,
    });
    const { captureChallenge } = await client.pollChallenge("live");
    const capture = signCapture(key, recapture(aliceEye, 6, 0.05, 1), captureChallenge, { focus: 1 });
    vote = await client.proveLivenessVote(
      "live",
      { identity: alice, template: aliceEye, salt: enrolment.salt, capture },
      1,
      { livenessArtifacts: nodeLivenessArtifacts(ARTIFACTS) },
    );
  }, 300_000);

  afterAll(async () => {
    await client?.close();
    await operator?.close();
    await server?.close();
    await registry?.close();
    await releaseProverThreads();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("ships the committed verification key byte for byte, under the pinned SHA-256", () => {
    const shipped = readFileSync(join(REPO_ROOT, "packages", "sdk", "src", "liveness-verification-key.json"));
    const committed = readFileSync(join(ARTIFACTS, "verification_key.json"));
    expect(createHash("sha256").update(shipped).digest("hex")).toBe(
      LIVENESS_VOTE_ARTIFACT_SHA256.verificationKey,
    );
    expect(shipped.equals(committed)).toBe(true);
    expect(LIVENESS_VOTE_VERIFICATION_KEY).toEqual(JSON.parse(committed.toString("utf8")));
  });

  it("reads the poll's audit log: the challenges it issued and the device root history", async () => {
    const { log } = await optionsFor();
    expect(log).toMatchObject({ version: 2, poll, rootExpiryMs: 3_600_000, votes: [] });
    expect(log.roots.at(-1)).toMatchObject({ groupId: "residents", replacedAt: null });
    expect(log.liveness?.challenges).toEqual([
      {
        pollId: "live",
        challenge: vote.challenge,
        issuedAt: expect.any(Number),
        expiresAt: expect.any(Number),
      },
    ]);
    expect(log.liveness?.deviceRootExpiryMs).toBe(DEVICE_ROOT_EXPIRY_MS);
    expect(log.liveness?.deviceRoots.at(-1)).toEqual({
      root: vote.deviceRoot,
      createdAt: expect.any(Number),
      replacedAt: null,
    });
    expect((await client.auditLog("plain")).liveness).toBeUndefined();
    expect(await client.pollChallenges("live")).toEqual(log.liveness?.challenges);
    expect(await refusal(client.pollChallenges("plain"))).toEqual(["LIVENESS_NOT_REQUIRED", "pollId"]);
    expect(await client.deviceRootHistory()).toEqual({
      deviceRootExpiryMs: DEVICE_ROOT_EXPIRY_MS,
      roots: log.liveness?.deviceRoots,
    });
  });

  it("accepts the real vote, given with bigints or as JSON, and claims its nullifier once", async () => {
    const options = await optionsFor();
    const action = await verifyLivenessVote(livenessVoteToJson(vote), options);
    expect(action).toEqual({
      pollId: "live",
      option: 1,
      nullifier: vote.nullifier,
      scope: poll.scope,
      merkleTreeRoot: vote.merkleTreeRoot,
      challenge: vote.challenge,
      deviceRoot: vote.deviceRoot,
    });
    expect(await refusal(verifyLivenessVote(vote, options))).toEqual(["NULLIFIER_USED", "proof.nullifier"]);
  });

  it("refuses a malformed vote and a plain poll, naming the field", async () => {
    const options = await optionsFor();
    const json = livenessVoteToJson(vote);
    expect(await refusal(verifyLivenessVote("vote", options))).toEqual(["INVALID_PARAMETER", "proof"]);
    expect(await refusal(verifyLivenessVote({ ...json, challenge: "0x1" }, options))).toEqual([
      "INVALID_PARAMETER",
      "proof.challenge",
    ]);
    expect(
      await refusal(
        verifyLivenessVote({ ...json, proof: { ...json.proof, pi_a: json.proof.pi_a.slice(0, 2) } }, options),
      ),
    ).toEqual(["INVALID_PARAMETER", "proof.proof.pi_a"]);
    expect(await refusal(verifyLivenessVote(vote, { ...options, poll: plain }))).toEqual([
      "UNSUPPORTED_GROUP",
      "options.poll",
    ]);
    expect(await refusal(verifyLivenessVote(vote, { ...options, rootHistory: () => ({}) as never }))).toEqual(
      ["INVALID_PARAMETER", "options.rootHistory"],
    );
    expect(await refusal(verifyLivenessVote(vote, { ...options, challenges: undefined as never }))).toEqual([
      "INVALID_PARAMETER",
      "options.challenges",
    ]);
  });

  it("refuses outside the poll's window, for another scope and for an option the poll does not have", async () => {
    const options = await optionsFor();
    expect(await refusal(verifyLivenessVote(vote, { ...options, now: () => poll.closesAt }))).toEqual([
      "POLL_NOT_OPEN",
      "options.poll",
    ]);
    const otherPoll = { ...poll, scope: poll.scope + 1n };
    expect(await refusal(verifyLivenessVote(vote, { ...options, poll: otherPoll }))).toEqual([
      "WRONG_SCOPE",
      "proof.scope",
    ]);
    expect(await refusal(verifyLivenessVote({ ...vote, scope: vote.scope + 1n }, options))).toEqual([
      "WRONG_SCOPE",
      "proof.scope",
    ]);
    expect(await refusal(verifyLivenessVote({ ...vote, message: 2n }, options))).toEqual([
      "OPTION_OUT_OF_RANGE",
      "proof.message",
    ]);
  });

  it("refuses a root not of the group, and one replaced longer ago than the root expiry", async () => {
    const options = await optionsFor();
    expect(await refusal(verifyLivenessVote({ ...vote, merkleTreeRoot: 12345n }, options))).toEqual([
      "UNKNOWN_ROOT",
      "proof.merkleTreeRoot",
    ]);
    // Another enrolment replaces the root the vote was proved against.
    await client.enrol({
      groupId: "residents",
      capture: await signedCapture(client, key, randomCode(82)),
      member: createIdentity(),
    });
    const moved = await optionsFor();
    const replacedAt = moved.log.roots.find((r) => r.root === vote.merkleTreeRoot)!.replacedAt!;
    expect(replacedAt).toEqual(expect.any(Number));
    const late = { ...moved, rootExpiryMs: 1000, now: () => replacedAt + 1001 };
    expect(await refusal(verifyLivenessVote(vote, late))).toEqual(["STALE_ROOT", "proof.merkleTreeRoot"]);
    expect(
      await verifyLivenessVote(vote, { ...moved, rootExpiryMs: 1000, now: () => replacedAt + 1000 }),
    ).toMatchObject({ nullifier: vote.nullifier });
  });

  it("refuses a challenge the poll did not issue, an expired one, and a capture signed for another challenge", async () => {
    const options = await optionsFor();
    expect(await refusal(verifyLivenessVote({ ...vote, challenge: vote.challenge + 1n }, options))).toEqual([
      "UNKNOWN_CHALLENGE",
      "proof.challenge",
    ]);
    const issued = options.log.liveness!.challenges[0]!;
    expect(await refusal(verifyLivenessVote(vote, { ...options, now: () => issued.expiresAt }))).toEqual([
      "CHALLENGE_EXPIRED",
      "proof.challenge",
    ]);
    // Half the challenge's lifetime later the poll issues a new one; the vote's capture was signed
    // for the first, so claiming the second breaks the proof's challenge binding.
    offset += CHALLENGE_TTL_MS / 2;
    const second = await client.pollChallenge("live");
    expect(second.challenge).not.toBe(vote.challenge);
    const rotated = await optionsFor();
    expect(rotated.log.liveness!.challenges.map((c) => c.challenge)).toEqual([
      vote.challenge,
      second.challenge,
    ]);
    expect(await refusal(verifyLivenessVote({ ...vote, challenge: second.challenge }, rotated))).toEqual([
      "INVALID_PROOF",
      "proof",
    ]);
    expect(await verifyLivenessVote(vote, rotated)).toMatchObject({ challenge: vote.challenge });
  });

  it("refuses a tampered public signal and a tampered SNARK", async () => {
    const options = await optionsFor();
    expect(await refusal(verifyLivenessVote({ ...vote, nullifier: vote.nullifier + 1n }, options))).toEqual([
      "INVALID_PROOF",
      "proof",
    ]);
    expect(await refusal(verifyLivenessVote({ ...vote, message: 0n }, options))).toEqual([
      "INVALID_PROOF",
      "proof",
    ]);
    expect(await refusal(verifyLivenessVote({ ...vote, deviceRoot: vote.deviceRoot + 1n }, options))).toEqual(
      ["UNKNOWN_DEVICE_ROOT", "proof.deviceRoot"],
    );
    const { pi_a, pi_c } = vote.proof;
    const swapped = { ...vote, proof: { ...vote.proof, pi_a: pi_c, pi_c: pi_a } };
    expect(await refusal(verifyLivenessVote(swapped, options))).toEqual(["INVALID_PROOF", "proof"]);
    const bent = { ...vote, proof: { ...vote.proof, pi_a: ["1", "3", "1"] } };
    expect(await refusal(verifyLivenessVote(bent, options))).toEqual(["INVALID_PROOF", "proof"]);
    // None of the refusals claimed the nullifier.
    expect(await verifyLivenessVote(vote, options)).toMatchObject({ nullifier: vote.nullifier });
  });

  it("runs the README's backend example on the real vote", async () => {
    const readme = readFileSync(join(REPO_ROOT, "packages", "sdk", "README.md"), "utf8");
    const section = readme.slice(
      readme.indexOf("<!-- liveness-verify:begin"),
      readme.indexOf("<!-- liveness-verify:end -->"),
    );
    const block = /```ts\n([\s\S]*?)\n```/.exec(section)?.[1];
    expect(block).toContain('client.poll("assembly-2027")');
    const file = join(REPO_ROOT, "packages", "sdk", "test", `.readme-liveness-${process.pid}.ts`);
    (globalThis as { zkirisReadmeLiveness?: unknown }).zkirisReadmeLiveness = {
      client,
      vote: livenessVoteToJson(vote),
    };
    writeFileSync(
      file,
      `const { client, vote } = (globalThis as any).zkirisReadmeLiveness;\n${block!.replaceAll("assembly-2027", "live")}\nexport { verified };\n`,
    );
    try {
      const ran = await import(/* @vite-ignore */ file);
      expect(ran.verified).toMatchObject({ pollId: "live", option: 1, nullifier: vote.nullifier });
    } finally {
      rmSync(file, { force: true });
    }
  });

  it("refuses a nullifier the poll already accepted, as its audit log lists it", async () => {
    const receipt = await client.submitLivenessVote("live", vote);
    const options = await optionsFor();
    expect(options.log.votes).toEqual([{ ...receipt, proof: livenessVoteToJson(vote) }]);
    for (const v of options.log.votes) options.nullifiers.claim(poll.scope, v.nullifier);
    expect(await refusal(verifyLivenessVote(vote, options))).toEqual(["NULLIFIER_USED", "proof.nullifier"]);
  });

  it("refuses a capture device revoked longer ago than the device root expiry", async () => {
    await operator.revokeDevice(key.deviceId);
    const options = await optionsFor();
    const deviceRoots = options.log.liveness!.deviceRoots;
    expect((await client.deviceRootHistory()).roots).toEqual(deviceRoots);
    const replacedAt = deviceRoots.find((r) => r.root === vote.deviceRoot)!.replacedAt!;
    expect(deviceRoots.at(-1)).toMatchObject({ replacedAt: null });
    expect(deviceRoots.at(-1)!.root).not.toBe(vote.deviceRoot);
    expect(await refusal(verifyLivenessVote(vote, { ...options, now: () => replacedAt + 60_001 }))).toEqual([
      "STALE_DEVICE_ROOT",
      "proof.deviceRoot",
    ]);
    // Within the window the registry still accepts the device's root, and so does the verifier.
    expect(await verifyLivenessVote(vote, { ...options, now: () => replacedAt + 60_000 })).toMatchObject({
      deviceRoot: vote.deviceRoot,
    });
  });
});
