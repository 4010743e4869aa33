import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  MIGRATIONS,
  PostgresRepository,
  type Repository,
  SCHEMA_VERSION,
  SqliteRepository,
} from "../src/index.js";
import { BACKENDS, type TestDatabase } from "./helpers.js";

async function openRepository(db: TestDatabase): Promise<Repository> {
  const location = db.location;
  return typeof location === "string"
    ? new SqliteRepository(location)
    : PostgresRepository.open({ url: location.postgres, schema: location.schema! });
}

const device = { id: "11", publicKey: ["1", "2"] as const, registeredAt: 1000, revokedAt: null };

function enrolment(memberIndex: number, identity: string) {
  return {
    groupId: "g",
    memberIndex,
    identityCommitment: identity,
    templateCommitment: `9${memberIndex}`,
    deviceId: "11",
    code: new Uint8Array([1, 2, 3, memberIndex]),
    createdAt: 2000,
  };
}

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(backend.title("repository"), () => {
    let db: TestDatabase;
    let repo: Repository;

    beforeEach(async () => {
      db = backend.create();
      repo = await openRepository(db);
      await repo.migrate();
      await repo.insertDevice(device);
      await repo.insertGroup({ id: "g", kind: "plain", createdAt: 1000 }, "0");
      await repo.insertChallenge({ value: "77", issuedAt: 1000, expiresAt: 5000, usedAt: null });
    });

    afterEach(async () => {
      await repo.close();
      await db.drop();
    });

    it("applies every migration once and records the schema version", async () => {
      expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
      expect(await repo.schemaVersion()).toBe(SCHEMA_VERSION);
      expect(await repo.migrate()).toBe(SCHEMA_VERSION);
    });

    it("stores devices, refuses a second registration and revokes once", async () => {
      expect(await repo.getDevice("11")).toEqual({ ...device, slot: 0 });
      expect(await repo.insertDevice({ ...device, id: "12" })).toEqual({ ...device, id: "12", slot: 1 });
      expect((await repo.listDevices()).map((d) => [d.id, d.slot])).toEqual([
        ["11", 0],
        ["12", 1],
      ]);
      await expect(repo.insertDevice(device)).rejects.toMatchObject({
        code: "DUPLICATE_DEVICE",
        field: "publicKey",
      });
      expect(await repo.revokeDevice("11", 3000)).toBe(true);
      expect(await repo.revokeDevice("11", 4000)).toBe(false);
      expect((await repo.getDevice("11"))?.revokedAt).toBe(3000);
      expect(await repo.getDevice("13")).toBeUndefined();
    });

    it("deletes only the challenges that expired before a time", async () => {
      await repo.insertChallenge({ value: "80", issuedAt: 1000, expiresAt: 6000, usedAt: null });
      expect(await repo.deleteExpiredChallenges(4999)).toBe(0);
      expect(await repo.deleteExpiredChallenges(5000)).toBe(1);
      expect(await repo.getChallenge("77")).toBeUndefined();
      expect(await repo.getChallenge("80")).toBeDefined();
    });

    it("refuses a second group with the same id", async () => {
      await expect(repo.insertGroup({ id: "g", kind: "biometric", createdAt: 1 }, "0")).rejects.toMatchObject(
        {
          code: "GROUP_EXISTS",
        },
      );
      expect(await repo.listGroups()).toEqual([{ id: "g", kind: "plain", createdAt: 1000 }]);
    });

    it("commits an enrolment, its leaf, its root and the consumed challenge together", async () => {
      const id = await repo.commitEnrolment({
        challenge: "77",
        now: 2000,
        enrolment: enrolment(0, "501"),
        leaf: "501",
        root: "501",
      });
      expect(await repo.listActiveEnrolments()).toEqual([{ ...enrolment(0, "501"), id, removedAt: null }]);
      expect(await repo.listMembers("g")).toEqual([
        { groupId: "g", index: 0, leaf: "501", identityCommitment: "501", enrolmentId: id, removedAt: null },
      ]);
      expect(await repo.listRoots("g")).toEqual([
        { groupId: "g", root: "0", createdAt: 1000, replacedAt: 2000 },
        { groupId: "g", root: "501", createdAt: 2000, replacedAt: null },
      ]);
      expect((await repo.getChallenge("77"))?.usedAt).toBe(2000);
    });

    it("refuses a replayed, expired or unknown challenge and stores nothing", async () => {
      await repo.commitEnrolment({
        challenge: "77",
        now: 2000,
        enrolment: enrolment(0, "501"),
        leaf: "501",
        root: "r1",
      });
      await expect(
        repo.commitEnrolment({
          challenge: "77",
          now: 2100,
          enrolment: enrolment(1, "502"),
          leaf: "502",
          root: "r2",
        }),
      ).rejects.toMatchObject({ code: "CHALLENGE_REPLAYED", field: "capture.challenge" });
      await repo.insertChallenge({ value: "78", issuedAt: 1000, expiresAt: 5000, usedAt: null });
      await expect(
        repo.commitEnrolment({
          challenge: "78",
          now: 5000,
          enrolment: enrolment(1, "502"),
          leaf: "502",
          root: "r2",
        }),
      ).rejects.toMatchObject({ code: "CHALLENGE_EXPIRED" });
      await expect(
        repo.commitEnrolment({
          challenge: "79",
          now: 2100,
          enrolment: enrolment(1, "502"),
          leaf: "502",
          root: "r2",
        }),
      ).rejects.toMatchObject({ code: "UNKNOWN_CHALLENGE" });
      expect((await repo.listActiveEnrolments()).length).toBe(1);
      expect((await repo.listMembers("g")).length).toBe(1);
      expect((await repo.listRoots("g")).map((r) => r.root)).toEqual(["0", "r1"]);
      expect((await repo.getChallenge("78"))?.usedAt).toBeNull();
    });

    it("rolls back the challenge and the enrolment when the member insert fails", async () => {
      await repo.commitEnrolment({
        challenge: "77",
        now: 2000,
        enrolment: enrolment(0, "501"),
        leaf: "501",
        root: "r1",
      });
      await repo.insertChallenge({ value: "78", issuedAt: 1000, expiresAt: 5000, usedAt: null });
      await expect(
        repo.commitEnrolment({
          challenge: "78",
          now: 2100,
          enrolment: enrolment(1, "501"),
          leaf: "501",
          root: "r2",
        }),
      ).rejects.toMatchObject({ code: "DUPLICATE_MEMBER", field: "identityCommitment" });
      expect((await repo.getChallenge("78"))?.usedAt).toBeNull();
      expect((await repo.listActiveEnrolments()).length).toBe(1);
      expect((await repo.listRoots("g")).length).toBe(2);
    });

    it("removes a member and its enrolment with a new root in one update", async () => {
      await repo.commitEnrolment({
        challenge: "77",
        now: 2000,
        enrolment: enrolment(0, "501"),
        leaf: "501",
        root: "r1",
      });
      await repo.updateMember({
        groupId: "g",
        index: 0,
        leaf: "0",
        identityCommitment: "501",
        removed: true,
        now: 3000,
        root: "r2",
      });
      expect((await repo.listMembers("g"))[0]).toMatchObject({ leaf: "0", removedAt: 3000 });
      expect(await repo.listActiveEnrolments()).toEqual([]);
      expect((await repo.getEnrolmentByMember("g", 0))?.removedAt).toBe(3000);
      expect((await repo.listRoots("g")).map((r) => [r.root, r.replacedAt])).toEqual([
        ["0", 2000],
        ["r1", 3000],
        ["r2", null],
      ]);
    });

    it("bulk-imports enrolments with one final root", async () => {
      const entries = Array.from({ length: 1200 }, (_, i) => ({
        enrolment: enrolment(i, `${1000 + i}`),
        leaf: `${1000 + i}`,
      }));
      await repo.importEnrolments("g", entries, "big", 4000);
      const members = await repo.listMembers("g");
      expect(members.length).toBe(1200);
      expect(members[1199]).toMatchObject({ index: 1199, leaf: "2199" });
      expect((await repo.listActiveEnrolments())[5]?.code).toEqual(new Uint8Array([1, 2, 3, 5]));
      expect((await repo.listRoots("g")).at(-1)).toEqual({
        groupId: "g",
        root: "big",
        createdAt: 4000,
        replacedAt: null,
      });
    });

    it("stores polls and refuses a second poll with the same id", async () => {
      const poll = {
        id: "p",
        groupId: "g",
        scope: "42",
        options: ["yes", "no"],
        opensAt: 1,
        closesAt: 9,
        createdAt: 1,
      };
      await repo.insertPoll(poll);
      expect(await repo.getPoll("p")).toEqual(poll);
      expect(await repo.getPoll("q")).toBeUndefined();
      await expect(repo.insertPoll(poll)).rejects.toMatchObject({ code: "POLL_EXISTS" });
    });

    it("refuses a second poll with the scope of another, naming it, also under concurrent inserts", async () => {
      const poll = { groupId: "g", options: ["yes", "no"], opensAt: 1, closesAt: 9, createdAt: 1 };
      await repo.insertPoll({ ...poll, id: "p", scope: "42" });
      const refusal = repo.insertPoll({ ...poll, id: "q", scope: "42" });
      await expect(refusal).rejects.toMatchObject({ code: "SCOPE_IN_USE", field: "scope" });
      await expect(refusal).rejects.toThrow("Parameter 'scope' (42) is the scope of poll 'p'");
      expect(await repo.getPoll("q")).toBeUndefined();
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => repo.insertPoll({ ...poll, id: `c${i}`, scope: "43" })),
      );
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      for (const r of results) {
        if (r.status === "rejected") expect(r.reason).toMatchObject({ code: "SCOPE_IN_USE" });
      }
      expect((await repo.listPolls()).filter((p) => p.scope === "43")).toHaveLength(1);
    });

    it("lets exactly one of many concurrent votes with one nullifier land", async () => {
      await repo.insertPoll({
        id: "p",
        groupId: "g",
        scope: "42",
        options: ["a", "b"],
        opensAt: 1,
        closesAt: 9,
        createdAt: 1,
      });
      const proof = {
        merkleTreeDepth: 1,
        merkleTreeRoot: "1",
        nullifier: "5",
        message: "0",
        scope: "42",
        points: [],
      };
      const attempts = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) =>
          repo.insertVote({
            pollId: "p",
            nullifier: "5",
            option: i % 2,
            root: "1",
            proof: proof as never,
            acceptedAt: 5,
          }),
        ),
      );
      expect(attempts.filter((a) => a.status === "fulfilled").length).toBe(1);
      const refused = attempts.filter((a) => a.status === "rejected") as PromiseRejectedResult[];
      expect(refused.length).toBe(11);
      for (const r of refused)
        expect(r.reason).toMatchObject({ code: "DUPLICATE_NULLIFIER", field: "proof.nullifier" });
      expect((await repo.listVotes("p")).length).toBe(1);
      expect(await repo.hasNullifier("p", "5")).toBe(true);
      expect(await repo.hasNullifier("p", "6")).toBe(false);
      await repo.insertVote({
        pollId: "p",
        nullifier: "6",
        option: 1,
        root: "1",
        proof: proof as never,
        acceptedAt: 6,
      });
      const counts = await repo.countVotes("p");
      expect(counts.get(0)! + counts.get(1)!).toBe(2);
    });
  });
}
