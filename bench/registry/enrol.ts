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
import { Group } from "@semaphore-protocol/group";
import { DeviceKey, signCapture } from "@zkiris/device";
import { DEFAULT_PROFILE, IrisCode, templateCommitment, toBinary } from "@zkiris/iris-code";
import {
  type DatabaseLocation,
  type EnrolmentImport,
  PostgresRepository,
  Registry,
  type Repository,
  SqliteRepository,
} from "@zkiris/registry";
import pg from "pg";

const MEMBERS = Number(process.argv[2] ?? 100_000);
const ENROLMENTS = Number(process.argv[3] ?? 20);
const G = DEFAULT_PROFILE.geometry;
const BYTES = (G.rows * G.cols * G.bitsPerCell) / 8;
const key = DeviceKey.fromSeed("bench-enrol-device");

/** Random bits; about 1/8 of the bits masked out (usable ~87.5%), like a real capture. */
function randomCode(): IrisCode {
  const bits = new Uint8Array(BYTES);
  const noise = new Uint8Array(3 * BYTES);
  globalThis.crypto.getRandomValues(bits);
  globalThis.crypto.getRandomValues(noise);
  const mask = new Uint8Array(BYTES);
  for (let i = 0; i < BYTES; i++) mask[i] = ~(noise[i]! & noise[BYTES + i]! & noise[2 * BYTES + i]!) & 0xff;
  return IrisCode.fromPacked(G, bits, mask);
}

const PG_URL = process.env.ZKIRIS_BENCH_DATABASE_URL;

async function openRepository(location: DatabaseLocation): Promise<Repository> {
  return typeof location === "string"
    ? new SqliteRepository(location)
    : PostgresRepository.open({ url: location.postgres, schema: location.schema! });
}

async function bulkLoad(location: DatabaseLocation, members: number): Promise<void> {
  const repository = await openRepository(location);
  await repository.migrate();
  await repository.insertDevice({
    id: key.deviceId.toString(),
    publicKey: [key.publicKey[0].toString(), key.publicKey[1].toString()],
    registeredAt: 0,
    revokedAt: null,
  });
  await repository.insertGroup({ id: "citizens", kind: "plain", createdAt: 0 }, "0");
  const leaves: bigint[] = [];
  const entries: EnrolmentImport[] = [];
  const start = performance.now();
  for (let i = 0; i < members; i++) {
    const identity = BigInt(i + 1) * 1_000_003n;
    leaves.push(identity);
    entries.push({
      enrolment: {
        groupId: "citizens",
        memberIndex: i,
        identityCommitment: identity.toString(),
        templateCommitment: "0",
        deviceId: key.deviceId.toString(),
        code: toBinary(randomCode()),
        createdAt: 0,
      },
      leaf: identity.toString(),
    });
    if ((i + 1) % 25_000 === 0) process.stdout.write(`  generated ${i + 1}/${members} synthetic codes\n`);
  }
  const root = members === 0 ? 0n : new Group(leaves).root;
  await repository.importEnrolments("citizens", entries, root.toString(), 1);
  await repository.close();
  console.log(`  bulk load of ${members} enrolments: ${((performance.now() - start) / 1000).toFixed(1)} s`);
}

async function run(
  backend: "SQLite" | "PostgreSQL",
  members: number,
): Promise<{ perSecond: number; meanMs: number; openMs: number }> {
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
      const start = performance.now();
      for (const request of requests) await registry.enrol(request);
      const ms = performance.now() - start;
      if (registry.group("citizens").size !== members + ENROLMENTS) throw new Error("enrolments missing");
      return { perSecond: (ENROLMENTS * 1000) / ms, meanMs: ms / ENROLMENTS, openMs };
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
  console.log(`  ${empty.perSecond.toFixed(2)} enrolments/s (${empty.meanMs.toFixed(1)} ms each)`);
  console.log(
    `[${backend}] ${ENROLMENTS} enrolments at ${MEMBERS} members (search workers: ${availableParallelism()})`,
  );
  const full = await run(backend, MEMBERS);
  console.log(`  ${full.perSecond.toFixed(2)} enrolments/s (${full.meanMs.toFixed(1)} ms each)`);
  console.log(`[${backend}] ratio at ${MEMBERS} / empty: ${(full.perSecond / empty.perSecond).toFixed(3)}x`);
}
