import type { MerkleProof } from "@semaphore-protocol/group";
import { ConflictError, InvalidParameterError, NotFoundError, VoteError } from "./errors.js";
import type { GroupMembers, GroupTrees } from "./group-trees.js";
import type { GroupKind, RootRecord } from "./repository.js";
import { MAX_ROOT_EXPIRY_MS, type ServiceDependencies, type WriteLock } from "./service-shared.js";
import { fieldElement, identifier, integer, object } from "./validation.js";

/** Public state of a group. */
export interface GroupInfo {
  readonly id: string;
  readonly kind: GroupKind;
  readonly root: bigint;
  readonly depth: number;
  /** Leaves, removed ones included (their leaf is 0). */
  readonly size: number;
  /**
   * How long a replaced root of this group still verifies, in milliseconds: a proof against a root
   * replaced at `t` (a member added, removed or recovered) is accepted while `now - t <= rootExpiryMs`.
   */
  readonly rootExpiryMs: number;
}

/** Input of {@link GroupService.createGroup}. */
export interface GroupRequest {
  readonly id: string;
  readonly kind: GroupKind;
  /**
   * The group's root expiry window in milliseconds, 0 to 365 days (0: only the current root
   * verifies). Default: the registry's `rootExpiryMs`. Stored with the group and fixed for its life.
   */
  readonly rootExpiryMs?: number;
}

/** Collaborators of {@link GroupService}. */
export interface GroupServiceDependencies extends ServiceDependencies {
  readonly writeLock: WriteLock;
  readonly trees: GroupTrees;
  /** Root expiry window of a group created without its own, in milliseconds. */
  readonly rootExpiryMs: number;
}

/**
 * Semaphore groups: creation, their public state, members and Merkle proofs, and which roots a
 * vote may use. The trees themselves are held by {@link GroupTrees}.
 */
export class GroupService {
  readonly #deps: GroupServiceDependencies;

  constructor(deps: GroupServiceDependencies) {
    this.#deps = deps;
  }

  /**
   * Creates an empty group, with its own root expiry window (`rootExpiryMs`, default the
   * registry's). Throws `INVALID_PARAMETER` or `GROUP_EXISTS`.
   */
  async createGroup(request: GroupRequest): Promise<GroupInfo> {
    const { lifecycle, writeLock, trees, now } = this.#deps;
    lifecycle.assertOpen();
    const r = object(request, "request");
    const id = identifier(r.id, "id");
    if (r.kind !== "plain" && r.kind !== "biometric") {
      throw new InvalidParameterError("kind", "Parameter 'kind' must be 'plain' or 'biometric'");
    }
    const kind = r.kind as GroupKind;
    const rootExpiryMs =
      r.rootExpiryMs === undefined
        ? this.#deps.rootExpiryMs
        : integer(r.rootExpiryMs, "rootExpiryMs", 0, MAX_ROOT_EXPIRY_MS);
    return writeLock.run(async () => {
      if (trees.has(id))
        throw new ConflictError("GROUP_EXISTS", `Group '${id}' already exists`, { field: "id" });
      await trees.create(id, kind, rootExpiryMs, now());
      return this.group(id);
    });
  }

  /** Public state of a group; `UNKNOWN_GROUP`. */
  group(groupId: string): GroupInfo {
    const { lifecycle, trees } = this.#deps;
    lifecycle.assertOpen();
    const { root, depth, size } = trees.shape(groupId);
    return {
      id: groupId,
      kind: trees.kind(groupId),
      root,
      depth,
      size,
      rootExpiryMs: trees.rootExpiryMs(groupId),
    };
  }

  /** The group's root expiry window in milliseconds (what its votes and audit log apply); `UNKNOWN_GROUP`. */
  rootExpiryMs(groupId: string): number {
    return this.#deps.trees.rootExpiryMs(groupId);
  }

  /** Ids of every group, in creation order. */
  groupIds(): string[] {
    return this.#deps.trees.ids();
  }

  /** Public state of every group, in creation order. */
  groups(): GroupInfo[] {
    this.#deps.lifecycle.assertOpen();
    return this.groupIds().map((id) => this.group(id));
  }

  /**
   * The leaves of a group in index order (0 for removed members); `UNKNOWN_GROUP`. Stock
   * `new Group(leaves)` refuses the 0 of a removed member: rebuild from {@link memberList} with
   * `groupFromMembers`.
   */
  members(groupId: string): bigint[] {
    this.#deps.lifecycle.assertOpen();
    return this.#deps.trees.members(groupId);
  }

  /**
   * The leaves of a group and the indices of its removed members ({@link GroupMembers}, what
   * `GET /groups/{groupId}/members` serves), from which `groupFromMembers` rebuilds the
   * registry's root with stock `@semaphore-protocol/group`; `UNKNOWN_GROUP`.
   */
  memberList(groupId: string): GroupMembers {
    this.#deps.lifecycle.assertOpen();
    const members = this.#deps.trees.members(groupId);
    const removed: number[] = [];
    members.forEach((leaf, i) => {
      if (leaf === 0n) removed.push(i);
    });
    return { members, removed };
  }

  /** Root history of a group, oldest first, from the database; `UNKNOWN_GROUP`. */
  async rootHistory(groupId: string): Promise<RootRecord[]> {
    this.#deps.lifecycle.assertOpen();
    this.#deps.trees.require(groupId);
    return this.#deps.repository.listRoots(groupId);
  }

  /**
   * The LeanIMT Merkle proof of a member (what `generateProof` of `@semaphore-protocol/proof` takes).
   * Throws `UNKNOWN_GROUP`, or `UNKNOWN_MEMBER` for an index out of range or a removed member.
   */
  merkleProof(groupId: string, memberIndex: number): MerkleProof {
    const { lifecycle, trees } = this.#deps;
    lifecycle.assertOpen();
    trees.require(groupId);
    const index = integer(memberIndex, "memberIndex", 0, Number.MAX_SAFE_INTEGER);
    if (index >= trees.size(groupId) || trees.leaf(groupId, index) === 0n) {
      throw new NotFoundError("UNKNOWN_MEMBER", `Group '${groupId}' has no member at index ${index}`, {
        field: "memberIndex",
      });
    }
    return trees.merkleProof(groupId, index);
  }

  /**
   * Checks that `root` may be used by a vote in this group at time `now`: the current root, or one
   * replaced at `t` with `now - t <= ` the group's `rootExpiryMs`. Throws `UNKNOWN_GROUP`,
   * `UNKNOWN_ROOT` or `STALE_ROOT`.
   */
  checkRoot(groupId: string, root: bigint | string, now = this.#deps.now()): RootRecord {
    const { trees } = this.#deps;
    const rootExpiryMs = trees.rootExpiryMs(groupId);
    const key = fieldElement(root, "proof.merkleTreeRoot").toString();
    const record = trees.rootRecord(groupId, key);
    if (record === undefined) {
      throw new VoteError(
        "UNKNOWN_ROOT",
        `Field 'proof.merkleTreeRoot' is not a root of group '${groupId}'`,
        {
          field: "proof.merkleTreeRoot",
        },
      );
    }
    if (record.replacedAt !== null && now - record.replacedAt > rootExpiryMs) {
      throw new VoteError(
        "STALE_ROOT",
        `Field 'proof.merkleTreeRoot' was replaced at ${new Date(record.replacedAt).toISOString()}, more than the ${rootExpiryMs} ms of group '${groupId}' ago`,
        { field: "proof.merkleTreeRoot" },
      );
    }
    return record;
  }
}
