import { type Kysely, type Migration as KyselyMigration, type MigrationProvider, sql } from "kysely";
import { StorageError } from "./errors.js";

/**
 * The column types that differ between the dialects, so that one migration list creates the same
 * tables on both: PostgreSQL's BIGINT, BYTEA and BIGSERIAL are INTEGER, BLOB and INTEGER PRIMARY KEY
 * (the rowid) on SQLite.
 */
export interface ColumnTypes {
  /** A 64-bit integer. */
  readonly bigint: "bigint" | "integer";
  /** Bytes (an iris code's binary form). */
  readonly bytes: "bytea" | "blob";
  /** A 64-bit integer primary key numbered by the database, in insertion order. */
  readonly serial: "bigserial" | "integer";
}

/**
 * Rows that stop a migration from applying: the query finds data the new schema cannot hold; each
 * row is described in the refusal (`MIGRATION_REFUSED`) so that an operator can resolve it by hand.
 * Nothing is changed silently.
 */
export interface MigrationPrecondition {
  // biome-ignore lint/suspicious/noExplicitAny: a migration sees the schema of its own version, not today's
  readonly rows: (db: Kysely<any>) => Promise<ReadonlyArray<Readonly<Record<string, unknown>>>>;
  readonly describe: (row: Readonly<Record<string, unknown>>) => string;
  /** What the operator must do before opening the database again. */
  readonly remedy: string;
}

/** One schema version, written once with Kysely's schema builder for both dialects. */
export interface Migration {
  readonly version: number;
  /** The name under which Kysely's migrator records it: the zero-padded version, then a slug. */
  readonly name: string;
  readonly description: string;
  readonly precondition?: MigrationPrecondition;
  // biome-ignore lint/suspicious/noExplicitAny: a migration sees the schema of its own version, not today's
  readonly up: (db: Kysely<any>, types: ColumnTypes) => Promise<void>;
}

/** Schema migrations, applied in order by Kysely's `Migrator`. Never edit a released one. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "0001-devices-challenges-groups-members-roots-enrolments",
    description: "devices, challenges, groups, members, roots, enrolments",
    async up(db, t) {
      await db.schema
        .createTable("devices")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("slot", t.bigint, (c) => c.notNull().unique())
        .addColumn("public_key_x", "text", (c) => c.notNull())
        .addColumn("public_key_y", "text", (c) => c.notNull())
        .addColumn("registered_at", t.bigint, (c) => c.notNull())
        .addColumn("revoked_at", t.bigint)
        .execute();
      await db.schema
        .createTable("challenges")
        .addColumn("value", "text", (c) => c.primaryKey())
        .addColumn("issued_at", t.bigint, (c) => c.notNull())
        .addColumn("expires_at", t.bigint, (c) => c.notNull())
        .addColumn("used_at", t.bigint)
        .execute();
      await db.schema
        .createTable("groups")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("kind", "text", (c) => c.notNull().check(sql`kind IN ('plain', 'biometric')`))
        .addColumn("created_at", t.bigint, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("enrolments")
        .addColumn("id", t.serial, (c) => c.primaryKey())
        .addColumn("group_id", "text", (c) => c.notNull().references("groups.id"))
        .addColumn("member_index", t.bigint, (c) => c.notNull())
        .addColumn("identity_commitment", "text", (c) => c.notNull())
        .addColumn("template_commitment", "text", (c) => c.notNull())
        .addColumn("device_id", "text", (c) => c.notNull().references("devices.id"))
        .addColumn("code", t.bytes, (c) => c.notNull())
        .addColumn("created_at", t.bigint, (c) => c.notNull())
        .addColumn("removed_at", t.bigint)
        .addUniqueConstraint("enrolments_group_id_member_index_key", ["group_id", "member_index"])
        .execute();
      await db.schema
        .createTable("members")
        .addColumn("group_id", "text", (c) => c.notNull().references("groups.id"))
        .addColumn("member_index", t.bigint, (c) => c.notNull())
        .addColumn("leaf", "text", (c) => c.notNull())
        .addColumn("identity_commitment", "text", (c) => c.notNull())
        .addColumn("enrolment_id", t.bigint, (c) => c.references("enrolments.id"))
        .addColumn("removed_at", t.bigint)
        .addPrimaryKeyConstraint("members_pkey", ["group_id", "member_index"])
        .addUniqueConstraint("members_group_id_identity_commitment_key", ["group_id", "identity_commitment"])
        .execute();
      await db.schema
        .createTable("roots")
        .addColumn("seq", t.serial, (c) => c.primaryKey())
        .addColumn("group_id", "text", (c) => c.notNull().references("groups.id"))
        .addColumn("root", "text", (c) => c.notNull())
        .addColumn("created_at", t.bigint, (c) => c.notNull())
        .addColumn("replaced_at", t.bigint)
        .execute();
      await db.schema.createIndex("roots_by_group").on("roots").columns(["group_id", "seq"]).execute();
    },
  },
  {
    version: 2,
    name: "0002-polls-and-votes",
    description: "polls and votes with one nullifier per poll",
    async up(db, t) {
      await db.schema
        .createTable("polls")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("group_id", "text", (c) => c.notNull().references("groups.id"))
        .addColumn("scope", "text", (c) => c.notNull())
        .addColumn("options", "text", (c) => c.notNull())
        .addColumn("opens_at", t.bigint, (c) => c.notNull())
        .addColumn("closes_at", t.bigint, (c) => c.notNull())
        .addColumn("created_at", t.bigint, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("votes")
        .addColumn("seq", t.serial, (c) => c.primaryKey())
        .addColumn("poll_id", "text", (c) => c.notNull().references("polls.id"))
        .addColumn("nullifier", "text", (c) => c.notNull())
        .addColumn("option_index", "integer", (c) => c.notNull())
        .addColumn("root", "text", (c) => c.notNull())
        .addColumn("proof", "text", (c) => c.notNull())
        .addColumn("accepted_at", t.bigint, (c) => c.notNull())
        .addUniqueConstraint("votes_one_nullifier_per_poll", ["poll_id", "nullifier"])
        .execute();
    },
  },
  {
    version: 3,
    name: "0003-liveness-polls",
    description: "liveness polls: per-poll challenges, device root history",
    async up(db, t) {
      await db.schema
        .alterTable("polls")
        .addColumn("require_liveness", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createTable("poll_challenges")
        .addColumn("poll_id", "text", (c) => c.notNull().references("polls.id"))
        .addColumn("value", "text", (c) => c.notNull())
        .addColumn("issued_at", t.bigint, (c) => c.notNull())
        .addColumn("expires_at", t.bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint("poll_challenges_pkey", ["poll_id", "value"])
        .execute();
      await db.schema
        .createTable("device_roots")
        .addColumn("seq", t.serial, (c) => c.primaryKey())
        .addColumn("root", "text", (c) => c.notNull())
        .addColumn("created_at", t.bigint, (c) => c.notNull())
        .addColumn("replaced_at", t.bigint)
        .execute();
    },
  },
  {
    version: 4,
    name: "0004-one-poll-per-scope",
    description: "one poll per scope",
    precondition: {
      rows: (db) =>
        db
          .selectFrom("polls")
          .select((eb) => [
            "scope",
            eb.fn.min("id").as("first_poll"),
            eb.fn.max("id").as("last_poll"),
            eb.fn.countAll().as("polls"),
          ])
          .groupBy("scope")
          .having((eb) => eb.fn.countAll(), ">", 1)
          .orderBy("scope")
          .execute(),
      describe: (row) =>
        `${String(row.polls)} polls share scope ${String(row.scope)} (among them '${String(row.first_poll)}' and '${String(row.last_poll)}')`,
      remedy:
        "one proof counts in every poll of a scope: decide which poll keeps each scope and delete or re-create the others before upgrading",
    },
    async up(db) {
      await db.schema.createIndex("polls_one_scope").unique().on("polls").column("scope").execute();
    },
  },
  {
    version: 5,
    name: "0005-root-expiry-per-group",
    description: "root expiry per group",
    async up(db, t) {
      await db.schema.alterTable("groups").addColumn("root_expiry_ms", t.bigint).execute();
    },
  },
  {
    version: 6,
    name: "0006-tree-snapshots",
    description: "tree snapshots for fast restarts",
    async up(db, t) {
      await db.schema
        .createTable("tree_snapshots")
        .addColumn("group_id", "text", (c) => c.primaryKey().references("groups.id"))
        .addColumn("root", "text", (c) => c.notNull())
        .addColumn("size", t.bigint, (c) => c.notNull())
        .addColumn("nodes", "text", (c) => c.notNull())
        .addColumn("created_at", t.bigint, (c) => c.notNull())
        .execute();
    },
  },
];

/** Latest schema version this code knows. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** The table in which Kysely's migrator records the migrations it ran (its default name). */
export const MIGRATION_TABLE = "kysely_migration";

/**
 * The version table of the releases before Kysely (`version`, `applied_at`): one row per applied
 * migration of this same list. Read, never written: its version is carried into the migrator's state.
 */
export const LEGACY_VERSION_TABLE = "schema_migrations";

/** The schema version a migration recorded by the migrator under `name` stands for. */
export function migrationVersion(name: string): number {
  const match = /^(\d{4})-/.exec(name);
  return match === null ? Number.NaN : Number(match[1]);
}

/** The refusal of a database whose schema is newer than this code's (`SCHEMA_TOO_NEW`). */
export function schemaTooNew(version: number): StorageError {
  return new StorageError(
    "SCHEMA_TOO_NEW",
    `Database schema version ${version} is newer than this code's ${SCHEMA_VERSION}; upgrade @zkiris/registry`,
  );
}

/** The refusal to apply `migration` because its precondition found `rows` (`MIGRATION_REFUSED`). */
export function migrationRefused(
  migration: Migration,
  rows: ReadonlyArray<Readonly<Record<string, unknown>>>,
): StorageError {
  const precondition = migration.precondition!;
  return new StorageError(
    "MIGRATION_REFUSED",
    `Cannot migrate the database to schema version ${migration.version} (${migration.description}): ${rows.map(precondition.describe).join("; ")}. ${precondition.remedy}`,
    { field: "database" },
  );
}

/**
 * {@link MIGRATIONS} for Kysely's migrator on a database whose legacy version table says
 * `legacyVersion` (0 when it has none): the migrations up to that version are already in the
 * schema, so the migrator records them without running them, and runs only the later ones (each
 * after its precondition).
 */
export function migrationProvider(types: ColumnTypes, legacyVersion: number): MigrationProvider {
  return {
    async getMigrations() {
      const migrations: Record<string, KyselyMigration> = {};
      for (const migration of MIGRATIONS) {
        migrations[migration.name] = {
          async up(db) {
            if (migration.version <= legacyVersion) return;
            if (migration.precondition !== undefined) {
              const rows = await migration.precondition.rows(db);
              if (rows.length > 0) throw migrationRefused(migration, rows);
            }
            await migration.up(db, types);
          },
        };
      }
      return migrations;
    },
  };
}
