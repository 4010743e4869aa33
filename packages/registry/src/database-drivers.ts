import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";
import type Pg from "pg";
import { StorageError } from "./errors.js";

/**
 * The database drivers are optional peer dependencies: a verifier-only application installs
 * neither, a registry installs the one it uses (`npm install better-sqlite3` or `npm install pg`).
 * Each is loaded on first use.
 */
export type DatabaseDriver = "better-sqlite3" | "pg";

const requireDriver = createRequire(import.meta.url);

function load<T>(name: DatabaseDriver, use: string): T {
  try {
    return requireDriver(name) as T;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const missing = code === "MODULE_NOT_FOUND" && String((error as Error).message).includes(`'${name}'`);
    if (!missing) throw error;
    throw new StorageError(
      "DATABASE_DRIVER_MISSING",
      `The ${use} database needs the optional peer dependency '${name}': npm install ${name}`,
      { field: "database", cause: error },
    );
  }
}

/** better-sqlite3's `Database` constructor; `DATABASE_DRIVER_MISSING` when it is not installed. */
export function loadSqliteDriver(): typeof BetterSqlite3 {
  return load<typeof BetterSqlite3>("better-sqlite3", "SQLite");
}

/** The `pg` module; `DATABASE_DRIVER_MISSING` when it is not installed. */
export function loadPostgresDriver(): typeof Pg {
  return load<typeof Pg>("pg", "PostgreSQL");
}
