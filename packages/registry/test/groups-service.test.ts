import { Group } from "@semaphore-protocol/group";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GroupTrees, groupFromMembers } from "../src/group-trees.js";
import { GroupService } from "../src/groups.js";
import { addMember, type ServiceFixture, serviceFixture } from "./service-fixture.js";

const T0 = 1_760_000_000_000;
const EXPIRY = 60_000;

describe("GroupService and GroupTrees, alone on a SQLite repository", () => {
  let f: ServiceFixture;
  let trees: GroupTrees;
  let groups: GroupService;

  beforeEach(async () => {
    f = await serviceFixture(T0);
    trees = new GroupTrees(f.repository, f.base.now, EXPIRY);
    groups = new GroupService({ ...f.base, writeLock: f.writeLock, trees, rootExpiryMs: EXPIRY });
  });
  afterEach(async () => {
    await f.close();
  });

  it("creates an empty group with the default root expiry and refuses its id again with GROUP_EXISTS", async () => {
    const info = await groups.createGroup({ id: "g", kind: "plain" });
    expect(info).toEqual({ id: "g", kind: "plain", root: 0n, depth: 0, size: 0, rootExpiryMs: EXPIRY });
    expect(await f.repository.listGroups()).toEqual([
      { id: "g", kind: "plain", createdAt: T0, rootExpiryMs: EXPIRY },
    ]);
    await expect(groups.createGroup({ id: "g", kind: "biometric" })).rejects.toMatchObject({
      code: "GROUP_EXISTS",
      message: "Group 'g' already exists",
      field: "id",
    });
    expect(() => groups.group("h")).toThrow(expect.objectContaining({ code: "UNKNOWN_GROUP" }));
  });

  it("keeps the root of stock Group through additions and a removal, and restores it from the database", async () => {
    await groups.createGroup({ id: "g", kind: "plain" });
    for (const identity of [11n, 12n, 13n]) await addMember(f, trees, "g", identity);
    const removedRoot = await trees.change("g", { op: "remove", index: 1, identity: "12" }, (root, now) =>
      f.repository.updateMember({
        groupId: "g",
        index: 1,
        leaf: "0",
        identityCommitment: "12",
        removed: true,
        now,
        root,
      }),
    );
    const stock = new Group([11n, 12n, 13n]);
    stock.removeMember(1);
    expect(removedRoot.root).toBe(stock.root);
    expect(groups.memberList("g")).toEqual({ members: [11n, 0n, 13n], removed: [1] });
    expect(groupFromMembers(groups.memberList("g")).root).toBe(stock.root);
    expect(trees.hasIdentity("g", "12")).toBe(false);
    expect(trees.hasIdentity("g", "13")).toBe(true);

    const again = new GroupTrees(f.repository, f.base.now, EXPIRY);
    expect(await again.load()).toEqual([{ groupId: "g", source: "rebuilt from the leaves" }]);
    expect(again.shape("g")).toEqual(trees.shape("g"));
    expect(again.hasIdentity("g", "12")).toBe(false);
    // The load wrote a snapshot of the rebuilt tree, so the next one comes from it.
    expect(await new GroupTrees(f.repository, f.base.now, EXPIRY).load()).toEqual([
      { groupId: "g", source: "snapshot" },
    ]);
  });

  it("rebuilds the tree from the database and rethrows when a change is not committed", async () => {
    await groups.createGroup({ id: "g", kind: "plain" });
    const root = await addMember(f, trees, "g", 21n);
    let committed = false;
    const failure = new Error("storage refused");
    await expect(
      trees.change(
        "g",
        { op: "add", leaf: 22n, identity: "22" },
        async () => {
          throw failure;
        },
        () => {
          committed = true;
        },
      ),
    ).rejects.toBe(failure);
    expect(committed).toBe(false);
    expect(trees.shape("g")).toEqual({ root, depth: 0, size: 1 });
    expect(trees.hasIdentity("g", "22")).toBe(false);
    expect(groups.checkRoot("g", root).replacedAt).toBeNull();
  });

  it("accepts a replaced root for the group's rootExpiryMs and refuses it after with STALE_ROOT", async () => {
    await groups.createGroup({ id: "g", kind: "plain", rootExpiryMs: 1000 });
    const first = await addMember(f, trees, "g", 31n);
    f.setNow(T0 + 5000);
    const second = await addMember(f, trees, "g", 32n);
    expect(groups.checkRoot("g", second, T0 + 10 ** 9)).toMatchObject({
      root: second.toString(),
      replacedAt: null,
    });
    expect(groups.checkRoot("g", first, T0 + 6000)).toMatchObject({
      root: first.toString(),
      replacedAt: T0 + 5000,
    });
    expect(() => groups.checkRoot("g", first, T0 + 6001)).toThrow(
      expect.objectContaining({
        code: "STALE_ROOT",
        message: `Field 'proof.merkleTreeRoot' was replaced at ${new Date(T0 + 5000).toISOString()}, more than the 1000 ms of group 'g' ago`,
      }),
    );
    expect(() => groups.checkRoot("g", 5n)).toThrow(
      expect.objectContaining({
        code: "UNKNOWN_ROOT",
        message: "Field 'proof.merkleTreeRoot' is not a root of group 'g'",
      }),
    );
    expect(() => groups.checkRoot("h", first)).toThrow(expect.objectContaining({ code: "UNKNOWN_GROUP" }));
    expect((await groups.rootHistory("g")).map((r) => [r.root, r.replacedAt])).toEqual([
      ["0", T0],
      [first.toString(), T0 + 5000],
      [second.toString(), null],
    ]);
  });

  it("gives the Merkle proof of a member and refuses a removed member or an index past the end", async () => {
    await groups.createGroup({ id: "g", kind: "biometric" });
    await addMember(f, trees, "g", 41n);
    await addMember(f, trees, "g", 42n);
    const proof = groups.merkleProof("g", 1);
    expect(proof.root).toBe(groups.group("g").root);
    expect(proof.leaf).toBe(trees.leaf("g", 1));
    await trees.change("g", { op: "remove", index: 0, identity: "41" }, (root, now) =>
      f.repository.updateMember({
        groupId: "g",
        index: 0,
        leaf: "0",
        identityCommitment: "41",
        removed: true,
        now,
        root,
      }),
    );
    for (const index of [0, 2]) {
      expect(() => groups.merkleProof("g", index)).toThrow(
        expect.objectContaining({
          code: "UNKNOWN_MEMBER",
          message: `Group 'g' has no member at index ${index}`,
          field: "memberIndex",
        }),
      );
    }
  });

  it("refuses every call with CLOSED once the registry's lifecycle is closed", async () => {
    await groups.createGroup({ id: "g", kind: "plain" });
    f.lifecycle.close();
    expect(() => groups.group("g")).toThrow(expect.objectContaining({ code: "CLOSED" }));
    expect(() => groups.groups()).toThrow(expect.objectContaining({ code: "CLOSED" }));
    await expect(groups.createGroup({ id: "h", kind: "plain" })).rejects.toMatchObject({ code: "CLOSED" });
  });
});
