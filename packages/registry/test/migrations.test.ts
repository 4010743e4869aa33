import Database from "better-sqlite3";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import {
  MIGRATIONS,
  PostgresRepository,
  Registry,
  type Repository,
  SCHEMA_VERSION,
  SqliteRepository,
  type VoteRecord,
} from "../src/index.js";
import { LEGACY_MIGRATIONS } from "./fixtures/legacy-migrations.js";
import { BACKENDS, type TestDatabase } from "./helpers.js";

/** A plain connection to a test database, as an earlier release or an operator would use it. */
interface RawDatabase {
  exec(sql: string): Promise<void>;
  value(sql: string): Promise<unknown>;
  rows(sql: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

async function raw(db: TestDatabase): Promise<RawDatabase> {
  const location = db.location;
  if (typeof location === "string") {
    const sqlite = new Database(location);
    return {
      exec: async (sql) => void sqlite.exec(sql),
      value: async (sql) => Object.values(sqlite.prepare(sql).get() as object)[0],
      rows: async (sql) => sqlite.prepare(sql).all() as Record<string, unknown>[],
      close: async () => void sqlite.close(),
    };
  }
  const client = new pg.Client({ connectionString: location.postgres });
  await client.connect();
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${location.schema}; SET search_path TO ${location.schema}`);
  return {
    exec: async (sql) => void (await client.query(sql)),
    value: async (sql) => Object.values((await client.query(sql)).rows[0] as object)[0],
    rows: async (sql) => (await client.query(sql)).rows,
    close: () => client.end(),
  };
}

/** Creates the database an earlier release left: schema version `version`, then `rows`. */
async function oldDatabase(db: TestDatabase, version: number, rows: string): Promise<void> {
  const conn = await raw(db);
  await conn.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)");
  for (const migration of LEGACY_MIGRATIONS.filter((m) => m.version <= version)) {
    await conn.exec(typeof db.location === "string" ? migration.sqlite : migration.postgres);
    await conn.exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (${migration.version}, 0)`);
  }
  await conn.exec(rows);
  await conn.close();
}

/** Tables of the layer's own bookkeeping, left out of schema comparisons. */
const VERSION_TABLES = ["kysely_migration", "kysely_migration_lock", "schema_migrations"];

/**
 * The registry's tables as the database's catalogue describes them (columns, keys, indexes,
 * constraints), without the version tables: equal descriptions mean equal schemas.
 */
async function describeSchema(conn: RawDatabase, location: TestDatabase["location"]): Promise<unknown> {
  if (typeof location === "string") {
    const tables = (
      await conn.rows(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      )
    ).filter((t) => !VERSION_TABLES.includes(t.name as string));
    const described = [];
    for (const { name, sql } of tables) {
      const columns = (await conn.rows(`PRAGMA table_info(${name as string})`)).map((c) => ({
        ...c,
        type: String(c.type).toUpperCase(),
      }));
      const indexes = [];
      for (const index of await conn.rows(`PRAGMA index_list(${name as string})`)) {
        const keys = (await conn.rows(`PRAGMA index_info(${index.name as string})`)).map((k) => k.name);
        // Names of the indexes behind UNIQUE / PRIMARY KEY constraints are numbered by SQLite.
        indexes.push({ ...index, name: index.origin === "c" ? index.name : "auto", seq: 0, keys });
      }
      const foreignKeys = (await conn.rows(`PRAGMA foreign_key_list(${name as string})`)).map((f) => ({
        table: f.table,
        from: f.from,
        to: f.to,
      }));
      // CHECK constraints exist only in the table's SQL text.
      const checks = [...String(sql).matchAll(/check\s*\(([^()]*(?:\([^()]*\))?[^()]*)\)/gi)].map((m) =>
        m[1]!.toLowerCase().replaceAll('"', ""),
      );
      described.push({
        name,
        columns,
        indexes: indexes.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
        foreignKeys,
        checks,
      });
    }
    return described;
  }
  const schema = location.schema!;
  const excluded = VERSION_TABLES.map((t) => `'${t}'`).join(", ");
  return {
    columns: await conn.rows(
      `SELECT table_name, column_name, data_type, is_nullable, column_default, ordinal_position
       FROM information_schema.columns WHERE table_schema = '${schema}' AND table_name NOT IN (${excluded})
       ORDER BY table_name, ordinal_position`,
    ),
    constraints: await conn.rows(
      `SELECT c.relname AS table_name, k.conname, k.contype, pg_get_constraintdef(k.oid) AS definition
       FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = '${schema}' AND c.relname NOT IN (${excluded}) ORDER BY c.relname, k.conname`,
    ),
    indexes: (
      await conn.rows(
        `SELECT tablename, indexname, indexdef FROM pg_indexes
         WHERE schemaname = '${schema}' AND tablename NOT IN (${excluded}) ORDER BY tablename, indexname`,
      )
    ).map((i) => ({ ...i, indexdef: String(i.indexdef).replaceAll(`${schema}.`, "") })),
  };
}

async function openRepository(db: TestDatabase): Promise<Repository> {
  const location = db.location;
  return typeof location === "string"
    ? new SqliteRepository(location)
    : PostgresRepository.open({ url: location.postgres, schema: location.schema! });
}

const options = { searchWorkers: 0, verifierWorkers: 1 } as const;

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(backend.title("migrations"), () => {
    const dbs: TestDatabase[] = [];
    afterEach(async () => {
      for (const db of dbs.splice(0)) await db.drop();
    });

    it("carries a database of every earlier schema version over to the migrator, which runs only the later migrations", async () => {
      const fresh = backend.create();
      dbs.push(fresh);
      await (await Registry.open({ database: fresh.location, ...options })).close();
      let conn = await raw(fresh);
      const expected = await describeSchema(conn, fresh.location);
      await conn.close();
      for (let version = 1; version <= SCHEMA_VERSION; version++) {
        const db = backend.create();
        dbs.push(db);
        await oldDatabase(db, version, "");
        const repository = await openRepository(db);
        expect(await repository.schemaVersion()).toBe(version);
        expect(await repository.migrate()).toBe(SCHEMA_VERSION);
        expect(await repository.migrate()).toBe(SCHEMA_VERSION);
        await repository.close();
        conn = await raw(db);
        expect(await describeSchema(conn, db.location)).toEqual(expected);
        expect(
          (await conn.rows("SELECT name FROM kysely_migration ORDER BY name")).map((r) => r.name),
        ).toEqual(MIGRATIONS.map((m) => m.name));
        // The version table of the earlier releases is read, never written.
        expect(Number(await conn.value("SELECT MAX(version) FROM schema_migrations"))).toBe(version);
        await conn.close();
      }
    });

    it("reads back everything a database of the earlier releases holds, and keeps writing to it", async () => {
      const db = backend.create();
      dbs.push(db);
      const code = typeof db.location === "string" ? "X'01020304'" : "'\\x01020304'::bytea";
      await oldDatabase(
        db,
        SCHEMA_VERSION,
        `INSERT INTO devices (id, slot, public_key_x, public_key_y, registered_at, revoked_at) VALUES ('11', 0, '1', '2', 1000, NULL), ('12', 1, '3', '4', 1001, 1500);
         INSERT INTO challenges (value, issued_at, expires_at, used_at) VALUES ('77', 1000, 5000, 2000), ('78', 1000, 9000, NULL);
         INSERT INTO groups (id, kind, created_at, root_expiry_ms) VALUES ('g', 'biometric', 1000, 60000);
         INSERT INTO roots (group_id, root, created_at, replaced_at) VALUES ('g', '0', 1000, 2000), ('g', '501', 2000, NULL);
         INSERT INTO enrolments (group_id, member_index, identity_commitment, template_commitment, device_id, code, created_at) VALUES ('g', 0, '5', '9', '11', ${code}, 2000);
         INSERT INTO members (group_id, member_index, leaf, identity_commitment, enrolment_id) VALUES ('g', 0, '501', '5', 1);
         INSERT INTO polls (id, group_id, scope, options, opens_at, closes_at, created_at, require_liveness) VALUES ('p', 'g', '7', '["yes","no"]', 1000, 9000, 1000, 1);
         INSERT INTO poll_challenges (poll_id, value, issued_at, expires_at) VALUES ('p', '33', 1500, 2500);
         INSERT INTO device_roots (root, created_at, replaced_at) VALUES ('40', 1000, NULL);
         INSERT INTO votes (poll_id, nullifier, option_index, root, proof, accepted_at) VALUES ('p', '88', 1, '501', '{"points":["1"]}', 3000);
         INSERT INTO tree_snapshots (group_id, root, size, nodes, created_at) VALUES ('g', '501', 1, '[["501"]]', 2000);`,
      );
      const repository = await openRepository(db);
      expect(await repository.migrate()).toBe(SCHEMA_VERSION);
      expect(await repository.listDevices()).toEqual([
        { id: "11", slot: 0, publicKey: ["1", "2"], registeredAt: 1000, revokedAt: null },
        { id: "12", slot: 1, publicKey: ["3", "4"], registeredAt: 1001, revokedAt: 1500 },
      ]);
      expect(await repository.getChallenge("77")).toEqual({
        value: "77",
        issuedAt: 1000,
        expiresAt: 5000,
        usedAt: 2000,
      });
      expect(await repository.listGroups()).toEqual([
        { id: "g", kind: "biometric", createdAt: 1000, rootExpiryMs: 60000 },
      ]);
      expect(await repository.listRoots("g")).toEqual([
        { groupId: "g", root: "0", createdAt: 1000, replacedAt: 2000 },
        { groupId: "g", root: "501", createdAt: 2000, replacedAt: null },
      ]);
      const enrolment = {
        id: 1,
        groupId: "g",
        memberIndex: 0,
        identityCommitment: "5",
        templateCommitment: "9",
        deviceId: "11",
        code: new Uint8Array([1, 2, 3, 4]),
        createdAt: 2000,
        removedAt: null,
      };
      expect(await repository.listActiveEnrolments()).toEqual([enrolment]);
      expect(await repository.getEnrolmentByMember("g", 0)).toEqual(enrolment);
      expect(await repository.listActiveCodes()).toEqual([{ id: 1, code: new Uint8Array([1, 2, 3, 4]) }]);
      expect(await repository.listMembers("g")).toEqual([
        { groupId: "g", index: 0, leaf: "501", identityCommitment: "5", enrolmentId: 1, removedAt: null },
      ]);
      expect(await repository.listPolls()).toEqual([
        {
          id: "p",
          groupId: "g",
          scope: "7",
          options: ["yes", "no"],
          opensAt: 1000,
          closesAt: 9000,
          createdAt: 1000,
          requireLiveness: true,
        },
      ]);
      expect(await repository.listPollChallenges("p")).toEqual([
        { pollId: "p", value: "33", issuedAt: 1500, expiresAt: 2500 },
      ]);
      expect(await repository.listDeviceRoots()).toEqual([{ root: "40", createdAt: 1000, replacedAt: null }]);
      expect(await repository.listVotes("p")).toEqual([
        {
          seq: 1,
          pollId: "p",
          nullifier: "88",
          option: 1,
          root: "501",
          proof: { points: ["1"] },
          acceptedAt: 3000,
        },
      ]);
      expect(await repository.countVotes("p")).toEqual(new Map([[1, 1]]));
      expect(await repository.hasNullifier("p", "88")).toBe(true);
      expect(await repository.getTreeSnapshot("g")).toEqual({
        groupId: "g",
        root: "501",
        size: 1,
        nodes: '[["501"]]',
        createdAt: 2000,
      });

      // Writes continue the numbering the earlier release left, and keep its constraints.
      const id = await repository.commitEnrolment({
        challenge: "78",
        now: 4000,
        enrolment: { ...enrolment, memberIndex: 1, identityCommitment: "6", templateCommitment: "10" },
        leaf: "502",
        root: "600",
      });
      expect(id).toBe(2);
      await expect(
        repository.commitEnrolment({
          challenge: "77",
          now: 4000,
          enrolment: { ...enrolment, memberIndex: 2, identityCommitment: "7" },
          leaf: "503",
          root: "601",
        }),
      ).rejects.toMatchObject({ code: "CHALLENGE_REPLAYED" });
      const vote = { pollId: "p", nullifier: "89", option: 0, root: "600", acceptedAt: 4000 };
      const proof = { points: ["2"] } as unknown as VoteRecord["proof"];
      expect(await repository.insertVote({ ...vote, proof })).toBe(2);
      await expect(repository.insertVote({ ...vote, proof })).rejects.toMatchObject({
        code: "DUPLICATE_NULLIFIER",
      });
      expect(
        await repository.insertDevice({
          id: "13",
          publicKey: ["5", "6"],
          registeredAt: 4000,
          revokedAt: null,
        }),
      ).toEqual({ id: "13", slot: 2, publicKey: ["5", "6"], registeredAt: 4000, revokedAt: null });
      await expect(
        repository.insertPoll({
          id: "q",
          groupId: "g",
          scope: "7",
          options: ["a"],
          opensAt: 1,
          closesAt: 2,
          createdAt: 1,
        }),
      ).rejects.toMatchObject({ code: "SCOPE_IN_USE" });
      expect((await repository.listRoots("g")).map((r) => [r.root, r.replacedAt])).toEqual([
        ["0", 2000],
        ["501", 4000],
        ["600", null],
      ]);
      await repository.close();
    });

    it("refuses a database whose earlier-release version table is newer than the code, and changes nothing", async () => {
      const db = backend.create();
      dbs.push(db);
      await oldDatabase(
        db,
        SCHEMA_VERSION,
        "INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0);",
      );
      const refusal = Registry.open({ database: db.location, ...options });
      await expect(refusal).rejects.toMatchObject({ code: "SCHEMA_TOO_NEW" });
      await expect(refusal).rejects.toThrow(
        `Database schema version 99 is newer than this code's ${SCHEMA_VERSION}; upgrade @zkiris/registry`,
      );
      const conn = await raw(db);
      expect(Number(await conn.value("SELECT COUNT(*) FROM schema_migrations"))).toBe(SCHEMA_VERSION + 1);
      const migratorTables =
        typeof db.location === "string"
          ? "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'kysely%'"
          : `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '${db.location.schema}' AND table_name LIKE 'kysely%'`;
      expect(Number(await conn.value(migratorTables))).toBe(0);
      await conn.close();
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
