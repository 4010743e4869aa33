import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { needs } from "@zkiris/test-kit";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import {
  Registry,
  SCHEMA_VERSION,
  SEMAPHORE_ARTIFACT_SHA256,
  SEMAPHORE_ARTIFACTS_VERSION,
  semaphoreArtifacts,
  semaphoreArtifactsDirectory,
} from "../src/index.js";
import { POSTGRES, POSTGRES_URL, postgresDatabase, sqliteDatabase, type TestDatabase } from "./helpers.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function track(db: TestDatabase): TestDatabase {
  cleanups.push(db.drop);
  return db;
}

describe("storage guards", () => {
  it("refuses a database whose schema is newer than the code", async () => {
    const db = track(sqliteDatabase());
    await (await Registry.open({ database: db.location, searchWorkers: 0, verifierWorkers: 1 })).close();
    const raw = new Database(db.location as string);
    // What the migrator of a newer release records after a migration this code does not know.
    raw
      .prepare("INSERT INTO kysely_migration (name, timestamp) VALUES (?, ?)")
      .run("0099-from-a-newer-release", new Date(0).toISOString());
    raw.close();
    const refusal = Registry.open({ database: db.location, searchWorkers: 0, verifierWorkers: 1 });
    await expect(refusal).rejects.toMatchObject({ code: "SCHEMA_TOO_NEW" });
    await expect(refusal).rejects.toThrow(
      `Database schema version 99 is newer than this code's ${SCHEMA_VERSION}; upgrade @zkiris/registry`,
    );
  });

  it("refuses to open when a stored leaf no longer yields the stored root", async () => {
    const db = track(sqliteDatabase());
    const registry = await Registry.open({ database: db.location, searchWorkers: 0, verifierWorkers: 1 });
    await registry.createGroup({ id: "g", kind: "plain" });
    await registry.close();
    const raw = new Database(db.location as string);
    raw
      .prepare(
        "INSERT INTO members (group_id, member_index, leaf, identity_commitment) VALUES ('g', 0, '5', '5')",
      )
      .run();
    raw.close();
    await expect(
      Registry.open({ database: db.location, searchWorkers: 0, verifierWorkers: 1 }),
    ).rejects.toMatchObject({
      code: "CORRUPT_STATE",
    });
    // With search workers starting while the trees are restored: the same refusal, and the open
    // that failed released the file (the next one is refused for the leaf again, not locked out).
    for (let attempt = 0; attempt < 2; attempt++) {
      await expect(
        Registry.open({ database: db.location, searchWorkers: 2, verifierWorkers: 1 }),
      ).rejects.toMatchObject({
        code: "CORRUPT_STATE",
      });
    }
  });

  it("lets only one registry open a SQLite file at a time", async () => {
    const db = track(sqliteDatabase());
    const first = await Registry.open({ database: db.location, searchWorkers: 0, verifierWorkers: 1 });
    await expect(
      Registry.open({ database: db.location, searchWorkers: 0, verifierWorkers: 1 }),
    ).rejects.toMatchObject({
      code: "DATABASE_LOCKED",
      field: "database",
    });
    await first.close();
    await (await Registry.open({ database: db.location, searchWorkers: 0, verifierWorkers: 1 })).close();
  });

  it("refuses calls after close", async () => {
    const db = track(sqliteDatabase());
    const registry = await Registry.open({ database: db.location, searchWorkers: 0, verifierWorkers: 1 });
    await registry.close();
    await registry.close();
    await expect(registry.issueChallenge()).rejects.toMatchObject({ code: "CLOSED" });
    expect(() => registry.group("g")).toThrow(expect.objectContaining({ code: "CLOSED" }));
  });

  it("refuses bad options naming the field", async () => {
    await expect(Registry.open({ database: 42 as never })).rejects.toMatchObject({ field: "database" });
    const db = track(sqliteDatabase());
    await expect(Registry.open({ database: db.location, challengeTtlMs: 0 })).rejects.toMatchObject({
      field: "challengeTtlMs",
    });
    await expect(
      Registry.open({ database: db.location, qualityGates: { focus: Number.NaN } }),
    ).rejects.toMatchObject({
      field: "qualityGates.focus",
    });
  });

  it.skipIf(!POSTGRES.available)(
    needs(POSTGRES, "lets only one registry process write a PostgreSQL schema"),
    async () => {
      const db = track(postgresDatabase());
      const first = await Registry.open({ database: db.location, searchWorkers: 0, verifierWorkers: 1 });
      cleanups.push(() => first.close());
      await expect(
        Registry.open({ database: db.location, searchWorkers: 0, verifierWorkers: 1 }),
      ).rejects.toMatchObject({
        code: "DATABASE_LOCKED",
        field: "database",
      });
      await expect(
        Registry.open({ database: { postgres: POSTGRES_URL!, schema: "bad-name;" }, searchWorkers: 0 }),
      ).rejects.toMatchObject({ field: "database.schema" });
    },
  );
});

describe("Semaphore artifacts", () => {
  it("pins both files of every depth from 1 to 32", () => {
    expect(SEMAPHORE_ARTIFACTS_VERSION).toBe("4.13.0");
    expect(Object.keys(SEMAPHORE_ARTIFACT_SHA256).map(Number)).toEqual(
      Array.from({ length: 32 }, (_, i) => i + 1),
    );
    for (const entry of Object.values(SEMAPHORE_ARTIFACT_SHA256)) {
      expect(entry.wasm).toMatch(/^[0-9a-f]{64}$/);
      expect(entry.zkey).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it("returns the paths of the installed package after checking their hashes", async () => {
    const dir = semaphoreArtifactsDirectory();
    expect(await semaphoreArtifacts(10)).toEqual({
      wasm: join(dir, "semaphore-10.wasm"),
      zkey: join(dir, "semaphore-10.zkey"),
    });
  });

  it("refuses a tampered artifact and a depth outside 1..32", async () => {
    const dir = mkdtempSync(join(tmpdir(), "zkiris-artifacts-"));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    for (const ext of ["wasm", "zkey"]) {
      copyFileSync(
        join(semaphoreArtifactsDirectory(), `semaphore-2.${ext}`),
        join(dir, `semaphore-2.${ext}`),
      );
    }
    expect((await semaphoreArtifacts(2, dir)).zkey).toBe(join(dir, "semaphore-2.zkey"));
    const zkey = readFileSync(join(dir, "semaphore-2.zkey"));
    zkey[zkey.length - 1]! ^= 1;
    const other = mkdtempSync(join(tmpdir(), "zkiris-artifacts-"));
    cleanups.push(async () => rmSync(other, { recursive: true, force: true }));
    copyFileSync(join(semaphoreArtifactsDirectory(), "semaphore-2.wasm"), join(other, "semaphore-2.wasm"));
    writeFileSync(join(other, "semaphore-2.zkey"), zkey);
    await expect(semaphoreArtifacts(2, other)).rejects.toMatchObject({
      code: "ARTIFACT_HASH_MISMATCH",
      field: "zkey",
    });
    await expect(semaphoreArtifacts(0)).rejects.toMatchObject({ code: "INVALID_PARAMETER", field: "depth" });
    await expect(semaphoreArtifacts(33)).rejects.toMatchObject({ code: "INVALID_PARAMETER", field: "depth" });
  });
});
