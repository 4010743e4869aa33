import {
  checkPublicKey,
  DEVICE_TREE_CAPACITY,
  type DeviceMerkleProof,
  DeviceRegistryTree,
  deviceIdOf,
} from "@zkiris/device";
import { ZkirisError } from "@zkiris/iris-code";
import {
  ConflictError,
  DeviceStateError,
  InvalidParameterError,
  NotFoundError,
  VoteError,
} from "./errors.js";
import type { DeviceRecord, DeviceRootRecord } from "./repository.js";
import type { ServiceDependencies, WriteLock } from "./service-shared.js";
import { fieldElement } from "./validation.js";

/** Collaborators of {@link DeviceService}. */
export interface DeviceServiceDependencies extends ServiceDependencies {
  readonly writeLock: WriteLock;
  /** How long a replaced device registry root still accepts liveness votes, in milliseconds. */
  readonly deviceRootExpiryMs: number;
}

/**
 * Capture devices and the device registry tree (`DeviceRegistryTree` of `@zkiris/device`), whose
 * one owner this is: registered devices in registration order, revoked ones as 0, rebuilt from
 * the database after every registration or revocation, and the history of its roots.
 */
export class DeviceService {
  readonly #deps: DeviceServiceDependencies;
  #tree = new DeviceRegistryTree();

  constructor(deps: DeviceServiceDependencies) {
    this.#deps = deps;
  }

  /** How long a replaced device root still accepts liveness votes, in milliseconds. */
  get deviceRootExpiryMs(): number {
    return this.#deps.deviceRootExpiryMs;
  }

  /** The current root of the device registry tree (the `deviceRoot` of match proofs). */
  get root(): bigint {
    return this.#tree.root;
  }

  /**
   * Rebuilds the device tree from the stored devices and appends its root to the device-root
   * history when it differs from the latest recorded one (at open, and under the write lock after
   * every registration and revocation).
   */
  async loadTree(): Promise<void> {
    const { repository } = this.#deps;
    const devices = await repository.listDevices();
    this.#tree = DeviceRegistryTree.fromLeaves(
      devices.map((d) => (d.revokedAt === null ? BigInt(d.id) : 0n)),
    );
    // The history of device roots is what liveness votes are checked against (and recounted
    // with): record the tree's root whenever it differs from the latest recorded one.
    const roots = await repository.listDeviceRoots();
    const root = this.#tree.root.toString();
    if (roots[roots.length - 1]?.root !== root) await repository.appendDeviceRoot(root, this.#deps.now());
  }

  /**
   * Registers a capture device by its EdDSA-Poseidon public key `[Ax, Ay]` (bigints or decimal
   * strings). Throws `INVALID_PARAMETER` for a key off the BabyJubJub subgroup, `REGISTRY_FULL`
   * and `DUPLICATE_DEVICE`.
   */
  async registerDevice(publicKey: readonly [bigint | string, bigint | string]): Promise<DeviceRecord> {
    const { repository, lifecycle, writeLock, now } = this.#deps;
    lifecycle.assertOpen();
    if (!Array.isArray(publicKey) || publicKey.length !== 2) {
      throw new InvalidParameterError("publicKey", "Parameter 'publicKey' must be an array [Ax, Ay]");
    }
    const key = [
      fieldElement(publicKey[0], "publicKey[0]"),
      fieldElement(publicKey[1], "publicKey[1]"),
    ] as const;
    try {
      checkPublicKey(key, "publicKey");
    } catch (error) {
      if (ZkirisError.is(error)) {
        throw new InvalidParameterError(error.field ?? "publicKey", error.message, { cause: error });
      }
      throw error;
    }
    return writeLock.run(async () => {
      if ((await repository.listDevices()).length >= DEVICE_TREE_CAPACITY) {
        throw new ConflictError(
          "REGISTRY_FULL",
          `The device registry tree holds at most ${DEVICE_TREE_CAPACITY} devices, revoked ones included`,
          { field: "publicKey" },
        );
      }
      const device = await repository.insertDevice({
        id: deviceIdOf(key).toString(),
        publicKey: [key[0].toString(), key[1].toString()],
        registeredAt: now(),
        revokedAt: null,
      });
      await this.loadTree();
      return device;
    });
  }

  /** A registered device by id, or `UNKNOWN_DEVICE`. */
  async device(deviceId: bigint | string): Promise<DeviceRecord> {
    this.#deps.lifecycle.assertOpen();
    const id = fieldElement(deviceId, "deviceId").toString();
    const device = await this.#deps.repository.getDevice(id);
    if (device === undefined) {
      throw new NotFoundError("UNKNOWN_DEVICE", `Device ${id} is not registered`, { field: "deviceId" });
    }
    return device;
  }

  /** Revokes a device: its captures are refused from now on. Throws `UNKNOWN_DEVICE` or `DEVICE_REVOKED`. */
  async revokeDevice(deviceId: bigint | string): Promise<DeviceRecord> {
    const { repository, writeLock, now } = this.#deps;
    const device = await this.device(deviceId);
    await writeLock.run(async () => {
      if (device.revokedAt !== null || !(await repository.revokeDevice(device.id, now()))) {
        throw new DeviceStateError("DEVICE_REVOKED", `Device ${device.id} is already revoked`, {
          field: "deviceId",
        });
      }
      await this.loadTree();
    });
    return this.device(device.id);
  }

  /**
   * Root of the device registry tree (`DeviceRegistryTree` of `@zkiris/device`: registered devices in
   * registration order, revoked ones as 0), the public `deviceRoot` of match proofs, with the number of
   * used slots and of trusted (not revoked) devices.
   */
  deviceRegistry(): { root: bigint; slots: number; trusted: number } {
    this.#deps.lifecycle.assertOpen();
    return { root: this.#tree.root, slots: this.#tree.usedSlots, trusted: this.#tree.size };
  }

  /** Inclusion proof of a trusted device in the device registry tree, for the match prover; `UNKNOWN_DEVICE`. */
  deviceProof(deviceId: bigint | string): DeviceMerkleProof {
    this.#deps.lifecycle.assertOpen();
    const id = fieldElement(deviceId, "deviceId");
    if (!this.#tree.has(id)) {
      throw new NotFoundError("UNKNOWN_DEVICE", `Device ${id} is not a trusted device of this registry`, {
        field: "deviceId",
      });
    }
    return this.#tree.proof(id);
  }

  /** The device tree's root history, oldest first, from the database. */
  rootHistory(): Promise<DeviceRootRecord[]> {
    return this.#deps.repository.listDeviceRoots();
  }

  /**
   * Checks that a liveness vote's decimal device root is the current root of the device tree or
   * one replaced within `deviceRootExpiryMs` of `now`. Throws `UNKNOWN_DEVICE_ROOT` or
   * `STALE_DEVICE_ROOT` (field `proof.deviceRoot`).
   */
  async checkDeviceRoot(root: string, now: number): Promise<void> {
    const expiry = this.#deps.deviceRootExpiryMs;
    const entries = (await this.#deps.repository.listDeviceRoots()).filter((r) => r.root === root);
    if (entries.length === 0) {
      throw new VoteError(
        "UNKNOWN_DEVICE_ROOT",
        "Field 'proof.deviceRoot' is not a root of this registry's device tree",
        { field: "proof.deviceRoot" },
      );
    }
    if (!entries.some((r) => r.replacedAt === null || now - r.replacedAt <= expiry)) {
      throw new VoteError(
        "STALE_DEVICE_ROOT",
        `Field 'proof.deviceRoot' was replaced more than ${expiry} ms ago (a device was registered or revoked since)`,
        { field: "proof.deviceRoot" },
      );
    }
  }
}
