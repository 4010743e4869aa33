import type { Kysely, Transaction } from "kysely";
import type { ColumnTypes } from "./migrations.js";
import type { RegistrySchema } from "./storage-schema.js";

/**
 * What {@link KyselyRepository} cannot say once for both databases: the few places where SQLite and
 * PostgreSQL differ (connection, locks, errors, backup). Each adapter file supplies one.
 */
export interface StorageDialect {
  readonly name: "sqlite" | "postgres";
  /** Column types of the migrations. */
  readonly columnTypes: ColumnTypes;
  /** The schema holding the tables (PostgreSQL), where the migrator keeps its own tables too. */
  readonly schema?: string;
  /**
   * Whether a read inside a write transaction must lock its rows (`SELECT ... FOR UPDATE` on
   * PostgreSQL, where transactions run concurrently). A SQLite write transaction (`BEGIN IMMEDIATE`)
   * already excludes every other.
   */
  readonly rowLocks: boolean;
  /** Whether `error` is the driver's violation of a UNIQUE or PRIMARY KEY constraint. */
  isUniqueViolation(error: unknown): boolean;
  // biome-ignore lint/suspicious/noExplicitAny: also asks about tables outside the registry's schema
  tableExists(db: Kysely<any>, table: string): Promise<boolean>;
  /** Inside `trx`, makes concurrent writers of `table` wait until `trx` ends (a no-op on SQLite). */
  lockTable(trx: Transaction<RegistrySchema>, table: keyof RegistrySchema): Promise<void>;
  /** See `Repository.backup`. */
  backup(destination: string): Promise<void>;
  /**
   * Closes the file or ends the pool under Kysely (and releases the writer lock), so that a call
   * after close fails with the driver's own error, as it did before Kysely.
   */
  close(): Promise<void>;
}
