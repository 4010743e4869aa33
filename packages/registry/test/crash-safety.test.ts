import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Group } from "@semaphore-protocol/group";
import { DeviceKey } from "@zkiris/device";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CRASH_POINT_ENV, type CrashPoint, Registry, type RegistryOptions } from "../src/index.js";
import { BACKENDS, enrolmentRequest, randomCode, type TestDatabase } from "./helpers.js";

const here = dirname(fileURLToPath(import.meta.url));
const CHILD = join(here, "fixtures", "enrol-child.ts");
const TSX = join(here, "..", "..", "..", "node_modules", "tsx", "dist", "loader.mjs");

interface ChildOutcome {
  readonly challenge: string | undefined;
  readonly stdout: string;
  readonly killedAt: CrashPoint | undefined;
  readonly code: number | null;
}

/** Runs the enrolling child; when `point` is set, SIGKILLs it as soon as it reports that point. */
function runChild(db: TestDatabase, seed: number, point?: CrashPoint): Promise<ChildOutcome> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ZKIRIS_CHILD_DATABASE: JSON.stringify(db.location),
      ZKIRIS_CHILD_SEED: String(seed),
    };
    delete env[CRASH_POINT_ENV];
    if (point !== undefined) env[CRASH_POINT_ENV] = point;
    const child = spawn(process.execPath, ["--import", TSX, "--conditions=zkiris-source", CHILD], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let killedAt: CrashPoint | undefined;
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const m = /CRASH_POINT (\S+)/.exec(stdout);
      if (m !== null && killedAt === undefined) {
        killedAt = m[1] as CrashPoint;
        child.kill("SIGKILL");
      }
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (point === undefined && code !== 0) reject(new Error(`child failed (${code}): ${stderr}`));
      resolve({ challenge: /CHALLENGE (\d+)/.exec(stdout)?.[1], stdout, killedAt, code });
    });
  });
}

async function openWithRetry(options: RegistryOptions): Promise<Registry> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await Registry.open(options);
    } catch (error) {
      // PostgreSQL releases the killed child's writer lock when it notices the closed socket.
      if ((error as { code?: string }).code !== "DATABASE_LOCKED" || attempt > 50) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

const NOTHING_POINTS: CrashPoint[] = [
  "enrol:after-challenge",
  "enrol:after-enrolment",
  "enrol:after-member",
  "enrol:before-commit",
];

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(backend.title("crash safety"), () => {
    let db: TestDatabase;
    const key = DeviceKey.fromSeed("crash-test-device");
    const open = () => openWithRetry({ database: db.location, searchWorkers: 0, verifierWorkers: 1 });

    beforeEach(async () => {
      db = backend.create();
      const registry = await open();
      await registry.registerDevice(key.publicKey);
      await registry.createGroup({ id: "citizens", kind: "plain" });
      await registry.close();
    });

    afterEach(async () => {
      await db.drop();
    });

    async function expectConsistent(registry: Registry, enrolled: boolean, challenge: string) {
      const size = enrolled ? 1 : 0;
      expect(registry.group("citizens").size).toBe(size);
      expect(registry.group("citizens").root).toBe(enrolled ? new Group([4242n]).root : 0n);
      expect((await registry.repository.listActiveEnrolments()).length).toBe(size);
      expect((await registry.repository.listMembers("citizens")).length).toBe(size);
      expect((await registry.rootHistory("citizens")).length).toBe(size + 1);
      const stored = await registry.repository.getChallenge(challenge);
      expect(stored?.usedAt === null).toBe(!enrolled);
    }

    it("leaves nothing behind when killed at any point inside the enrolment transaction", async () => {
      for (const [i, point] of NOTHING_POINTS.entries()) {
        const outcome = await runChild(db, 100 + i, point);
        expect(outcome.killedAt).toBe(point);
        expect(outcome.code).toBeNull();
        const registry = await open();
        try {
          await expectConsistent(registry, false, outcome.challenge!);
        } finally {
          await registry.close();
        }
      }
      // The eye the killed children tried to enrol is not enrolled, so it enrols now.
      const registry = await open();
      try {
        const receipt = await registry.enrol(
          await enrolmentRequest(registry, key, randomCode(100), 4242n, {
            groupId: "citizens",
            quality: { focus: 1 },
          }),
        );
        expect(receipt.memberIndex).toBe(0);
      } finally {
        await registry.close();
      }
    });

    it("keeps everything when killed right after the commit", async () => {
      const outcome = await runChild(db, 200, "enrol:after-commit");
      expect(outcome.killedAt).toBe("enrol:after-commit");
      const registry = await open();
      try {
        await expectConsistent(registry, true, outcome.challenge!);
        await expect(
          registry.enrol(
            await enrolmentRequest(registry, key, randomCode(200), 4243n, {
              groupId: "citizens",
              quality: { focus: 1 },
            }),
          ),
        ).rejects.toMatchObject({ code: "DUPLICATE_ENROLLMENT" });
      } finally {
        await registry.close();
      }
    });

    it("completes an enrolment in a child process that is not killed", async () => {
      const outcome = await runChild(db, 300);
      expect(outcome.stdout).toMatch(/ENROLLED 0 \d+/);
      const registry = await open();
      try {
        await expectConsistent(registry, true, outcome.challenge!);
      } finally {
        await registry.close();
      }
    });
  });
}
