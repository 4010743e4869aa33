import { Group } from "@semaphore-protocol/group";
import { DeviceKey } from "@zkiris/device";
import { afterEach, describe, expect, it } from "vitest";
import { Registry } from "../src/index.js";
import { BACKENDS, enrolmentRequest, randomCode, type TestDatabase } from "./helpers.js";

const key = DeviceKey.fromSeed("restart-device");

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(backend.title("restart from tree snapshots"), () => {
    const dbs: TestDatabase[] = [];
    afterEach(async () => {
      for (const db of dbs.splice(0)) await db.drop();
    });

    async function populated(): Promise<{ db: TestDatabase; root: bigint; members: bigint[] }> {
      const db = backend.create();
      dbs.push(db);
      const registry = await Registry.open({ database: db.location, searchWorkers: 0, verifierWorkers: 1 });
      await registry.registerDevice(key.publicKey);
      await registry.createGroup({ id: "g", kind: "plain" });
      await registry.createGroup({ id: "empty", kind: "plain" });
      for (let i = 0; i < 5; i++) {
        await registry.enrol(
          await enrolmentRequest(registry, key, randomCode(900 + i), 9001n + BigInt(i), { groupId: "g" }),
        );
      }
      await registry.removeMember("g", 3);
      const result = { db, root: registry.group("g").root, members: registry.members("g") };
      await registry.close();
      return result;
    }

    const open = (db: TestDatabase) =>
      Registry.open({ database: db.location, searchWorkers: 0, verifierWorkers: 1 });

    it("writes a snapshot at close and restores the tree from it, with the same root and proofs", async () => {
      const { db, root, members } = await populated();
      const registry = await open(db);
      const snapshot = await registry.repository.getTreeSnapshot("g");
      expect(snapshot).toMatchObject({ groupId: "g", root: root.toString(), size: 5 });
      expect([...registry.openTimings.trees].sort((a, b) => a.groupId.localeCompare(b.groupId))).toEqual([
        { groupId: "empty", source: "empty" },
        { groupId: "g", source: "snapshot" },
      ]);
      expect(registry.group("g").root).toBe(root);
      expect(registry.members("g")).toEqual(members);
      const rebuilt = new Group(members.map((m) => (m === 0n ? 1n : m)));
      rebuilt.removeMember(3);
      expect(registry.merkleProof("g", 4)).toEqual(rebuilt.generateMerkleProof(4));
      // Enrolments and removals after the open reach the tree, and the next snapshot.
      await registry.enrol(await enrolmentRequest(registry, key, randomCode(950), 9501n, { groupId: "g" }));
      const after = registry.group("g").root;
      await registry.close();
      const again = await open(db);
      expect(again.openTimings.trees.find((t) => t.groupId === "g")?.source).toBe("snapshot");
      expect(again.group("g").root).toBe(after);
      await again.close();
    });

    it("catches a stale snapshot up with the leaves added and changed since, and stores a fresh one", async () => {
      const { db, root, members } = await populated();
      let registry = await open(db);
      // The snapshot of an earlier state: the first two leaves, before member 3 was removed.
      const early = new Group(members.slice(0, 2));
      await registry.repository.putTreeSnapshot({
        groupId: "g",
        root: early.root.toString(),
        size: 2,
        nodes: early.export(),
        createdAt: 1,
      });
      // Nothing changed since the open, so close writes no snapshot over it.
      await registry.close();
      registry = await open(db);
      expect(registry.openTimings.trees.find((t) => t.groupId === "g")?.source).toBe("snapshot and catch-up");
      expect(registry.group("g").root).toBe(root);
      expect(registry.members("g")).toEqual(members);
      expect(await registry.repository.getTreeSnapshot("g")).toMatchObject({
        root: root.toString(),
        size: 5,
      });
      await registry.close();
    });

    it("ignores a snapshot that does not lead to the stored root, or cannot be read, and rebuilds", async () => {
      const { db, root, members } = await populated();
      const same = new Group(members.map((m) => (m === 0n ? 1n : m)));
      same.removeMember(3);
      const levels = JSON.parse(same.export()) as string[][];
      levels[levels.length - 1]![0] = "1"; // a root the group never had
      for (const nodes of [JSON.stringify(levels), "not json", "[[]]"]) {
        let registry = await open(db);
        await registry.repository.putTreeSnapshot({ groupId: "g", root: "1", size: 5, nodes, createdAt: 1 });
        await registry.close();
        registry = await open(db);
        expect(registry.openTimings.trees.find((t) => t.groupId === "g")?.source).toBe(
          "rebuilt from the leaves",
        );
        expect(registry.group("g").root).toBe(root);
        expect((await registry.repository.getTreeSnapshot("g"))?.root).toBe(root.toString());
        await registry.close();
      }
    });
  });
}
