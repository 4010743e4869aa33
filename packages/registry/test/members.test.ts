import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Group } from "@semaphore-protocol/group";
import { DeviceKey } from "@zkiris/device";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { groupFromMembers, Registry } from "../src/index.js";
import { enrolmentRequest, randomCode, sqliteDatabase, type TestDatabase } from "./helpers.js";

const device = DeviceKey.fromSeed("members-device");

describe("the members list of a group with removed members", () => {
  let db: TestDatabase;
  let registry: Registry;
  const open = () => Registry.open({ database: db.location, searchWorkers: 0, verifierWorkers: 1 });

  beforeAll(async () => {
    db = sqliteDatabase();
    registry = await open();
    await registry.registerDevice(device.publicKey);
    await registry.createGroup({ id: "citizens", kind: "plain" });
    for (let i = 0; i < 5; i++) {
      await registry.enrol(await enrolmentRequest(registry, device, randomCode(700 + i), 7001n + BigInt(i)));
    }
    await registry.removeMember("citizens", 1);
    await registry.removeMember("citizens", 4);
  });

  afterAll(async () => {
    await registry?.close();
    await db?.drop();
  });

  it("is tested against stock @semaphore-protocol/group 4.13", () => {
    const require = createRequire(import.meta.url);
    const entry = require.resolve("@semaphore-protocol/group");
    const manifest = JSON.parse(readFileSync(join(dirname(entry), "..", "package.json"), "utf8"));
    expect(manifest.name).toBe("@semaphore-protocol/group");
    expect(manifest.version).toMatch(/^4\.13\./);
  });

  it("serves the leaves with 0 at removed indices and the list of those indices", () => {
    expect(registry.memberList("citizens")).toEqual({
      members: [7001n, 0n, 7003n, 7004n, 0n],
      removed: [1, 4],
    });
    expect(() => registry.memberList("nobody")).toThrow(expect.objectContaining({ code: "UNKNOWN_GROUP" }));
  });

  it("is refused by new Group(members) as served, which is why the removed indices are served too", () => {
    expect(() => new Group(registry.memberList("citizens").members)).toThrow(
      "Failed to add member: value cannot be 0",
    );
  });

  it("rebuilds the registry's root with stock Group: placeholders at removed indices, then removeMember", async () => {
    const list = registry.memberList("citizens");
    // The documented recipe, with nothing but the stock package.
    const group = new Group(list.members.map((leaf, i) => (list.removed.includes(i) ? 1n : leaf)));
    for (const index of list.removed) group.removeMember(index);
    expect(group.root).toBe(registry.group("citizens").root);
    expect(group.members).toEqual(registry.members("citizens"));
    expect(groupFromMembers(list).root).toBe(registry.group("citizens").root);
    // The same after a restart, when the registry's tree comes from the database.
    await registry.close();
    registry = await open();
    expect(groupFromMembers(registry.memberList("citizens")).root).toBe(registry.group("citizens").root);
    expect(groupFromMembers(registry.memberList("citizens")).generateMerkleProof(2)).toEqual(
      registry.merkleProof("citizens", 2),
    );
  });

  it("refuses a list whose removed indices do not name exactly its 0 leaves", () => {
    expect(() => groupFromMembers({ members: [5n, 0n], removed: [] })).toThrow(
      expect.objectContaining({ code: "INVALID_PARAMETER", field: "list.members[1]" }),
    );
    expect(() => groupFromMembers({ members: [5n, 0n], removed: [0, 1] })).toThrow(
      expect.objectContaining({ code: "INVALID_PARAMETER", field: "list.removed[0]" }),
    );
    expect(() => groupFromMembers({ members: [5n, 0n], removed: [2] })).toThrow(
      expect.objectContaining({ code: "INVALID_PARAMETER", field: "list.removed[0]" }),
    );
    expect(() => groupFromMembers({ members: ["5"] as never, removed: [] })).toThrow(
      expect.objectContaining({ code: "INVALID_PARAMETER", field: "list.members[0]" }),
    );
    expect(() => groupFromMembers({ members: [] } as never)).toThrow(
      expect.objectContaining({ code: "INVALID_PARAMETER", field: "list" }),
    );
    expect(groupFromMembers({ members: [], removed: [] }).root).toBe(new Group().root);
  });
});
