import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Registry, SCHEMA_VERSION } from "@zkiris/registry";
import { needs, requirement } from "@zkiris/test-kit";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../src/index.js";

const POSTGRES = requirement("postgresql");
const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const TOKEN = "serve-test-admin-token-42";

function collect() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) },
    out,
    err,
  };
}

interface Served {
  readonly child: ChildProcessWithoutNullStreams;
  readonly url: string;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `zkiris serve` from the sources as a child process and waits for its "listening" line. */
async function startServe(args: string[], env: Record<string, string> = {}): Promise<Served> {
  const child = spawn(
    process.execPath,
    ["--conditions=zkiris-source", "--import", "tsx", MAIN, "serve", ...args],
    {
      env: { ...process.env, ...env },
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
      // The configuration block is complete once its last line (and the generated token) is in.
      const found = /listening on (http:\/\/\S+)/.exec(stderr);
      const complete =
        /OpenAPI .*\n/.test(stderr) && (!stderr.includes("generated") || /shown once.*\n/.test(stderr));
      if (found && complete) resolve(found[1]!);
    });
    void exit.then(({ code }) => reject(new Error(`zkiris serve exited with ${code}: ${stderr}`)));
  });
  return { child, url, stdout: () => stdout, stderr: () => stderr, exit };
}

let dir: string;
const children: Served[] = [];
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "zkiris-serve-"));
});
afterEach(async () => {
  for (const served of children.splice(0)) {
    if (served.child.exitCode === null && served.child.signalCode === null) served.child.kill("SIGKILL");
    await served.exit;
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("zkiris serve", () => {
  it("starts on a SQLite file, prints its configuration without the token, answers /health and stops on SIGTERM", async () => {
    const database = path.join(dir, "first.db");
    const served = await startServe(
      ["--database", database, "--port", "0", "--cors-origin", "https://vote.example.org"],
      {
        ZKIRIS_ADMIN_TOKEN: TOKEN,
      },
    );
    children.push(served);
    expect(served.stderr()).toContain(`database      SQLite ${database}`);
    expect(served.stderr()).toContain("CORS origins  https://vote.example.org");
    expect(served.stderr()).toContain(`admin token   given (${TOKEN.length} characters)`);
    const health = await fetch(`${served.url}/health`);
    expect([health.status, await health.json()]).toEqual([200, { status: "ok" }]);
    const created = await fetch(`${served.url}/groups`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ id: "citizens", kind: "plain" }),
    });
    expect(created.status).toBe(201);
    served.child.kill("SIGTERM");
    expect(await served.exit).toEqual({ code: 0, signal: null });
    expect(served.stderr()).toMatch(/stopping\n.*stopped\n$/s);
    expect(served.stdout() + served.stderr()).not.toContain(TOKEN);
    // The log lines on stdout are JSON, one per request.
    const lines = served
      .stdout()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.msg === "request").map((l) => [l.route, l.statusCode])).toEqual([
      ["/health", 200],
      ["/groups", 201],
    ]);
    // Restarted on the same file, the group is still there.
    const again = await startServe(["--database", database, "--port", "0", "--admin-token", TOKEN]);
    children.push(again);
    expect(await (await fetch(`${again.url}/groups`)).json()).toMatchObject({ groups: [{ id: "citizens" }] });
    again.child.kill("SIGINT");
    expect((await again.exit).code).toBe(0);
  });

  it.skipIf(!POSTGRES.available)(
    needs(POSTGRES, "starts on PostgreSQL from ZKIRIS_DATABASE_URL, printing the URL without its password"),
    async () => {
      const url = process.env.ZKIRIS_TEST_DATABASE_URL!;
      const schema = `cli_serve_${process.pid}_${Date.now().toString(36)}`;
      try {
        const served = await startServe(["--port", "0", "--schema", schema], {
          ZKIRIS_DATABASE_URL: url,
          ZKIRIS_ADMIN_TOKEN: TOKEN,
        });
        children.push(served);
        const password = new URL(url).password;
        expect(served.stderr()).toContain(`database      PostgreSQL ${new URL(url).protocol}//`);
        expect(served.stderr()).toContain(`(schema ${schema})`);
        if (password !== "") expect(served.stderr()).not.toContain(`:${password}@`);
        expect(await (await fetch(`${served.url}/ready`)).json()).toEqual({
          status: "ready",
          database: "postgres",
        });
        const backup = await fetch(`${served.url}/backup`, { headers: { authorization: `Bearer ${TOKEN}` } });
        expect([backup.status, ((await backup.json()) as { error: { code: string } }).error.code]).toEqual([
          501,
          "BACKUP_UNSUPPORTED",
        ]);
        served.child.kill("SIGTERM");
        expect((await served.exit).code).toBe(0);
      } finally {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await client.end();
      }
    },
  );

  it("enables liveness polls with --liveness-artifacts, refuses them without, and refuses a bad directory", async () => {
    const artifacts = fileURLToPath(new URL("../../../circuits/artifacts/liveness_vote", import.meta.url));
    const admin = { "content-type": "application/json", authorization: `Bearer ${TOKEN}` };
    const poll = {
      id: "live",
      groupId: "bio",
      options: ["yes", "no"],
      opensAt: 0,
      closesAt: Date.now() + 3_600_000,
      requireLiveness: true,
    };
    const setUp = async (url: string) => {
      const group = await fetch(`${url}/groups`, {
        method: "POST",
        headers: admin,
        body: JSON.stringify({ id: "bio", kind: "biometric" }),
      });
      expect(group.status).toBe(201);
      return fetch(`${url}/polls`, { method: "POST", headers: admin, body: JSON.stringify(poll) });
    };
    const off = await startServe(["--database", path.join(dir, "no-liveness.db"), "--port", "0"], {
      ZKIRIS_ADMIN_TOKEN: TOKEN,
    });
    children.push(off);
    expect(off.stderr()).toContain("liveness      off (no --liveness-artifacts)");
    const refused = await setUp(off.url);
    expect([refused.status, ((await refused.json()) as { error: { code: string } }).error.code]).toEqual([
      501,
      "LIVENESS_UNAVAILABLE",
    ]);
    off.child.kill("SIGTERM");
    expect((await off.exit).code).toBe(0);

    const on = await startServe(
      ["--database", path.join(dir, "liveness.db"), "--port", "0", "--liveness-artifacts", artifacts],
      { ZKIRIS_ADMIN_TOKEN: TOKEN },
    );
    children.push(on);
    expect(on.stderr()).toContain(`liveness      polls enabled, artifacts ${artifacts}`);
    const created = await setUp(on.url);
    expect([
      created.status,
      ((await created.json()) as { requireLiveness?: boolean }).requireLiveness,
    ]).toEqual([201, true]);
    const challenge = await fetch(`${on.url}/polls/live/challenges`, { method: "POST" });
    expect(challenge.status).toBe(200);
    on.child.kill("SIGTERM");
    expect((await on.exit).code).toBe(0);

    const { io, err } = collect();
    const missing = path.join(dir, "no-such-artifacts");
    const code = await runCli(
      [
        "serve",
        "--database",
        path.join(dir, "bad.db"),
        "--liveness-artifacts",
        missing,
        "--admin-token",
        TOKEN,
      ],
      { ...io, waitForStop: () => new Promise(() => {}) },
    );
    expect(code).toBe(1);
    expect(err.join("")).toMatch(/cannot load the liveness-vote artifacts \(ARTIFACT_UNAVAILABLE\)/);
  });

  it("serves a built web page and its artifacts with --web next to the API, and none with --web off", async () => {
    const artifacts = fileURLToPath(new URL("../../../circuits/artifacts/liveness_vote", import.meta.url));
    const web = path.join(dir, "web");
    mkdirSync(web, { recursive: true });
    writeFileSync(path.join(web, "index.html"), "<!doctype html><title>voting</title>");
    const on = await startServe(
      [
        "--database",
        path.join(dir, "web.db"),
        "--port",
        "0",
        "--web",
        web,
        "--liveness-artifacts",
        artifacts,
      ],
      { ZKIRIS_ADMIN_TOKEN: TOKEN },
    );
    children.push(on);
    expect(on.stderr()).toContain(
      `web           ${on.url}/web/ from ${web}; artifacts: semaphore served, liveness served`,
    );
    const page = await fetch(`${on.url}/web/`);
    expect([page.status, await page.text()]).toEqual([200, "<!doctype html><title>voting</title>"]);
    const manifest = await fetch(`${on.url}/web/artifacts/liveness_vote/manifest.json`);
    expect([manifest.status, (await manifest.json()).circuit]).toEqual([200, "liveness_vote"]);
    expect(
      (await fetch(`${on.url}/web/artifacts/semaphore/semaphore-1.wasm`, { method: "HEAD" })).status,
    ).toBe(200);
    on.child.kill("SIGTERM");
    expect((await on.exit).code).toBe(0);

    const off = await startServe(["--database", path.join(dir, "web.db"), "--port", "0", "--web", "off"], {
      ZKIRIS_ADMIN_TOKEN: TOKEN,
    });
    children.push(off);
    expect(off.stderr()).toContain("web           off");
    expect((await fetch(`${off.url}/web/`)).status).toBe(404);
    off.child.kill("SIGTERM");
    expect((await off.exit).code).toBe(0);

    const { io, err } = collect();
    const missing = path.join(dir, "no-such-web");
    expect(
      await runCli(["serve", "--database", path.join(dir, "web2.db"), "--port", "0", "--web", missing], io),
    ).toBe(2);
    expect(err.join("")).toContain("cannot start: Parameter 'web.root' must be an existing directory");
  });

  it("generates an admin token when none is given and prints it once; the admin routes need it", async () => {
    const served = await startServe(["--database", path.join(dir, "generated.db"), "--port", "0"], {
      ZKIRIS_ADMIN_TOKEN: "",
    });
    children.push(served);
    const token = /admin token \(shown once[^)]*\): (\S+)/.exec(served.stderr())?.[1];
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(served.stderr().split(token!).length).toBe(2);
    const post = (authorization?: string) =>
      fetch(`${served.url}/groups`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ id: "g", kind: "plain" }),
      });
    expect((await post()).status).toBe(401);
    expect((await post(`Bearer ${token}`)).status).toBe(201);
    served.child.kill("SIGTERM");
    expect((await served.exit).code).toBe(0);
    expect(served.stdout()).not.toContain(token);
  });

  it("refuses to start when another process holds the database", async () => {
    const database = path.join(dir, "held.db");
    const first = await startServe(["--database", database, "--port", "0", "--admin-token", TOKEN]);
    children.push(first);
    const { io, err } = collect();
    const code = await runCli(["serve", "--database", database, "--port", "0", "--admin-token", TOKEN], {
      ...io,
      waitForStop: () => new Promise(() => {}),
    });
    expect(code).toBe(1);
    expect(err.join("")).toMatch(/cannot open the database \(DATABASE_LOCKED\)/);
  });

  it("refuses bad options with exit code 2", async () => {
    for (const args of [["--port", "70000"], ["--log-level", "loud"], ["extra"]]) {
      const { io, err } = collect();
      expect(await runCli(["serve", ...args], io), args.join(" ")).toBe(2);
      expect(err.join(""), args.join(" ")).toMatch(/^zkiris: /);
    }
  });
});

describe("zkiris backup", () => {
  it("backs up the database of a running server through it while writes go on, and the copy opens", async () => {
    const database = path.join(dir, "live.db");
    const served = await startServe(["--database", database, "--port", "0", "--admin-token", TOKEN]);
    children.push(served);
    let stop = false;
    let written = 0;
    const writer = (async () => {
      while (!stop) {
        const res = await fetch(`${served.url}/groups`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
          body: JSON.stringify({ id: `g${written}`, kind: "plain" }),
        });
        expect(res.status).toBe(201);
        written++;
      }
    })();
    while (written < 5) await new Promise((resolve) => setTimeout(resolve, 10));

    // The file is locked to the server: reading it directly is refused with a pointer to the URL form.
    const direct = collect();
    expect(await runCli(["backup", database, path.join(dir, "direct.db")], direct.io)).toBe(1);
    expect(direct.err.join("")).toContain("is held by a running server; back it up through it");
    expect(existsSync(path.join(dir, "direct.db"))).toBe(false);

    const out = path.join(dir, "live-copy.db");
    const { io, out: stdout, err } = collect();
    const code = await runCli(["backup", served.url, out, "--admin-token", TOKEN], io);
    expect([code, err.join("")]).toEqual([0, ""]);
    const atBackup = written;
    while (written < atBackup + 5) await new Promise((resolve) => setTimeout(resolve, 10));
    stop = true;
    await writer;
    expect(JSON.parse(stdout.join(""))).toMatchObject({
      source: served.url,
      out,
      schemaVersion: SCHEMA_VERSION,
    });

    const copy = await Registry.open({ database: out, searchWorkers: 0, verifierWorkers: 1 });
    try {
      const ids = copy.groups().map((g) => g.id);
      expect(ids.length).toBeGreaterThanOrEqual(5);
      expect(ids.length).toBeLessThan(written);
      expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => `g${i}`));
    } finally {
      await copy.close();
    }

    const refused = collect();
    expect(await runCli(["backup", served.url, out, "--admin-token", TOKEN], refused.io)).toBe(1);
    expect(refused.err.join("")).toContain("exists; a backup never overwrites");
    const wrong = collect();
    expect(
      await runCli(
        ["backup", served.url, path.join(dir, "x.db"), "--admin-token", "wrong-token-wrong"],
        wrong.io,
      ),
    ).toBe(1);
    expect(wrong.err.join("")).toContain("(401 UNAUTHORIZED)");

    served.child.kill("SIGTERM");
    expect((await served.exit).code).toBe(0);
    // Once no process holds it, the file is read directly.
    const offline = collect();
    expect(await runCli(["backup", database, path.join(dir, "offline.db")], offline.io)).toBe(0);
    const reopened = await Registry.open({
      database: path.join(dir, "offline.db"),
      searchWorkers: 0,
      verifierWorkers: 1,
    });
    expect(reopened.groups().length).toBe(written);
    await reopened.close();
  });
});
