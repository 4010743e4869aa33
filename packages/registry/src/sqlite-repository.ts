import { existsSync } from "node:fs";
import type Database from "better-sqlite3";
import {
  CompiledQuery,
  type DatabaseConnection,
  Kysely,
  SqliteAdapter,
  type SqliteDatabase,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
  type SqliteStatement,
  sql,
} from "kysely";
import { loadSqliteDriver } from "./database-drivers.js";
import { InvalidParameterError, StorageError } from "./errors.js";
import { KyselyRepository } from "./kysely-repository.js";
import type { StorageDialect } from "./storage-dialect.js";
import type { RegistrySchema } from "./storage-schema.js";

/** Kysely's SQLite driver, but write transactions take the write lock at `BEGIN` (`BEGIN IMMEDIATE`). */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("BEGIN IMMEDIATE"));
  }
}

/** SQLite runs DDL inside transactions, so the migrator applies all pending migrations or none. */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class RegistrySqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): SqliteDriver {
    return new ImmediateSqliteDriver(this.#config);
  }

  override createAdapter(): SqliteAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

/** Prepared statements kept per SQL text; beyond this many distinct texts the cache starts over. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * The file as Kysely's driver sees it, with its prepared statements reused: Kysely prepares every
 * query it sends, and preparing costs better-sqlite3 more than running a point query.
 */
function withStatementCache(database: Database.Database): SqliteDatabase {
  const statements = new Map<string, SqliteStatement>();
  return {
    close: () => database.close(),
    prepare(text) {
      let statement = statements.get(text);
      if (statement === undefined) {
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.clear();
        statement = database.prepare(text) as SqliteStatement;
        statements.set(text, statement);
      }
      return statement;
    },
  };
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}

/** Opens (creating if needed) the file and takes its lock; the dialect for {@link KyselyRepository}. */
function openSqlite(filename: string): { db: Kysely<RegistrySchema>; storage: StorageDialect } {
  const Driver = loadSqliteDriver();
  const database: Database.Database = new Driver(filename);
  try {
    // One writer process per file (the uniqueness index lives in that process): EXCLUSIVE locking
    // keeps the file locked from the first transaction below until close.
    database.pragma("locking_mode = EXCLUSIVE");
    if (filename !== ":memory:") database.pragma("journal_mode = WAL");
    database.pragma("synchronous = FULL");
    database.pragma("foreign_keys = ON");
    database.exec("BEGIN IMMEDIATE; COMMIT");
  } catch (error) {
    database.close();
    if ((error as { code?: unknown }).code === "SQLITE_BUSY") {
      throw new StorageError(
        "DATABASE_LOCKED",
        `Another process has the registry database ${filename} open`,
        {
          field: "database",
          cause: error,
        },
      );
    }
    throw error;
  }
  const storage: StorageDialect = {
    name: "sqlite",
    columnTypes: { bigint: "integer", bytes: "blob", serial: "integer" },
    rowLocks: false,
    isUniqueViolation,
    async tableExists(db, table) {
      const row = await sql`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ${table}`.execute(db);
      return row.rows.length > 0;
    },
    async lockTable() {},
    /**
     * better-sqlite3's online backup from this connection: it copies pages in steps between other
     * work, and restarts on its own when this connection writes meanwhile, so the copy is one
     * committed state. The file stays EXCLUSIVE-locked, so another process cannot take the copy;
     * this one must.
     */
    async backup(destination) {
      if (typeof destination !== "string" || destination.length === 0 || destination === ":memory:") {
        throw new InvalidParameterError("destination", "Parameter 'destination' must be a file path");
      }
      if (existsSync(destination)) {
        throw new InvalidParameterError(
          "destination",
          `Parameter 'destination' names an existing file (${destination}); a backup never overwrites`,
        );
      }
      await database.backup(destination);
    },
    async close() {
      if (database.open) database.close();
    },
  };
  return {
    db: new Kysely<RegistrySchema>({
      dialect: new RegistrySqliteDialect({ database: withStatementCache(database) }),
    }),
    storage,
  };
}

/**
 * {@link Repository} on an embedded SQLite file (better-sqlite3, WAL journal, `synchronous=FULL`,
 * foreign keys on, EXCLUSIVE locking: one process at a time, `DATABASE_LOCKED` otherwise): the one
 * {@link KyselyRepository} over Kysely's `SqliteDialect`. Writes are transactions taken with
 * `BEGIN IMMEDIATE`, so a process killed at any point leaves the file at the last committed
 * transaction.
 */
export class SqliteRepository extends KyselyRepository {
  declare readonly dialect: "sqlite";

  /** Opens (creating if needed) the database file; `":memory:"` for a private in-memory database. */
  constructor(filename: string) {
    const { db, storage } = openSqlite(filename);
    super(db, storage);
  }
}
