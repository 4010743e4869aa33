import { Kysely, PostgresDialect, sql } from "kysely";
import type pg from "pg";
import { loadPostgresDriver } from "./database-drivers.js";
import { StorageError } from "./errors.js";
import { KyselyRepository } from "./kysely-repository.js";
import type { StorageDialect } from "./storage-dialect.js";
import type { RegistrySchema } from "./storage-schema.js";

const INT8_OID = 20;

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown }).code === "23505";
}

/** Options of {@link PostgresRepository.open}. */
export interface PostgresOptions {
  /** `postgres://user:password@host:port/database`. */
  readonly url: string;
  /** Schema holding the tables (created if missing). Default `zkiris`. Letters, digits and `_` only. */
  readonly schema?: string;
  /** Connections in the pool. Default 8. */
  readonly poolSize?: number;
}

/**
 * {@link Repository} on PostgreSQL (`pg`): the one {@link KyselyRepository} over Kysely's
 * `PostgresDialect`. Multi-row writes run in `BEGIN ... COMMIT` on one pooled connection, so a killed
 * process leaves the last committed state; the nullifier constraint (`UNIQUE (poll_id, nullifier)`)
 * refuses concurrent double votes. A session advisory lock keyed by the schema lets only one registry
 * process write a schema at a time (`DATABASE_LOCKED`), because the uniqueness search runs on an
 * in-memory index of that process.
 */
export class PostgresRepository extends KyselyRepository {
  declare readonly dialect: "postgres";

  private constructor(db: Kysely<RegistrySchema>, storage: StorageDialect) {
    super(db, storage);
  }

  /** Connects, creates the schema if needed and takes the writer lock. */
  static async open(options: PostgresOptions): Promise<PostgresRepository> {
    const schema = options.schema ?? "zkiris";
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
      throw new StorageError(
        "INVALID_PARAMETER",
        `Parameter 'database.schema' is not a plain identifier: ${schema}`,
        {
          field: "database.schema",
        },
      );
    }
    const driver = loadPostgresDriver();
    const pool = new driver.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 8,
      options: `-c search_path=${schema}`,
      types: {
        getTypeParser: ((oid: number, format?: "text" | "binary") =>
          oid === INT8_OID
            ? (value: string) => Number(value)
            : driver.types.getTypeParser(oid, format)) as never,
      },
    });
    // An idle client's connection error must not crash the process; the next query reports it.
    pool.on("error", () => {});
    let lockClient: pg.PoolClient | undefined;
    const storage: StorageDialect = {
      name: "postgres",
      columnTypes: { bigint: "bigint", bytes: "bytea", serial: "bigserial" },
      schema,
      rowLocks: true,
      isUniqueViolation,
      async tableExists(db, table) {
        const row = await sql<{ ok: boolean }>`SELECT to_regclass(${table}) IS NOT NULL AS ok`.execute(db);
        return row.rows[0]?.ok === true;
      },
      async lockTable(trx, table) {
        await sql`LOCK TABLE ${sql.table(table)} IN SHARE ROW EXCLUSIVE MODE`.execute(trx);
      },
      async backup() {
        throw new StorageError(
          "BACKUP_UNSUPPORTED",
          "A PostgreSQL registry is backed up with the database's own tools (pg_dump), not by zkiris",
          { field: "database" },
        );
      },
      async close() {
        const client = lockClient;
        lockClient = undefined;
        if (client !== undefined) {
          await client.query("SELECT pg_advisory_unlock_all()").catch(() => {});
          client.release();
        }
        if (!pool.ended) await pool.end();
      },
    };
    const repository = new PostgresRepository(
      new Kysely<RegistrySchema>({ dialect: new PostgresDialect({ pool }) }),
      storage,
    );
    try {
      await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      lockClient = await pool.connect();
      const locked = await lockClient.query("SELECT pg_try_advisory_lock(hashtext($1)) AS ok", [
        `zkiris-registry:${schema}`,
      ]);
      if (locked.rows[0]?.ok !== true) {
        throw new StorageError(
          "DATABASE_LOCKED",
          `Another registry process is writing schema '${schema}'; only one writer per schema is allowed`,
          { field: "database" },
        );
      }
    } catch (error) {
      await repository.close();
      throw error;
    }
    return repository;
  }
}
