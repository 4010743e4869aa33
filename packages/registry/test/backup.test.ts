import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { Group } from "@semaphore-protocol/group";
import { toBinary } from "@zkiris/iris-code";
import { needs } from "@zkiris/test-kit";
import { afterEach, describe, expect, it } from "vitest";
import { Registry } from "../src/index.js";
import { POSTGRES, postgresDatabase, randomCode, sqliteDatabase, type TestDatabase } from "./helpers.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function track(db: TestDatabase): TestDatabase & { dir: string } {
  cleanups.push(db.drop);
  return { ...db, dir: typeof db.location === "string" ? dirname(db.location) : "" };
}

describe("live backup of the embedded database", () => {
  it("copies a consistent state while writes go on, and the copy opens as a registry", async () => {
    const db = track(sqliteDatabase());
    const registry = await Registry.open({ database: db.location, searchWorkers: 0, verifierWorkers: 1 });
    cleanups.push(() => registry.close());
    await registry.createGroup({ id: "g", kind: "plain" });
    // Enrolments reference a device; one with id "0" is enough here.
    await registry.repository.insertDevice({
      id: "0",
      publicKey: ["1", "2"],
      registeredAt: 0,
      revokedAt: null,
    });
    const code = toBinary(randomCode(1));
    // Members are added through the repository's bulk import (one transaction each: leaves, root),
    // so the test writes hundreds of rows per transaction while the backup runs.
    let stop = false;
    let batches = 0;
    const writer = (async () => {
      const members: bigint[] = [];
      while (!stop) {
        const group = new Group(members);
        const fresh = Array.from({ length: 50 }, (_, i) => BigInt(batches * 50 + i + 1));
        for (const m of fresh) group.addMember(m);
        members.push(...fresh);
        await registry.repository.importEnrolments(
          "g",
          fresh.map((leaf, i) => ({
            enrolment: {
              groupId: "g",
              memberIndex: batches * 50 + i,
              identityCommitment: leaf.toString(),
              templateCommitment: "1",
              deviceId: "0",
              code,
              createdAt: 0,
            },
            leaf: leaf.toString(),
          })),
          group.root.toString(),
          Date.now(),
        );
        await registry.issueChallenge();
        batches++;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    while (batches < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    const copy = join(db.dir, "copy.sqlite");
    await registry.backup(copy);
    const atBackup = batches;
    while (batches < atBackup + 3) await new Promise((resolve) => setTimeout(resolve, 5));
    stop = true;
    await writer;

    // The copy is one committed state: its stored root is the root of its leaves (Registry.open
    // rebuilds every tree and refuses a mismatch with CORRUPT_STATE), and it is not empty.
    const restored = await Registry.open({ database: copy, searchWorkers: 0, verifierWorkers: 1 });
    try {
      const size = restored.group("g").size;
      expect(size % 50).toBe(0);
      expect(size).toBeGreaterThanOrEqual(150);
      expect(size).toBeLessThan(batches * 50);
      expect(restored.group("g").root).toBe(new Group(restored.members("g")).root);
    } finally {
      await restored.close();
    }
  });

  it("never overwrites an existing file", async () => {
    const db = track(sqliteDatabase());
    const registry = await Registry.open({ database: db.location, searchWorkers: 0, verifierWorkers: 1 });
    cleanups.push(() => registry.close());
    await expect(registry.backup(db.location as string)).rejects.toMatchObject({
      code: "INVALID_PARAMETER",
      field: "destination",
    });
    await expect(registry.backup("")).rejects.toMatchObject({ code: "INVALID_PARAMETER" });
    await registry.close();
    await expect(registry.backup(join(db.dir, "late.sqlite"))).rejects.toMatchObject({ code: "CLOSED" });
    expect(existsSync(join(db.dir, "late.sqlite"))).toBe(false);
  });

  it.skipIf(!POSTGRES.available)(
    needs(POSTGRES, "refuses a backup of PostgreSQL, which has its own tools"),
    async () => {
      const db = track(postgresDatabase());
      const registry = await Registry.open({ database: db.location, searchWorkers: 0, verifierWorkers: 1 });
      cleanups.push(() => registry.close());
      await expect(registry.backup("/tmp/never-written.sqlite")).rejects.toMatchObject({
        code: "BACKUP_UNSUPPORTED",
      });
    },
  );
});
