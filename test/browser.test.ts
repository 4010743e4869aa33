import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  DeviceKey,
  DeviceRegistryTree,
  serializeCapturePacket,
  signCapture,
  verifyCapture,
} from "@zkiris/device";
import {
  bitCount,
  DEFAULT_PROFILE,
  IrisCode,
  randomSalt,
  shiftColumns,
  templateCommitment,
  toJson,
} from "@zkiris/iris-code";
import { loadMatchArtifacts, proveMatch } from "@zkiris/match-proof";
import { chromiumPath, needs, requirement } from "@zkiris/test-kit";
import { build } from "esbuild";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const artifactsDir = join(root, "circuits", "artifacts", "iris_match");
const headless = requirement("chromium");

/** Bundles what a web page imports, for browsers, from the workspace sources. */
async function bundleForBrowser(): Promise<string> {
  const result = await build({
    entryPoints: [join(root, "test", "browser", "entry.ts")],
    bundle: true,
    platform: "browser",
    format: "esm",
    conditions: ["zkiris-source"],
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0]!.text;
}

describe("bundling for browsers", () => {
  it("bundles iris-code, device and match-proof verification without Node built-ins", async () => {
    const code = await bundleForBrowser();
    expect(code.length).toBeGreaterThan(100_000);
    expect(code).not.toMatch(/require\(["']node:/);
  });
});

describe.skipIf(!headless.available)(needs(headless, "in headless Chromium"), () => {
  let server: Server;
  let browser: Browser;
  let baseUrl: string;
  let fixture: {
    packet: string;
    tamperedPacket: string;
    proof: unknown;
    templateCommitment: string;
    challenge: string;
    deviceRoot: string;
    template: unknown;
  };

  beforeAll(async () => {
    // A user's enrolled template, a device-signed fresh capture and a match proof, made in Node.
    const g = DEFAULT_PROFILE.geometry;
    const n = bitCount(g);
    const random = new Uint8Array(n);
    globalThis.crypto.getRandomValues(random);
    const template = IrisCode.fullyUsable(
      g,
      Array.from(random, (b) => b & 1),
    );
    const noisy = template.bitValues();
    for (let i = 0; i < n; i += 9) noisy[i] = 1 - noisy[i]!;
    const probe = shiftColumns(IrisCode.fullyUsable(g, noisy), 2);
    const device = DeviceKey.fromSeed("browser-test-device");
    const devices = new DeviceRegistryTree();
    devices.add(device.publicKey);
    const challenge = randomSalt();
    const salt = randomSalt();
    const packet = signCapture(device, probe, challenge, { sharpness: 0.9 });
    const artifacts = await loadMatchArtifacts(artifactsDir);
    const proof = await proveMatch(
      {
        template,
        salt,
        probe,
        signature: verifyCapture(packet, { expectedChallenge: challenge }).signature,
        devicePublicKey: device.publicKey,
        deviceProof: devices.proof(device.deviceId),
        challenge,
      },
      { artifacts },
    );
    await artifacts.close();
    const packetText = serializeCapturePacket(packet);
    const parsed = JSON.parse(packetText);
    const bytes = Buffer.from(parsed.probe.bits, "base64");
    bytes[0]! ^= 0x80;
    parsed.probe.bits = bytes.toString("base64");
    fixture = {
      packet: packetText,
      tamperedPacket: JSON.stringify(parsed),
      proof: { proof: proof.proof, publicSignals: proof.publicSignals },
      templateCommitment: String(templateCommitment(template, salt)),
      challenge: String(challenge),
      deviceRoot: String(devices.root),
      template: toJson(template),
    };

    const bundle = await bundleForBrowser();
    server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://localhost");
      if (url.pathname === "/") {
        res.setHeader("content-type", "text/html");
        res.end(
          '<!doctype html><meta charset="utf-8"><title>zkiris</title><script type="module" src="/bundle.js"></script>',
        );
      } else if (url.pathname === "/bundle.js") {
        res.setHeader("content-type", "text/javascript");
        res.end(bundle);
      } else if (/^\/artifacts\/(manifest|verification_key)\.json$/.test(url.pathname)) {
        res.setHeader("content-type", "application/json");
        res.end(readFileSync(join(artifactsDir, url.pathname.slice("/artifacts/".length))));
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: chromiumPath(),
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
      ],
    });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  it("verifies a device-signed capture and a match proof in the page, and refuses forgeries", async () => {
    const page = await browser.newPage();
    await page.goto(`${baseUrl}/`);
    await page.waitForFunction(() => "zkiris" in globalThis);
    const result = await page.evaluate(async (f) => {
      // biome-ignore lint/suspicious/noExplicitAny: the bundle's global, typed by entry.ts
      const z = (globalThis as any).zkiris;
      const artifacts = await z.fetchMatchArtifacts(`${location.origin}/artifacts/`, { verifyOnly: true });
      const expected = {
        templateCommitment: BigInt(f.templateCommitment),
        challenge: BigInt(f.challenge),
        deviceRoot: BigInt(f.deviceRoot),
      };
      const valid = await z.verifyMatch(f.proof, expected, { artifacts });
      const otherChallenge = await z.verifyMatch(
        f.proof,
        { ...expected, challenge: expected.challenge + 1n },
        { artifacts },
      );
      const forged = structuredClone(f.proof) as { proof: { pi_a: string[] } };
      forged.proof.pi_a[0] = String(BigInt(forged.proof.pi_a[0]!) + 1n);
      let forgedResult: string;
      try {
        forgedResult = String(await z.verifyMatch(forged, expected, { artifacts }));
      } catch (error) {
        forgedResult = (error as { code?: string }).code ?? "threw";
      }
      await artifacts.close();
      const capture = z.verifyCapture(z.parseCapturePacket(f.packet), {
        expectedChallenge: BigInt(f.challenge),
      });
      const distance = z.matchCodes(z.fromJson(f.template), capture.probe, z.DEFAULT_PROFILE);
      let tampered = "accepted";
      try {
        z.verifyCapture(z.parseCapturePacket(f.tamperedPacket), { expectedChallenge: BigInt(f.challenge) });
      } catch (error) {
        tampered = (error as { code?: string }).code ?? "threw";
      }
      return { valid, otherChallenge, forgedResult, match: distance.match, shift: distance.shift, tampered };
    }, fixture);
    expect(result).toEqual({
      valid: true,
      otherChallenge: false,
      forgedResult: "false",
      match: true,
      shift: -2,
      tampered: "INVALID_SIGNATURE",
    });
    await page.close();
  });
});
