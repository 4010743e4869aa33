import { InvalidParameterError } from "./errors.js";
import { PostgresRepository } from "./postgres-repository.js";
import type { Repository } from "./repository.js";
import { SqliteRepository } from "./sqlite-repository.js";

/** Where the registry keeps its data: a SQLite file path (or `":memory:"`), or a PostgreSQL URL. */
export type DatabaseLocation =
  | string
  | { readonly postgres: string; readonly schema?: string; readonly poolSize?: number };

/**
 * Opens the database at `location` (the one Kysely layer over SQLite or PostgreSQL), without
 * migrating it. The registry's only way to a database: the domain knows the {@link Repository}
 * interface, not the adapters.
 */
export async function openRepository(location: DatabaseLocation): Promise<Repository> {
  if (typeof location === "string" && location.length > 0) {
    return new SqliteRepository(location);
  }
  if (typeof location === "object" && location !== null && typeof location.postgres === "string") {
    return PostgresRepository.open({
      url: location.postgres,
      ...(location.schema === undefined ? {} : { schema: location.schema }),
      ...(location.poolSize === undefined ? {} : { poolSize: location.poolSize }),
    });
  }
  throw new InvalidParameterError(
    "database",
    "Parameter 'database' must be a SQLite file path or { postgres: url, schema? }",
  );
}
