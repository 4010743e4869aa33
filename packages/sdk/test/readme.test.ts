import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DeviceKey, signCapture } from "@zkiris/device";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as sdk from "../src/index.js";
import { ZkirisClient } from "../src/index.js";
import { ADMIN_TOKEN, randomCode, startTestService, type TestService } from "./helpers.js";

const testDir = fileURLToPath(new URL(".", import.meta.url));
const readme = readFileSync(join(testDir, "..", "README.md"), "utf8");

function usageBlock(): string {
  const begin = readme.indexOf("<!-- usage:begin");
  const end = readme.indexOf("<!-- usage:end -->");
  expect(begin).toBeGreaterThan(0);
  const block = /```ts\n([\s\S]*?)\n```/.exec(readme.slice(begin, end));
  expect(block).not.toBeNull();
  return block![1]!;
}

describe("README", () => {
  let service: TestService;
  const key = DeviceKey.fromSeed("sdk-readme-device");
  const file = join(testDir, `.readme-example-${process.pid}.ts`);

  beforeAll(async () => {
    service = await startTestService();
    const operator = new ZkirisClient({ baseUrl: service.server.url, adminToken: ADMIN_TOKEN });
    await operator.registerDevice(key.publicKey);
    await operator.createGroup({ id: "citizens", kind: "plain" });
    await operator.createPoll({
      id: "budget-2027",
      groupId: "citizens",
      options: ["no", "yes"],
      opensAt: Date.now() - 1000,
      closesAt: Date.now() + 3_600_000,
    });
    await operator.close();
  });

  afterAll(async () => {
    rmSync(file, { force: true });
    await service?.close();
  });

  it("runs the quick start against a real server: enrolment, a vote, the tally and a verified action", async () => {
    const code = usageBlock();
    expect(code).toContain('baseUrl: "http://127.0.0.1:8080"');
    // The block's capture device is a seeded test device; the server is the one started above.
    (globalThis as { zkirisReadmeBridge?: unknown }).zkirisReadmeBridge = {
      signedCapture: async (challenge: bigint) => signCapture(key, randomCode(500), challenge, { focus: 1 }),
    };
    writeFileSync(
      file,
      `const bridge = (globalThis as any).zkirisReadmeBridge;\n${code.replace("http://127.0.0.1:8080", service.server.url)}\nexport { action, enrolment, identity, receipt, saved, tally };\n`,
    );
    const ran = await import(/* @vite-ignore */ file);
    expect(ran.enrolment).toMatchObject({
      groupId: "citizens",
      memberIndex: 0,
      leaf: ran.identity.commitment,
    });
    expect(sdk.restoreIdentity(ran.saved).commitment).toBe(ran.identity.commitment);
    expect(ran.receipt).toMatchObject({ pollId: "budget-2027", option: 1 });
    expect(ran.tally).toEqual({ pollId: "budget-2027", options: ["no", "yes"], counts: [0, 1], total: 1 });
    expect(ran.action).toMatchObject({ scope: 2027n, message: 1n, merkleTreeDepth: 1 });
  });

  it("lists every export of both entries in its API table", async () => {
    const node = await import("../src/node.js");
    const documented = (name: string) => readme.includes(`\`${name}`) || readme.includes(`${name}(`);
    const values = [...Object.keys(sdk), ...Object.keys(node)].filter((name) => name !== "FIELD_ORDER");
    expect(values.filter((name) => !documented(name))).toEqual([]);
    expect(values.length).toBeGreaterThan(15);
  });
});
