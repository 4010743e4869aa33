// What the storage layer costs on the registry's hot calls: each call through the repository
// (`SqliteRepository` / `PostgresRepository`) against the same statement sent straight through the
// driver (baseline: better-sqlite3 preparing it per call, as a hand-written adapter does, or a `pg`
// pool), in the same process, on two databases seeded alike. Repository and baseline alternate in
// three rounds after one warm-up round; the figure is the median round. CPU is this process's (user + system, all threads);
// PostgreSQL's own work is not in it. SQLite always; PostgreSQL too when ZKIRIS_BENCH_DATABASE_URL
// is set (throw-away schemas).
//
//   npx tsx --conditions=zkiris-source bench/registry/storage.ts [members=10000] [calls=2000]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeviceKey } from "@zkiris/device";
import { toBinary } from "@zkiris/iris-code";
import { PostgresRepository, type Repository, SqliteRepository } from "@zkiris/registry";
import Database from "better-sqlite3";
import pg from "pg";
import { randomCode, seedMembers } from "./synthetic-members.js";

const MEMBERS = Number(process.argv[2] ?? 10_000);
const CALLS = Number(process.argv[3] ?? 2000);
const ROUNDS = 3;
const PG_URL = process.env.ZKIRIS_BENCH_DATABASE_URL;
const key = DeviceKey.fromSeed("bench-storage-device");
const DEVICE = key.deviceId.toString();
const CODE = toBinary(randomCode());
/** A Semaphore proof's JSON is about this long. */
const PROOF = JSON.stringify({ points: Array.from({ length: 8 }, (_, i) => `${i}`.repeat(77)), n: "1" });

/** The calls under test, each taking a fresh key `i` so that nothing collides across rounds. */
interface Store {
  insertChallenge(i: number): Promise<void>;
  getChallenge(i: number): Promise<unknown>;
  insertVote(i: number): Promise<number>;
  hasNullifier(i: number): Promise<boolean>;
  commitEnrolment(i: number): Promise<number>;
  listActiveCodes(): Promise<number>;
  listMembers(): Promise<number>;
  close(): Promise<void>;
}

const challenge = (i: number) => `${1_000_000 + i}`;

function repositoryStore(repository: Repository): Store {
  return {
    insertChallenge: (i) =>
      repository.insertChallenge({ value: challenge(i), issuedAt: 0, expiresAt: 9e12, usedAt: null }),
    getChallenge: (i) => repository.getChallenge(challenge(i)),
    insertVote: (i) =>
      repository.insertVote({
        pollId: "p",
        nullifier: `${i}`,
        option: i % 3,
        root: "1",
        proof: JSON.parse(PROOF),
        acceptedAt: 1,
      }),
    hasNullifier: (i) => repository.hasNullifier("p", `${i}`),
    commitEnrolment: (i) =>
      repository.commitEnrolment({
        challenge: challenge(i),
        now: 1,
        enrolment: {
          groupId: "citizens",
          memberIndex: MEMBERS + i,
          identityCommitment: `${7_000_000_000 + i}`,
          templateCommitment: "0",
          deviceId: DEVICE,
          code: CODE,
          createdAt: 1,
        },
        leaf: `${7_000_000_000 + i}`,
        root: `${i}`,
      }),
    listActiveCodes: async () => (await repository.listActiveCodes()).length,
    listMembers: async () => (await repository.listMembers("citizens")).length,
    close: () => repository.close(),
  };
}

/** The statements of the hand-written SQLite adapter, on better-sqlite3. */
function sqliteStore(file: string): Store {
  const db = new Database(file);
  db.pragma("locking_mode = EXCLUSIVE");
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
  return {
    insertChallenge: async (i) =>
      void db
        .prepare("INSERT INTO challenges (value, issued_at, expires_at, used_at) VALUES (?, ?, ?, ?)")
        .run(challenge(i), 0, 9e12, null),
    getChallenge: async (i) => db.prepare("SELECT * FROM challenges WHERE value = ?").get(challenge(i)),
    insertVote: async (i) =>
      Number(
        db
          .prepare(
            "INSERT INTO votes (poll_id, nullifier, option_index, root, proof, accepted_at) VALUES (?, ?, ?, ?, ?, ?)",
          )
          .run("p", `${i}`, i % 3, "1", JSON.stringify(JSON.parse(PROOF)), 1).lastInsertRowid,
      ),
    hasNullifier: async (i) =>
      db.prepare("SELECT 1 FROM votes WHERE poll_id = ? AND nullifier = ?").get("p", `${i}`) !== undefined,
    commitEnrolment: async (i) =>
      db
        .transaction(() => {
          const row = db.prepare("SELECT * FROM challenges WHERE value = ?").get(challenge(i)) as
            | { used_at: number | null }
            | undefined;
          if (row === undefined || row.used_at !== null) throw new Error("challenge not usable");
          db.prepare("UPDATE challenges SET used_at = ? WHERE value = ?").run(1, challenge(i));
          const id = Number(
            db
              .prepare(
                "INSERT INTO enrolments (group_id, member_index, identity_commitment, template_commitment, device_id, code, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
              )
              .run("citizens", MEMBERS + i, `${7_000_000_000 + i}`, "0", DEVICE, CODE, 1).lastInsertRowid,
          );
          db.prepare(
            "INSERT INTO members (group_id, member_index, leaf, identity_commitment, enrolment_id) VALUES (?, ?, ?, ?, ?)",
          ).run("citizens", MEMBERS + i, `${7_000_000_000 + i}`, `${7_000_000_000 + i}`, id);
          db.prepare("UPDATE roots SET replaced_at = ? WHERE group_id = ? AND replaced_at IS NULL").run(
            1,
            "citizens",
          );
          db.prepare("INSERT INTO roots (group_id, root, created_at) VALUES (?, ?, ?)").run(
            "citizens",
            `${i}`,
            1,
          );
          return id;
        })
        .immediate(),
    listActiveCodes: async () =>
      (
        db.prepare("SELECT id, code FROM enrolments WHERE removed_at IS NULL ORDER BY id").raw().all() as [
          number,
          Uint8Array,
        ][]
      ).map(([id, code]) => ({ id, code: new Uint8Array(code.buffer, code.byteOffset, code.byteLength) }))
        .length,
    listMembers: async () =>
      (
        db
          .prepare("SELECT * FROM members WHERE group_id = ? ORDER BY member_index")
          .all("citizens") as object[]
      ).length,
    close: async () => void db.close(),
  };
}

/** The statements of the hand-written PostgreSQL adapter, on a `pg` pool. */
function postgresStore(url: string, schema: string): Store {
  const pool = new pg.Pool({
    connectionString: url,
    max: 8,
    options: `-c search_path=${schema}`,
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as never,
    },
  });
  const one = async (text: string, values: unknown[]) => (await pool.query(text, values)).rows[0];
  return {
    insertChallenge: async (i) =>
      void (await pool.query(
        "INSERT INTO challenges (value, issued_at, expires_at, used_at) VALUES ($1, $2, $3, $4)",
        [challenge(i), 0, 9e12, null],
      )),
    getChallenge: (i) => one("SELECT * FROM challenges WHERE value = $1", [challenge(i)]),
    insertVote: async (i) =>
      Number(
        (
          await one(
            "INSERT INTO votes (poll_id, nullifier, option_index, root, proof, accepted_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq",
            ["p", `${i}`, i % 3, "1", JSON.stringify(JSON.parse(PROOF)), 1],
          )
        ).seq,
      ),
    hasNullifier: async (i) =>
      (await one("SELECT 1 AS ok FROM votes WHERE poll_id = $1 AND nullifier = $2", ["p", `${i}`])) !==
      undefined,
    commitEnrolment: async (i) => {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const row = (
          await client.query("SELECT * FROM challenges WHERE value = $1 FOR UPDATE", [challenge(i)])
        ).rows[0];
        if (row === undefined || row.used_at !== null) throw new Error("challenge not usable");
        await client.query("UPDATE challenges SET used_at = $1 WHERE value = $2", [1, challenge(i)]);
        const id = Number(
          (
            await client.query(
              "INSERT INTO enrolments (group_id, member_index, identity_commitment, template_commitment, device_id, code, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
              ["citizens", MEMBERS + i, `${7_000_000_000 + i}`, "0", DEVICE, Buffer.from(CODE), 1],
            )
          ).rows[0].id,
        );
        await client.query(
          "INSERT INTO members (group_id, member_index, leaf, identity_commitment, enrolment_id) VALUES ($1, $2, $3, $4, $5)",
          ["citizens", MEMBERS + i, `${7_000_000_000 + i}`, `${7_000_000_000 + i}`, id],
        );
        await client.query("UPDATE roots SET replaced_at = $1 WHERE group_id = $2 AND replaced_at IS NULL", [
          1,
          "citizens",
        ]);
        await client.query("INSERT INTO roots (group_id, root, created_at) VALUES ($1, $2, $3)", [
          "citizens",
          `${i}`,
          1,
        ]);
        await client.query("COMMIT");
        return id;
      } catch (error) {
        await client.query("ROLLBACK");
        throw error;
      } finally {
        client.release();
      }
    },
    listActiveCodes: async () =>
      (await pool.query("SELECT id, code FROM enrolments WHERE removed_at IS NULL ORDER BY id")).rows.map(
        (r) => ({
          id: Number(r.id),
          code: new Uint8Array(r.code.buffer, r.code.byteOffset, r.code.byteLength),
        }),
      ).length,
    listMembers: async () =>
      (await pool.query("SELECT * FROM members WHERE group_id = $1 ORDER BY member_index", ["citizens"])).rows
        .length,
    close: () => pool.end(),
  };
}

/** Migrates and seeds a database through the repository: device, group, `MEMBERS` members, poll. */
async function seed(repository: Repository): Promise<number> {
  const start = performance.now();
  await seedMembers(repository, key, MEMBERS, { code: () => CODE });
  const ms = performance.now() - start;
  await repository.insertPoll({
    id: "p",
    groupId: "citizens",
    scope: "1",
    options: ["a", "b", "c"],
    opensAt: 0,
    closesAt: 9e12,
    createdAt: 0,
  });
  return ms;
}

interface Sample {
  readonly wallMs: number;
  readonly cpuMs: number;
}

async function sample(run: () => Promise<unknown>): Promise<Sample> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await run();
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function compare(title: string, open: () => Promise<{ repository: Store; baseline: Store }>) {
  const { repository, baseline } = await open();
  const calls: Array<[string, number, (s: Store, round: number) => Promise<unknown>]> = [
    [
      "insertChallenge",
      CALLS,
      async (s, r) => {
        for (let i = 0; i < CALLS; i++) await s.insertChallenge(r * CALLS + i);
      },
    ],
    [
      "getChallenge",
      CALLS,
      async (s, r) => {
        for (let i = 0; i < CALLS; i++) await s.getChallenge(r * CALLS + i);
      },
    ],
    [
      "insertVote",
      CALLS,
      async (s, r) => {
        for (let i = 0; i < CALLS; i++) await s.insertVote(r * CALLS + i);
      },
    ],
    [
      "hasNullifier",
      CALLS,
      async (s, r) => {
        for (let i = 0; i < CALLS; i++) await s.hasNullifier(r * CALLS + i);
      },
    ],
    [
      "commitEnrolment",
      CALLS / 4,
      async (s, r) => {
        for (let i = 0; i < CALLS / 4; i++) await s.commitEnrolment(r * CALLS + i);
      },
    ],
    [`listActiveCodes (${MEMBERS} codes)`, 1, (s) => s.listActiveCodes()],
    [`listMembers (${MEMBERS} members)`, 1, (s) => s.listMembers()],
  ];
  try {
    for (const [name, n, run] of calls) {
      const got: { repository: Sample[]; baseline: Sample[] } = { repository: [], baseline: [] };
      // Round 0 warms both paths up (JIT, caches) and is not counted.
      for (let r = 0; r <= ROUNDS; r++) {
        const b = await sample(() => run(baseline, r));
        const p = await sample(() => run(repository, r));
        if (r === 0) continue;
        got.baseline.push(b);
        got.repository.push(p);
      }
      const per = (xs: Sample[], k: keyof Sample) => (median(xs.map((x) => x[k])) * 1000) / n;
      const [rw, bw] = [per(got.repository, "wallMs"), per(got.baseline, "wallMs")];
      const [rc, bc] = [per(got.repository, "cpuMs"), per(got.baseline, "cpuMs")];
      console.log(
        `[${title}] ${name}: repository ${rw.toFixed(0)} µs/call (CPU ${rc.toFixed(0)} µs), driver ${bw.toFixed(0)} µs/call (CPU ${bc.toFixed(0)} µs); ratio wall ${(rw / bw).toFixed(2)}x, CPU ${(rc / bc).toFixed(2)}x`,
      );
    }
  } finally {
    await repository.close();
    await baseline.close();
  }
}

const dir = mkdtempSync(join(tmpdir(), "zkiris-bench-storage-"));
try {
  await compare("SQLite", async () => {
    const driverFile = join(dir, "driver.sqlite");
    const seeded = new SqliteRepository(driverFile);
    await seed(seeded);
    await seeded.close();
    const repository = new SqliteRepository(join(dir, "repository.sqlite"));
    console.log(
      `[SQLite] seeding ${MEMBERS} members through the repository: ${(await seed(repository)).toFixed(0)} ms`,
    );
    return { repository: repositoryStore(repository), baseline: sqliteStore(driverFile) };
  });
  if (PG_URL !== undefined) {
    const schemas = [0, 1].map((i) => `bench_storage_${process.pid}_${i}`);
    try {
      await compare("PostgreSQL", async () => {
        const seeded = await PostgresRepository.open({ url: PG_URL, schema: schemas[1]! });
        await seed(seeded);
        await seeded.close();
        const repository = await PostgresRepository.open({ url: PG_URL, schema: schemas[0]! });
        console.log(
          `[PostgreSQL] seeding ${MEMBERS} members through the repository: ${(await seed(repository)).toFixed(0)} ms`,
        );
        return { repository: repositoryStore(repository), baseline: postgresStore(PG_URL, schemas[1]!) };
      });
    } finally {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
