import { IMT, type IMTNode } from "@zk-kit/imt";
import { describeType } from "@zkiris/iris-code";
import { poseidon2 } from "poseidon-lite";
import { DeviceKey } from "./device-key.js";
import { DeviceError } from "./errors.js";
import { checkFieldElement } from "./field.js";
import { checkPublicKey, type DevicePublicKey, deviceIdOf } from "./public-key.js";

/** Depth of the device registry tree: it holds at most 2^10 = 1024 leaves (revoked ones included). */
export const DEVICE_TREE_DEPTH = 10;

/** Number of leaves of the device registry tree. */
export const DEVICE_TREE_CAPACITY = 2 ** DEVICE_TREE_DEPTH;

/**
 * A Merkle inclusion proof of a device in the registry tree, bottom-up. With `node = leaf`, for
 * each level `i` from 0 to 9: `node = pathIndices[i] === 0 ? Poseidon2(node, siblings[i]) :
 * Poseidon2(siblings[i], node)`; the final node equals `root`. `pathIndices[i]` is bit `i` of
 * `leafIndex` (0: the node at level i is a left child).
 */
export interface DeviceMerkleProof {
  readonly root: bigint;
  readonly leaf: bigint;
  readonly leafIndex: number;
  readonly siblings: bigint[];
  readonly pathIndices: number[];
}

const hash = (values: IMTNode[]): IMTNode => poseidon2(values.map((v) => BigInt(v)));

/**
 * The set of trusted capture devices as a fixed-depth binary Poseidon Merkle tree (`@zk-kit/imt`
 * with `hash = Poseidon2`, depth {@link DEVICE_TREE_DEPTH}, zero value 0, arity 2), so a proof can
 * show "a registered device signed" without revealing which. Leaves are `deviceId =
 * Poseidon2(Ax, Ay)`, appended in order. Revoking a device sets its leaf to 0; slots are never
 * reused, so leaf indices stay stable (a revoked device added again gets a new slot).
 */
export class DeviceRegistryTree {
  #tree: IMT;
  readonly #indexById = new Map<bigint, number>();

  /** An empty registry. */
  constructor() {
    this.#tree = new IMT(hash, DEVICE_TREE_DEPTH, 0n, 2);
  }

  /**
   * Restores a registry from its leaves in slot order (as returned by {@link leaves}), 0 marking a
   * revoked slot. Throws `INVALID_PARAMETER` for a list that is not an array of field elements or
   * is longer than the capacity, and `DUPLICATE_DEVICE` if a non-zero leaf occurs twice.
   */
  static fromLeaves(leaves: readonly bigint[]): DeviceRegistryTree {
    if (!Array.isArray(leaves)) {
      throw new DeviceError(
        "INVALID_PARAMETER",
        `Parameter 'leaves' is not an array, received ${describeType(leaves)}`,
        {
          field: "leaves",
        },
      );
    }
    if (leaves.length > DEVICE_TREE_CAPACITY) {
      throw new DeviceError(
        "INVALID_PARAMETER",
        `Parameter 'leaves' has ${leaves.length} entries; the tree holds at most ${DEVICE_TREE_CAPACITY}`,
        { field: "leaves" },
      );
    }
    const registry = new DeviceRegistryTree();
    leaves.forEach((leaf, i) => {
      checkFieldElement(leaf, `leaves[${i}]`);
      if (leaf !== 0n && registry.#indexById.has(leaf)) {
        throw new DeviceError("DUPLICATE_DEVICE", `Parameter 'leaves[${i}]' repeats device ${leaf}`, {
          field: `leaves[${i}]`,
        });
      }
      if (leaf !== 0n) registry.#indexById.set(leaf, i);
    });
    // Building level by level costs one hash per node, far fewer than inserting leaf by leaf.
    registry.#tree = new IMT(hash, DEVICE_TREE_DEPTH, 0n, 2, leaves.slice());
    return registry;
  }

  /** The current root (a field element). Changes on every add and revoke. */
  get root(): bigint {
    return BigInt(this.#tree.root);
  }

  /** Number of trusted (added and not revoked) devices. */
  get size(): number {
    return this.#indexById.size;
  }

  /** Number of leaf slots used so far, revoked ones included (at most {@link DEVICE_TREE_CAPACITY}). */
  get usedSlots(): number {
    return this.#tree.leaves.length;
  }

  /** A copy of the leaves in slot order (0 for a revoked slot); {@link fromLeaves} restores the tree. */
  leaves(): bigint[] {
    return this.#tree.leaves.map((v) => BigInt(v));
  }

  /**
   * Adds a device by its public key (or its `DeviceKey`) and returns its `deviceId`. Throws
   * `INVALID_PUBLIC_KEY` for a key outside the prime-order subgroup, `DUPLICATE_DEVICE` if the
   * device is already trusted and `REGISTRY_FULL` when every slot is used.
   */
  add(device: DevicePublicKey | DeviceKey): bigint {
    const publicKey = checkPublicKey(device instanceof DeviceKey ? device.publicKey : device, "publicKey");
    const deviceId = deviceIdOf(publicKey);
    if (this.#indexById.has(deviceId)) {
      throw new DeviceError("DUPLICATE_DEVICE", `Device ${deviceId} is already in the registry`, {
        field: "publicKey",
      });
    }
    if (this.#tree.leaves.length >= DEVICE_TREE_CAPACITY) {
      throw new DeviceError(
        "REGISTRY_FULL",
        `The device registry tree is full: all ${DEVICE_TREE_CAPACITY} slots are used (revoked slots are not reused)`,
      );
    }
    this.#indexById.set(deviceId, this.#tree.leaves.length);
    this.#tree.insert(deviceId);
    return deviceId;
  }

  /**
   * Revokes a device (by `deviceId`, public key or `DeviceKey`): its leaf becomes 0. Throws
   * `UNKNOWN_DEVICE` if it is not currently trusted.
   */
  revoke(device: bigint | DevicePublicKey | DeviceKey): void {
    const deviceId = this.#resolve(device);
    const index = this.#indexById.get(deviceId);
    if (index === undefined) {
      throw new DeviceError("UNKNOWN_DEVICE", `Device ${deviceId} is not in the registry`, {
        field: "deviceId",
      });
    }
    this.#tree.update(index, 0n);
    this.#indexById.delete(deviceId);
  }

  /** True when the device (by `deviceId`, public key or `DeviceKey`) is currently trusted. */
  has(device: bigint | DevicePublicKey | DeviceKey): boolean {
    return this.#indexById.has(this.#resolve(device));
  }

  /** Slot index of a trusted device, or -1. */
  indexOf(deviceId: bigint): number {
    return this.#indexById.get(deviceId) ?? -1;
  }

  /**
   * The inclusion proof of a trusted device. Throws `UNKNOWN_DEVICE` if it is not currently trusted.
   */
  proof(deviceId: bigint): DeviceMerkleProof {
    checkFieldElement(deviceId, "deviceId");
    const index = this.#indexById.get(deviceId);
    if (index === undefined) {
      throw new DeviceError("UNKNOWN_DEVICE", `Device ${deviceId} is not in the registry`, {
        field: "deviceId",
      });
    }
    const p = this.#tree.createProof(index);
    return {
      root: BigInt(p.root),
      leaf: BigInt(p.leaf),
      leafIndex: index,
      siblings: p.siblings.map((s: IMTNode[]) => BigInt(s[0]!)),
      pathIndices: p.pathIndices.slice(),
    };
  }

  /**
   * Recomputes the root from a proof (independently of `@zk-kit/imt`) and compares it with
   * `proof.root`. False for a wrong length, a path index other than 0/1 or any mismatch.
   */
  static verifyProof(proof: DeviceMerkleProof): boolean {
    if (proof.siblings.length !== DEVICE_TREE_DEPTH || proof.pathIndices.length !== DEVICE_TREE_DEPTH)
      return false;
    let node = proof.leaf;
    for (let i = 0; i < DEVICE_TREE_DEPTH; i++) {
      const bit = proof.pathIndices[i];
      const sibling = proof.siblings[i]!;
      if (bit === 0) node = poseidon2([node, sibling]);
      else if (bit === 1) node = poseidon2([sibling, node]);
      else return false;
    }
    return node === proof.root;
  }

  #resolve(device: bigint | DevicePublicKey | DeviceKey): bigint {
    if (typeof device === "bigint") return device;
    if (device instanceof DeviceKey) return device.deviceId;
    return deviceIdOf(checkPublicKey(device, "publicKey"));
  }
}
