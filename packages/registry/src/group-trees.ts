import { Group, type MerkleProof } from "@semaphore-protocol/group";
import { InvalidParameterError, NotFoundError, StorageError } from "./errors.js";
import type { GroupKind, MemberRecord, Repository, RootRecord, TreeSnapshot } from "./repository.js";
import type { Clock } from "./service-shared.js";
import { integer, object } from "./validation.js";

/**
 * The members of a group in the form a client rebuilds the tree from: `members` are the leaves in
 * index order, a removed member's leaf being `0n` (what `Group.removeMember` of
 * `@semaphore-protocol/group` leaves), and `removed` lists those indices in ascending order. Stock
 * `new Group(members)` refuses a 0 leaf, so a tree with removals is rebuilt with
 * {@link groupFromMembers} (or its recipe: a non-zero placeholder at each removed index, then
 * `removeMember` there), which gives the registry's root.
 */
export interface GroupMembers {
  readonly members: bigint[];
  readonly removed: number[];
}

/**
 * Rebuilds a group's tree with stock `@semaphore-protocol/group` from {@link GroupMembers}: the
 * leaves with placeholder 1 at each removed index, then `removeMember` at each of them, so the
 * removed leaves are 0 exactly as in the registry's tree and the root is the registry's. Throws
 * `INVALID_PARAMETER` when `removed` does not list exactly the 0 leaves.
 */
export function groupFromMembers(list: GroupMembers): Group {
  const l = object(list, "list");
  if (!Array.isArray(l.members) || !Array.isArray(l.removed)) {
    throw new InvalidParameterError("list", "Parameter 'list' must have arrays 'members' and 'removed'");
  }
  const members = l.members as unknown[];
  const removed = new Set<number>();
  for (const [i, index] of (l.removed as unknown[]).entries()) {
    const n = integer(index, `list.removed[${i}]`, 0, members.length - 1);
    if (members[n] !== 0n) {
      throw new InvalidParameterError(
        `list.removed[${i}]`,
        `Parameter 'list.removed[${i}]' is ${n}, whose leaf is not 0`,
      );
    }
    removed.add(n);
  }
  const leaves = members.map((m, i) => {
    if (typeof m !== "bigint") {
      throw new InvalidParameterError(
        `list.members[${i}]`,
        `Parameter 'list.members[${i}]' must be a bigint`,
      );
    }
    if (m === 0n && !removed.has(i)) {
      throw new InvalidParameterError(
        `list.members[${i}]`,
        `Parameter 'list.members[${i}]' is 0 but index ${i} is not in 'list.removed'`,
      );
    }
    return m === 0n ? 1n : m;
  });
  const group = new Group(leaves);
  for (const index of removed) group.removeMember(index);
  return group;
}

/**
 * The tree of stored leaves, built as {@link groupFromMembers} does. Not `leanIMT.insertMany` of
 * the leaves: it takes a 0 right sibling for a missing one (parent = left child), whereas the
 * tree the registry updated with `removeMember` hashes the pair, so a removed member at an odd
 * index (or the last one) gave another root at every restart.
 */
function treeOf(members: readonly MemberRecord[]): Group {
  const leaves = members.map((m) => BigInt(m.leaf));
  const removed: number[] = [];
  leaves.forEach((leaf, i) => {
    if (leaf === 0n) removed.push(i);
  });
  return groupFromMembers({ members: leaves, removed });
}

/** How a group's tree was restored at open (see `Registry.openTimings`). */
export type TreeSource = "empty" | "snapshot" | "snapshot and catch-up" | "rebuilt from the leaves";

/** A group's tree is snapshotted after this many changes (and at close, and when open had to catch up). */
export const TREE_SNAPSHOT_INTERVAL = 1024;

/**
 * The tree of `members` from a snapshot when there is one that fits: its leaves are compared with
 * the stored ones, a changed leaf is updated, and the leaves added since are appended (removed
 * ones as a placeholder then 0, as {@link groupFromMembers}). Undefined when there is no usable
 * snapshot; the caller checks the root.
 */
function treeFromSnapshot(
  members: readonly MemberRecord[],
  snapshot: TreeSnapshot | undefined,
): { group: Group; changed: number } | undefined {
  if (snapshot === undefined || snapshot.size > members.length || snapshot.size === 0) return undefined;
  let group: Group;
  try {
    group = Group.import(snapshot.nodes);
  } catch {
    return undefined; // unreadable: the tree is rebuilt from the leaves
  }
  if (group.size !== snapshot.size) return undefined;
  const stored = group.members;
  let changed = 0;
  for (let i = 0; i < snapshot.size; i++) {
    const leaf = BigInt(members[i]!.leaf);
    if (stored[i] !== leaf) {
      group.leanIMT.update(i, leaf);
      changed++;
    }
  }
  if (members.length > snapshot.size) {
    const added = members.slice(snapshot.size).map((m) => BigInt(m.leaf));
    group.leanIMT.insertMany(added.map((leaf) => (leaf === 0n ? 1n : leaf)));
    added.forEach((leaf, i) => {
      if (leaf === 0n) group.leanIMT.update(snapshot.size + i, 0n);
    });
    changed += added.length;
  }
  return { group, changed };
}

interface GroupState {
  readonly kind: GroupKind;
  readonly rootExpiryMs: number;
  group: Group;
  /** Latest history entry of each root. */
  roots: Map<string, RootRecord>;
  /** Identity commitments currently in the group (to refuse a second enrolment of one identity). */
  identities: Set<string>;
  /** Tree changes since the stored snapshot was written. */
  unsnapshotted: number;
}

/**
 * One change of a group's tree: a leaf appended for a new member, a member's leaf set to 0, or a
 * member's leaf replaced for a new identity (recovery). Identities are decimal strings.
 */
export type GroupEdit =
  | { readonly op: "add"; readonly leaf: bigint; readonly identity: string }
  | { readonly op: "remove"; readonly index: number; readonly identity: string }
  | {
      readonly op: "replace";
      readonly index: number;
      readonly leaf: bigint;
      readonly identity: string;
      readonly previousIdentity: string;
    };

/**
 * The in-memory state of every group, its one owner: the LeanIMT, the root history (with when
 * each root was replaced), the identities in the group and the count of changes since the last
 * tree snapshot. Restored at open from the database (snapshot or leaves), changed only through
 * {@link GroupTrees.change} after the database accepted the change, and rebuilt from the database
 * when it did not. Callers hold the registry's write lock for every change.
 */
export class GroupTrees {
  readonly #groups = new Map<string, GroupState>();
  readonly #repository: Repository;
  readonly #now: Clock;
  readonly #defaultRootExpiryMs: number;

  /** `defaultRootExpiryMs` applies to groups stored without their own window (schema before 5). */
  constructor(repository: Repository, now: Clock, defaultRootExpiryMs: number) {
    this.#repository = repository;
    this.#now = now;
    this.#defaultRootExpiryMs = defaultRootExpiryMs;
  }

  /**
   * Restores every stored group's tree, from its snapshot when that gives the stored current root,
   * else from the leaves (then writes a new snapshot). `CORRUPT_STATE` when the tree's root is not
   * the stored current root. Returns where each tree came from.
   */
  async load(): Promise<Array<{ groupId: string; source: TreeSource }>> {
    const trees: Array<{ groupId: string; source: TreeSource }> = [];
    for (const record of await this.#repository.listGroups()) {
      const members = await this.#repository.listMembers(record.id);
      const history = await this.#repository.listRoots(record.id);
      const current = history[history.length - 1];
      // The snapshot is a cache: used only when, caught up with the stored leaves, it gives the
      // stored current root; otherwise the tree is rebuilt from the leaves.
      const restored = treeFromSnapshot(members, await this.#repository.getTreeSnapshot(record.id));
      let group: Group;
      let source: TreeSource;
      if (restored !== undefined && restored.group.root.toString() === current?.root) {
        group = restored.group;
        source = restored.changed === 0 ? "snapshot" : "snapshot and catch-up";
      } else {
        group = treeOf(members);
        source = members.length === 0 ? "empty" : "rebuilt from the leaves";
      }
      trees.push({ groupId: record.id, source });
      if (current === undefined || current.root !== group.root.toString()) {
        throw new StorageError(
          "CORRUPT_STATE",
          `Group '${record.id}': the tree rebuilt from its leaves has root ${group.root}, but the stored current root is ${current?.root}`,
        );
      }
      this.#groups.set(record.id, {
        kind: record.kind,
        rootExpiryMs: record.rootExpiryMs ?? this.#defaultRootExpiryMs,
        group,
        roots: new Map(history.map((r) => [r.root, r])),
        identities: new Set(members.filter((m) => m.removedAt === null).map((m) => m.identityCommitment)),
        unsnapshotted: source === "snapshot" || source === "empty" ? 0 : 1,
      });
      if (source !== "snapshot" && source !== "empty") await this.#snapshot(record.id);
    }
    return trees;
  }

  /** Whether the group exists. */
  has(groupId: string): boolean {
    return this.#groups.has(groupId);
  }

  /** Ids of every group, in creation order. */
  ids(): string[] {
    return [...this.#groups.keys()];
  }

  /** Throws `UNKNOWN_GROUP` unless the group exists. */
  require(groupId: string): void {
    this.#state(groupId);
  }

  /** The group's kind; `UNKNOWN_GROUP`. */
  kind(groupId: string): GroupKind {
    return this.#state(groupId).kind;
  }

  /** The group's root expiry window in milliseconds; `UNKNOWN_GROUP`. */
  rootExpiryMs(groupId: string): number {
    return this.#state(groupId).rootExpiryMs;
  }

  /** The group's current root, depth and number of leaves (removed ones included); `UNKNOWN_GROUP`. */
  shape(groupId: string): { root: bigint; depth: number; size: number } {
    const { group } = this.#state(groupId);
    return { root: group.root, depth: group.depth, size: group.size };
  }

  /** Number of leaves, removed ones included; `UNKNOWN_GROUP`. */
  size(groupId: string): number {
    return this.#state(groupId).group.size;
  }

  /** The leaves in index order (a fresh array; 0 for removed members); `UNKNOWN_GROUP`. */
  members(groupId: string): bigint[] {
    return this.#state(groupId).group.members;
  }

  /** The leaf at `index` (0n for a removed member, undefined past the end); `UNKNOWN_GROUP`. */
  leaf(groupId: string, index: number): bigint | undefined {
    return this.#state(groupId).group.members[index];
  }

  /** Whether the decimal identity commitment is a current member; `UNKNOWN_GROUP`. */
  hasIdentity(groupId: string, identity: string): boolean {
    return this.#state(groupId).identities.has(identity);
  }

  /** The LeanIMT proof of the leaf at `index` (the caller checked it is a member); `UNKNOWN_GROUP`. */
  merkleProof(groupId: string, index: number): MerkleProof {
    return this.#state(groupId).group.generateMerkleProof(index);
  }

  /** The latest history entry of a decimal root of the group, or undefined; `UNKNOWN_GROUP`. */
  rootRecord(groupId: string, root: string): RootRecord | undefined {
    return this.#state(groupId).roots.get(root);
  }

  /** Stores a new empty group (`insertGroup`) and then holds its tree. The caller checked the id is free. */
  async create(id: string, kind: GroupKind, rootExpiryMs: number, createdAt: number): Promise<void> {
    const group = new Group();
    await this.#repository.insertGroup({ id, kind, createdAt, rootExpiryMs }, group.root.toString());
    const root: RootRecord = { groupId: id, root: group.root.toString(), createdAt, replacedAt: null };
    this.#groups.set(id, {
      kind,
      rootExpiryMs,
      group,
      roots: new Map([[root.root, root]]),
      identities: new Set(),
      unsnapshotted: 0,
    });
  }

  /**
   * Applies `edit` to the group's tree, then lets `persist` store it (given the new root and the
   * time of the change, both for the transaction). When `persist` throws, the group is rebuilt
   * from the database and the error rethrown. Otherwise `committed` runs, the identities and the
   * root history follow the edit (the previous root replaced at that time), and every
   * {@link TREE_SNAPSHOT_INTERVAL} changes the tree snapshot is written (a failure of that cache
   * write is ignored: the next change tries again). Under the caller's write lock.
   */
  async change<R>(
    groupId: string,
    edit: GroupEdit,
    persist: (root: string, now: number) => Promise<R>,
    committed?: (result: R) => void,
  ): Promise<{ root: bigint; result: R }> {
    const state = this.#state(groupId);
    if (edit.op === "add") state.group.addMember(edit.leaf);
    else if (edit.op === "remove") state.group.removeMember(edit.index);
    else state.group.updateMember(edit.index, edit.leaf);
    const now = this.#now();
    let result: R;
    try {
      result = await persist(state.group.root.toString(), now);
    } catch (error) {
      await this.#reload(groupId);
      throw error;
    }
    committed?.(result);
    if (edit.op === "add") state.identities.add(edit.identity);
    else if (edit.op === "remove") state.identities.delete(edit.identity);
    else {
      state.identities.delete(edit.previousIdentity);
      state.identities.add(edit.identity);
    }
    const root = this.#recordRoot(state, groupId, now);
    if (state.unsnapshotted >= TREE_SNAPSHOT_INTERVAL) await this.#snapshot(groupId).catch(() => {});
    return { root, result };
  }

  /** Writes the snapshot of every group that changed since its last one (at close, under the lock). */
  async snapshotAll(): Promise<void> {
    for (const groupId of this.#groups.keys()) await this.#snapshot(groupId);
  }

  #state(groupId: string): GroupState {
    const state = this.#groups.get(groupId);
    if (state === undefined) {
      throw new NotFoundError("UNKNOWN_GROUP", `Group '${groupId}' does not exist`, { field: "groupId" });
    }
    return state;
  }

  #recordRoot(state: GroupState, groupId: string, now: number): bigint {
    const root = state.group.root;
    state.unsnapshotted++;
    for (const [key, record] of state.roots) {
      if (record.replacedAt === null) state.roots.set(key, { ...record, replacedAt: now });
    }
    state.roots.set(root.toString(), { groupId, root: root.toString(), createdAt: now, replacedAt: null });
    return root;
  }

  async #reload(groupId: string): Promise<void> {
    const state = this.#state(groupId);
    const members = await this.#repository.listMembers(groupId);
    state.group = treeOf(members);
    state.roots = new Map((await this.#repository.listRoots(groupId)).map((r) => [r.root, r]));
    state.identities = new Set(members.filter((m) => m.removedAt === null).map((m) => m.identityCommitment));
  }

  /** Writes the group's tree snapshot (a cache; see {@link TreeSnapshot}). */
  async #snapshot(groupId: string): Promise<void> {
    const state = this.#state(groupId);
    if (state.unsnapshotted === 0 || state.group.size === 0) return;
    await this.#repository.putTreeSnapshot({
      groupId,
      root: state.group.root.toString(),
      size: state.group.size,
      nodes: state.group.export(),
      createdAt: this.#now(),
    });
    state.unsnapshotted = 0;
  }
}
