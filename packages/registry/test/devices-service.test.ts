import { DeviceKey, DeviceRegistryTree, deviceIdOf } from "@zkiris/device";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChallengeService } from "../src/challenges.js";
import { DeviceService } from "../src/devices.js";
import { type ServiceFixture, serviceFixture } from "./service-fixture.js";

const T0 = 1_760_000_000_000;
const ROOT_EXPIRY = 300_000;

describe("DeviceService, alone on a SQLite repository", () => {
  let f: ServiceFixture;
  let devices: DeviceService;
  const a = DeviceKey.fromSeed("device-service-a");
  const b = DeviceKey.fromSeed("device-service-b");

  beforeEach(async () => {
    f = await serviceFixture(T0);
    devices = new DeviceService({ ...f.base, writeLock: f.writeLock, deviceRootExpiryMs: ROOT_EXPIRY });
    await devices.loadTree();
  });
  afterEach(async () => {
    await f.close();
  });

  it("keeps the device tree and its root history in step with registrations and revocations", async () => {
    const empty = new DeviceRegistryTree().root;
    expect(devices.root).toBe(empty);
    await devices.registerDevice(a.publicKey);
    f.setNow(T0 + 10);
    await devices.registerDevice(b.publicKey);
    const idA = deviceIdOf(a.publicKey);
    const idB = deviceIdOf(b.publicKey);
    expect(devices.root).toBe(DeviceRegistryTree.fromLeaves([idA, idB]).root);
    expect(devices.deviceRegistry()).toEqual({ root: devices.root, slots: 2, trusted: 2 });
    f.setNow(T0 + 20);
    expect(await devices.revokeDevice(idA)).toMatchObject({ id: idA.toString(), revokedAt: T0 + 20 });
    expect(devices.root).toBe(DeviceRegistryTree.fromLeaves([0n, idB]).root);
    expect(devices.deviceRegistry()).toMatchObject({ slots: 2, trusted: 1 });
    expect(() => devices.deviceProof(idA)).toThrow(
      expect.objectContaining({ code: "UNKNOWN_DEVICE", field: "deviceId" }),
    );
    expect(devices.deviceProof(idB).root).toBe(devices.root);
    expect((await devices.rootHistory()).map((r) => [r.createdAt, r.replacedAt])).toEqual([
      [T0, T0],
      [T0, T0 + 10],
      [T0 + 10, T0 + 20],
      [T0 + 20, null],
    ]);
    // Reloading the tree from the same devices records no new root.
    await devices.loadTree();
    expect(await devices.rootHistory()).toHaveLength(4);
  });

  it("refuses a second registration, a second revocation and an unknown device", async () => {
    await devices.registerDevice(a.publicKey);
    await expect(devices.registerDevice(a.publicKey)).rejects.toMatchObject({ code: "DUPLICATE_DEVICE" });
    await devices.revokeDevice(deviceIdOf(a.publicKey));
    await expect(devices.revokeDevice(deviceIdOf(a.publicKey))).rejects.toMatchObject({
      code: "DEVICE_REVOKED",
      message: `Device ${deviceIdOf(a.publicKey)} is already revoked`,
    });
    await expect(devices.device(5n)).rejects.toMatchObject({
      code: "UNKNOWN_DEVICE",
      message: "Device 5 is not registered",
    });
    await expect(devices.registerDevice([1n, 2n])).rejects.toMatchObject({ code: "INVALID_PARAMETER" });
  });

  it("accepts a replaced device root for deviceRootExpiryMs and refuses it after with STALE_DEVICE_ROOT", async () => {
    await devices.registerDevice(a.publicKey);
    const old = devices.root.toString();
    f.setNow(T0 + 1000);
    await devices.registerDevice(b.publicKey);
    await devices.checkDeviceRoot(devices.root.toString(), T0 + 10 ** 9);
    await devices.checkDeviceRoot(old, T0 + 1000 + ROOT_EXPIRY);
    await expect(devices.checkDeviceRoot(old, T0 + 1001 + ROOT_EXPIRY)).rejects.toMatchObject({
      code: "STALE_DEVICE_ROOT",
      message: `Field 'proof.deviceRoot' was replaced more than ${ROOT_EXPIRY} ms ago (a device was registered or revoked since)`,
      field: "proof.deviceRoot",
    });
    await expect(devices.checkDeviceRoot("12345", T0)).rejects.toMatchObject({
      code: "UNKNOWN_DEVICE_ROOT",
      field: "proof.deviceRoot",
    });
  });
});

describe("ChallengeService, alone on a SQLite repository", () => {
  let f: ServiceFixture;
  let challenges: ChallengeService;

  beforeEach(async () => {
    f = await serviceFixture(T0);
    challenges = new ChallengeService({ ...f.base, challengeTtlMs: 1000 });
  });
  afterEach(async () => {
    await f.close();
  });

  it("issues a stored challenge that may be consumed until it expires, then prunes it", async () => {
    const { challenge, expiresAt } = await challenges.issueChallenge();
    expect(expiresAt).toBe(T0 + 1000);
    expect(await f.repository.getChallenge(challenge.toString())).toEqual({
      value: challenge.toString(),
      issuedAt: T0,
      expiresAt,
      usedAt: null,
    });
    expect(await challenges.refusal(challenge.toString(), T0 + 999)).toBeUndefined();
    expect(await challenges.refusal(challenge.toString(), T0 + 1000)).toMatchObject({
      code: "CHALLENGE_EXPIRED",
      field: "capture.challenge",
    });
    f.setNow(T0 + 1000);
    // Without a time, the refusal reads the clock.
    expect(await challenges.refusal(challenge.toString())).toMatchObject({ code: "CHALLENGE_EXPIRED" });
    expect(await challenges.pruneChallenges()).toBe(1);
    expect(await challenges.refusal(challenge.toString())).toMatchObject({
      code: "UNKNOWN_CHALLENGE",
      message: "Field 'capture.challenge' was not issued by this registry",
    });
  });

  it("refuses to issue once the registry's lifecycle is closed", async () => {
    f.lifecycle.close();
    await expect(challenges.issueChallenge()).rejects.toMatchObject({ code: "CLOSED" });
    await expect(challenges.pruneChallenges()).rejects.toMatchObject({ code: "CLOSED" });
  });
});
