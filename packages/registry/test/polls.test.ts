import { Group } from "@semaphore-protocol/group";
import { Identity } from "@semaphore-protocol/identity";
import { generateProof, type SemaphoreProof } from "@semaphore-protocol/proof";
import { DeviceKey } from "@zkiris/device";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuditLog, defaultPollScope, Registry, recount, semaphoreArtifacts } from "../src/index.js";
import { BACKENDS, enrolmentRequest, randomCode, type TestDatabase } from "./helpers.js";

const T0 = 1_760_000_000_000;
const HOUR = 3_600_000;
const alice = new Identity("alice-secret");
const bob = new Identity("bob-secret");
const carol = new Identity("carol-secret");

async function prove(identity: Identity, members: Identity[], option: number | string, scope: bigint) {
  const group = new Group(members.map((m) => m.commitment));
  const depth = Math.max(1, group.depth);
  return generateProof(identity, group, option, scope, depth, await semaphoreArtifacts(depth));
}

// Proofs are expensive (~1 s each), so the few this file needs are made once and replayed against
// each backend: the plain group's leaves are the identity commitments, so its roots are the same.
let proofs: {
  aliceA: SemaphoreProof; // option 1, root of {alice, bob}
  bobA: SemaphoreProof; // option 0, root of {alice, bob}
  carolA: SemaphoreProof; // option 2, root of {alice, bob, carol}
  aliceB: SemaphoreProof; // poll B, option 0, root of {alice, bob}
};

beforeAll(async () => {
  const scopeA = defaultPollScope("poll-a");
  const scopeB = defaultPollScope("poll-b");
  proofs = {
    aliceA: await prove(alice, [alice, bob], 1, scopeA),
    bobA: await prove(bob, [alice, bob], 0, scopeA),
    carolA: await prove(carol, [alice, bob, carol], 2, scopeA),
    aliceB: await prove(alice, [alice, bob], 0, scopeB),
  };
}, 120_000);

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(backend.title("polls"), () => {
    let db: TestDatabase;
    let registry: Registry;
    let now = T0;
    const key = DeviceKey.fromSeed("poll-test-device");

    async function enrol(identity: Identity, seed: number) {
      return registry.enrol(
        await enrolmentRequest(registry, key, randomCode(seed), identity.commitment, {
          groupId: "voters",
          timestamp: now,
        }),
      );
    }

    beforeAll(async () => {
      db = backend.create();
      registry = await Registry.open({
        database: db.location,
        searchWorkers: 1,
        verifierWorkers: 2,
        rootExpiryMs: HOUR,
        now: () => now,
      });
      await registry.registerDevice(key.publicKey);
      await registry.createGroup({ id: "voters", kind: "plain" });
      await enrol(alice, 1);
      await enrol(bob, 2);
      const poll = { groupId: "voters", opensAt: T0, closesAt: T0 + 10 * HOUR };
      await registry.createPoll({ id: "poll-a", options: ["red", "green", "blue"], ...poll });
      await registry.createPoll({ id: "poll-b", options: ["yes", "no"], ...poll });
      await registry.createPoll({
        id: "poll-later",
        options: ["yes", "no"],
        ...poll,
        opensAt: T0 + 5 * HOUR,
      });
    });

    afterAll(async () => {
      await registry?.close();
      await db?.drop();
    });

    it("creates polls with the default scope and refuses bad definitions", async () => {
      expect(await registry.poll("poll-a")).toEqual({
        id: "poll-a",
        groupId: "voters",
        scope: defaultPollScope("poll-a").toString(),
        options: ["red", "green", "blue"],
        opensAt: T0,
        closesAt: T0 + 10 * HOUR,
        createdAt: T0,
      });
      const base = { id: "p2", groupId: "voters", options: ["a", "b"], opensAt: T0, closesAt: T0 + 1 };
      await expect(registry.createPoll({ ...base, id: "poll-a" })).rejects.toMatchObject({
        code: "POLL_EXISTS",
      });
      await expect(registry.createPoll({ ...base, scope: defaultPollScope("poll-a") })).rejects.toMatchObject(
        {
          code: "SCOPE_IN_USE",
          field: "scope",
          message: `Parameter 'scope' (${defaultPollScope("poll-a")}) is the scope of poll 'poll-a'; a proof for one scope would count in both polls`,
        },
      );
      await expect(registry.poll("p2")).rejects.toMatchObject({ code: "UNKNOWN_POLL" });
      await expect(registry.createPoll({ ...base, groupId: "nobody" })).rejects.toMatchObject({
        code: "UNKNOWN_GROUP",
      });
      await expect(registry.createPoll({ ...base, options: ["only"] })).rejects.toMatchObject({
        field: "options",
      });
      await expect(registry.createPoll({ ...base, options: ["a", ""] })).rejects.toMatchObject({
        field: "options[1]",
      });
      await expect(registry.createPoll({ ...base, closesAt: T0 })).rejects.toMatchObject({
        field: "closesAt",
      });
      await expect(registry.createPoll({ ...base, scope: "-1" })).rejects.toMatchObject({ field: "scope" });
      await expect(registry.poll("nope")).rejects.toMatchObject({ code: "UNKNOWN_POLL", field: "pollId" });
    });

    it("accepts a valid vote and refuses its replay", async () => {
      const receipt = await registry.vote("poll-a", proofs.aliceA);
      expect(receipt).toMatchObject({
        pollId: "poll-a",
        option: 1,
        nullifier: proofs.aliceA.nullifier,
        root: proofs.aliceA.merkleTreeRoot,
        acceptedAt: T0,
      });
      await expect(registry.vote("poll-a", proofs.aliceA)).rejects.toMatchObject({
        code: "DUPLICATE_NULLIFIER",
        field: "proof.nullifier",
      });
    });

    it("accepts a recent root within its expiry window after the group changed", async () => {
      await enrol(carol, 3);
      expect(registry.group("voters").root.toString()).toBe(proofs.carolA.merkleTreeRoot);
      now = T0 + HOUR;
      expect((await registry.vote("poll-a", proofs.bobA)).option).toBe(0);
    });

    it("lets exactly one of several concurrent submissions of one nullifier land", async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, () => registry.vote("poll-a", proofs.carolA)),
      );
      expect(results.filter((r) => r.status === "fulfilled").length).toBe(1);
      for (const r of results.filter((r) => r.status === "rejected") as PromiseRejectedResult[]) {
        expect(r.reason.code).toBe("DUPLICATE_NULLIFIER");
      }
      expect(await registry.tally("poll-a")).toEqual({
        pollId: "poll-a",
        options: ["red", "green", "blue"],
        counts: [1, 1, 1],
        total: 3,
      });
    });

    it("refuses votes with a wrong scope, option, root, proof or window, storing nothing", async () => {
      const b = proofs.aliceB;
      await expect(registry.vote("poll-a", b)).rejects.toMatchObject({
        code: "SCOPE_MISMATCH",
        field: "proof.scope",
      });
      await expect(registry.vote("poll-b", { ...b, message: "2" })).rejects.toMatchObject({
        code: "OPTION_OUT_OF_RANGE",
        field: "proof.message",
      });
      await expect(registry.vote("poll-b", { ...b, merkleTreeRoot: "12345" })).rejects.toMatchObject({
        code: "UNKNOWN_ROOT",
        field: "proof.merkleTreeRoot",
      });
      await expect(registry.vote("poll-b", { ...b, message: "1" })).rejects.toMatchObject({
        code: "INVALID_PROOF",
        field: "proof",
      });
      const points = [...b.points];
      points[0] = "1";
      await expect(registry.vote("poll-b", { ...b, points: points as never })).rejects.toMatchObject({
        code: "INVALID_PROOF",
      });
      await expect(
        registry.vote("poll-b", { ...b, points: b.points.slice(0, 7) as never }),
      ).rejects.toMatchObject({
        code: "INVALID_PARAMETER",
        field: "proof.points",
      });
      await expect(registry.vote("poll-b", { ...b, nullifier: "x" })).rejects.toMatchObject({
        field: "proof.nullifier",
      });
      await expect(registry.vote("poll-later", b)).rejects.toMatchObject({
        code: "POLL_NOT_OPEN",
        field: "pollId",
      });
      await expect(registry.vote("poll-zzz", b)).rejects.toMatchObject({ code: "UNKNOWN_POLL" });
      expect((await registry.tally("poll-b")).total).toBe(0);
    });

    it("refuses a replaced root once its expiry has passed", async () => {
      now = T0 + 2 * HOUR + 1;
      await expect(registry.vote("poll-b", proofs.aliceB)).rejects.toMatchObject({
        code: "STALE_ROOT",
        field: "proof.merkleTreeRoot",
      });
      now = T0 + 10 * HOUR;
      await expect(registry.vote("poll-a", proofs.aliceB)).rejects.toMatchObject({ code: "POLL_NOT_OPEN" });
      expect((await registry.tally("poll-b")).total).toBe(0);
    });

    it("publishes an audit log from which recount re-verifies every proof and finds the tally", async () => {
      const log = JSON.parse(JSON.stringify(await registry.auditLog("poll-a"))) as AuditLog;
      expect(log.votes.map((v) => v.option)).toEqual([1, 0, 2]);
      expect(log.roots.length).toBe(4);
      expect(await recount(log, { workers: 1 })).toEqual({
        pollId: "poll-a",
        counts: [1, 1, 1],
        total: 3,
        rejected: [],
      });

      const [v0, v1, v2] = log.votes as [AuditLog["votes"][0], AuditLog["votes"][0], AuditLog["votes"][0]];
      const forged: AuditLog = {
        ...log,
        votes: [
          { ...v0, option: 2 },
          {
            ...v1,
            proof: { ...v1.proof, points: [...(v1.proof as SemaphoreProof).points].reverse() as never },
          },
          v2,
          { ...v2, seq: 99 },
        ],
      };
      expect(await recount(forged, { workers: 1 })).toEqual({
        pollId: "poll-a",
        counts: [0, 0, 1],
        total: 1,
        rejected: [
          { seq: v0.seq, reason: "OPTION_MISMATCH" },
          { seq: v1.seq, reason: "INVALID_PROOF" },
          { seq: 99, reason: "DUPLICATE_NULLIFIER" },
        ],
      });
      const rootless = await recount({ ...log, roots: log.roots.slice(-1) }, { workers: 1 });
      expect(rootless.rejected).toEqual([
        { seq: v0.seq, reason: "UNKNOWN_ROOT" },
        { seq: v1.seq, reason: "UNKNOWN_ROOT" },
      ]);
      await expect(recount({ ...log, version: 2 } as never)).rejects.toMatchObject({ field: "version" });
      await expect(recount({ ...log, votes: [{ ...v0, option: 0.5 }] })).rejects.toMatchObject({
        code: "INVALID_PARAMETER",
        field: "votes[0].option",
      });
      expect((await recount({ ...log, rootExpiryMs: 0 }, { workers: 1 })).rejected).toEqual([
        { seq: v1.seq, reason: "STALE_ROOT" },
      ]);
    });
  });
}
