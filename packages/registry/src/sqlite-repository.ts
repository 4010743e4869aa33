import { existsSync } from "node:fs";
import type Database from "better-sqlite3";
import { crashPoint } from "./crash-points.js";
import { loadSqliteDriver } from "./database-drivers.js";
import { ConflictError, InvalidParameterError, StorageError } from "./errors.js";
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
  num,
  pollChallengeFromRow,
  pollFromRow,
  type Row,
  rootFromRow,
  treeSnapshotFromRow,
  voteFromRow,
} from "./rows.js";
import { challengeRefusal, duplicateNullifier } from "./rules.js";

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}

/**
 * {@link Repository} on an embedded SQLite file (better-sqlite3, WAL journal, `synchronous=FULL`,
 * foreign keys on, EXCLUSIVE locking: one process at a time, `DATABASE_LOCKED` otherwise). Writes are
 * transactions taken with `BEGIN IMMEDIATE`, so a process killed at any point leaves the file at the
 * last committed transaction.
 */
export class SqliteRepository implements Repository {
  readonly dialect = "sqlite" as const;
  readonly #db: Database.Database;

  /** Opens (creating if needed) the database file; `":memory:"` for a private in-memory database. */
  constructor(filename: string) {
    const Driver = loadSqliteDriver();
    this.#db = new Driver(filename);
    try {
      // One writer process per file (the uniqueness index lives in that process): EXCLUSIVE locking
      // keeps the file locked from the first transaction below until close.
      this.#db.pragma("locking_mode = EXCLUSIVE");
      if (filename !== ":memory:") this.#db.pragma("journal_mode = WAL");
      this.#db.pragma("synchronous = FULL");
      this.#db.pragma("foreign_keys = ON");
      this.#db.exec("BEGIN IMMEDIATE; COMMIT");
    } catch (error) {
      this.#db.close();
      if ((error as { code?: unknown }).code === "SQLITE_BUSY") {
        throw new StorageError(
          "DATABASE_LOCKED",
          `Another process has the registry database ${filename} open`,
          {
            field: "database",
            cause: error,
          },
        );
      }
      throw error;
    }
  }

  async migrate(): Promise<number> {
    const db = this.#db;
    db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
    );
    const current = await this.schemaVersion();
    if (current > SCHEMA_VERSION) {
      throw new StorageError(
        "SCHEMA_TOO_NEW",
        `Database schema version ${current} is newer than this code's ${SCHEMA_VERSION}; upgrade @zkiris/registry`,
      );
    }
    for (const migration of MIGRATIONS) {
      if (migration.version <= current) continue;
      db.transaction(() => {
        if (migration.precondition !== undefined) {
          const rows = db.prepare(migration.precondition.query).all() as Row[];
          if (rows.length > 0) throw migrationRefused(migration, rows);
        }
        db.exec(migration.sqlite);
        db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)").run(
          migration.version,
          Date.now(),
        );
      }).immediate();
    }
    return this.schemaVersion();
  }

  async schemaVersion(): Promise<number> {
    const exists = this.#db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
      .get();
    if (exists === undefined) return 0;
    const row = this.#db.prepare("SELECT MAX(version) AS v FROM schema_migrations").get() as Row;
    return num(row.v ?? 0);
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }

  async ping(): Promise<void> {
    this.#db.prepare("SELECT 1").get();
  }

  /**
   * better-sqlite3's online backup from this connection: it copies pages in steps between other
   * work, and restarts on its own when this connection writes meanwhile, so the copy is one committed
   * state. The file stays EXCLUSIVE-locked, so another process cannot take the copy; this one must.
   */
  async backup(destination: string): Promise<void> {
    if (typeof destination !== "string" || destination.length === 0 || destination === ":memory:") {
      throw new InvalidParameterError("destination", "Parameter 'destination' must be a file path");
    }
    if (existsSync(destination)) {
      throw new InvalidParameterError(
        "destination",
        `Parameter 'destination' names an existing file (${destination}); a backup never overwrites`,
      );
    }
    await this.#db.backup(destination);
  }

  async insertDevice(device: Omit<DeviceRecord, "slot">): Promise<DeviceRecord> {
    try {
      this.#db
        .prepare(
          `INSERT INTO devices (id, slot, public_key_x, public_key_y, registered_at, revoked_at)
           VALUES (?, (SELECT COALESCE(MAX(slot) + 1, 0) FROM devices), ?, ?, ?, ?)`,
        )
        .run(device.id, device.publicKey[0], device.publicKey[1], device.registeredAt, device.revokedAt);
      return (await this.getDevice(device.id))!;
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictError("DUPLICATE_DEVICE", `Device ${device.id} is already registered`, {
          field: "publicKey",
        });
      }
      throw error;
    }
  }

  async listDevices(): Promise<DeviceRecord[]> {
    return (this.#db.prepare("SELECT * FROM devices ORDER BY slot").all() as Row[]).map(deviceFromRow);
  }

  async getDevice(id: string): Promise<DeviceRecord | undefined> {
    const row = this.#db.prepare("SELECT * FROM devices WHERE id = ?").get(id) as Row | undefined;
    return row === undefined ? undefined : deviceFromRow(row);
  }

  async revokeDevice(id: string, at: number): Promise<boolean> {
    return (
      this.#db.prepare("UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL").run(at, id)
        .changes === 1
    );
  }

  async insertChallenge(c: ChallengeRecord): Promise<void> {
    this.#db
      .prepare("INSERT INTO challenges (value, issued_at, expires_at, used_at) VALUES (?, ?, ?, ?)")
      .run(c.value, c.issuedAt, c.expiresAt, c.usedAt);
  }

  async deleteExpiredChallenges(before: number): Promise<number> {
    return this.#db.prepare("DELETE FROM challenges WHERE expires_at <= ?").run(before).changes;
  }

  async getChallenge(value: string): Promise<ChallengeRecord | undefined> {
    const row = this.#db.prepare("SELECT * FROM challenges WHERE value = ?").get(value) as Row | undefined;
    return row === undefined ? undefined : challengeFromRow(row);
  }

  async insertGroup(group: GroupRecord, root: string): Promise<void> {
    const db = this.#db;
    try {
      db.transaction(() => {
        db.prepare("INSERT INTO groups (id, kind, created_at, root_expiry_ms) VALUES (?, ?, ?, ?)").run(
          group.id,
          group.kind,
          group.createdAt,
          group.rootExpiryMs ?? null,
        );
        db.prepare("INSERT INTO roots (group_id, root, created_at) VALUES (?, ?, ?)").run(
          group.id,
          root,
          group.createdAt,
        );
      }).immediate();
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictError("GROUP_EXISTS", `Group '${group.id}' already exists`, { field: "id" });
      }
      throw error;
    }
  }

  async listGroups(): Promise<GroupRecord[]> {
    return (this.#db.prepare("SELECT * FROM groups ORDER BY created_at, id").all() as Row[]).map(
      groupFromRow,
    );
  }

  async listMembers(groupId: string): Promise<MemberRecord[]> {
    return (
      this.#db.prepare("SELECT * FROM members WHERE group_id = ? ORDER BY member_index").all(groupId) as Row[]
    ).map(memberFromRow);
  }

  async listRoots(groupId: string): Promise<RootRecord[]> {
    return (
      this.#db.prepare("SELECT * FROM roots WHERE group_id = ? ORDER BY seq").all(groupId) as Row[]
    ).map(rootFromRow);
  }

  #appendRoot(groupId: string, root: string, now: number): void {
    this.#db
      .prepare("UPDATE roots SET replaced_at = ? WHERE group_id = ? AND replaced_at IS NULL")
      .run(now, groupId);
    this.#db
      .prepare("INSERT INTO roots (group_id, root, created_at) VALUES (?, ?, ?)")
      .run(groupId, root, now);
  }

  async commitEnrolment(commit: EnrolmentCommit): Promise<number> {
    const db = this.#db;
    const e = commit.enrolment;
    try {
      return db
        .transaction(() => {
          for (const challenge of [commit.challenge, ...(commit.furtherChallenges ?? [])]) {
            const row = db.prepare("SELECT * FROM challenges WHERE value = ?").get(challenge) as
              | Row
              | undefined;
            const refusal = challengeRefusal(
              row === undefined ? undefined : challengeFromRow(row),
              commit.now,
            );
            if (refusal !== undefined) throw refusal;
            db.prepare("UPDATE challenges SET used_at = ? WHERE value = ?").run(commit.now, challenge);
          }
          crashPoint("enrol:after-challenge");
          const id = num(
            db
              .prepare(
                `INSERT INTO enrolments (group_id, member_index, identity_commitment, template_commitment, device_id, code, created_at)
               VALUES (?, ?, ?, ?, ?, ?, ?)`,
              )
              .run(
                e.groupId,
                e.memberIndex,
                e.identityCommitment,
                e.templateCommitment,
                e.deviceId,
                e.code,
                e.createdAt,
              ).lastInsertRowid,
          );
          crashPoint("enrol:after-enrolment");
          db.prepare(
            "INSERT INTO members (group_id, member_index, leaf, identity_commitment, enrolment_id) VALUES (?, ?, ?, ?, ?)",
          ).run(e.groupId, e.memberIndex, commit.leaf, e.identityCommitment, id);
          crashPoint("enrol:after-member");
          this.#appendRoot(e.groupId, commit.root, commit.now);
          crashPoint("enrol:before-commit");
          return id;
        })
        .immediate();
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
    const db = this.#db;
    const insertEnrolment = db.prepare(
      `INSERT INTO enrolments (group_id, member_index, identity_commitment, template_commitment, device_id, code, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertMember = db.prepare(
      "INSERT INTO members (group_id, member_index, leaf, identity_commitment, enrolment_id) VALUES (?, ?, ?, ?, ?)",
    );
    db.transaction(() => {
      for (const { enrolment: e, leaf } of entries) {
        const id = insertEnrolment.run(
          groupId,
          e.memberIndex,
          e.identityCommitment,
          e.templateCommitment,
          e.deviceId,
          e.code,
          e.createdAt,
        ).lastInsertRowid;
        insertMember.run(groupId, e.memberIndex, leaf, e.identityCommitment, id);
      }
      this.#appendRoot(groupId, root, now);
    }).immediate();
  }

  async listActiveEnrolments(): Promise<EnrolmentRecord[]> {
    return (
      this.#db.prepare("SELECT * FROM enrolments WHERE removed_at IS NULL ORDER BY id").all() as Row[]
    ).map(enrolmentFromRow);
  }

  async listActiveCodes(): Promise<EnrolledCode[]> {
    return (
      this.#db
        .prepare("SELECT id, code FROM enrolments WHERE removed_at IS NULL ORDER BY id")
        .raw()
        .all() as [number | bigint, Uint8Array][]
    ).map(([id, code]) => ({
      id: num(id),
      code: new Uint8Array(code.buffer, code.byteOffset, code.byteLength),
    }));
  }

  async getTreeSnapshot(groupId: string): Promise<TreeSnapshot | undefined> {
    const row = this.#db.prepare("SELECT * FROM tree_snapshots WHERE group_id = ?").get(groupId) as
      | Row
      | undefined;
    return row === undefined ? undefined : treeSnapshotFromRow(row);
  }

  async putTreeSnapshot(t: TreeSnapshot): Promise<void> {
    this.#db
      .prepare(
        `INSERT INTO tree_snapshots (group_id, root, size, nodes, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (group_id) DO UPDATE SET root = excluded.root, size = excluded.size, nodes = excluded.nodes, created_at = excluded.created_at`,
      )
      .run(t.groupId, t.root, t.size, t.nodes, t.createdAt);
  }

  async getEnrolmentByMember(groupId: string, index: number): Promise<EnrolmentRecord | undefined> {
    const row = this.#db
      .prepare("SELECT * FROM enrolments WHERE group_id = ? AND member_index = ?")
      .get(groupId, index) as Row | undefined;
    return row === undefined ? undefined : enrolmentFromRow(row);
  }

  async updateMember(u: MemberUpdate): Promise<void> {
    const db = this.#db;
    try {
      db.transaction(() => {
        if (u.challenge !== undefined) {
          const row = db.prepare("SELECT * FROM challenges WHERE value = ?").get(u.challenge) as
            | Row
            | undefined;
          const refusal = challengeRefusal(row === undefined ? undefined : challengeFromRow(row), u.now);
          if (refusal !== undefined) throw refusal;
          db.prepare("UPDATE challenges SET used_at = ? WHERE value = ?").run(u.now, u.challenge);
        }
        db.prepare(
          "UPDATE members SET leaf = ?, identity_commitment = ?, removed_at = ? WHERE group_id = ? AND member_index = ?",
        ).run(u.leaf, u.identityCommitment, u.removed ? u.now : null, u.groupId, u.index);
        if (u.removed) {
          db.prepare("UPDATE enrolments SET removed_at = ? WHERE group_id = ? AND member_index = ?").run(
            u.now,
            u.groupId,
            u.index,
          );
        } else {
          db.prepare(
            "UPDATE enrolments SET identity_commitment = ? WHERE group_id = ? AND member_index = ?",
          ).run(u.identityCommitment, u.groupId, u.index);
        }
        this.#appendRoot(u.groupId, u.root, u.now);
      }).immediate();
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
    return (this.#db.prepare("SELECT * FROM device_roots ORDER BY seq").all() as Row[]).map(
      deviceRootFromRow,
    );
  }

  async appendDeviceRoot(root: string, now: number): Promise<void> {
    const db = this.#db;
    db.transaction(() => {
      db.prepare("UPDATE device_roots SET replaced_at = ? WHERE replaced_at IS NULL").run(now);
      db.prepare("INSERT INTO device_roots (root, created_at) VALUES (?, ?)").run(root, now);
    }).immediate();
  }

  async insertPollChallenge(c: PollChallengeRecord): Promise<void> {
    this.#db
      .prepare("INSERT INTO poll_challenges (poll_id, value, issued_at, expires_at) VALUES (?, ?, ?, ?)")
      .run(c.pollId, c.value, c.issuedAt, c.expiresAt);
  }

  async listPollChallenges(pollId: string): Promise<PollChallengeRecord[]> {
    return (
      this.#db
        .prepare("SELECT * FROM poll_challenges WHERE poll_id = ? ORDER BY issued_at, value")
        .all(pollId) as Row[]
    ).map(pollChallengeFromRow);
  }

  async getPollChallenge(pollId: string, value: string): Promise<PollChallengeRecord | undefined> {
    const row = this.#db
      .prepare("SELECT * FROM poll_challenges WHERE poll_id = ? AND value = ?")
      .get(pollId, value) as Row | undefined;
    return row === undefined ? undefined : pollChallengeFromRow(row);
  }

  async insertPoll(p: PollRecord): Promise<void> {
    try {
      this.#db
        .prepare(
          "INSERT INTO polls (id, group_id, scope, options, opens_at, closes_at, created_at, require_liveness) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .run(
          p.id,
          p.groupId,
          p.scope,
          JSON.stringify(p.options),
          p.opensAt,
          p.closesAt,
          p.createdAt,
          p.requireLiveness === true ? 1 : 0,
        );
    } catch (error) {
      if (isUniqueViolation(error)) {
        if ((await this.getPoll(p.id)) !== undefined) {
          throw new ConflictError("POLL_EXISTS", `Poll '${p.id}' already exists`, { field: "id" });
        }
        const other = this.#db.prepare("SELECT id FROM polls WHERE scope = ?").get(p.scope) as
          | Row
          | undefined;
        if (other !== undefined) throw scopeInUse(p.scope, other.id as string);
      }
      throw error;
    }
  }

  async getPoll(id: string): Promise<PollRecord | undefined> {
    const row = this.#db.prepare("SELECT * FROM polls WHERE id = ?").get(id) as Row | undefined;
    return row === undefined ? undefined : pollFromRow(row);
  }

  async listPolls(): Promise<PollRecord[]> {
    return (this.#db.prepare("SELECT * FROM polls ORDER BY created_at, id").all() as Row[]).map(pollFromRow);
  }

  async insertVote(v: Omit<VoteRecord, "seq">): Promise<number> {
    try {
      return num(
        this.#db
          .prepare(
            "INSERT INTO votes (poll_id, nullifier, option_index, root, proof, accepted_at) VALUES (?, ?, ?, ?, ?, ?)",
          )
          .run(v.pollId, v.nullifier, v.option, v.root, JSON.stringify(v.proof), v.acceptedAt)
          .lastInsertRowid,
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw duplicateNullifier();
      throw error;
    }
  }

  async hasNullifier(pollId: string, nullifier: string): Promise<boolean> {
    return (
      this.#db.prepare("SELECT 1 FROM votes WHERE poll_id = ? AND nullifier = ?").get(pollId, nullifier) !==
      undefined
    );
  }

  async listVotes(pollId: string): Promise<VoteRecord[]> {
    return (this.#db.prepare("SELECT * FROM votes WHERE poll_id = ? ORDER BY seq").all(pollId) as Row[]).map(
      voteFromRow,
    );
  }

  async countVotes(pollId: string): Promise<Map<number, number>> {
    const rows = this.#db
      .prepare("SELECT option_index, COUNT(*) AS n FROM votes WHERE poll_id = ? GROUP BY option_index")
      .all(pollId) as Row[];
    return new Map(rows.map((r) => [num(r.option_index), num(r.n)]));
  }
}
