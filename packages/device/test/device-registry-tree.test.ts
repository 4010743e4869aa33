import { IMT } from "@zk-kit/imt";
import { SNARK_FIELD_ORDER } from "@zkiris/iris-code";
import { poseidon2 } from "poseidon-lite";
import { beforeAll, describe, expect, it } from "vitest";
import {
  DEVICE_TREE_CAPACITY,
  DEVICE_TREE_DEPTH,
  DeviceError,
  DeviceKey,
  DeviceRegistryTree,
} from "../src/index.js";

function expectRefusal(fn: () => unknown, code: string, field: string | undefined): DeviceError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DeviceError);
    const e = error as DeviceError;
    expect({ code: e.code, field: e.field }).toEqual({ code, field });
    return e;
  }
  throw new Error("expected a DeviceError, but nothing was thrown");
}

/** zeros[i] is the root of an empty subtree of height i. */
function zeroHashes(): bigint[] {
  const zeros = [0n];
  for (let i = 0; i < DEVICE_TREE_DEPTH; i++) zeros.push(poseidon2([zeros[i]!, zeros[i]!]));
  return zeros;
}

let a: DeviceKey;
let b: DeviceKey;
let c: DeviceKey;

beforeAll(() => {
  a = DeviceKey.fromSeed("registry-a");
  b = DeviceKey.fromSeed("registry-b");
  c = DeviceKey.fromSeed("registry-c");
});

describe("DeviceRegistryTree", () => {
  it("has depth 10 and 1024 leaves", () => {
    expect(DEVICE_TREE_DEPTH).toBe(10);
    expect(DEVICE_TREE_CAPACITY).toBe(1024);
  });

  it("has the root of ten levels of Poseidon2 over zero leaves when empty", () => {
    expect(new DeviceRegistryTree().root).toBe(zeroHashes()[10]);
  });

  it("matches a hand-computed two-leaf tree: root, siblings and path indices", () => {
    const registry = new DeviceRegistryTree();
    expect(registry.add(a.publicKey)).toBe(a.deviceId);
    expect(registry.add(b)).toBe(b.deviceId);
    const leafA = poseidon2([a.publicKey[0], a.publicKey[1]]);
    const leafB = poseidon2([b.publicKey[0], b.publicKey[1]]);
    const zeros = zeroHashes();
    let root = poseidon2([leafA, leafB]);
    for (let i = 1; i < DEVICE_TREE_DEPTH; i++) root = poseidon2([root, zeros[i]!]);
    expect(registry.root).toBe(root);

    const pa = registry.proof(a.deviceId);
    expect(pa).toEqual({
      root,
      leaf: leafA,
      leafIndex: 0,
      siblings: [leafB, ...zeros.slice(1, 10)],
      pathIndices: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    });
    const pb = registry.proof(b.deviceId);
    expect(pb).toEqual({
      root,
      leaf: leafB,
      leafIndex: 1,
      siblings: [leafA, ...zeros.slice(1, 10)],
      pathIndices: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    });
    expect(DeviceRegistryTree.verifyProof(pa)).toBe(true);
    expect(DeviceRegistryTree.verifyProof(pb)).toBe(true);
  });

  it("gives pathIndices as the bits of the leaf index, least significant first", () => {
    const registry = new DeviceRegistryTree();
    const keys = Array.from({ length: 6 }, (_, i) => DeviceKey.fromSeed(`bits-${i}`));
    for (const k of keys) registry.add(k);
    const p = registry.proof(keys[5]!.deviceId);
    expect(p.leafIndex).toBe(5);
    expect(p.pathIndices).toEqual([1, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    // Level 0 sibling is leaf 4; level 1 sibling is the hash of leaves 6 and 7 (both empty).
    expect(p.siblings[0]).toBe(keys[4]!.deviceId);
    expect(p.siblings[1]).toBe(poseidon2([0n, 0n]));
    // Level 2 sibling is the node over leaves 0..3.
    const ids = keys.map((k) => k.deviceId);
    expect(p.siblings[2]).toBe(poseidon2([poseidon2([ids[0]!, ids[1]!]), poseidon2([ids[2]!, ids[3]!])]));
    expect(DeviceRegistryTree.verifyProof(p)).toBe(true);
  });

  it("agrees with a plain @zk-kit/imt IMT built over the same leaves", () => {
    const registry = new DeviceRegistryTree();
    registry.add(a);
    registry.add(b);
    registry.add(c);
    registry.revoke(b.deviceId);
    const imt = new IMT((v) => poseidon2(v as bigint[]), 10, 0n, 2, [a.deviceId, 0n, c.deviceId]);
    expect(registry.root).toBe(BigInt(imt.root));
    expect(registry.leaves()).toEqual([a.deviceId, 0n, c.deviceId]);
  });

  it("revokes by setting the leaf to zero, keeping other slots, and changes the root", () => {
    const registry = new DeviceRegistryTree();
    registry.add(a);
    registry.add(b);
    const before = registry.root;
    registry.revoke(a);
    expect(registry.root).not.toBe(before);
    expect(registry.has(a.deviceId)).toBe(false);
    expect(registry.has(b.publicKey)).toBe(true);
    expect(registry.size).toBe(1);
    expect(registry.usedSlots).toBe(2);
    expect(registry.leaves()).toEqual([0n, b.deviceId]);
    const zeros = zeroHashes();
    let root = poseidon2([0n, b.deviceId]);
    for (let i = 1; i < DEVICE_TREE_DEPTH; i++) root = poseidon2([root, zeros[i]!]);
    expect(registry.root).toBe(root);
    expect(registry.proof(b.deviceId).siblings[0]).toBe(0n);
  });

  it("gives a re-added device a new slot", () => {
    const registry = new DeviceRegistryTree();
    registry.add(a);
    registry.revoke(a.deviceId);
    registry.add(a);
    expect(registry.indexOf(a.deviceId)).toBe(1);
    expect(registry.proof(a.deviceId).pathIndices[0]).toBe(1);
  });

  it("refuses to add a device twice", () => {
    const registry = new DeviceRegistryTree();
    registry.add(a);
    const e = expectRefusal(() => registry.add(a.publicKey), "DUPLICATE_DEVICE", "publicKey");
    expect(e.message).toBe(`Device ${a.deviceId} is already in the registry`);
  });

  it("refuses to add an invalid public key", () => {
    const registry = new DeviceRegistryTree();
    expectRefusal(
      () => registry.add([a.publicKey[0], a.publicKey[1] + 1n]),
      "INVALID_PUBLIC_KEY",
      "publicKey",
    );
    expectRefusal(() => registry.add([0n, 1n]), "INVALID_PUBLIC_KEY", "publicKey");
    expectRefusal(() => registry.add([1n] as never), "INVALID_PUBLIC_KEY", "publicKey");
    expectRefusal(() => registry.add([SNARK_FIELD_ORDER, 1n]), "INVALID_PUBLIC_KEY", "publicKey[0]");
  });

  it("refuses to revoke or prove a device that is not in the registry", () => {
    const registry = new DeviceRegistryTree();
    registry.add(a);
    expectRefusal(() => registry.revoke(b.deviceId), "UNKNOWN_DEVICE", "deviceId");
    expectRefusal(() => registry.proof(b.deviceId), "UNKNOWN_DEVICE", "deviceId");
    registry.revoke(a.deviceId);
    expectRefusal(() => registry.revoke(a.deviceId), "UNKNOWN_DEVICE", "deviceId");
    const e = expectRefusal(() => registry.proof(a.deviceId), "UNKNOWN_DEVICE", "deviceId");
    expect(e.message).toBe(`Device ${a.deviceId} is not in the registry`);
    expectRefusal(() => registry.proof(-1n), "INVALID_PARAMETER", "deviceId");
    expect(registry.indexOf(a.deviceId)).toBe(-1);
  });

  it("refuses a 1025th slot once every slot is used, counting revoked slots", () => {
    const leaves = Array.from({ length: DEVICE_TREE_CAPACITY }, (_, i) => BigInt(i + 1));
    leaves[7] = 0n;
    const registry = DeviceRegistryTree.fromLeaves(leaves);
    expect(registry.size).toBe(DEVICE_TREE_CAPACITY - 1);
    expect(registry.usedSlots).toBe(DEVICE_TREE_CAPACITY);
    const e = expectRefusal(() => registry.add(a), "REGISTRY_FULL", undefined);
    expect(e.message).toBe(
      "The device registry tree is full: all 1024 slots are used (revoked slots are not reused)",
    );
    const p = registry.proof(1024n);
    expect(p.pathIndices).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(DeviceRegistryTree.verifyProof(p)).toBe(true);
  });

  it("restores from its leaves with the same root and proofs", () => {
    const registry = new DeviceRegistryTree();
    registry.add(a);
    registry.add(b);
    registry.add(c);
    registry.revoke(b);
    const restored = DeviceRegistryTree.fromLeaves(registry.leaves());
    expect(restored.root).toBe(registry.root);
    expect(restored.proof(c.deviceId)).toEqual(registry.proof(c.deviceId));
    expect(restored.has(b)).toBe(false);
  });

  it("refuses leaves that are not field elements, repeat a device, or exceed the capacity", () => {
    expectRefusal(() => DeviceRegistryTree.fromLeaves([1n, -1n]), "INVALID_PARAMETER", "leaves[1]");
    expectRefusal(() => DeviceRegistryTree.fromLeaves([1n, 2 as never]), "INVALID_PARAMETER", "leaves[1]");
    expectRefusal(() => DeviceRegistryTree.fromLeaves([5n, 0n, 5n]), "DUPLICATE_DEVICE", "leaves[2]");
    expect(DeviceRegistryTree.fromLeaves([0n, 0n]).size).toBe(0);
    expectRefusal(
      () => DeviceRegistryTree.fromLeaves(new Array(DEVICE_TREE_CAPACITY + 1).fill(0n)),
      "INVALID_PARAMETER",
      "leaves",
    );
    expectRefusal(() => DeviceRegistryTree.fromLeaves("1,2" as never), "INVALID_PARAMETER", "leaves");
  });

  it("rejects proofs with a changed leaf, sibling, path index, root or length", () => {
    const registry = new DeviceRegistryTree();
    registry.add(a);
    registry.add(b);
    const p = registry.proof(b.deviceId);
    expect(DeviceRegistryTree.verifyProof({ ...p, leaf: p.leaf + 1n })).toBe(false);
    expect(DeviceRegistryTree.verifyProof({ ...p, root: p.root + 1n })).toBe(false);
    expect(
      DeviceRegistryTree.verifyProof({ ...p, siblings: [p.siblings[0]! + 1n, ...p.siblings.slice(1)] }),
    ).toBe(false);
    expect(DeviceRegistryTree.verifyProof({ ...p, pathIndices: [0, ...p.pathIndices.slice(1)] })).toBe(false);
    expect(DeviceRegistryTree.verifyProof({ ...p, pathIndices: [2, ...p.pathIndices.slice(1)] })).toBe(false);
    expect(DeviceRegistryTree.verifyProof({ ...p, siblings: p.siblings.slice(1) })).toBe(false);
  });

  it("returns proofs the caller may mutate without changing the tree", () => {
    const registry = new DeviceRegistryTree();
    registry.add(a);
    const p = registry.proof(a.deviceId);
    p.siblings[0] = 99n;
    p.pathIndices[0] = 1;
    expect(registry.proof(a.deviceId).siblings[0]).toBe(0n);
    expect(registry.proof(a.deviceId).pathIndices[0]).toBe(0);
  });
});
