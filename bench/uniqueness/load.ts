/**
 * The uniqueness-index part of a registry restart, as Registry.open does it: read every active
 * enrolment's code from SQLite (`listActiveCodes`: id and iris-code `toBinary` blob), then fill a
 * fresh index. Baseline (the registry today, and the package before `addBinary`): one
 * `add(BigInt(id), fromBinary(code))` per row on the baseline index (bench/uniqueness/baseline).
 * Now: `addBinary(BigInt(id), code)` per row on the current index. Same rows, same process,
 * measured twice in alternation; CPU time (process.cpuUsage, every thread) beside wall time.
 *
 *   npx tsx --conditions=zkiris-source bench/uniqueness/load.ts [--members 100000] [--workers 2]
 *
 * A third path, for a registry that would store the index as one blob: `snapshot()` written to a
 * table of its own in the same SQLite file, then one `SELECT` of the blob and `loadSnapshot` (the
 * registry has no such table; what makes a stored snapshot current is its business, see the
 * README).
 *
 * The rows are written straight through the repository (random codes, about 1/8 of the bits
 * masked, as bench/registry/synthetic-members.ts), without the group's Merkle root, which this
 * bench does not read.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DeviceKey } from "@zkiris/device";
import { DEFAULT_PROFILE, fromBinary, IrisCode, packedByteLength, toBinary } from "@zkiris/iris-code";
import { type EnrolmentImport, SqliteRepository } from "@zkiris/registry";
import { UniquenessIndex } from "@zkiris/uniqueness";
import Database from "better-sqlite3";
import { BaselineUniquenessIndex } from "./baseline/index.js";

const { values: args } = parseArgs({
  options: {
    members: { type: "string", default: "100000" },
    workers: { type: "string", default: "2" },
  },
});
const MEMBERS = Number(args.members);
const WORKERS = Number(args.workers);
const g = DEFAULT_PROFILE.geometry;
const n = packedByteLength(g);

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
}

async function timed<T>(fn: () => Promise<T> | T): Promise<{ value: T; wall: number; cpu: number }> {
  const c0 = cpuMs();
  const t0 = performance.now();
  const value = await fn();
  return { value, wall: performance.now() - t0, cpu: cpuMs() - c0 };
}

const dir = mkdtempSync(join(tmpdir(), "zkiris-bench-uniqueness-load-"));
const file = join(dir, "registry.sqlite");
try {
  const setUp = performance.now();
  const key = DeviceKey.fromSeed("bench-uniqueness-load");
  const writer = new SqliteRepository(file);
  await writer.migrate();
  await writer.insertDevice({
    id: key.deviceId.toString(),
    publicKey: [key.publicKey[0].toString(), key.publicKey[1].toString()],
    registeredAt: 0,
    revokedAt: null,
  });
  await writer.insertGroup({ id: "citizens", kind: "plain", createdAt: 0 }, "0");
  const entries: EnrolmentImport[] = [];
  const bits = new Uint8Array(n);
  const noise = new Uint8Array(3 * n);
  const mask = new Uint8Array(n);
  for (let i = 0; i < MEMBERS; i++) {
    globalThis.crypto.getRandomValues(bits);
    globalThis.crypto.getRandomValues(noise);
    for (let j = 0; j < n; j++) mask[j] = ~(noise[j]! & noise[n + j]! & noise[2 * n + j]!) & 0xff;
    const identity = (BigInt(i + 1) * 1_000_003n).toString();
    entries.push({
      enrolment: {
        groupId: "citizens",
        memberIndex: i,
        identityCommitment: identity,
        templateCommitment: "0",
        deviceId: key.deviceId.toString(),
        code: toBinary(IrisCode.fromPacked(g, bits, mask)),
        createdAt: 0,
      },
      leaf: identity,
    });
  }
  await writer.importEnrolments("citizens", entries, "0", 1);
  await writer.close();
  console.log(
    `bench/uniqueness/load: ${MEMBERS} enrolments written to SQLite in ${((performance.now() - setUp) / 1000).toFixed(1)} s; index workers ${WORKERS}`,
  );

  const repository = new SqliteRepository(file);
  const rows: Array<{
    label: string;
    sql: number;
    sqlCpu: number;
    fill: number;
    fillCpu: number;
    arena: number;
  }> = [];
  for (const round of [1, 2]) {
    for (const variant of ["baseline add(id, fromBinary(code))", "now addBinary(id, code)"]) {
      const read = await timed(() => repository.listActiveCodes());
      if (read.value.length !== MEMBERS) throw new Error("rows missing");
      let arena = 0;
      let size = 0;
      const fill = await timed(async () => {
        if (variant.startsWith("baseline")) {
          const index = await BaselineUniquenessIndex.create({ profile: DEFAULT_PROFILE, workers: WORKERS });
          for (const { id, code } of read.value) index.add(BigInt(id), fromBinary(code));
          arena = index.arenaBytes;
          size = index.size;
          return index;
        }
        const index = await UniquenessIndex.create({ profile: DEFAULT_PROFILE, workers: WORKERS });
        for (const { id, code } of read.value) index.addBinary(BigInt(id), code);
        arena = index.arenaBytes;
        size = index.size;
        return index;
      });
      await fill.value.close();
      if (size !== MEMBERS) throw new Error("codes missing");
      rows.push({
        label: `${variant} (round ${round})`,
        sql: read.wall,
        sqlCpu: read.cpu,
        fill: fill.wall,
        fillCpu: fill.cpu,
        arena,
      });
    }
  }
  await repository.close();

  // The snapshot path: one blob in a table of its own.
  const source = await UniquenessIndex.create({ profile: DEFAULT_PROFILE, workers: 0 });
  const reader = new SqliteRepository(file);
  for (const { id, code } of await reader.listActiveCodes()) source.addBinary(BigInt(id), code);
  await reader.close();
  const blob = source.snapshot();
  await source.close();
  const db = new Database(file);
  db.prepare("CREATE TABLE bench_index_snapshot (snapshot BLOB NOT NULL)").run();
  db.prepare("INSERT INTO bench_index_snapshot (snapshot) VALUES (?)").run(blob);
  db.close();
  for (const round of [1, 2]) {
    const snapshotDb = new Database(file, { readonly: true });
    const read = await timed(
      () =>
        (snapshotDb.prepare("SELECT snapshot FROM bench_index_snapshot").get() as { snapshot: Uint8Array })
          .snapshot,
    );
    snapshotDb.close();
    let arena = 0;
    const fill = await timed(async () => {
      const index = await UniquenessIndex.create({ profile: DEFAULT_PROFILE, workers: WORKERS });
      index.loadSnapshot(read.value);
      if (index.size !== MEMBERS) throw new Error("codes missing");
      arena = index.arenaBytes;
      return index;
    });
    await fill.value.close();
    rows.push({
      label: `snapshot: one blob, loadSnapshot (round ${round})`,
      sql: read.wall,
      sqlCpu: read.cpu,
      fill: fill.wall,
      fillCpu: fill.cpu,
      arena,
    });
  }
  console.log(`snapshot blob: ${(blob.length / 2 ** 20).toFixed(1)} MiB`);
  console.log(
    "| load path | read wall / CPU (listActiveCodes, or the blob) | index create + fill wall / CPU | total wall | arena |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: |");
  for (const r of rows) {
    console.log(
      `| ${r.label} | ${r.sql.toFixed(0)} / ${r.sqlCpu.toFixed(0)} ms | ${r.fill.toFixed(0)} / ${r.fillCpu.toFixed(0)} ms | ${(r.sql + r.fill).toFixed(0)} ms | ${(r.arena / 2 ** 20).toFixed(0)} MiB |`,
    );
  }
  const base = rows.filter((r) => r.label.startsWith("baseline"));
  const now = rows.filter((r) => r.label.startsWith("now"));
  const min = (xs: typeof rows, f: (r: (typeof rows)[number]) => number) => Math.min(...xs.map(f));
  console.log(
    `index fill, best of 2: baseline ${min(base, (r) => r.fill).toFixed(0)} ms wall (${min(base, (r) => r.fillCpu).toFixed(0)} ms CPU), now ${min(now, (r) => r.fill).toFixed(0)} ms wall (${min(now, (r) => r.fillCpu).toFixed(0)} ms CPU): ${(min(base, (r) => r.fillCpu) / min(now, (r) => r.fillCpu)).toFixed(1)}x less CPU`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
