import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { poseidon2, poseidon3 } from "poseidon-lite";
import { describe, expect, it } from "vitest";
import { README_BEGIN, README_END, renderReadmeExample } from "../scripts/readme-example.js";
import {
  CAPTURE_ENVELOPE_TAG,
  DeviceKey,
  parseCapturePacket,
  serializeCapturePacket,
  verifyCapture,
} from "../src/index.js";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const readme = readFileSync(join(packageDir, "README.md"), "utf8");

function between(text: string, begin: string, end: string): string {
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  expect(i).toBeGreaterThanOrEqual(0);
  expect(j).toBeGreaterThan(i);
  return text.slice(i, j + end.length);
}

function codeBlocks(text: string, language: string): string[] {
  const re = new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\\n\`\`\``, "g");
  return [...text.matchAll(re)].map((m) => m[1]!);
}

describe("README", () => {
  const generated = between(readme, README_BEGIN, README_END);

  it("holds exactly the test vectors the code generates today", () => {
    expect(generated).toBe(renderReadmeExample());
  });

  it("shows packets that verify, from the seeded example device and for their own challenge", () => {
    const key = DeviceKey.fromSeed("zkiris-readme-device");
    const packets = codeBlocks(generated, "json");
    expect(packets).toHaveLength(2);
    for (const text of packets) {
      const json = JSON.parse(text);
      const v = verifyCapture(text, {
        expectedChallenge: BigInt(json.challenge),
        trustedDevices: [key.publicKey],
      });
      expect(v.deviceId).toBe(key.deviceId);
      expect(serializeCapturePacket(parseCapturePacket(text))).toBe(JSON.stringify(json));
    }
  });

  it("lists step-by-step values for vector A that Poseidon recomputes independently", () => {
    const lines = codeBlocks(generated, "text")[0]!.split("\n");
    const value = (name: string): string => {
      const line = lines.find((l) => l.startsWith(name));
      expect(line, name).toBeDefined();
      // Names are padded to 22 columns, then "= value".
      return line!.slice(line!.indexOf("= ", 21) + 2).trim();
    };
    const num = (name: string): bigint => BigInt(value(name));
    const key = DeviceKey.fromPrivateKey(value("privateKey (hex)"));
    expect(key.publicKey).toEqual([num("Ax "), num("Ay ")]);
    expect(num("deviceId")).toBe(poseidon2([num("Ax "), num("Ay ")]));
    expect(value("bit elements (rows)")).toBe("[92, 242]");
    expect(value("probe bits (hex)").startsWith("5cf2 ")).toBe(true);
    // 0x5c = 92 and 0xf2 = 242: each 8-bit row is one element, first bit most significant.
    expect(num("hash(bits)")).toBe(poseidon2([92n, 242n]));
    expect(num("hash(mask)")).toBe(poseidon2([253n, 251n]));
    expect(num("probeCommitment Cp")).toBe(poseidon2([num("hash(bits)"), num("hash(mask)")]));
    const m = poseidon2([num("probeCommitment Cp"), num("challenge")]);
    expect(num("M = P2(Cp, challenge)")).toBe(m);
    expect(num("E = P3(tag, M, ts)")).toBe(poseidon3([CAPTURE_ENVELOPE_TAG, m, num("timestamp")]));
    const signature = key.sign(m);
    expect(value("signature.S")).toBe(signature.S.toString());
    expect(value("signature.R8")).toBe(`[${signature.R8[0]}, ${signature.R8[1]}]`);
  });

  it("has a usage example that runs", async () => {
    const usage = between(readme, "<!-- usage:begin", "<!-- usage:end -->");
    const [code] = codeBlocks(usage, "ts");
    expect(code).toContain("verifyCapture(line");
    // Inside the package's node_modules so that "@zkiris/device" resolves like in a user's project.
    const dir = mkdtempSync(join(packageDir, "node_modules", ".readme-usage-"));
    try {
      const file = join(dir, "usage.ts");
      writeFileSync(file, `${code}\nexport const ok = true;\n`);
      const mod = await import(/* @vite-ignore */ pathToFileURL(file).href);
      expect(mod.ok).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
