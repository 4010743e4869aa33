// ServerOptions.web: a built page and the proving artifacts it loads, served next to the API under
// /web/ with content types and cache headers, only the named artifact files, and refusals of
// directories that are not there.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Registry } from "@zkiris/registry";
import { startServer, WEB_PREFIX, type ZkirisServer } from "@zkiris/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, sqliteDatabase, type TestDatabase } from "./helpers.js";

const LIVENESS = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "..",
  "circuits",
  "artifacts",
  "liveness_vote",
);
const SEMAPHORE = dirname(createRequire(import.meta.url).resolve("@zk-kit/semaphore-artifacts/package.json"));

let db: TestDatabase;
let registry: Registry;
let server: ZkirisServer;
let page: string;

beforeAll(async () => {
  page = mkdtempSync(join(tmpdir(), "zkiris-web-"));
  writeFileSync(join(page, "index.html"), "<!doctype html><title>page</title>");
  mkdirSync(join(page, "assets"));
  writeFileSync(join(page, "assets", "index-AbCd1234.js"), "export {};");
  writeFileSync(join(page, "notes.txt"), "plain");
  db = sqliteDatabase();
  registry = await Registry.open({ database: db.location, searchWorkers: 0, verifierWorkers: 1 });
  server = await startServer(registry, {
    adminToken: ADMIN_TOKEN,
    rateLimit: false,
    log: false,
    web: { root: page, semaphoreArtifacts: SEMAPHORE, livenessArtifacts: LIVENESS },
  });
});

afterAll(async () => {
  await server?.close();
  await registry?.close();
  await db?.drop();
  rmSync(page, { recursive: true, force: true });
});

const get = (url: string, method = "GET") => server.app.inject({ method: method as "GET", url });

describe("the web option", () => {
  it("serves the page under /web/, revalidated and locked to this origin, and redirects / and /web to it", async () => {
    const index = await get(WEB_PREFIX);
    expect([index.statusCode, index.body, index.headers["cache-control"]]).toEqual([
      200,
      "<!doctype html><title>page</title>",
      "no-cache",
    ]);
    expect(index.headers["content-type"]).toMatch(/^text\/html/);
    expect(index.headers["content-security-policy"]).toContain("default-src 'self'");
    expect(index.headers["content-security-policy"]).toContain("connect-src 'self'");
    const asset = await get("/web/assets/index-AbCd1234.js");
    expect([asset.statusCode, asset.headers["cache-control"]]).toEqual([
      200,
      "public, max-age=31536000, immutable",
    ]);
    expect((await get("/web/notes.txt")).headers["cache-control"]).toBe("no-cache");
    const root = await get("/");
    expect([root.statusCode, root.headers.location]).toEqual([302, "/web/"]);
    const bare = await get("/web");
    expect([bare.statusCode, bare.headers.location]).toEqual([301, "/web/"]);
  });

  it("serves only the named artifacts, with the wasm content type and a day of caching", async () => {
    const wasm = await get("/web/artifacts/semaphore/semaphore-20.wasm", "HEAD");
    expect([wasm.statusCode, wasm.headers["content-type"], wasm.headers["cache-control"]]).toEqual([
      200,
      "application/wasm",
      "public, max-age=86400",
    ]);
    const zkey = await get("/web/artifacts/liveness_vote/liveness_vote.zkey", "HEAD");
    expect([zkey.statusCode, zkey.headers["content-type"]]).toEqual([200, "application/octet-stream"]);
    expect((await get("/web/artifacts/liveness_vote/manifest.json")).json().circuit).toBe("liveness_vote");
    for (const url of [
      "/web/artifacts/semaphore/semaphore-33.wasm",
      "/web/artifacts/semaphore/semaphore-1.json",
      "/web/artifacts/semaphore/package.json",
      "/web/artifacts/semaphore/",
      "/web/artifacts/liveness_vote/Verifier.sol",
      "/web/artifacts/liveness_vote/../liveness_vote/Verifier.sol",
      "/web/artifacts/other/file",
    ]) {
      expect([url, (await get(url)).statusCode]).toEqual([url, 404]);
    }
  });

  it("leaves the API and its document alone", async () => {
    expect(server.routes.filter((r) => r.includes("/web") || r === "GET /")).toEqual([]);
    const paths = Object.keys((server.openApiDocument() as { paths: Record<string, unknown> }).paths);
    expect(paths.filter((p) => p === "/" || p.startsWith("/web"))).toEqual([]);
    expect((await get("/polls")).json()).toEqual({ polls: [] });
  });

  it("refuses directories that are not there, and a page without index.html", async () => {
    const start = (web: Parameters<typeof startServer>[1]["web"]) =>
      startServer(registry, { adminToken: ADMIN_TOKEN, log: false, web });
    const missing = join(page, "missing");
    await expect(start({ root: missing })).rejects.toMatchObject({
      code: "INVALID_PARAMETER",
      field: "web.root",
    });
    await expect(start({ root: join(page, "assets") })).rejects.toMatchObject({
      code: "INVALID_PARAMETER",
      field: "web.root",
      message: "Parameter 'web.root' must be a directory with an index.html",
    });
    await expect(start({ root: page, semaphoreArtifacts: missing })).rejects.toMatchObject({
      code: "INVALID_PARAMETER",
      field: "web.semaphoreArtifacts",
    });
    await expect(start({ root: page, livenessArtifacts: missing })).rejects.toMatchObject({
      code: "INVALID_PARAMETER",
      field: "web.livenessArtifacts",
    });
  });
});
