import { existsSync, statSync } from "node:fs";
import { basename, resolve } from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyReply } from "fastify";
import { ServerError } from "./errors.js";
import type { App } from "./routes.js";

/** The path prefix of everything {@link WebOptions} serves; no API route starts with it. */
export const WEB_PREFIX = "/web/";

/**
 * Static content served next to the API (`ServerOptions.web`): a built web page (the voting web app
 * of `examples/voting-web`) and the proving artifacts it loads, so that a browser fetches nothing
 * from anywhere but the zkiris service.
 */
export interface WebOptions {
  /** Directory of the built page (`index.html` and its assets), served under `/web/`. */
  readonly root: string;
  /**
   * Directory of `@zk-kit/semaphore-artifacts`, whose `semaphore-<depth>.wasm` and `.zkey` (only
   * those) are served under `/web/artifacts/semaphore/`.
   */
  readonly semaphoreArtifacts?: string;
  /**
   * Directory of the liveness-vote artifacts (`circuits/artifacts/liveness_vote`): `manifest.json`,
   * `liveness_vote.wasm`, `liveness_vote.zkey` and `verification_key.json` (only those) are served
   * under `/web/artifacts/liveness_vote/`.
   */
  readonly livenessArtifacts?: string;
}

const SEMAPHORE_FILE = /^semaphore-([1-9]|[12][0-9]|3[0-2])\.(wasm|zkey)$/;
const LIVENESS_FILES = new Set([
  "manifest.json",
  "liveness_vote.wasm",
  "liveness_vote.zkey",
  "verification_key.json",
]);

/**
 * The page may load code and data from this service only: scripts and workers from its own origin
 * (snarkjs starts its threads from blob: URLs), WebAssembly compiled from fetched bytes, requests to
 * the API and the artifacts on this origin.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval' blob:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "img-src 'self' data:",
  "style-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

function directory(path: string | undefined, field: string): string | undefined {
  if (path === undefined) return undefined;
  if (typeof path !== "string" || !existsSync(path) || !statSync(path).isDirectory()) {
    throw new ServerError("INVALID_PARAMETER", `Parameter '${field}' must be an existing directory`, {
      field,
    });
  }
  return resolve(path);
}

/** Checks {@link WebOptions}: every directory given must exist, and the page root must hold index.html. */
export function checkWebOptions(web: WebOptions): void {
  const root = directory(web?.root, "web.root");
  if (root === undefined || !existsSync(resolve(root, "index.html"))) {
    throw new ServerError(
      "INVALID_PARAMETER",
      "Parameter 'web.root' must be a directory with an index.html",
      {
        field: "web.root",
      },
    );
  }
  directory(web.semaphoreArtifacts, "web.semaphoreArtifacts");
  directory(web.livenessArtifacts, "web.livenessArtifacts");
}

/** Cache policy: the page itself is revalidated, its hashed assets are immutable, artifacts kept a day. */
function headers(kind: "page" | "artifacts") {
  return (reply: FastifyReply, path: string) => {
    const name = basename(path);
    if (name.endsWith(".wasm")) reply.header("content-type", "application/wasm");
    else if (name.endsWith(".zkey")) reply.header("content-type", "application/octet-stream");
    reply.header("x-content-type-options", "nosniff");
    if (kind === "artifacts") {
      // Their SHA-256 is pinned by the page, so a stale copy is refused, never used.
      reply.header("cache-control", "public, max-age=86400");
    } else if (name.endsWith(".html")) {
      reply.header("cache-control", "no-cache");
      reply.header("content-security-policy", CONTENT_SECURITY_POLICY);
    } else if (/-[A-Za-z0-9_-]{8}\.\w+$/.test(name)) {
      reply.header("cache-control", "public, max-age=31536000, immutable");
    } else {
      reply.header("cache-control", "no-cache");
    }
  };
}

/**
 * Serves {@link WebOptions} with `@fastify/static`: the page under `/web/` (`/web` and `/` redirect
 * to it), the artifacts under `/web/artifacts/semaphore/` and `/web/artifacts/liveness_vote/`. No
 * directory listing; only the named artifact files; the routes are hidden from the OpenAPI document.
 */
export async function registerWeb(app: App, web: WebOptions): Promise<void> {
  const common = {
    cacheControl: false,
    etag: true,
    lastModified: true,
    list: false,
    dotfiles: "deny",
  } as const;
  const semaphore = directory(web.semaphoreArtifacts, "web.semaphoreArtifacts");
  const liveness = directory(web.livenessArtifacts, "web.livenessArtifacts");
  // Registered before the page, so that their prefixes win over the page's wildcard.
  if (semaphore !== undefined) {
    await app.register(fastifyStatic, {
      ...common,
      root: semaphore,
      prefix: `${WEB_PREFIX}artifacts/semaphore/`,
      decorateReply: false,
      index: false,
      allowedPath: (pathName) => SEMAPHORE_FILE.test(pathName.replace(/^\//, "")),
      setHeaders: headers("artifacts"),
    });
  }
  if (liveness !== undefined) {
    await app.register(fastifyStatic, {
      ...common,
      root: liveness,
      prefix: `${WEB_PREFIX}artifacts/liveness_vote/`,
      decorateReply: false,
      index: false,
      allowedPath: (pathName) => LIVENESS_FILES.has(pathName.replace(/^\//, "")),
      setHeaders: headers("artifacts"),
    });
  }
  await app.register(fastifyStatic, {
    ...common,
    root: resolve(web.root),
    prefix: WEB_PREFIX,
    decorateReply: false,
    index: ["index.html"],
    redirect: true,
    allowedPath: (pathName) => !pathName.startsWith("/artifacts/"),
    setHeaders: headers("page"),
  });
  app.get("/", { schema: { hide: true } }, async (_request, reply) => reply.redirect(WEB_PREFIX, 302));
  app.get("/web", { schema: { hide: true } }, async (_request, reply) => reply.redirect(WEB_PREFIX, 301));
}
