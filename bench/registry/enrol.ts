// Enrolments per second at 100k members: bulk-loads synthetic random codes straight into the database
// (enrolments, leaves, one root), opens the registry (which rebuilds the tree and the uniqueness index
// from the database), then times real enrolments (fresh challenge, signed capture, quality gates,
// commitment check, 1:N search at every shift, transaction; captures are signed beforehand, as a
// device would). Baseline: the same enrolments into an empty registry, same process and backend.
// SQLite always; PostgreSQL too when ZKIRIS_BENCH_DATABASE_URL is set (a throw-away schema).
//
//   npx tsx --conditions=zkiris-source bench/registry/enrol.ts [members=100000] [enrolments=20]
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { DeviceKey, signCapture } from "@zkiris/device";
import { templateCommitment } from "@zkiris/iris-code";
import {
  type DatabaseLocation,
  PostgresRepository,
  Registry,
  type Repository,
  SqliteRepository,
} from "@zkiris/registry";
import pg from "pg";
import { randomCode, seedMembers } from "./synthetic-members.js";

const MEMBERS = Number(process.argv[2] ?? 100_000);
const ENROLMENTS = Number(process.argv[3] ?? 20);
const key = DeviceKey.fromSeed("bench-enrol-device");

/** Random bits; about 1/8 of the bits masked out (usable ~87.5%), like a real capture. */
const PG_URL = process.env.ZKIRIS_BENCH_DATABASE_URL;

async function openRepository(location: DatabaseLocation): Promise<Repository> {
  return typeof location === "string"
    ? new SqliteRepository(location)
    : PostgresRepository.open({ url: location.postgres, schema: location.schema! });
}

async function bulkLoad(location: DatabaseLocation, members: number): Promise<void> {
  const repository = await openRepository(location);
  const start = performance.now();
  await seedMembers(repository, key, members, {
    onProgress: (done) => process.stdout.write(`  generated ${done}/${members} synthetic codes\n`),
  });
  await repository.close();
  console.log(`  bulk load of ${members} enrolments: ${((performance.now() - start) / 1000).toFixed(1)} s`);
}

async function run(
  backend: "SQLite" | "PostgreSQL",
  members: number,
): Promise<{ perSecond: number; meanMs: number; cpuMs: number; openMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), "zkiris-bench-enrol-"));
  const schema = `bench_enrol_${process.pid}_${members}`;
  const location: DatabaseLocation =
    backend === "SQLite" ? join(dir, "registry.sqlite") : { postgres: PG_URL!, schema };
  try {
    await bulkLoad(location, members);
    const openStart = performance.now();
    const registry = await Registry.open({
      database: location,
      verifierWorkers: 1,
      searchWorkers: availableParallelism(),
    });
    const openMs = performance.now() - openStart;
    console.log(`  open (tree rebuild + index load of ${members}): ${(openMs / 1000).toFixed(1)} s`);
    try {
      // Devices sign on their side: captures are signed before the clock starts.
      const requests = [];
      for (let i = 0; i < ENROLMENTS; i++) {
        const probe = randomCode();
        const { challenge } = await registry.issueChallenge();
        const salt = BigInt(i + 7);
        requests.push({
          groupId: "citizens",
          capture: signCapture(key, probe, challenge, {}),
          identityCommitment: BigInt(i + 1) * 7_777_777n + 1n,
          templateCommitment: templateCommitment(probe, salt),
          salt,
        });
      }
      const cpuStart = process.cpuUsage();
      const start = performance.now();
      for (const request of requests) await registry.enrol(request);
      const ms = performance.now() - start;
      // The process's CPU time: the main thread, the search workers and the verifier worker.
      const cpu = process.cpuUsage(cpuStart);
      if (registry.group("citizens").size !== members + ENROLMENTS) throw new Error("enrolments missing");
      return {
        perSecond: (ENROLMENTS * 1000) / ms,
        meanMs: ms / ENROLMENTS,
        cpuMs: (cpu.user + cpu.system) / 1000 / ENROLMENTS,
        openMs,
      };
    } finally {
      await registry.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (backend === "PostgreSQL") {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
  }
}

for (const backend of PG_URL === undefined ? (["SQLite"] as const) : (["SQLite", "PostgreSQL"] as const)) {
  console.log(`[${backend}] baseline: ${ENROLMENTS} enrolments into an empty registry`);
  const empty = await run(backend, 0);
  console.log(
    `  ${empty.perSecond.toFixed(2)} enrolments/s (${empty.meanMs.toFixed(1)} ms each, ${empty.cpuMs.toFixed(1)} ms CPU each)`,
  );
  console.log(
    `[${backend}] ${ENROLMENTS} enrolments at ${MEMBERS} members (search workers: ${availableParallelism()})`,
  );
  const full = await run(backend, MEMBERS);
  console.log(
    `  ${full.perSecond.toFixed(2)} enrolments/s (${full.meanMs.toFixed(1)} ms each, ${full.cpuMs.toFixed(1)} ms CPU each)`,
  );
  console.log(`[${backend}] ratio at ${MEMBERS} / empty: ${(full.perSecond / empty.perSecond).toFixed(3)}x`);
}
