import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ZkirisError } from "@zkiris/iris-code";
import type { LivenessVoteArtifacts } from "@zkiris/match-proof";
import type { DatabaseLocation, Registry } from "@zkiris/registry";
import { integerOption, parseCommandArgs } from "../args.js";
import { type CliCommand, type CliIo, EXIT, UsageError } from "../command.js";

const SYNOPSIS =
  "zkiris serve [--database PATH|postgres://…] [--host H] [--port N] [--admin-token T] [--cors-origin O,…] [--liveness-artifacts DIR] [--web DIR|off]";

const USAGE = `Usage:
  ${SYNOPSIS}
      Starts the zkiris HTTP API (OpenAPI document at /openapi.json, /health, /ready) and runs
      until SIGINT or SIGTERM, then stops accepting requests, lets those in flight finish and
      closes the database. Prints its configuration on stderr at start (never the token) and
      writes JSON log lines on stdout.
      --database      SQLite file (created if missing; default ./zkiris.db) or a PostgreSQL URL
                      postgres://user:password@host:port/db (env ZKIRIS_DATABASE_URL).
      --schema        PostgreSQL schema (default zkiris; env ZKIRIS_DATABASE_SCHEMA).
      --host          interface to bind (default 127.0.0.1; env ZKIRIS_HOST).
      --port          TCP port, 0 for any free one (default 8080; env ZKIRIS_PORT).
      --admin-token   bearer token of the admin routes, at least 16 characters (env
                      ZKIRIS_ADMIN_TOKEN). Without one a random token is generated and printed
                      once on stderr: the admin routes never run open.
      --cors-origin   comma-separated origins allowed from browsers, or * (env ZKIRIS_CORS_ORIGINS;
                      default none).
      --log-level     fatal, error, warn, info, debug or trace (default info; env ZKIRIS_LOG_LEVEL).
      --liveness-artifacts
                      directory of the liveness-vote artifacts, e.g. circuits/artifacts/liveness_vote
                      (manifest and verification key, SHA-256 checked; env ZKIRIS_LIVENESS_ARTIFACTS):
                      enables polls that require liveness. Without it, creating one answers 501
                      LIVENESS_UNAVAILABLE.
      --web           directory of a built web page to serve under /web/ (GET / redirects there),
                      with the proving artifacts it loads (@zk-kit/semaphore-artifacts and the
                      --liveness-artifacts directory) under /web/artifacts/; 'off' serves none (env
                      ZKIRIS_WEB). Default: the built voting web app (examples/voting-web/dist) of a
                      source checkout when it is there.
      The SQLite database needs the better-sqlite3 package, PostgreSQL the pg package.
      Exit codes: 0 stopped cleanly, 1 the server could not start (database locked or missing
      driver, port taken), 2 usage error, 3 internal error.
`;

const OPTIONS = {
  database: { type: "string" },
  schema: { type: "string" },
  host: { type: "string" },
  port: { type: "string" },
  "admin-token": { type: "string" },
  "cors-origin": { type: "string" },
  "log-level": { type: "string" },
  "liveness-artifacts": { type: "string" },
  web: { type: "string" },
} as const;

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace"] as const;

/** `zkiris serve`: the HTTP API on the embedded SQLite file or PostgreSQL, until SIGINT/SIGTERM. */
export const serveCommand: CliCommand = {
  name: "serve",
  synopsis: SYNOPSIS,
  summary: "Start the zkiris HTTP API on the embedded SQLite file (zero set-up) or PostgreSQL.",
  usage: USAGE,
  run: serve,
};

/** The built voting web app of a source checkout (from src/commands or from dist), if it was built. */
function defaultWebRoot(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of [
    ["..", "..", "..", ".."],
    ["..", "..", ".."],
  ]) {
    const dir = join(here, ...up, "examples", "voting-web", "dist");
    if (existsSync(join(dir, "index.html"))) return dir;
  }
  return undefined;
}

/** The installed @zk-kit/semaphore-artifacts, whose files the page proves plain votes with. */
function semaphoreArtifactsDir(): string | undefined {
  try {
    return dirname(createRequire(import.meta.url).resolve("@zk-kit/semaphore-artifacts/package.json"));
  } catch {
    return undefined;
  }
}

/** The PostgreSQL URL with its password replaced, for printing. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "postgres://(unparsable URL)";
  }
}

async function serve(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, OPTIONS, USAGE);
  if (positionals.length > 0) throw new UsageError(`Unexpected argument '${positionals[0]}'`, USAGE);
  // An empty variable counts as unset (a blank line in an env file must not become a setting).
  const env = Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined && v !== ""));
  const database = values.database ?? env.ZKIRIS_DATABASE_URL ?? "./zkiris.db";
  const postgres = /^postgres(ql)?:\/\//.test(database);
  const schema = values.schema ?? env.ZKIRIS_DATABASE_SCHEMA;
  const host = values.host ?? env.ZKIRIS_HOST ?? "127.0.0.1";
  const port = integerOption("port", values.port ?? env.ZKIRIS_PORT, 8080, 0, 65535, USAGE);
  const logLevel = values["log-level"] ?? env.ZKIRIS_LOG_LEVEL ?? "info";
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new UsageError(
      `Option '--log-level' must be one of ${LOG_LEVELS.join(", ")}, received ${logLevel}`,
      USAGE,
    );
  }
  const corsText = values["cors-origin"] ?? env.ZKIRIS_CORS_ORIGINS;
  const corsOrigins =
    corsText === undefined
      ? undefined
      : corsText.trim() === "*"
        ? ("*" as const)
        : corsText
            .split(",")
            .map((o) => o.trim())
            .filter((o) => o !== "");
  let adminToken = values["admin-token"] ?? env.ZKIRIS_ADMIN_TOKEN;
  const generated = adminToken === undefined;
  adminToken ??= randomBytes(24).toString("base64url");

  const location: DatabaseLocation = postgres
    ? { postgres: database, ...(schema === undefined ? {} : { schema }) }
    : database;
  const livenessDir = values["liveness-artifacts"] ?? env.ZKIRIS_LIVENESS_ARTIFACTS;
  const webOption = values.web ?? env.ZKIRIS_WEB;
  const webRoot = webOption === "off" ? undefined : (webOption ?? defaultWebRoot());
  const semaphoreDir = webRoot === undefined ? undefined : semaphoreArtifactsDir();
  const web =
    webRoot === undefined
      ? undefined
      : {
          root: webRoot,
          ...(semaphoreDir === undefined ? {} : { semaphoreArtifacts: semaphoreDir }),
          ...(livenessDir === undefined ? {} : { livenessArtifacts: livenessDir }),
        };
  const [{ Registry }, { startServer }] = await Promise.all([
    import("@zkiris/registry"),
    import("@zkiris/server"),
  ]);
  let liveness: LivenessVoteArtifacts | undefined;
  if (livenessDir !== undefined) {
    const { loadLivenessVoteArtifacts } = await import("@zkiris/match-proof");
    try {
      liveness = await loadLivenessVoteArtifacts(livenessDir, { verifyOnly: true });
    } catch (error) {
      if (ZkirisError.is(error)) {
        io.stderr(
          `zkiris serve: cannot load the liveness-vote artifacts (${error.code}): ${error.message}\n`,
        );
        return EXIT.FAILED;
      }
      throw error;
    }
  }
  let registry: Registry;
  try {
    registry = await Registry.open({
      database: location,
      ...(liveness === undefined ? {} : { livenessArtifacts: liveness }),
    });
  } catch (error) {
    await liveness?.close();
    if (ZkirisError.is(error)) {
      io.stderr(`zkiris serve: cannot open the database (${error.code}): ${error.message}\n`);
      return EXIT.FAILED;
    }
    throw error;
  }
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(registry, {
      adminToken,
      host,
      port,
      ...(corsOrigins === undefined ? {} : { corsOrigins }),
      ...(web === undefined ? {} : { web }),
      log: { level: logLevel as (typeof LOG_LEVELS)[number] },
    });
  } catch (error) {
    await registry.close();
    await liveness?.close();
    const code = (error as { code?: unknown }).code;
    if (ZkirisError.is(error) || code === "EADDRINUSE" || code === "EACCES") {
      io.stderr(`zkiris serve: cannot start: ${(error as Error).message}\n`);
      return ZkirisError.is(error) && error.code === "INVALID_PARAMETER" ? EXIT.USAGE : EXIT.FAILED;
    }
    throw error;
  }
  const config = [
    `zkiris serve: listening on ${server.url}`,
    `  database      ${postgres ? `PostgreSQL ${redactUrl(database)} (schema ${schema ?? "zkiris"})` : `SQLite ${database}`}`,
    `  admin token   ${generated ? "generated for this run (below)" : `given (${adminToken.length} characters)`}`,
    `  CORS origins  ${corsOrigins === undefined ? "none" : corsOrigins === "*" ? "*" : corsOrigins.join(", ")}`,
    `  log level     ${logLevel}`,
    `  liveness      ${livenessDir === undefined ? "off (no --liveness-artifacts)" : `polls enabled, artifacts ${livenessDir}`}`,
    `  web           ${web === undefined ? "off" : `${server.url}/web/ from ${web.root}; artifacts: semaphore ${semaphoreDir === undefined ? "missing (@zk-kit/semaphore-artifacts not installed)" : "served"}, liveness ${livenessDir === undefined ? "not served (no --liveness-artifacts)" : "served"}`}`,
    `  OpenAPI       ${server.url}/openapi.json`,
  ];
  if (generated) config.push(`admin token (shown once, pass --admin-token to choose one): ${adminToken}`);
  io.stderr(`${config.join("\n")}\n`);
  if (io.waitForStop === undefined) throw new Error("zkiris serve needs a stop signal from its caller");
  await io.waitForStop();
  io.stderr("zkiris serve: stopping\n");
  await server.close();
  await registry.close();
  await liveness?.close();
  io.stderr("zkiris serve: stopped\n");
  return EXIT.OK;
}
