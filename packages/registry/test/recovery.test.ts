import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DeviceKey, DeviceRegistryTree, signCapture, verifyCapture } from "@zkiris/device";
import { DEFAULT_PROFILE, poseidon } from "@zkiris/iris-code";
import { loadMatchArtifacts, type MatchArtifacts, proveMatch } from "@zkiris/match-proof";
import { needs, requirement } from "@zkiris/test-kit";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Registry } from "../src/index.js";
import { enrolmentRequest, randomCode, recapture, sqliteDatabase, type TestDatabase } from "./helpers.js";

const here = dirname(fileURLToPath(import.meta.url));
const MATCH_ARTIFACTS = join(here, "..", "..", "..", "circuits", "artifacts", "iris_match");
const ARTIFACTS = requirement("match-artifacts");

const keys = [
  DeviceKey.fromSeed("recovery-device-0"),
  DeviceKey.fromSeed("recovery-device-1"),
  DeviceKey.fromSeed("recovery-device-2"),
];

describe("device registry tree", () => {
  let db: TestDatabase;
  let registry: Registry;

  beforeEach(async () => {
    db = sqliteDatabase();
    registry = await Registry.open({ database: db.location, searchWorkers: 0, verifierWorkers: 1 });
  });

  afterEach(async () => {
    await registry.close();
    await db.drop();
  });

  it("holds the registered devices in registration order, revoked ones as 0, across restarts", async () => {
    for (const key of keys) await registry.registerDevice(key.publicKey);
    const tree = new DeviceRegistryTree();
    for (const key of keys) tree.add(key);
    expect(registry.deviceRegistry()).toEqual({ root: tree.root, slots: 3, trusted: 3 });
    const proof = registry.deviceProof(keys[1]!.deviceId);
    expect(proof).toEqual(tree.proof(keys[1]!.deviceId));
    expect(DeviceRegistryTree.verifyProof(proof)).toBe(true);
    await registry.revokeDevice(keys[1]!.deviceId);
    tree.revoke(keys[1]!);
    expect(registry.deviceRegistry().root).toBe(tree.root);
    expect(() => registry.deviceProof(keys[1]!.deviceId)).toThrow(
      expect.objectContaining({ code: "UNKNOWN_DEVICE" }),
    );
    await registry.close();
    registry = await Registry.open({ database: db.location, searchWorkers: 0, verifierWorkers: 1 });
    expect(registry.deviceRegistry()).toEqual({ root: tree.root, slots: 3, trusted: 2 });
  });

  it("refuses a recovery when no match artifacts are configured", async () => {
    await expect(
      registry.recoverMember({
        groupId: "g",
        memberIndex: 0,
        newIdentityCommitment: 5n,
        matchProof: { proof: {} as never, publicSignals: ["1", "2", "3"] },
      }),
    ).rejects.toMatchObject({ code: "RECOVERY_UNAVAILABLE" });
  });
});

describe.skipIf(!ARTIFACTS.available)(needs(ARTIFACTS, "biometric recovery with a real match proof"), () => {
  let db: TestDatabase;
  let registry: Registry;
  let artifacts: MatchArtifacts;
  const key = keys[0]!;
  const template = randomCode(900, 0.05);
  const salt = 31337n;

  beforeAll(async () => {
    artifacts = await loadMatchArtifacts(MATCH_ARTIFACTS);
    db = sqliteDatabase();
    registry = await Registry.open({
      database: db.location,
      profile: { ...DEFAULT_PROFILE, ...artifacts.profile },
      searchWorkers: 0,
      verifierWorkers: 1,
      matchArtifacts: artifacts,
    });
    await registry.registerDevice(key.publicKey);
    await registry.registerDevice(keys[2]!.publicKey);
    await registry.createGroup({ id: "bio", kind: "biometric" });
    await registry.enrol(await enrolmentRequest(registry, key, template, 111n, { groupId: "bio", salt }));
    await registry.enrol(
      await enrolmentRequest(registry, key, randomCode(901), 222n, { groupId: "bio", salt: 5n }),
    );
  }, 120_000);

  afterAll(async () => {
    await registry?.close();
    await db?.drop();
    await artifacts?.close();
  });

  async function freshMatchProof() {
    const probe = recapture(template, 77, 0.05, 2);
    const { challenge } = await registry.issueChallenge();
    const capture = verifyCapture(signCapture(key, probe, challenge, {}));
    return proveMatch(
      {
        template,
        salt,
        probe,
        signature: capture.signature,
        devicePublicKey: key.publicKey,
        deviceProof: registry.deviceProof(key.deviceId),
        challenge,
      },
      { artifacts },
    );
  }

  it("replaces the member's leaf after a match proof, consumes its challenge and refuses its replay", async () => {
    const matchProof = await freshMatchProof();
    await expect(
      registry.recoverMember({ groupId: "bio", memberIndex: 1, newIdentityCommitment: 333n, matchProof }),
    ).rejects.toMatchObject({ code: "INVALID_PROOF", field: "matchProof" });
    const receipt = await registry.recoverMember({
      groupId: "bio",
      memberIndex: 0,
      newIdentityCommitment: 333n,
      matchProof,
    });
    const leaf = poseidon([333n, matchProof.templateCommitment]);
    expect(receipt).toEqual({ groupId: "bio", memberIndex: 0, leaf, root: registry.group("bio").root });
    expect(registry.members("bio")[0]).toBe(leaf);
    await expect(
      registry.recoverMember({ groupId: "bio", memberIndex: 0, newIdentityCommitment: 444n, matchProof }),
    ).rejects.toMatchObject({ code: "CHALLENGE_REPLAYED", field: "matchProof.publicSignals[1]" });
    await registry.close();
    registry = await Registry.open({
      database: db.location,
      profile: { ...DEFAULT_PROFILE, ...artifacts.profile },
      searchWorkers: 0,
      verifierWorkers: 1,
      matchArtifacts: artifacts,
    });
    expect(registry.members("bio")[0]).toBe(leaf);
  }, 300_000);

  it("refuses an identity already in the group, then a proof made before the device tree changed", async () => {
    const matchProof = await freshMatchProof();
    const before = registry.group("bio").root;
    await expect(
      registry.recoverMember({ groupId: "bio", memberIndex: 0, newIdentityCommitment: 222n, matchProof }),
    ).rejects.toMatchObject({ code: "DUPLICATE_MEMBER", field: "newIdentityCommitment" });
    await registry.revokeDevice(keys[2]!.deviceId);
    await expect(
      registry.recoverMember({ groupId: "bio", memberIndex: 0, newIdentityCommitment: 555n, matchProof }),
    ).rejects.toMatchObject({ code: "INVALID_PROOF", field: "matchProof" });
    await expect(
      registry.recoverMember({
        groupId: "bio",
        memberIndex: 0,
        newIdentityCommitment: 555n,
        matchProof: { ...matchProof, publicSignals: matchProof.publicSignals.slice(0, 2) },
      }),
    ).rejects.toMatchObject({ code: "INVALID_PARAMETER", field: "matchProof.publicSignals" });
    await expect(
      registry.recoverMember({ groupId: "bio", memberIndex: 7, newIdentityCommitment: 555n, matchProof }),
    ).rejects.toMatchObject({ code: "UNKNOWN_MEMBER" });
    expect(registry.group("bio").root).toBe(before);
  }, 300_000);
});
