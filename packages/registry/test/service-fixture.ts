import { toBinary } from "@zkiris/iris-code";
import type { GroupTrees } from "../src/group-trees.js";
import { Lifecycle, leafFor, type ServiceDependencies, WriteLock } from "../src/service-shared.js";
import { SqliteRepository } from "../src/sqlite-repository.js";
import { randomCode, sqliteDatabase } from "./helpers.js";

/**
 * What a service under test is built from when it is tested alone: a migrated SQLite repository
 * in a temporary directory, a clock the test moves, the write lock and the open state.
 */
export interface ServiceFixture {
  readonly repository: SqliteRepository;
  readonly lifecycle: Lifecycle;
  readonly writeLock: WriteLock;
  readonly base: ServiceDependencies;
  /** Sets the clock, in Unix milliseconds. */
  setNow(t: number): void;
  close(): Promise<void>;
}

export async function serviceFixture(start: number): Promise<ServiceFixture> {
  const db = sqliteDatabase();
  const repository = new SqliteRepository(db.location as string);
  await repository.migrate();
  const lifecycle = new Lifecycle();
  let now = start;
  return {
    repository,
    lifecycle,
    writeLock: new WriteLock(),
    base: { repository, now: () => now, lifecycle },
    setNow: (t) => {
      now = t;
    },
    close: async () => {
      await repository.close();
      await db.drop();
    },
  };
}

let stored = 0;

/**
 * Adds a member to `groupId` through `trees.change`, committed with the repository's enrolment
 * transaction over a challenge and a device stored for it (what the enrolment service does after
 * its checks). Returns the new root.
 */
export async function addMember(
  fixture: ServiceFixture,
  trees: GroupTrees,
  groupId: string,
  identity: bigint,
  templateCommitment = 7n,
): Promise<bigint> {
  const { repository } = fixture;
  const n = ++stored;
  const deviceId = `${1_000_000 + n}`;
  await repository.insertDevice({ id: deviceId, publicKey: ["1", `${n}`], registeredAt: 0, revokedAt: null });
  const challenge = `${2_000_000 + n}`;
  await repository.insertChallenge({
    value: challenge,
    issuedAt: 0,
    expiresAt: Number.MAX_SAFE_INTEGER,
    usedAt: null,
  });
  const leaf = leafFor(trees.kind(groupId), identity, templateCommitment);
  const memberIndex = trees.size(groupId);
  const { root } = await trees.change(
    groupId,
    { op: "add", leaf, identity: identity.toString() },
    (root, now) =>
      repository.commitEnrolment({
        challenge,
        now,
        enrolment: {
          groupId,
          memberIndex,
          identityCommitment: identity.toString(),
          templateCommitment: templateCommitment.toString(),
          deviceId,
          code: toBinary(randomCode(n)),
          createdAt: now,
        },
        leaf: leaf.toString(),
        root,
      }),
  );
  return root;
}
