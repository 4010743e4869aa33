import { Group } from "@semaphore-protocol/group";
import { Identity } from "@semaphore-protocol/identity";
import { generateProof, type SemaphoreProof } from "@semaphore-protocol/proof";
import { DeviceKey } from "@zkiris/device";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { defaultPollScope, MAX_ROOT_EXPIRY_MS, Registry, recount, semaphoreArtifacts } from "../src/index.js";
import { BACKENDS, enrolmentRequest, randomCode, sqliteDatabase, type TestDatabase } from "./helpers.js";

const T0 = 1_770_000_000_000;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const WINDOW = 10 * MINUTE;
const alice = new Identity("expiry-alice");
const bob = new Identity("expiry-bob");
const key = DeviceKey.fromSeed("expiry-device");

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(backend.title("root expiry per group"), () => {
    const dbs: TestDatabase[] = [];
    afterEach(async () => {
      for (const db of dbs.splice(0)) await db.drop();
    });

    it("stores each group's window at creation, defaulting to the registry's, and keeps it across restarts", async () => {
      const db = backend.create();
      dbs.push(db);
      const open = (rootExpiryMs?: number) =>
        Registry.open({
          database: db.location,
          searchWorkers: 0,
          verifierWorkers: 1,
          now: () => T0,
          ...(rootExpiryMs === undefined ? {} : { rootExpiryMs }),
        });
      let registry = await open(2 * HOUR);
      expect(await registry.createGroup({ id: "short", kind: "plain", rootExpiryMs: WINDOW })).toMatchObject({
        id: "short",
        rootExpiryMs: WINDOW,
      });
      expect((await registry.createGroup({ id: "default", kind: "plain" })).rootExpiryMs).toBe(2 * HOUR);
      expect(
        (await registry.createGroup({ id: "none", kind: "biometric", rootExpiryMs: 0 })).rootExpiryMs,
      ).toBe(0);
      for (const [value, what] of [
        [-1, "negative"],
        [1.5, "fractional"],
        [MAX_ROOT_EXPIRY_MS + 1, "over a year"],
        ["600000", "a string"],
      ] as const) {
        await expect(
          registry.createGroup({
            id: `bad-${what.replace(/ /g, "-")}`,
            kind: "plain",
            rootExpiryMs: value as number,
          }),
          what,
        ).rejects.toMatchObject({ code: "INVALID_PARAMETER", field: "rootExpiryMs" });
      }
      await registry.close();
      // A new registry-wide default changes no stored window.
      registry = await open();
      // (Groups created at one instant are listed by id.)
      expect(registry.groups().map((g) => [g.id, g.rootExpiryMs])).toEqual([
        ["default", 2 * HOUR],
        ["none", 0],
        ["short", WINDOW],
      ]);
      await registry.close();
    });
  });
}

describe("a removed member's proof against the root before the removal", () => {
  let db: TestDatabase;
  let registry: Registry;
  let now = T0;
  let removedAt: number;
  /** alice's votes in two polls and bob's in one, all against the root of {alice, bob}. */
  let proofs: { aliceEarly: SemaphoreProof; aliceLate: SemaphoreProof; bob: SemaphoreProof };

  beforeAll(async () => {
    const members = new Group([alice.commitment, bob.commitment]);
    const artifacts = await semaphoreArtifacts(1);
    proofs = {
      aliceEarly: await generateProof(alice, members, 0, defaultPollScope("early"), 1, artifacts),
      aliceLate: await generateProof(alice, members, 0, defaultPollScope("late"), 1, artifacts),
      bob: await generateProof(bob, members, 1, defaultPollScope("early"), 1, artifacts),
    };
    db = sqliteDatabase();
    registry = await Registry.open({
      database: db.location,
      searchWorkers: 0,
      verifierWorkers: 1,
      rootExpiryMs: 24 * HOUR,
      now: () => now,
    });
    await registry.registerDevice(key.publicKey);
    await registry.createGroup({ id: "g", kind: "plain", rootExpiryMs: WINDOW });
    for (const [identity, seed] of [
      [alice, 41],
      [bob, 42],
    ] as const) {
      await registry.enrol(
        await enrolmentRequest(registry, key, randomCode(seed), identity.commitment, {
          groupId: "g",
          timestamp: now,
        }),
      );
    }
    expect(registry.group("g").root).toBe(members.root);
    const window = { groupId: "g", options: ["yes", "no"], opensAt: T0, closesAt: T0 + 24 * HOUR };
    await registry.createPoll({ id: "early", ...window });
    await registry.createPoll({ id: "late", ...window });
    now = T0 + MINUTE;
    removedAt = now;
    await registry.removeMember("g", 0);
  }, 120_000);

  afterAll(async () => {
    await registry?.close();
    await db?.drop();
  });

  it("is accepted up to the group's window after the removal, inclusive", async () => {
    expect(registry.checkRoot("g", proofs.aliceEarly.merkleTreeRoot, removedAt + WINDOW).replacedAt).toBe(
      removedAt,
    );
    now = removedAt + WINDOW;
    expect(await registry.vote("early", proofs.aliceEarly)).toMatchObject({
      pollId: "early",
      acceptedAt: now,
    });
  });

  it("is refused one millisecond after the window, as any proof against that root is", async () => {
    now = removedAt + WINDOW + 1;
    const stale = {
      code: "STALE_ROOT",
      field: "proof.merkleTreeRoot",
      message: `Field 'proof.merkleTreeRoot' was replaced at ${new Date(removedAt).toISOString()}, more than the ${WINDOW} ms of group 'g' ago`,
    };
    await expect(registry.vote("late", proofs.aliceLate)).rejects.toMatchObject(stale);
    await expect(registry.vote("early", proofs.bob)).rejects.toMatchObject(stale);
    expect((await registry.tally("late")).total).toBe(0);
    expect((await registry.tally("early")).counts).toEqual([1, 0]);
  });

  it("publishes the group's window in the audit log, with which recount agrees", async () => {
    const log = await registry.auditLog("early");
    expect(log.rootExpiryMs).toBe(WINDOW);
    expect((await recount(log, { workers: 1 })).counts).toEqual([1, 0]);
  });
});
