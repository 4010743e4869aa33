// Liveness-bound votes through the SDK against a real server whose registry verifies them with the
// committed liveness-vote artifacts (circuits/artifacts/liveness_vote): the poll challenge, the
// device proof, one real proof made locally, accepted once; every refusal before proving; the
// artifact resolvers (Node directory, fetched URLs, bytes) and their hash checks.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DeviceKey, signCapture } from "@zkiris/device";
import { livenessCaptureChallenge, loadLivenessVoteArtifacts } from "@zkiris/match-proof";
import { Registry } from "@zkiris/registry";
import { startServer } from "@zkiris/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkedLivenessArtifacts,
  createIdentity,
  fetchLivenessArtifacts,
  LIVENESS_VOTE_ARTIFACT_SHA256,
  type Poll,
  ZkirisClient,
  ZkirisSdkError,
} from "../src/index.js";
import { nodeArtifacts, nodeLivenessArtifacts, releaseProverThreads } from "../src/node.js";
import { ADMIN_TOKEN, randomCode, recapture, signedCapture } from "./helpers.js";

const ARTIFACTS = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "..",
  "circuits",
  "artifacts",
  "liveness_vote",
);
const key = DeviceKey.fromSeed("sdk-liveness-device");
const alice = createIdentity();
const bob = createIdentity();
const aliceEye = randomCode(71);
const bobEye = randomCode(72);

async function refusal(promise: Promise<unknown>): Promise<ZkirisSdkError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ZkirisSdkError);
    return error as ZkirisSdkError;
  }
  throw new Error("expected a refusal, the call succeeded");
}

const codeAndField = (e: ZkirisSdkError) => [e.code, e.field];

describe("the pinned liveness-vote artifacts", () => {
  it("are the hashes the committed manifest lists", () => {
    const manifest = JSON.parse(readFileSync(join(ARTIFACTS, "manifest.json"), "utf8"));
    expect(LIVENESS_VOTE_ARTIFACT_SHA256).toEqual({
      wasm: manifest.files.wasm.sha256,
      zkey: manifest.files.zkey.sha256,
      verificationKey: manifest.files.verificationKey.sha256,
    });
  });

  it("are refused from bytes with one flipped byte, naming the file", async () => {
    const read = (name: string) => new Uint8Array(readFileSync(join(ARTIFACTS, name)));
    const wasm = read("liveness_vote.wasm");
    wasm[100]! ^= 1;
    const e = await refusal(
      checkedLivenessArtifacts({
        manifest: read("manifest.json"),
        wasm,
        zkey: read("liveness_vote.zkey"),
        verificationKey: read("verification_key.json"),
      }),
    );
    expect(codeAndField(e)).toEqual(["ARTIFACT_HASH_MISMATCH", "wasm"]);
  });

  it("are refused from a directory whose manifest lists other files than the pinned ones", async () => {
    const dir = mkdtempSync(join(tmpdir(), "zkiris-sdk-liveness-"));
    try {
      cpSync(ARTIFACTS, dir, { recursive: true });
      const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
      const other = new Uint8Array(readFileSync(join(dir, "verification_key.json")));
      other[other.length - 2] = 0x20;
      writeFileSync(join(dir, "verification_key.json"), other);
      const digest = await crypto.subtle.digest("SHA-256", other);
      manifest.files.verificationKey.sha256 = Buffer.from(digest).toString("hex");
      writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
      const e = await refusal(Promise.resolve(nodeLivenessArtifacts(dir)()));
      expect(codeAndField(e)).toEqual(["ARTIFACT_HASH_MISMATCH", "manifest.files.verificationKey"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("are missing from a directory that has none, and a resolver must be given", async () => {
    const e = await refusal(Promise.resolve(nodeLivenessArtifacts(join(ARTIFACTS, "nowhere"))()));
    expect(codeAndField(e)).toEqual(["ARTIFACTS_MISSING", "manifest"]);
    expect(() => nodeLivenessArtifacts("")).toThrow(expect.objectContaining({ code: "INVALID_PARAMETER" }));
  });

  it("are fetched only from the URLs given, and an HTTP error is ARTIFACTS_MISSING", async () => {
    const asked: string[] = [];
    const files: Record<string, string> = {
      "/a/manifest.json": "manifest.json",
      "/a/v.wasm": "liveness_vote.wasm",
      "/a/v.zkey": "liveness_vote.zkey",
      "/a/vk.json": "verification_key.json",
    };
    const fetch = (async (input: string) => {
      const path = new URL(input).pathname;
      asked.push(input);
      const name = files[path];
      return name === undefined
        ? new Response("no", { status: 404 })
        : new Response(readFileSync(join(ARTIFACTS, name)));
    }) as unknown as typeof globalThis.fetch;
    const urls = {
      manifest: "http://service.test/a/manifest.json",
      wasm: "http://service.test/a/v.wasm",
      zkey: "http://service.test/a/v.zkey",
      verificationKey: "http://service.test/a/vk.json",
    };
    const arrived: string[] = [];
    const artifacts = await fetchLivenessArtifacts(urls, { fetch, onProgress: (f) => arrived.push(f) });
    expect(artifacts.merkleTreeMaxDepth).toBe(20);
    expect(asked.sort()).toEqual(Object.values(urls).sort());
    expect(arrived.sort()).toEqual(["manifest", "verificationKey", "wasm", "zkey"]);
    const e = await refusal(
      fetchLivenessArtifacts({ ...urls, zkey: "http://service.test/a/missing" }, { fetch }),
    );
    expect([e.code, e.field, e.message]).toEqual([
      "ARTIFACTS_MISSING",
      "zkey",
      "Fetching the liveness-vote zkey from http://service.test/a/missing answered HTTP 404",
    ]);
  });
});

describe("liveness-bound votes against a real server", () => {
  let dir: string;
  let registry: Registry;
  let server: Awaited<ReturnType<typeof startServer>>;
  let client: ZkirisClient;
  let operator: ZkirisClient;
  let live: Poll;
  const livenessArtifacts = nodeLivenessArtifacts(ARTIFACTS);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "zkiris-sdk-liveness-"));
    registry = await Registry.open({
      database: join(dir, "registry.sqlite"),
      searchWorkers: 0,
      verifierWorkers: 1,
      livenessArtifacts: await loadLivenessVoteArtifacts(ARTIFACTS, { verifyOnly: true }),
    });
    server = await startServer(registry, { adminToken: ADMIN_TOKEN, rateLimit: false, log: false });
    client = new ZkirisClient({ baseUrl: server.url });
    operator = new ZkirisClient({ baseUrl: server.url, adminToken: ADMIN_TOKEN });
    await operator.registerDevice(key.publicKey);
    await operator.createGroup({ id: "residents", kind: "biometric" });
    await operator.createGroup({ id: "citizens", kind: "plain" });
    const window = { options: ["yes", "no"], opensAt: Date.now() - 1000, closesAt: Date.now() + 3_600_000 };
    live = await operator.createPoll({ id: "live", groupId: "residents", requireLiveness: true, ...window });
    await operator.createPoll({ id: "plain", groupId: "citizens", ...window });
  }, 120_000);

  afterAll(async () => {
    await client?.close();
    await operator?.close();
    await server?.close();
    await registry?.close();
    await releaseProverThreads();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("hands out the poll's challenge, the capture challenge bound to its scope, and device proofs", async () => {
    const challenge = await client.pollChallenge("live");
    expect(challenge).toEqual({
      pollId: "live",
      challenge: expect.any(BigInt),
      captureChallenge: livenessCaptureChallenge(live.scope, challenge.challenge),
      issuedAt: expect.any(Number),
      expiresAt: expect.any(Number),
    });
    expect((await client.pollChallenge("live")).challenge).toBe(challenge.challenge);
    const e = await refusal(client.pollChallenge("plain"));
    expect([e.code, e.status]).toEqual(["LIVENESS_NOT_REQUIRED", 422]);
    const proof = await client.deviceProof(key.deviceId);
    expect(proof.root).toBe(registry.deviceProof(key.deviceId).root);
    expect(proof.siblings).toHaveLength(10);
    expect((await refusal(client.deviceProof(12345n))).code).toBe("UNKNOWN_DEVICE");
  });

  it("makes a liveness-bound vote locally from a capture signed for the poll, accepted once", async () => {
    const aliceEnrolment = await client.enrol({
      groupId: "residents",
      capture: await signedCapture(client, key, aliceEye),
      member: alice,
    });
    await client.enrol({
      groupId: "residents",
      capture: await signedCapture(client, key, bobEye),
      member: bob,
    });
    const { captureChallenge } = await client.pollChallenge("live");
    const capture = signCapture(key, recapture(aliceEye, 5, 0.05, 2), captureChallenge, { focus: 1 });
    const voter = { identity: alice, template: aliceEye, salt: aliceEnrolment.salt, capture };
    const stages: string[] = [];
    const vote = await client.proveLivenessVote("live", voter, 1, {
      livenessArtifacts,
      onStage: (s) => stages.push(s),
    });
    expect(stages).toEqual(["artifacts", "witness", "proving"]);
    expect(vote).toMatchObject({
      message: 1n,
      scope: live.scope,
      deviceRoot: registry.deviceProof(key.deviceId).root,
    });
    const receipt = await client.submitLivenessVote("live", vote);
    expect(receipt).toMatchObject({ pollId: "live", option: 1, nullifier: vote.nullifier });
    const again = await refusal(client.submitLivenessVote("live", vote));
    expect([again.code, again.status]).toEqual(["DUPLICATE_NULLIFIER", 409]);
    expect(await client.tally("live")).toEqual({
      pollId: "live",
      options: ["yes", "no"],
      counts: [0, 1],
      total: 1,
    });
  }, 240_000);

  it("refuses before proving: a plain poll, a plain proof, another challenge, another eye, no artifacts", async () => {
    const { captureChallenge } = await client.pollChallenge("live");
    const template = bobEye;
    const salt = 1n; // not Bob's salt: every refusal below comes before the membership check or is it
    const fresh = signCapture(key, recapture(bobEye, 9, 0.05), captureChallenge, { focus: 1 });
    const voter = { identity: bob, template, salt, capture: fresh };
    const options = { livenessArtifacts };

    expect(codeAndField(await refusal(client.proveLivenessVote("plain", voter, 0, options)))).toEqual([
      "UNSUPPORTED_GROUP",
      "pollId",
    ]);
    expect(
      codeAndField(await refusal(client.proveVote("live", bob, 0, { artifacts: nodeArtifacts() }))),
    ).toEqual(["UNSUPPORTED_GROUP", "pollId"]);
    expect(codeAndField(await refusal(client.proveLivenessVote("live", voter, 2, options)))).toEqual([
      "INVALID_PARAMETER",
      "option",
    ]);
    expect(
      codeAndField(await refusal(client.proveLivenessVote("live", { ...voter, capture: "{}" }, 0, options))),
    ).toEqual(["MALFORMED_PACKET", "voter.capture.version"]);
    expect(
      codeAndField(
        await refusal(client.proveLivenessVote("live", voter, 0, { livenessArtifacts: undefined as never })),
      ),
    ).toEqual(["ARTIFACTS_MISSING", "livenessArtifacts"]);
    // Bob with a wrong salt: his leaf is not in the group.
    expect(codeAndField(await refusal(client.proveLivenessVote("live", voter, 0, options)))).toEqual([
      "NOT_A_MEMBER",
      "group",
    ]);
  });

  it("refuses a capture signed for another challenge, and another person's eye", async () => {
    const members = await client.members("residents");
    expect(members).toHaveLength(2);
    const carol = createIdentity();
    const carolEye = randomCode(73);
    const carolEnrolment = await client.enrol({
      groupId: "residents",
      capture: await signedCapture(client, key, carolEye),
      member: carol,
    });
    const voter = { identity: carol, template: carolEye, salt: carolEnrolment.salt };
    const options = { livenessArtifacts };
    const { challenge } = await client.requestChallenge(); // an enrolment challenge, not the poll's
    const stale = signCapture(key, recapture(carolEye, 3, 0.05), challenge, { focus: 1 });
    expect(
      codeAndField(await refusal(client.proveLivenessVote("live", { ...voter, capture: stale }, 0, options))),
    ).toEqual(["CHALLENGE_MISMATCH", "voter.capture.challenge"]);
    const { captureChallenge } = await client.pollChallenge("live");
    const someoneElse = signCapture(key, aliceEye, captureChallenge, { focus: 1 });
    expect(
      (await refusal(client.proveLivenessVote("live", { ...voter, capture: someoneElse }, 0, options))).code,
    ).toBe("NO_MATCH");
  });
});
