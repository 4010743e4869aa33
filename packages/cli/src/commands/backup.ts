import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { rename, rm, writeFile } from "node:fs/promises";
import { ZkirisError } from "@zkiris/iris-code";
import { parseCommandArgs } from "../args.js";
import { type CliCommand, type CliIo, EXIT, UsageError } from "../command.js";

const SYNOPSIS = "zkiris backup <database.db|http://server> <out.db> [--admin-token T]";

const USAGE = `Usage:
  ${SYNOPSIS}
      Writes a consistent copy of an embedded SQLite registry database to <out.db> (never over an
      existing file), then checks that the copy opens.
      A database that a running 'zkiris serve' holds is locked to that process: name the server
      instead (http://host:port); it takes the copy while it keeps serving (GET /backup, admin
      token from --admin-token or env ZKIRIS_ADMIN_TOKEN). A database no process holds is read
      directly. PostgreSQL is backed up with its own tools (pg_dump).
      Exit codes: 0 written, 1 refused (database locked or missing, output exists, server refused),
      2 usage error, 3 internal error.
`;

const OPTIONS = { "admin-token": { type: "string" } } as const;

/** `zkiris backup`: a live, consistent copy of the embedded database. */
export const backupCommand: CliCommand = {
  name: "backup",
  synopsis: SYNOPSIS,
  summary: "Back up the embedded SQLite database, also while 'zkiris serve' runs on it.",
  usage: USAGE,
  run: backup,
};

const SQLITE_HEADER = "SQLite format 3\0";

function isSqliteFile(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const header = Buffer.alloc(16);
    return readSync(fd, header, 0, 16, 0) === 16 && header.toString("latin1") === SQLITE_HEADER;
  } finally {
    closeSync(fd);
  }
}

async function backup(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, OPTIONS, USAGE);
  if (positionals.length !== 2)
    throw new UsageError("backup needs a database (or server URL) and an output file", USAGE);
  const [source, out] = positionals as [string, string];
  if (existsSync(out)) {
    io.stderr(`zkiris backup: ${out} exists; a backup never overwrites a file\n`);
    return EXIT.FAILED;
  }
  if (/^https?:\/\//.test(source)) {
    const token = values["admin-token"] ?? process.env.ZKIRIS_ADMIN_TOKEN;
    if (token === undefined)
      throw new UsageError("backup from a server needs --admin-token (or ZKIRIS_ADMIN_TOKEN)", USAGE);
    const url = `${source.replace(/\/+$/, "")}/backup`;
    let response: Response;
    try {
      response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    } catch (error) {
      io.stderr(`zkiris backup: cannot reach ${url}: ${(error as Error).message}\n`);
      return EXIT.FAILED;
    }
    if (response.status !== 200) {
      const body = (await response.json().catch(() => ({}))) as {
        error?: { code?: string; message?: string };
      };
      io.stderr(
        `zkiris backup: the server refused (${response.status} ${body.error?.code ?? "?"}): ${body.error?.message ?? ""}\n`,
      );
      return EXIT.FAILED;
    }
    const partial = `${out}.partial`;
    await writeFile(partial, new Uint8Array(await response.arrayBuffer()), { flag: "wx" });
    if (!isSqliteFile(partial)) {
      await rm(partial, { force: true });
      io.stderr(`zkiris backup: ${url} did not answer a SQLite database\n`);
      return EXIT.FAILED;
    }
    await rename(partial, out);
  } else {
    if (!existsSync(source)) {
      io.stderr(`zkiris backup: no database at ${source}\n`);
      return EXIT.FAILED;
    }
    if (!isSqliteFile(source)) {
      io.stderr(`zkiris backup: ${source} is not a SQLite database\n`);
      return EXIT.FAILED;
    }
    const { SqliteRepository } = await import("@zkiris/registry");
    let repository: InstanceType<typeof SqliteRepository>;
    try {
      repository = new SqliteRepository(source);
    } catch (error) {
      if (ZkirisError.is(error) && error.code === "DATABASE_LOCKED") {
        io.stderr(
          `zkiris backup: ${source} is held by a running server; back it up through it: zkiris backup http://HOST:PORT ${out} --admin-token T\n`,
        );
        return EXIT.FAILED;
      }
      throw error;
    }
    try {
      await repository.backup(out);
    } finally {
      await repository.close();
    }
  }
  // The copy must open: the same check a restore would make first.
  const { SqliteRepository } = await import("@zkiris/registry");
  const copy = new SqliteRepository(out);
  let version: number;
  try {
    version = await copy.schemaVersion();
  } finally {
    await copy.close();
  }
  io.stdout(`${JSON.stringify({ source, out, bytes: statSync(out).size, schemaVersion: version })}\n`);
  return EXIT.OK;
}
