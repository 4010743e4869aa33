import Database from "better-sqlite3";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { MIGRATIONS, Registry, SCHEMA_VERSION } from "../src/index.js";
import { BACKENDS, type TestDatabase } from "./helpers.js";

/** A plain connection to a test database, as an earlier release or an operator would use it. */
interface RawDatabase {
  exec(sql: string): Promise<void>;
  value(sql: string): Promise<unknown>;
  close(): Promise<void>;
}

async function raw(db: TestDatabase): Promise<RawDatabase> {
  const location = db.location;
  if (typeof location === "string") {
    const sqlite = new Database(location);
    return {
      exec: async (sql) => void sqlite.exec(sql),
      value: async (sql) => Object.values(sqlite.prepare(sql).get() as object)[0],
      close: async () => void sqlite.close(),
    };
  }
  const client = new pg.Client({ connectionString: location.postgres });
  await client.connect();
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${location.schema}; SET search_path TO ${location.schema}`);
  return {
    exec: async (sql) => void (await client.query(sql)),
    value: async (sql) => Object.values((await client.query(sql)).rows[0] as object)[0],
    close: () => client.end(),
  };
}

/** Creates the database an earlier release left: schema version `version`, then `rows`. */
async function oldDatabase(db: TestDatabase, version: number, rows: string): Promise<void> {
  const conn = await raw(db);
  await conn.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)");
  for (const migration of MIGRATIONS.filter((m) => m.version <= version)) {
    await conn.exec(typeof db.location === "string" ? migration.sqlite : migration.postgres);
    await conn.exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (${migration.version}, 0)`);
  }
  await conn.exec(rows);
  await conn.close();
}

const options = { searchWorkers: 0, verifierWorkers: 1 } as const;

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(backend.title("migrations"), () => {
    const dbs: TestDatabase[] = [];
    afterEach(async () => {
      for (const db of dbs.splice(0)) await db.drop();
    });

    it("refuses to migrate polls that share a scope, naming them, and migrates once they are resolved", async () => {
      const db = backend.create();
      dbs.push(db);
      const poll = (id: string, scope: string) =>
        `INSERT INTO polls (id, group_id, scope, options, opens_at, closes_at, created_at) VALUES ('${id}', 'g', '${scope}', '["a","b"]', 1, 9, 1);`;
      await oldDatabase(
        db,
        3,
        `INSERT INTO groups (id, kind, created_at) VALUES ('g', 'plain', 1);
         INSERT INTO roots (group_id, root, created_at) VALUES ('g', '0', 1);
         ${poll("first", "7")} ${poll("second", "7")} ${poll("third", "7")} ${poll("other", "8")}`,
      );
      const refusal = Registry.open({ database: db.location, ...options });
      await expect(refusal).rejects.toMatchObject({ code: "MIGRATION_REFUSED", field: "database" });
      await expect(refusal).rejects.toThrow(
        "Cannot migrate the database to schema version 4 (one poll per scope): 3 polls share scope 7 (among them 'first' and 'third'). one proof counts in every poll of a scope",
      );
      // Nothing was changed: the database is still at version 3, with its polls.
      const conn = await raw(db);
      expect(Number(await conn.value("SELECT MAX(version) FROM schema_migrations"))).toBe(3);
      expect(Number(await conn.value("SELECT COUNT(*) FROM polls"))).toBe(4);
      await conn.exec("DELETE FROM polls WHERE id IN ('second', 'third')");
      await conn.close();
      const registry = await Registry.open({ database: db.location, ...options });
      expect(await registry.repository.schemaVersion()).toBe(SCHEMA_VERSION);
      expect((await registry.polls()).map((p) => [p.id, p.scope])).toEqual([
        ["first", "7"],
        ["other", "8"],
      ]);
      await expect(
        registry.createPoll({
          id: "again",
          groupId: "g",
          options: ["a", "b"],
          opensAt: 1,
          closesAt: 9,
          scope: 7n,
        }),
      ).rejects.toMatchObject({ code: "SCOPE_IN_USE", field: "scope" });
      await registry.close();
    });

    it("gives groups created before root expiry per group the registry's window", async () => {
      const db = backend.create();
      dbs.push(db);
      await oldDatabase(
        db,
        4,
        `INSERT INTO groups (id, kind, created_at) VALUES ('old', 'plain', 1);
         INSERT INTO roots (group_id, root, created_at) VALUES ('old', '0', 1);`,
      );
      let registry = await Registry.open({ database: db.location, ...options, rootExpiryMs: 1234 });
      expect(registry.group("old").rootExpiryMs).toBe(1234);
      await registry.close();
      registry = await Registry.open({ database: db.location, ...options });
      expect(registry.group("old").rootExpiryMs).toBe(3_600_000);
      await registry.close();
    });
  });
}
