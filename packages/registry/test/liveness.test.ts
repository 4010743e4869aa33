// Liveness-required polls with real liveness-bound votes (committed default-profile artifacts of
// circuits/artifacts/liveness_vote). Each proof takes seconds, so each backend makes three and
// replays them at chosen times of the registry's clock: one accepted (and replayed, recounted), one
// refused as its device root, challenge and group root age, one for another poll's challenge.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Group } from "@semaphore-protocol/group";
import { Identity } from "@semaphore-protocol/identity";
import { generateProof } from "@semaphore-protocol/proof";
import { DeviceKey, parseCapturePacket, signCapture } from "@zkiris/device";
import { DEFAULT_PROFILE, type IrisCode } from "@zkiris/iris-code";
import {
  type LivenessVoteArtifacts,
  type LivenessVoteProof,
  livenessCaptureChallenge,
  loadLivenessVoteArtifacts,
  proveLivenessVote,
} from "@zkiris/match-proof";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuditLog, Registry, recount, semaphoreArtifacts } from "../src/index.js";
import {
  BACKENDS,
  enrolmentRequest,
  randomCode,
  recapture,
  sqliteDatabase,
  type TestDatabase,
} from "./helpers.js";

const here = dirname(fileURLToPath(import.meta.url));
const LIVENESS_ARTIFACTS = join(here, "..", "..", "..", "circuits", "artifacts", "liveness_vote");
const T0 = 1_770_000_000_000;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let artifacts: LivenessVoteArtifacts;

beforeAll(async () => {
  artifacts = await loadLivenessVoteArtifacts(LIVENESS_ARTIFACTS);
}, 120_000);

afterAll(async () => {
  await artifacts?.close();
});

interface Voter {
  readonly identity: Identity;
  readonly template: IrisCode;
  readonly salt: bigint;
}

const voters = {
  alice: { identity: new Identity("liveness-alice"), template: randomCode(501, 0.05), salt: 1001n },
  bob: { identity: new Identity("liveness-bob"), template: randomCode(502, 0.05), salt: 1002n },
  carol: { identity: new Identity("liveness-carol"), template: randomCode(503, 0.05), salt: 1003n },
} satisfies Record<string, Voter>;

describe("liveness polls without liveness artifacts", () => {
  it("refuses to create one (LIVENESS_UNAVAILABLE), and a liveness poll on a plain group", async () => {
    const db = sqliteDatabase();
    const registry = await Registry.open({ database: db.location, searchWorkers: 0, verifierWorkers: 1 });
    try {
      await registry.createGroup({ id: "bio", kind: "biometric" });
      const poll = { options: ["yes", "no"], opensAt: 0, closesAt: 1, requireLiveness: true };
      await expect(registry.createPoll({ id: "l", groupId: "bio", ...poll })).rejects.toMatchObject({
        code: "LIVENESS_UNAVAILABLE",
      });
      await expect(
        registry.createPoll({ id: "l", groupId: "bio", ...poll, requireLiveness: "yes" as never }),
      ).rejects.toMatchObject({ code: "INVALID_PARAMETER", field: "requireLiveness" });
      expect(await registry.polls()).toEqual([]);
    } finally {
      await registry.close();
      await db.drop();
    }
  });
});

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(backend.title("liveness polls with real liveness-bound votes"), () => {
    let db: TestDatabase;
    let registry: Registry;
    let now = T0;
    const key = DeviceKey.fromSeed("liveness-poll-camera");
    const laterKey = DeviceKey.fromSeed("liveness-poll-camera-2");
    let challenge1: bigint;
    let challenge2: bigint;
    let aliceVote: LivenessVoteProof; // poll-l1, option 1, challenge of poll-l1, root {alice, bob}
    let bobVote: LivenessVoteProof; // poll-l1, option 0, the same challenge and root
    let bobOtherChallenge: LivenessVoteProof; // poll-l1's scope, challenge issued for poll-l2

    async function enrol(voter: Voter) {
      return registry.enrol(
        await enrolmentRequest(registry, key, voter.template, voter.identity.commitment, {
          groupId: "bio",
          salt: voter.salt,
          timestamp: now,
        }),
      );
    }

    async function prove(voter: Voter, pollId: string, option: number, challenge: bigint) {
      const poll = await registry.poll(pollId);
      const scope = BigInt(poll.scope);
      const probe = recapture(voter.template, 77, 0.05, 2);
      const packet = signCapture(key, probe, livenessCaptureChallenge(scope, challenge), {}, now);
      const members = await registry.repository.listMembers("bio");
      return proveLivenessVote(
        {
          identity: voter.identity,
          group: new Group(members.map((m) => BigInt(m.leaf))),
          template: voter.template,
          salt: voter.salt,
          capture: parseCapturePacket(JSON.stringify(packet)),
          deviceProof: registry.deviceProof(key.deviceId),
          scope,
          message: option,
          challenge,
        },
        { artifacts },
      );
    }

    beforeAll(async () => {
      db = backend.create();
      registry = await Registry.open({
        database: db.location,
        profile: { ...DEFAULT_PROFILE, ...artifacts.profile },
        searchWorkers: 0,
        verifierWorkers: 1,
        rootExpiryMs: HOUR,
        livenessChallengeTtlMs: 10 * MINUTE,
        deviceRootExpiryMs: 2 * MINUTE,
        livenessArtifacts: artifacts,
        now: () => now,
      });
      await registry.registerDevice(key.publicKey);
      await registry.createGroup({ id: "bio", kind: "biometric" });
      await registry.createGroup({ id: "plain", kind: "plain" });
      await enrol(voters.alice);
      await enrol(voters.bob);
      const window = { options: ["yes", "no"], opensAt: T0, closesAt: T0 + 10 * HOUR };
      await registry.createPoll({ id: "poll-l1", groupId: "bio", requireLiveness: true, ...window });
      await registry.createPoll({ id: "poll-l2", groupId: "bio", requireLiveness: true, ...window });
      await registry.createPoll({ id: "poll-plain", groupId: "plain", ...window });
      challenge1 = (await registry.pollChallenge("poll-l1")).challenge;
      challenge2 = (await registry.pollChallenge("poll-l2")).challenge;
      aliceVote = await prove(voters.alice, "poll-l1", 1, challenge1);
      bobVote = await prove(voters.bob, "poll-l1", 0, challenge1);
      bobOtherChallenge = await prove(voters.bob, "poll-l1", 0, challenge2);
    }, 600_000);

    afterAll(async () => {
      await registry?.close();
      await db?.drop();
    });

    it("creates liveness polls only on biometric groups and issues a rotating per-poll challenge", async () => {
      expect(await registry.poll("poll-l1")).toMatchObject({ id: "poll-l1", requireLiveness: true });
      expect(await registry.poll("poll-plain")).not.toHaveProperty("requireLiveness");
      await expect(
        registry.createPoll({
          id: "poll-x",
          groupId: "plain",
          options: ["a", "b"],
          opensAt: T0,
          closesAt: T0 + HOUR,
          requireLiveness: true,
        }),
      ).rejects.toMatchObject({ code: "INVALID_PARAMETER", field: "requireLiveness" });
      const first = await registry.pollChallenge("poll-l1");
      const scope = BigInt((await registry.poll("poll-l1")).scope);
      expect(first).toEqual({
        pollId: "poll-l1",
        challenge: challenge1,
        captureChallenge: livenessCaptureChallenge(scope, challenge1),
        issuedAt: T0,
        expiresAt: T0 + 10 * MINUTE,
      });
      expect(challenge2).not.toBe(challenge1);
      await expect(registry.pollChallenge("poll-plain")).rejects.toMatchObject({
        code: "LIVENESS_NOT_REQUIRED",
        field: "pollId",
      });
      await expect(registry.pollChallenge("nope")).rejects.toMatchObject({ code: "UNKNOWN_POLL" });
    });

    it("accepts a liveness vote once, also under concurrent submissions, and counts it", async () => {
      now = T0 + 1000;
      const outcomes = await Promise.allSettled([
        registry.livenessVote("poll-l1", aliceVote),
        registry.livenessVote("poll-l1", aliceVote),
      ]);
      const accepted = outcomes.filter((o) => o.status === "fulfilled");
      const refused = outcomes.filter((o) => o.status === "rejected");
      expect(accepted).toHaveLength(1);
      expect(accepted[0]!.value).toMatchObject({
        pollId: "poll-l1",
        option: 1,
        nullifier: aliceVote.nullifier,
        root: aliceVote.merkleTreeRoot,
        acceptedAt: T0 + 1000,
      });
      expect(refused).toHaveLength(1);
      expect(refused[0]!.reason).toMatchObject({ code: "DUPLICATE_NULLIFIER", field: "proof.nullifier" });
      await expect(registry.livenessVote("poll-l1", aliceVote)).rejects.toMatchObject({
        code: "DUPLICATE_NULLIFIER",
      });
      expect(await registry.tally("poll-l1")).toEqual({
        pollId: "poll-l1",
        options: ["yes", "no"],
        counts: [0, 1],
        total: 1,
      });
    });

    it("refuses a vote for another poll's challenge, tampered public values, and the wrong kind of proof", async () => {
      await expect(registry.livenessVote("poll-l1", bobOtherChallenge)).rejects.toMatchObject({
        code: "UNKNOWN_CHALLENGE",
        field: "proof.challenge",
      });
      // The same proof claimed for poll-l2, whose challenge it carries: another poll's scope.
      await expect(registry.livenessVote("poll-l2", bobOtherChallenge)).rejects.toMatchObject({
        code: "SCOPE_MISMATCH",
      });
      await expect(registry.livenessVote("poll-l1", { ...bobVote, message: "1" })).rejects.toMatchObject({
        code: "INVALID_PROOF",
        field: "proof",
      });
      await expect(registry.livenessVote("poll-l1", { ...bobVote, message: "2" })).rejects.toMatchObject({
        code: "OPTION_OUT_OF_RANGE",
      });
      await expect(
        registry.livenessVote("poll-l1", { ...bobVote, deviceRoot: "12345" }),
      ).rejects.toMatchObject({ code: "UNKNOWN_DEVICE_ROOT", field: "proof.deviceRoot" });
      await expect(
        registry.livenessVote("poll-l1", { ...bobVote, challenge: "x" as never }),
      ).rejects.toMatchObject({ code: "INVALID_PARAMETER", field: "proof.challenge" });
      const badPoint = { ...bobVote, proof: { ...bobVote.proof, pi_a: ["x", "1", "1"] } };
      await expect(registry.livenessVote("poll-l1", badPoint)).rejects.toMatchObject({
        code: "INVALID_PARAMETER",
        field: "proof.proof.pi_a[0]",
      });
      await expect(registry.livenessVote("poll-plain", aliceVote)).rejects.toMatchObject({
        code: "LIVENESS_NOT_REQUIRED",
        field: "pollId",
      });
      const plain = new Identity("liveness-plain");
      const group = new Group([plain.commitment]);
      const scope = (await registry.poll("poll-l1")).scope;
      const semaphore = await generateProof(plain, group, 0, scope, 1, await semaphoreArtifacts(1));
      await expect(registry.vote("poll-l1", semaphore)).rejects.toMatchObject({
        code: "LIVENESS_REQUIRED",
        field: "proof",
      });
      expect((await registry.tally("poll-l1")).total).toBe(1);
    });

    it("hands out the same challenge for half its lifetime, then one new one", async () => {
      now = T0 + 5 * MINUTE - 1;
      expect((await registry.pollChallenge("poll-l1")).challenge).toBe(challenge1);
      now = T0 + 5 * MINUTE;
      // Concurrent requests at the rotation get one new challenge between them.
      const [next, same] = await Promise.all([
        registry.pollChallenge("poll-l1"),
        registry.pollChallenge("poll-l1"),
      ]);
      expect(same).toEqual(next);
      expect(await registry.repository.listPollChallenges("poll-l1")).toHaveLength(2);
      expect(next.challenge).not.toBe(challenge1);
      expect(next).toMatchObject({ issuedAt: T0 + 5 * MINUTE, expiresAt: T0 + 15 * MINUTE });
    });

    it("refuses a vote on a replaced device root, an expired challenge, then a stale group root", async () => {
      now = T0 + 5 * MINUTE;
      await enrol(voters.carol); // replaces the root bobVote was made on
      await registry.registerDevice(laterKey.publicKey); // replaces the device root
      now = T0 + 7 * MINUTE + 1;
      await expect(registry.livenessVote("poll-l1", bobVote)).rejects.toMatchObject({
        code: "STALE_DEVICE_ROOT",
        field: "proof.deviceRoot",
      });
      now = T0 + 10 * MINUTE;
      await expect(registry.livenessVote("poll-l1", bobVote)).rejects.toMatchObject({
        code: "CHALLENGE_EXPIRED",
        field: "proof.challenge",
      });
      now = T0 + 5 * MINUTE + HOUR + 1;
      await expect(registry.livenessVote("poll-l1", bobVote)).rejects.toMatchObject({
        code: "STALE_ROOT",
        field: "proof.merkleTreeRoot",
      });
      expect((await registry.tally("poll-l1")).total).toBe(1);
    });

    it("publishes a version-2 audit log that recount re-verifies offline", async () => {
      const log = await registry.auditLog("poll-l1");
      expect(log.version).toBe(2);
      expect(log.votes.map((v) => v.proof)).toEqual([aliceVote]);
      expect(log.liveness!.challenges.map((c) => c.value)).toEqual([
        challenge1.toString(),
        (await registry.repository.listPollChallenges("poll-l1"))[1]!.value,
      ]);
      // The empty tree's root, the one with the first camera, and the current one with both.
      expect(log.liveness!.deviceRoots.map((r) => [r.createdAt, r.replacedAt])).toEqual([
        [T0, T0],
        [T0, T0 + 5 * MINUTE],
        [T0 + 5 * MINUTE, null],
      ]);
      expect(log.liveness!.deviceRoots[2]!.root).toBe(registry.deviceRegistry().root.toString());
      expect(log.liveness!.deviceRootExpiryMs).toBe(2 * MINUTE);
      const copy = JSON.parse(JSON.stringify(log)) as AuditLog;
      expect(await recount(copy, { livenessArtifacts: artifacts })).toEqual({
        pollId: "poll-l1",
        counts: [0, 1],
        total: 1,
        rejected: [],
      });
      await expect(recount(copy)).rejects.toMatchObject({
        code: "INVALID_PARAMETER",
        field: "livenessArtifacts",
      });
      const vote = copy.votes[0]!;
      const proof = vote.proof as LivenessVoteProof;
      const forged: AuditLog = {
        ...copy,
        votes: [
          { ...vote, seq: 10, proof: { ...proof, proof: bobVote.proof } },
          { ...vote, seq: 11, option: 0, proof: { ...proof, message: "0" } },
          { ...vote, seq: 12, proof: { ...proof, challenge: "7" } },
          { ...vote, seq: 13, proof: { ...proof, deviceRoot: "7" } },
          { ...vote, seq: 14, acceptedAt: T0 + HOUR },
          { ...vote, seq: 15, proof: { ...proof, proof: undefined } as never },
          { ...vote, seq: 18, proof: { ...proof, proof: { ...proof.proof, pi_c: ["1", "1"] } } },
          { ...vote, seq: 16 },
          { ...vote, seq: 17 },
        ],
      };
      expect(await recount(forged, { livenessArtifacts: artifacts })).toEqual({
        pollId: "poll-l1",
        counts: [0, 1],
        total: 1,
        rejected: [
          { seq: 10, reason: "INVALID_PROOF" },
          { seq: 11, reason: "INVALID_PROOF" },
          { seq: 12, reason: "UNKNOWN_CHALLENGE" },
          { seq: 13, reason: "UNKNOWN_DEVICE_ROOT" },
          { seq: 14, reason: "CHALLENGE_EXPIRED" },
          { seq: 15, reason: "MALFORMED_PROOF" },
          { seq: 18, reason: "MALFORMED_PROOF" },
          { seq: 17, reason: "DUPLICATE_NULLIFIER" },
        ],
      });
      // A liveness log presented as a plain one: its votes are not Semaphore proofs.
      const { liveness: _dropped, ...plain } = copy;
      expect(await recount({ ...plain, version: 1 }, { workers: 1 })).toMatchObject({
        total: 0,
        rejected: [{ seq: vote.seq, reason: "MALFORMED_PROOF" }],
      });
    });

    it("keeps liveness polls, challenges, votes and device roots across a restart", async () => {
      const before = await registry.auditLog("poll-l1");
      await registry.close();
      registry = await Registry.open({
        database: db.location,
        profile: { ...DEFAULT_PROFILE, ...artifacts.profile },
        searchWorkers: 0,
        verifierWorkers: 1,
        rootExpiryMs: HOUR,
        livenessChallengeTtlMs: 10 * MINUTE,
        deviceRootExpiryMs: 2 * MINUTE,
        livenessArtifacts: artifacts,
        now: () => now,
      });
      expect(await registry.auditLog("poll-l1")).toEqual(before);
      expect(await registry.poll("poll-l1")).toMatchObject({ requireLiveness: true });
      expect(await registry.tally("poll-l1")).toMatchObject({ counts: [0, 1], total: 1 });
    });
  });
}
