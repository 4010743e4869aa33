import type pg from "pg";
import { crashPoint } from "./crash-points.js";
import { loadPostgresDriver } from "./database-drivers.js";
import { ConflictError, StorageError } from "./errors.js";
import {
  type ChallengeRecord,
  type DeviceRecord,
  type DeviceRootRecord,
  type EnrolledCode,
  type EnrolmentCommit,
  type EnrolmentImport,
  type EnrolmentRecord,
  type GroupRecord,
  type MemberRecord,
  type MemberUpdate,
  MIGRATIONS,
  migrationRefused,
  type PollChallengeRecord,
  type PollRecord,
  type Repository,
  type RootRecord,
  SCHEMA_VERSION,
  scopeInUse,
  type TreeSnapshot,
  type VoteRecord,
} from "./repository.js";
import {
  challengeFromRow,
  deviceFromRow,
  deviceRootFromRow,
  enrolmentFromRow,
  groupFromRow,
  memberFromRow,
  pollChallengeFromRow,
  pollFromRow,
  type Row,
  rootFromRow,
  treeSnapshotFromRow,
  voteFromRow,
} from "./rows.js";
import { challengeRefusal, duplicateNullifier } from "./rules.js";

const INT8_OID = 20;

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown }).code === "23505";
}

/** Options of {@link PostgresRepository.open}. */
export interface PostgresOptions {
  /** `postgres://user:password@host:port/database`. */
  readonly url: string;
  /** Schema holding the tables (created if missing). Default `zkiris`. Letters, digits and `_` only. */
  readonly schema?: string;
  /** Connections in the pool. Default 8. */
  readonly poolSize?: number;
}

/**
 * {@link Repository} on PostgreSQL (`pg`). Multi-row writes run in `BEGIN ... COMMIT` on one pooled
 * connection, so a killed process leaves the last committed state; the nullifier constraint
 * (`UNIQUE (poll_id, nullifier)`) refuses concurrent double votes. A session advisory lock keyed by the
 * schema lets only one registry process write a schema at a time (`DATABASE_LOCKED`), because the
 * uniqueness search runs on an in-memory index of that process.
 */
export class PostgresRepository implements Repository {
  readonly dialect = "postgres" as const;
  readonly #pool: pg.Pool;
  readonly #schema: string;
  #lockClient: pg.PoolClient | undefined;

  private constructor(pool: pg.Pool, schema: string) {
    this.#pool = pool;
    this.#schema = schema;
  }

  /** Connects, creates the schema if needed and takes the writer lock. */
  static async open(options: PostgresOptions): Promise<PostgresRepository> {
    const schema = options.schema ?? "zkiris";
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
      throw new StorageError(
        "INVALID_PARAMETER",
        `Parameter 'database.schema' is not a plain identifier: ${schema}`,
        {
          field: "database.schema",
        },
      );
    }
    const driver = loadPostgresDriver();
    const pool = new driver.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 8,
      options: `-c search_path=${schema}`,
      types: {
        getTypeParser: ((oid: number, format?: "text" | "binary") =>
          oid === INT8_OID
            ? (value: string) => Number(value)
            : driver.types.getTypeParser(oid, format)) as never,
      },
    });
    // An idle client's connection error must not crash the process; the next query reports it.
    pool.on("error", () => {});
    const repository = new PostgresRepository(pool, schema);
    try {
      await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      const client = await pool.connect();
      repository.#lockClient = client;
      const locked = await client.query("SELECT pg_try_advisory_lock(hashtext($1)) AS ok", [
        `zkiris-registry:${schema}`,
      ]);
      if (locked.rows[0]?.ok !== true) {
        throw new StorageError(
          "DATABASE_LOCKED",
          `Another registry process is writing schema '${schema}'; only one writer per schema is allowed`,
          { field: "database" },
        );
      }
    } catch (error) {
      await repository.close();
      throw error;
    }
    return repository;
  }

  async #transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query("BEGIN");
      const result = await fn(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  async migrate(): Promise<number> {
    await this.#transaction(async (client) => {
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`zkiris-migrate:${this.#schema}`]);
      await client.query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
      );
      const current = Number(
        (await client.query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations")).rows[0].v,
      );
      if (current > SCHEMA_VERSION) {
        throw new StorageError(
          "SCHEMA_TOO_NEW",
          `Database schema version ${current} is newer than this code's ${SCHEMA_VERSION}; upgrade @zkiris/registry`,
        );
      }
      for (const migration of MIGRATIONS) {
        if (migration.version <= current) continue;
        if (migration.precondition !== undefined) {
          const rows = (await client.query(migration.precondition.query)).rows as Row[];
          if (rows.length > 0) throw migrationRefused(migration, rows);
        }
        await client.query(migration.postgres);
        await client.query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", [
          migration.version,
          Date.now(),
        ]);
      }
    });
    return this.schemaVersion();
  }

  async schemaVersion(): Promise<number> {
    const exists = await this.#pool.query("SELECT to_regclass('schema_migrations') IS NOT NULL AS ok");
    if (exists.rows[0].ok !== true) return 0;
    return Number(
      (await this.#pool.query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations")).rows[0].v,
    );
  }

  async ping(): Promise<void> {
    await this.#pool.query("SELECT 1");
  }

  async backup(_destination: string): Promise<void> {
    throw new StorageError(
      "BACKUP_UNSUPPORTED",
      "A PostgreSQL registry is backed up with the database's own tools (pg_dump), not by zkiris",
      { field: "database" },
    );
  }

  async close(): Promise<void> {
    const client = this.#lockClient;
    this.#lockClient = undefined;
    if (client !== undefined) {
      await client.query("SELECT pg_advisory_unlock_all()").catch(() => {});
      client.release();
    }
    await this.#pool.end();
  }

  async #one(sql: string, params: unknown[]): Promise<Row | undefined> {
    return (await this.#pool.query(sql, params)).rows[0] as Row | undefined;
  }

  async #all(sql: string, params: unknown[]): Promise<Row[]> {
    return (await this.#pool.query(sql, params)).rows as Row[];
  }

  async insertDevice(d: Omit<DeviceRecord, "slot">): Promise<DeviceRecord> {
    try {
      await this.#transaction(async (client) => {
        // Serialises slot assignment between concurrent registrations.
        await client.query("LOCK TABLE devices IN SHARE ROW EXCLUSIVE MODE");
        await client.query(
          `INSERT INTO devices (id, slot, public_key_x, public_key_y, registered_at, revoked_at)
           VALUES ($1, (SELECT COALESCE(MAX(slot) + 1, 0) FROM devices), $2, $3, $4, $5)`,
          [d.id, d.publicKey[0], d.publicKey[1], d.registeredAt, d.revokedAt],
        );
      });
      return (await this.getDevice(d.id))!;
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictError("DUPLICATE_DEVICE", `Device ${d.id} is already registered`, {
          field: "publicKey",
        });
      }
      throw error;
    }
  }

  async listDevices(): Promise<DeviceRecord[]> {
    return (await this.#all("SELECT * FROM devices ORDER BY slot", [])).map(deviceFromRow);
  }

  async getDevice(id: string): Promise<DeviceRecord | undefined> {
    const row = await this.#one("SELECT * FROM devices WHERE id = $1", [id]);
    return row === undefined ? undefined : deviceFromRow(row);
  }

  async revokeDevice(id: string, at: number): Promise<boolean> {
    const result = await this.#pool.query(
      "UPDATE devices SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
      [at, id],
    );
    return result.rowCount === 1;
  }

  async insertChallenge(c: ChallengeRecord): Promise<void> {
    await this.#pool.query(
      "INSERT INTO challenges (value, issued_at, expires_at, used_at) VALUES ($1, $2, $3, $4)",
      [c.value, c.issuedAt, c.expiresAt, c.usedAt],
    );
  }

  async deleteExpiredChallenges(before: number): Promise<number> {
    return (await this.#pool.query("DELETE FROM challenges WHERE expires_at <= $1", [before])).rowCount ?? 0;
  }

  async getChallenge(value: string): Promise<ChallengeRecord | undefined> {
    const row = await this.#one("SELECT * FROM challenges WHERE value = $1", [value]);
    return row === undefined ? undefined : challengeFromRow(row);
  }

  async insertGroup(group: GroupRecord, root: string): Promise<void> {
    try {
      await this.#transaction(async (client) => {
        await client.query(
          "INSERT INTO groups (id, kind, created_at, root_expiry_ms) VALUES ($1, $2, $3, $4)",
          [group.id, group.kind, group.createdAt, group.rootExpiryMs ?? null],
        );
        await client.query("INSERT INTO roots (group_id, root, created_at) VALUES ($1, $2, $3)", [
          group.id,
          root,
          group.createdAt,
        ]);
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictError("GROUP_EXISTS", `Group '${group.id}' already exists`, { field: "id" });
      }
      throw error;
    }
  }

  async listGroups(): Promise<GroupRecord[]> {
    return (await this.#all("SELECT * FROM groups ORDER BY created_at, id", [])).map(groupFromRow);
  }

  async listMembers(groupId: string): Promise<MemberRecord[]> {
    return (
      await this.#all("SELECT * FROM members WHERE group_id = $1 ORDER BY member_index", [groupId])
    ).map(memberFromRow);
  }

  async listRoots(groupId: string): Promise<RootRecord[]> {
    return (await this.#all("SELECT * FROM roots WHERE group_id = $1 ORDER BY seq", [groupId])).map(
      rootFromRow,
    );
  }

  async #appendRoot(client: pg.PoolClient, groupId: string, root: string, now: number): Promise<void> {
    await client.query("UPDATE roots SET replaced_at = $1 WHERE group_id = $2 AND replaced_at IS NULL", [
      now,
      groupId,
    ]);
    await client.query("INSERT INTO roots (group_id, root, created_at) VALUES ($1, $2, $3)", [
      groupId,
      root,
      now,
    ]);
  }

  async commitEnrolment(commit: EnrolmentCommit): Promise<number> {
    const e = commit.enrolment;
    try {
      return await this.#transaction(async (client) => {
        for (const challenge of [commit.challenge, ...(commit.furtherChallenges ?? [])]) {
          const row = (
            await client.query("SELECT * FROM challenges WHERE value = $1 FOR UPDATE", [challenge])
          ).rows[0] as Row | undefined;
          const refusal = challengeRefusal(row === undefined ? undefined : challengeFromRow(row), commit.now);
          if (refusal !== undefined) throw refusal;
          await client.query("UPDATE challenges SET used_at = $1 WHERE value = $2", [commit.now, challenge]);
        }
        crashPoint("enrol:after-challenge");
        const inserted = await client.query(
          `INSERT INTO enrolments (group_id, member_index, identity_commitment, template_commitment, device_id, code, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
          [
            e.groupId,
            e.memberIndex,
            e.identityCommitment,
            e.templateCommitment,
            e.deviceId,
            Buffer.from(e.code.buffer, e.code.byteOffset, e.code.byteLength),
            e.createdAt,
          ],
        );
        const id = Number(inserted.rows[0].id);
        crashPoint("enrol:after-enrolment");
        await client.query(
          "INSERT INTO members (group_id, member_index, leaf, identity_commitment, enrolment_id) VALUES ($1, $2, $3, $4, $5)",
          [e.groupId, e.memberIndex, commit.leaf, e.identityCommitment, id],
        );
        crashPoint("enrol:after-member");
        await this.#appendRoot(client, e.groupId, commit.root, commit.now);
        crashPoint("enrol:before-commit");
        return id;
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictError(
          "DUPLICATE_MEMBER",
          "Field 'identityCommitment' is already a member of this group",
          {
            field: "identityCommitment",
          },
        );
      }
      throw error;
    } finally {
      crashPoint("enrol:after-commit");
    }
  }

  async importEnrolments(
    groupId: string,
    entries: readonly EnrolmentImport[],
    root: string,
    now: number,
  ): Promise<void> {
    await this.#transaction(async (client) => {
      const batch = 500;
      for (let start = 0; start < entries.length; start += batch) {
        const slice = entries.slice(start, start + batch);
        const ids = await client.query(
          `INSERT INTO enrolments (group_id, member_index, identity_commitment, template_commitment, device_id, code, created_at)
           SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::bytea[], $7::bigint[])
           RETURNING id, member_index`,
          [
            groupId,
            slice.map((x) => x.enrolment.memberIndex),
            slice.map((x) => x.enrolment.identityCommitment),
            slice.map((x) => x.enrolment.templateCommitment),
            slice.map((x) => x.enrolment.deviceId),
            slice.map((x) => Buffer.from(x.enrolment.code)),
            slice.map((x) => x.enrolment.createdAt),
          ],
        );
        const idByIndex = new Map<number, number>(
          (ids.rows as Row[]).map((r) => [Number(r.member_index), Number(r.id)]),
        );
        await client.query(
          `INSERT INTO members (group_id, member_index, leaf, identity_commitment, enrolment_id)
           SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::bigint[])`,
          [
            groupId,
            slice.map((x) => x.enrolment.memberIndex),
            slice.map((x) => x.leaf),
            slice.map((x) => x.enrolment.identityCommitment),
            slice.map((x) => idByIndex.get(x.enrolment.memberIndex)),
          ],
        );
      }
      await this.#appendRoot(client, groupId, root, now);
    });
  }

  async listActiveEnrolments(): Promise<EnrolmentRecord[]> {
    return (await this.#all("SELECT * FROM enrolments WHERE removed_at IS NULL ORDER BY id", [])).map(
      enrolmentFromRow,
    );
  }

  async listActiveCodes(): Promise<EnrolledCode[]> {
    const rows = await this.#all("SELECT id, code FROM enrolments WHERE removed_at IS NULL ORDER BY id", []);
    return rows.map((r) => {
      const code = r.code as Uint8Array;
      return { id: Number(r.id), code: new Uint8Array(code.buffer, code.byteOffset, code.byteLength) };
    });
  }

  async getTreeSnapshot(groupId: string): Promise<TreeSnapshot | undefined> {
    const row = await this.#one("SELECT * FROM tree_snapshots WHERE group_id = $1", [groupId]);
    return row === undefined ? undefined : treeSnapshotFromRow(row);
  }

  async putTreeSnapshot(t: TreeSnapshot): Promise<void> {
    await this.#pool.query(
      `INSERT INTO tree_snapshots (group_id, root, size, nodes, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (group_id) DO UPDATE SET root = excluded.root, size = excluded.size, nodes = excluded.nodes, created_at = excluded.created_at`,
      [t.groupId, t.root, t.size, t.nodes, t.createdAt],
    );
  }

  async getEnrolmentByMember(groupId: string, index: number): Promise<EnrolmentRecord | undefined> {
    const row = await this.#one("SELECT * FROM enrolments WHERE group_id = $1 AND member_index = $2", [
      groupId,
      index,
    ]);
    return row === undefined ? undefined : enrolmentFromRow(row);
  }

  async updateMember(u: MemberUpdate): Promise<void> {
    try {
      await this.#transaction(async (client) => {
        if (u.challenge !== undefined) {
          const row = (
            await client.query("SELECT * FROM challenges WHERE value = $1 FOR UPDATE", [u.challenge])
          ).rows[0] as Row | undefined;
          const refusal = challengeRefusal(row === undefined ? undefined : challengeFromRow(row), u.now);
          if (refusal !== undefined) throw refusal;
          await client.query("UPDATE challenges SET used_at = $1 WHERE value = $2", [u.now, u.challenge]);
        }
        await client.query(
          "UPDATE members SET leaf = $1, identity_commitment = $2, removed_at = $3 WHERE group_id = $4 AND member_index = $5",
          [u.leaf, u.identityCommitment, u.removed ? u.now : null, u.groupId, u.index],
        );
        if (u.removed) {
          await client.query(
            "UPDATE enrolments SET removed_at = $1 WHERE group_id = $2 AND member_index = $3",
            [u.now, u.groupId, u.index],
          );
        } else {
          await client.query(
            "UPDATE enrolments SET identity_commitment = $1 WHERE group_id = $2 AND member_index = $3",
            [u.identityCommitment, u.groupId, u.index],
          );
        }
        await this.#appendRoot(client, u.groupId, u.root, u.now);
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictError(
          "DUPLICATE_MEMBER",
          "Field 'identityCommitment' is already a member of this group",
          {
            field: "identityCommitment",
          },
        );
      }
      throw error;
    }
  }

  async listDeviceRoots(): Promise<DeviceRootRecord[]> {
    return (await this.#all("SELECT * FROM device_roots ORDER BY seq", [])).map(deviceRootFromRow);
  }

  async appendDeviceRoot(root: string, now: number): Promise<void> {
    await this.#transaction(async (client) => {
      await client.query("UPDATE device_roots SET replaced_at = $1 WHERE replaced_at IS NULL", [now]);
      await client.query("INSERT INTO device_roots (root, created_at) VALUES ($1, $2)", [root, now]);
    });
  }

  async insertPollChallenge(c: PollChallengeRecord): Promise<void> {
    await this.#pool.query(
      "INSERT INTO poll_challenges (poll_id, value, issued_at, expires_at) VALUES ($1, $2, $3, $4)",
      [c.pollId, c.value, c.issuedAt, c.expiresAt],
    );
  }

  async listPollChallenges(pollId: string): Promise<PollChallengeRecord[]> {
    return (
      await this.#all("SELECT * FROM poll_challenges WHERE poll_id = $1 ORDER BY issued_at, value", [pollId])
    ).map(pollChallengeFromRow);
  }

  async getPollChallenge(pollId: string, value: string): Promise<PollChallengeRecord | undefined> {
    const row = await this.#one("SELECT * FROM poll_challenges WHERE poll_id = $1 AND value = $2", [
      pollId,
      value,
    ]);
    return row === undefined ? undefined : pollChallengeFromRow(row);
  }

  async insertPoll(p: PollRecord): Promise<void> {
    try {
      await this.#pool.query(
        "INSERT INTO polls (id, group_id, scope, options, opens_at, closes_at, created_at, require_liveness) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [
          p.id,
          p.groupId,
          p.scope,
          JSON.stringify(p.options),
          p.opensAt,
          p.closesAt,
          p.createdAt,
          p.requireLiveness === true ? 1 : 0,
        ],
      );
    } catch (error) {
      if (isUniqueViolation(error)) {
        if ((await this.getPoll(p.id)) !== undefined) {
          throw new ConflictError("POLL_EXISTS", `Poll '${p.id}' already exists`, { field: "id" });
        }
        const other = await this.#one("SELECT id FROM polls WHERE scope = $1", [p.scope]);
        if (other !== undefined) throw scopeInUse(p.scope, other.id as string);
      }
      throw error;
    }
  }

  async getPoll(id: string): Promise<PollRecord | undefined> {
    const row = await this.#one("SELECT * FROM polls WHERE id = $1", [id]);
    return row === undefined ? undefined : pollFromRow(row);
  }

  async listPolls(): Promise<PollRecord[]> {
    return (await this.#all("SELECT * FROM polls ORDER BY created_at, id", [])).map(pollFromRow);
  }

  async insertVote(v: Omit<VoteRecord, "seq">): Promise<number> {
    try {
      const result = await this.#pool.query(
        `INSERT INTO votes (poll_id, nullifier, option_index, root, proof, accepted_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq`,
        [v.pollId, v.nullifier, v.option, v.root, JSON.stringify(v.proof), v.acceptedAt],
      );
      return Number(result.rows[0].seq);
    } catch (error) {
      if (isUniqueViolation(error)) throw duplicateNullifier();
      throw error;
    }
  }

  async hasNullifier(pollId: string, nullifier: string): Promise<boolean> {
    return (
      (await this.#one("SELECT 1 AS ok FROM votes WHERE poll_id = $1 AND nullifier = $2", [
        pollId,
        nullifier,
      ])) !== undefined
    );
  }

  async listVotes(pollId: string): Promise<VoteRecord[]> {
    return (await this.#all("SELECT * FROM votes WHERE poll_id = $1 ORDER BY seq", [pollId])).map(
      voteFromRow,
    );
  }

  async countVotes(pollId: string): Promise<Map<number, number>> {
    const rows = await this.#all(
      "SELECT option_index, COUNT(*) AS n FROM votes WHERE poll_id = $1 GROUP BY option_index",
      [pollId],
    );
    return new Map(rows.map((r) => [Number(r.option_index), Number(r.n)]));
  }
}
