import { type Kysely, Migrator, sql, type Transaction } from "kysely";
import { crashPoint } from "./crash-points.js";
import { ConflictError } from "./errors.js";
import {
  LEGACY_VERSION_TABLE,
  MIGRATION_TABLE,
  MIGRATIONS,
  migrationProvider,
  migrationVersion,
  SCHEMA_VERSION,
  schemaTooNew,
} from "./migrations.js";
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
  type PollChallengeRecord,
  type PollRecord,
  type Repository,
  type RootRecord,
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
  rootFromRow,
  treeSnapshotFromRow,
  voteFromRow,
} from "./rows.js";
import { challengeRefusal, duplicateNullifier } from "./rules.js";
import type { StorageDialect } from "./storage-dialect.js";
import type { RegistrySchema } from "./storage-schema.js";

type Db = Kysely<RegistrySchema> | Transaction<RegistrySchema>;

/** Rows per statement of {@link KyselyRepository.importEnrolments} (7 parameters each). */
const IMPORT_BATCH = 500;

const KNOWN_MIGRATIONS = new Set(MIGRATIONS.map((m) => m.name));

/** A Buffer over the same bytes, which both drivers bind as a BLOB / BYTEA. */
function bytes(code: Uint8Array): Buffer {
  return Buffer.from(code.buffer, code.byteOffset, code.byteLength);
}

function duplicateMember(): ConflictError {
  return new ConflictError(
    "DUPLICATE_MEMBER",
    "Field 'identityCommitment' is already a member of this group",
    {
      field: "identityCommitment",
    },
  );
}

/**
 * {@link Repository} written once with Kysely's query builder for both SQLite and PostgreSQL; the
 * {@link StorageDialect} holds what differs. Multi-row writes run in one transaction of Kysely
 * (`BEGIN IMMEDIATE` on SQLite, `BEGIN` on PostgreSQL, where the rows they read first are locked
 * with `FOR UPDATE`), so a killed process leaves the last committed state. Schema migrations run
 * through Kysely's `Migrator` ({@link MIGRATIONS}).
 */
export class KyselyRepository implements Repository {
  readonly dialect: "sqlite" | "postgres";
  readonly #db: Kysely<RegistrySchema>;
  readonly #storage: StorageDialect;

  constructor(db: Kysely<RegistrySchema>, storage: StorageDialect) {
    this.#db = db;
    this.#storage = storage;
    this.dialect = storage.name;
  }

  /**
   * Versions recorded by the migrator and by the version table of the releases before it; either
   * may be missing. A database written by the earlier releases has only the latter.
   */
  async #recorded(): Promise<{ names: string[]; legacyVersion: number }> {
    // biome-ignore lint/suspicious/noExplicitAny: the version tables are not part of the registry's schema
    const db = this.#db as Kysely<any>;
    const names = (await this.#storage.tableExists(db, MIGRATION_TABLE))
      ? (await db.selectFrom(MIGRATION_TABLE).select("name").execute()).map((r) => r.name as string)
      : [];
    const legacy = (await this.#storage.tableExists(db, LEGACY_VERSION_TABLE))
      ? await db
          .selectFrom(LEGACY_VERSION_TABLE)
          .select((eb) => eb.fn.max("version").as("v"))
          .executeTakeFirst()
      : undefined;
    return { names, legacyVersion: num(legacy?.v ?? 0) };
  }

  async migrate(): Promise<number> {
    const { names, legacyVersion } = await this.#recorded();
    if (legacyVersion > SCHEMA_VERSION) throw schemaTooNew(legacyVersion);
    const unknown = names.filter((name) => !KNOWN_MIGRATIONS.has(name));
    if (unknown.length > 0) {
      const versions = unknown.map(migrationVersion);
      throw schemaTooNew(versions.every(Number.isFinite) ? Math.max(...versions) : Number.NaN);
    }
    if (names.length === MIGRATIONS.length) return SCHEMA_VERSION;
    const migrator = new Migrator({
      db: this.#db,
      provider: migrationProvider(this.#storage.columnTypes, legacyVersion),
      ...(this.#storage.schema === undefined ? {} : { migrationTableSchema: this.#storage.schema }),
    });
    const { error } = await migrator.migrateToLatest();
    if (error !== undefined) throw error;
    return this.schemaVersion();
  }

  async schemaVersion(): Promise<number> {
    const { names, legacyVersion } = await this.#recorded();
    return Math.max(legacyVersion, ...names.map(migrationVersion).filter(Number.isFinite));
  }

  close(): Promise<void> {
    return this.#storage.close();
  }

  async ping(): Promise<void> {
    await sql`SELECT 1`.execute(this.#db);
  }

  backup(destination: string): Promise<void> {
    return this.#storage.backup(destination);
  }

  async insertDevice(d: Omit<DeviceRecord, "slot">): Promise<DeviceRecord> {
    try {
      await this.#db.transaction().execute(async (trx) => {
        // Serialises slot assignment between concurrent registrations.
        await this.#storage.lockTable(trx, "devices");
        await trx
          .insertInto("devices")
          .values({
            id: d.id,
            slot: sql<number>`(SELECT COALESCE(MAX(slot) + 1, 0) FROM devices)`,
            public_key_x: d.publicKey[0],
            public_key_y: d.publicKey[1],
            registered_at: d.registeredAt,
            revoked_at: d.revokedAt,
          })
          .execute();
      });
      return (await this.getDevice(d.id))!;
    } catch (error) {
      if (this.#storage.isUniqueViolation(error)) {
        throw new ConflictError("DUPLICATE_DEVICE", `Device ${d.id} is already registered`, {
          field: "publicKey",
        });
      }
      throw error;
    }
  }

  async listDevices(): Promise<DeviceRecord[]> {
    return (await this.#db.selectFrom("devices").selectAll().orderBy("slot").execute()).map(deviceFromRow);
  }

  async getDevice(id: string): Promise<DeviceRecord | undefined> {
    const row = await this.#db.selectFrom("devices").selectAll().where("id", "=", id).executeTakeFirst();
    return row === undefined ? undefined : deviceFromRow(row);
  }

  async revokeDevice(id: string, at: number): Promise<boolean> {
    const result = await this.#db
      .updateTable("devices")
      .set({ revoked_at: at })
      .where("id", "=", id)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async insertChallenge(c: ChallengeRecord): Promise<void> {
    await this.#db
      .insertInto("challenges")
      .values({ value: c.value, issued_at: c.issuedAt, expires_at: c.expiresAt, used_at: c.usedAt })
      .execute();
  }

  async deleteExpiredChallenges(before: number): Promise<number> {
    const result = await this.#db
      .deleteFrom("challenges")
      .where("expires_at", "<=", before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async getChallenge(value: string): Promise<ChallengeRecord | undefined> {
    const row = await this.#db
      .selectFrom("challenges")
      .selectAll()
      .where("value", "=", value)
      .executeTakeFirst();
    return row === undefined ? undefined : challengeFromRow(row);
  }

  async insertGroup(group: GroupRecord, root: string): Promise<void> {
    try {
      await this.#db.transaction().execute(async (trx) => {
        await trx
          .insertInto("groups")
          .values({
            id: group.id,
            kind: group.kind,
            created_at: group.createdAt,
            root_expiry_ms: group.rootExpiryMs ?? null,
          })
          .execute();
        await trx
          .insertInto("roots")
          .values({ group_id: group.id, root, created_at: group.createdAt })
          .execute();
      });
    } catch (error) {
      if (this.#storage.isUniqueViolation(error)) {
        throw new ConflictError("GROUP_EXISTS", `Group '${group.id}' already exists`, { field: "id" });
      }
      throw error;
    }
  }

  async listGroups(): Promise<GroupRecord[]> {
    return (
      await this.#db.selectFrom("groups").selectAll().orderBy("created_at").orderBy("id").execute()
    ).map(groupFromRow);
  }

  async listMembers(groupId: string): Promise<MemberRecord[]> {
    return (
      await this.#db
        .selectFrom("members")
        .selectAll()
        .where("group_id", "=", groupId)
        .orderBy("member_index")
        .execute()
    ).map(memberFromRow);
  }

  async listRoots(groupId: string): Promise<RootRecord[]> {
    return (
      await this.#db.selectFrom("roots").selectAll().where("group_id", "=", groupId).orderBy("seq").execute()
    ).map(rootFromRow);
  }

  async #appendRoot(trx: Db, groupId: string, root: string, now: number): Promise<void> {
    await trx
      .updateTable("roots")
      .set({ replaced_at: now })
      .where("group_id", "=", groupId)
      .where("replaced_at", "is", null)
      .execute();
    await trx.insertInto("roots").values({ group_id: groupId, root, created_at: now }).execute();
  }

  /** Marks `challenge` used at `now` inside `trx`, or throws why it cannot be consumed. */
  async #consumeChallenge(trx: Db, challenge: string, now: number): Promise<void> {
    const row = await trx
      .selectFrom("challenges")
      .selectAll()
      .where("value", "=", challenge)
      .$if(this.#storage.rowLocks, (q) => q.forUpdate())
      .executeTakeFirst();
    const refusal = challengeRefusal(row === undefined ? undefined : challengeFromRow(row), now);
    if (refusal !== undefined) throw refusal;
    await trx.updateTable("challenges").set({ used_at: now }).where("value", "=", challenge).execute();
  }

  async commitEnrolment(commit: EnrolmentCommit): Promise<number> {
    const e = commit.enrolment;
    try {
      return await this.#db.transaction().execute(async (trx) => {
        for (const challenge of [commit.challenge, ...(commit.furtherChallenges ?? [])]) {
          await this.#consumeChallenge(trx, challenge, commit.now);
        }
        crashPoint("enrol:after-challenge");
        const inserted = await trx
          .insertInto("enrolments")
          .values({
            group_id: e.groupId,
            member_index: e.memberIndex,
            identity_commitment: e.identityCommitment,
            template_commitment: e.templateCommitment,
            device_id: e.deviceId,
            code: bytes(e.code),
            created_at: e.createdAt,
          })
          .returning("id")
          .executeTakeFirstOrThrow();
        const id = num(inserted.id);
        crashPoint("enrol:after-enrolment");
        await trx
          .insertInto("members")
          .values({
            group_id: e.groupId,
            member_index: e.memberIndex,
            leaf: commit.leaf,
            identity_commitment: e.identityCommitment,
            enrolment_id: id,
          })
          .execute();
        crashPoint("enrol:after-member");
        await this.#appendRoot(trx, e.groupId, commit.root, commit.now);
        crashPoint("enrol:before-commit");
        return id;
      });
    } catch (error) {
      if (this.#storage.isUniqueViolation(error)) throw duplicateMember();
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
    await this.#db.transaction().execute(async (trx) => {
      for (let start = 0; start < entries.length; start += IMPORT_BATCH) {
        const slice = entries.slice(start, start + IMPORT_BATCH);
        const ids = await trx
          .insertInto("enrolments")
          .values(
            slice.map(({ enrolment: e }) => ({
              group_id: groupId,
              member_index: e.memberIndex,
              identity_commitment: e.identityCommitment,
              template_commitment: e.templateCommitment,
              device_id: e.deviceId,
              code: bytes(e.code),
              created_at: e.createdAt,
            })),
          )
          .returning(["id", "member_index"])
          .execute();
        // Neither database promises RETURNING rows in VALUES order.
        const idByIndex = new Map(ids.map((r) => [num(r.member_index), num(r.id)]));
        await trx
          .insertInto("members")
          .values(
            slice.map(({ enrolment: e, leaf }) => ({
              group_id: groupId,
              member_index: e.memberIndex,
              leaf,
              identity_commitment: e.identityCommitment,
              enrolment_id: idByIndex.get(e.memberIndex)!,
            })),
          )
          .execute();
      }
      await this.#appendRoot(trx, groupId, root, now);
    });
  }

  async listActiveEnrolments(): Promise<EnrolmentRecord[]> {
    return (
      await this.#db
        .selectFrom("enrolments")
        .selectAll()
        .where("removed_at", "is", null)
        .orderBy("id")
        .execute()
    ).map(enrolmentFromRow);
  }

  async listActiveCodes(): Promise<EnrolledCode[]> {
    const rows = await this.#db
      .selectFrom("enrolments")
      .select(["id", "code"])
      .where("removed_at", "is", null)
      .orderBy("id")
      .execute();
    return rows.map(({ id, code }) => ({
      id: num(id),
      code: new Uint8Array(code.buffer, code.byteOffset, code.byteLength),
    }));
  }

  async getTreeSnapshot(groupId: string): Promise<TreeSnapshot | undefined> {
    const row = await this.#db
      .selectFrom("tree_snapshots")
      .selectAll()
      .where("group_id", "=", groupId)
      .executeTakeFirst();
    return row === undefined ? undefined : treeSnapshotFromRow(row);
  }

  async putTreeSnapshot(t: TreeSnapshot): Promise<void> {
    await this.#db
      .insertInto("tree_snapshots")
      .values({ group_id: t.groupId, root: t.root, size: t.size, nodes: t.nodes, created_at: t.createdAt })
      .onConflict((oc) =>
        oc.column("group_id").doUpdateSet((eb) => ({
          root: eb.ref("excluded.root"),
          size: eb.ref("excluded.size"),
          nodes: eb.ref("excluded.nodes"),
          created_at: eb.ref("excluded.created_at"),
        })),
      )
      .execute();
  }

  async getEnrolmentByMember(groupId: string, index: number): Promise<EnrolmentRecord | undefined> {
    const row = await this.#db
      .selectFrom("enrolments")
      .selectAll()
      .where("group_id", "=", groupId)
      .where("member_index", "=", index)
      .executeTakeFirst();
    return row === undefined ? undefined : enrolmentFromRow(row);
  }

  async updateMember(u: MemberUpdate): Promise<void> {
    try {
      await this.#db.transaction().execute(async (trx) => {
        if (u.challenge !== undefined) await this.#consumeChallenge(trx, u.challenge, u.now);
        await trx
          .updateTable("members")
          .set({
            leaf: u.leaf,
            identity_commitment: u.identityCommitment,
            removed_at: u.removed ? u.now : null,
          })
          .where("group_id", "=", u.groupId)
          .where("member_index", "=", u.index)
          .execute();
        await trx
          .updateTable("enrolments")
          .set(u.removed ? { removed_at: u.now } : { identity_commitment: u.identityCommitment })
          .where("group_id", "=", u.groupId)
          .where("member_index", "=", u.index)
          .execute();
        await this.#appendRoot(trx, u.groupId, u.root, u.now);
      });
    } catch (error) {
      if (this.#storage.isUniqueViolation(error)) throw duplicateMember();
      throw error;
    }
  }

  async listDeviceRoots(): Promise<DeviceRootRecord[]> {
    return (await this.#db.selectFrom("device_roots").selectAll().orderBy("seq").execute()).map(
      deviceRootFromRow,
    );
  }

  async appendDeviceRoot(root: string, now: number): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await trx
        .updateTable("device_roots")
        .set({ replaced_at: now })
        .where("replaced_at", "is", null)
        .execute();
      await trx.insertInto("device_roots").values({ root, created_at: now }).execute();
    });
  }

  async insertPollChallenge(c: PollChallengeRecord): Promise<void> {
    await this.#db
      .insertInto("poll_challenges")
      .values({ poll_id: c.pollId, value: c.value, issued_at: c.issuedAt, expires_at: c.expiresAt })
      .execute();
  }

  async listPollChallenges(pollId: string): Promise<PollChallengeRecord[]> {
    return (
      await this.#db
        .selectFrom("poll_challenges")
        .selectAll()
        .where("poll_id", "=", pollId)
        .orderBy("issued_at")
        .orderBy("value")
        .execute()
    ).map(pollChallengeFromRow);
  }

  async getPollChallenge(pollId: string, value: string): Promise<PollChallengeRecord | undefined> {
    const row = await this.#db
      .selectFrom("poll_challenges")
      .selectAll()
      .where("poll_id", "=", pollId)
      .where("value", "=", value)
      .executeTakeFirst();
    return row === undefined ? undefined : pollChallengeFromRow(row);
  }

  async insertPoll(p: PollRecord): Promise<void> {
    try {
      await this.#db
        .insertInto("polls")
        .values({
          id: p.id,
          group_id: p.groupId,
          scope: p.scope,
          options: JSON.stringify(p.options),
          opens_at: p.opensAt,
          closes_at: p.closesAt,
          created_at: p.createdAt,
          require_liveness: p.requireLiveness === true ? 1 : 0,
        })
        .execute();
    } catch (error) {
      if (this.#storage.isUniqueViolation(error)) {
        if ((await this.getPoll(p.id)) !== undefined) {
          throw new ConflictError("POLL_EXISTS", `Poll '${p.id}' already exists`, { field: "id" });
        }
        const other = await this.#db
          .selectFrom("polls")
          .select("id")
          .where("scope", "=", p.scope)
          .executeTakeFirst();
        if (other !== undefined) throw scopeInUse(p.scope, other.id);
      }
      throw error;
    }
  }

  async getPoll(id: string): Promise<PollRecord | undefined> {
    const row = await this.#db.selectFrom("polls").selectAll().where("id", "=", id).executeTakeFirst();
    return row === undefined ? undefined : pollFromRow(row);
  }

  async listPolls(): Promise<PollRecord[]> {
    return (await this.#db.selectFrom("polls").selectAll().orderBy("created_at").orderBy("id").execute()).map(
      pollFromRow,
    );
  }

  async insertVote(v: Omit<VoteRecord, "seq">): Promise<number> {
    try {
      // Every vote: a raw statement spares it the query builder (see bench/registry/storage.ts).
      const inserted = await sql<{ seq: number }>`
        INSERT INTO votes (poll_id, nullifier, option_index, root, proof, accepted_at)
        VALUES (${v.pollId}, ${v.nullifier}, ${v.option}, ${v.root}, ${JSON.stringify(v.proof)}, ${v.acceptedAt})
        RETURNING seq`.execute(this.#db);
      return num(inserted.rows[0]!.seq);
    } catch (error) {
      if (this.#storage.isUniqueViolation(error)) throw duplicateNullifier();
      throw error;
    }
  }

  async hasNullifier(pollId: string, nullifier: string): Promise<boolean> {
    // Every vote asks first: raw, like insertVote.
    const found =
      await sql`SELECT 1 AS ok FROM votes WHERE poll_id = ${pollId} AND nullifier = ${nullifier}`.execute(
        this.#db,
      );
    return found.rows.length > 0;
  }

  async listVotes(pollId: string): Promise<VoteRecord[]> {
    return (
      await this.#db.selectFrom("votes").selectAll().where("poll_id", "=", pollId).orderBy("seq").execute()
    ).map(voteFromRow);
  }

  async countVotes(pollId: string): Promise<Map<number, number>> {
    const rows = await this.#db
      .selectFrom("votes")
      .select((eb) => ["option_index", eb.fn.countAll().as("n")])
      .where("poll_id", "=", pollId)
      .groupBy("option_index")
      .execute();
    return new Map(rows.map((r) => [num(r.option_index), num(r.n)]));
  }
}
