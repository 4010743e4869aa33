// The voting web app end to end: the page of examples/voting-web built with Vite into a temporary
// directory, served by the real zkiris server (embedded SQLite) next to the API with the proving
// artifacts, and driven in headless Chromium by three voters, each in a browser context of their
// own. Captures come from the mock device (synthetic eye images from @zkiris/mock-capture, encoded
// by @zkiris/encoder) signed by a device key registered through the admin API. Every proof is
// made in the page's Web Worker; the test watches every request the pages make and saves a
// screenshot at each step in test-results/voting-web/.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DeviceKey, serializeCapturePacket, signCapture } from "@zkiris/device";
import { IrisEncoder } from "@zkiris/encoder";
import { DEFAULT_PROFILE, type IrisCode } from "@zkiris/iris-code";
import { loadLivenessVoteArtifacts } from "@zkiris/match-proof";
import { renderCapture } from "@zkiris/mock-capture";
import { Registry } from "@zkiris/registry";
import { ZkirisClient } from "@zkiris/sdk";
import { startServer, type ZkirisServer } from "@zkiris/server";
import { chromiumPath, needs, requirement } from "@zkiris/test-kit";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const webDir = join(root, "examples", "voting-web");
const livenessDir = join(root, "circuits", "artifacts", "liveness_vote");
const shots = join(root, "test-results", "voting-web");
const headless = requirement("chromium");
const ADMIN_TOKEN = "voting-web-admin-token-0123456789";
const PROOF_TIMEOUT = 120_000;

describe.skipIf(!headless.available)(needs(headless, "the voting web app in headless Chromium"), () => {
  let dir: string;
  let registry: Registry;
  let server: ZkirisServer;
  let operator: ZkirisClient;
  let browser: Browser;
  let encoder: IrisEncoder;
  const device = DeviceKey.fromSeed("voting-web-mock-device");
  const requests: string[] = [];
  const pageErrors: string[] = [];
  const contexts: BrowserContext[] = [];
  const voters = new Map<string, Page>();
  let step = 0;

  /** The mock device: renders a frame of the subject's eye, encodes it and signs it for the challenge. */
  async function capture(
    subject: string,
    frame: string,
    challenge: bigint,
  ): Promise<{ code: IrisCode; file: Buffer }> {
    const image = renderCapture(subject, frame);
    const { code, quality } = await encoder.encode({
      width: image.width,
      height: image.height,
      data: image.pixels,
    });
    const packet = signCapture(device, code, challenge, {
      usableFraction: quality.usableFraction,
      sharpness: quality.sharpness,
      pupilIrisRatio: quality.pupilIrisRatio,
    });
    return { code, file: Buffer.from(serializeCapturePacket(packet)) };
  }

  async function screenshot(page: Page, name: string): Promise<void> {
    step += 1;
    await page.screenshot({
      path: join(shots, `${String(step).padStart(2, "0")}-${name}.png`),
      fullPage: true,
    });
  }

  async function openVoter(name: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    contexts.push(context);
    context.on("request", (request) => requests.push(request.url()));
    const page = await context.newPage();
    page.on("pageerror", (e) => pageErrors.push(`${name}: ${e.message}`));
    await page.goto(`${server.url}/`);
    await page.waitForSelector("body[data-ready=true]");
    await page.click("#create-identity");
    await expect.poll(() => page.textContent("#identity-commitment")).toMatch(/^\d+$/);
    voters.set(name, page);
    return page;
  }

  async function enrol(page: Page, groupId: string, subject: string): Promise<IrisCode> {
    await page.selectOption("#enrol-group", groupId);
    await page.click("#get-challenge");
    await expect.poll(() => page.textContent("#enrol-challenge")).toMatch(/^\d+$/);
    const challenge = BigInt((await page.textContent("#enrol-challenge"))!);
    // The device retakes a frame whose code has fewer usable bits than the registry's enrolment
    // floor, as a capture app would (the frames are seeded, so the retakes are the same every run).
    const floor = DEFAULT_PROFILE.deduplication.enrolmentMinUsableBits;
    let taken = await capture(subject, "enrolment", challenge);
    for (let retake = 1; taken.code.usableBitCount() < floor && retake <= 4; retake++)
      taken = await capture(subject, `enrolment-retake-${retake}`, challenge);
    expect(taken.code.usableBitCount()).toBeGreaterThanOrEqual(floor);
    const { code, file } = taken;
    await page.setInputFiles("#enrol-packet", {
      name: `${subject}.json`,
      mimeType: "application/json",
      buffer: file,
    });
    await page.click("#enrol-button");
    await page.waitForSelector("#enrol-status.ok", { timeout: 60_000 });
    return code;
  }

  async function vote(page: Page, pollId: string, option: number): Promise<string> {
    const poll = `[data-poll="${pollId}"]`;
    await page.check(`${poll} input[name="option-${pollId}"][value="${option}"]`);
    await page.click(`${poll} button.vote`);
    await page.waitForFunction(
      (selector) => /accepted|refused/.test(document.querySelector(selector)?.textContent ?? ""),
      `${poll} .vote-status`,
      { timeout: PROOF_TIMEOUT },
    );
    const status = (await page.textContent(`${poll} .vote-status`))!;
    const stages = await page.$$eval("#stages li", (els) => els.map((e) => e.textContent?.trim()));
    console.log(`${pollId} option ${option}: ${status} | ${stages.join(" | ")}`);
    return status;
  }

  const counts = async (page: Page, pollId: string) => {
    await page.click("#refresh");
    await page.waitForTimeout(300);
    return page.$$eval(`[data-poll="${pollId}"] .bar .count`, (els) => els.map((e) => Number(e.textContent)));
  };

  beforeAll(async () => {
    rmSync(shots, { recursive: true, force: true });
    mkdirSync(shots, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), "zkiris-voting-web-"));
    const webRoot = join(dir, "web");
    await build({
      configFile: join(webDir, "vite.config.ts"),
      build: { outDir: webRoot, emptyOutDir: true },
    });
    registry = await Registry.open({
      database: join(dir, "registry.sqlite"),
      searchWorkers: 0,
      verifierWorkers: 1,
      livenessArtifacts: await loadLivenessVoteArtifacts(livenessDir, { verifyOnly: true }),
    });
    server = await startServer(registry, {
      adminToken: ADMIN_TOKEN,
      rateLimit: false,
      log: false,
      web: {
        root: webRoot,
        semaphoreArtifacts: dirname(
          createRequire(import.meta.url).resolve("@zk-kit/semaphore-artifacts/package.json"),
        ),
        livenessArtifacts: livenessDir,
      },
    });
    operator = new ZkirisClient({ baseUrl: server.url, adminToken: ADMIN_TOKEN });
    await operator.registerDevice(device.publicKey);
    await operator.createGroup({ id: "citizens", kind: "plain" });
    await operator.createGroup({ id: "residents", kind: "biometric" });
    const window = { opensAt: Date.now() - 1000, closesAt: Date.now() + 3_600_000 };
    await operator.createPoll({
      id: "budget-2027",
      groupId: "citizens",
      options: ["parks", "buses"],
      ...window,
    });
    await operator.createPoll({
      id: "night-buses",
      groupId: "residents",
      options: ["yes", "no"],
      requireLiveness: true,
      ...window,
    });
    encoder = await IrisEncoder.create();
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
  }, 180_000);

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    encoder?.close();
    await operator?.close();
    await server?.close();
    await registry?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("serves the page and the pinned artifacts next to the API, with content types and cache headers", async () => {
    const page = await fetch(`${server.url}/web/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("cache-control")).toBe("no-cache");
    expect(page.headers.get("content-security-policy")).toContain("connect-src 'self'");
    const wasm = await fetch(`${server.url}/web/artifacts/liveness_vote/liveness_vote.wasm`, {
      method: "HEAD",
    });
    expect([wasm.status, wasm.headers.get("content-type"), wasm.headers.get("cache-control")]).toEqual([
      200,
      "application/wasm",
      "public, max-age=86400",
    ]);
    const semaphore = await fetch(`${server.url}/web/artifacts/semaphore/semaphore-1.wasm`, {
      method: "HEAD",
    });
    expect([semaphore.status, semaphore.headers.get("content-type")]).toEqual([200, "application/wasm"]);
    // Only the artifacts: nothing else of those directories, no listing.
    for (const path of [
      "/web/artifacts/semaphore/package.json",
      "/web/artifacts/liveness_vote/Verifier.sol",
      "/web/artifacts/liveness_vote/",
    ]) {
      expect([path, (await fetch(`${server.url}${path}`)).status]).toEqual([path, 404]);
    }
    const redirect = await fetch(`${server.url}/`, { redirect: "manual" });
    expect([redirect.status, redirect.headers.get("location")]).toEqual([302, "/web/"]);
    expect(server.routes.some((r) => r.includes("/web"))).toBe(false);
    expect((await fetch(`${server.url}/polls`)).status).toBe(200);
  });

  it("keeps the identity in the browser: exported and imported into another browser", async () => {
    const alice = await openVoter("alice");
    await alice.click("#export-identity");
    const exported = await alice.inputValue("#identity-text");
    expect(exported).toMatch(/^[A-Za-z0-9+/]+=*$/);
    const elsewhere = await browser.newContext();
    contexts.push(elsewhere);
    elsewhere.on("request", (request) => requests.push(request.url()));
    const page = await elsewhere.newPage();
    await page.goto(`${server.url}/web/`);
    await page.waitForSelector("body[data-ready=true]");
    await page.fill("#identity-text", exported);
    await page.click("#import-identity");
    await expect
      .poll(() => page.textContent("#identity-commitment"))
      .toBe(await alice.textContent("#identity-commitment"));
    await page.close();
  });

  it("enrols two people in a plain group and one in a biometric group from mock-device captures", async () => {
    const alice = voters.get("alice")!;
    await enrol(alice, "citizens", "vw-alice");
    await screenshot(alice, "alice-enrolled");
    const bob = await openVoter("bob");
    await enrol(bob, "citizens", "vw-bob");
    const carol = await openVoter("carol");
    await enrol(carol, "residents", "vw-carol");
    await screenshot(carol, "carol-enrolled-biometric");
    expect((await operator.group("citizens")).size).toBe(2);
    expect((await operator.group("residents")).size).toBe(1);
  }, 120_000);

  it(
    "proves both plain votes in the worker, refuses the second vote of one person, and tallies",
    async () => {
      const alice = voters.get("alice")!;
      const bob = voters.get("bob")!;
      expect(await vote(alice, "budget-2027", 0)).toMatch(/^Vote accepted \(#1, option parks\)$/);
      expect(await alice.textContent("#progress-title")).toMatch(/^vote: accepted in [\d.]+ s$/);
      expect(await alice.$$eval("#stages li.done", (els) => els.length)).toBe(4);
      await screenshot(alice, "alice-voted");
      expect(await vote(bob, "budget-2027", 1)).toMatch(/^Vote accepted \(#2, option buses\)$/);
      const again = await vote(bob, "budget-2027", 0);
      expect(again).toMatch(/^Vote refused: DUPLICATE_NULLIFIER: /);
      expect(await bob.textContent("#progress-title")).toBe(
        "vote: refused at submitting: DUPLICATE_NULLIFIER",
      );
      await screenshot(bob, "bob-refused-again");
      expect(await counts(alice, "budget-2027")).toEqual([1, 1]);
      expect((await operator.tally("budget-2027")).counts).toEqual([1, 1]);
      await screenshot(alice, "tally");
    },
    3 * PROOF_TIMEOUT,
  );

  it(
    "makes a liveness-bound vote from a fresh capture signed for the poll's challenge",
    async () => {
      const carol = voters.get("carol")!;
      const poll = '[data-poll="night-buses"]';
      await carol.click(`${poll} .get-poll-challenge`);
      await expect.poll(() => carol.textContent(`${poll} .poll-challenge`)).toMatch(/^\d+$/);
      const captureChallenge = BigInt((await carol.textContent(`${poll} .poll-challenge`))!);
      const { file } = await capture("vw-carol", "poll-night-buses", captureChallenge);
      await carol.setInputFiles(`${poll} .poll-packet`, {
        name: "fresh.json",
        mimeType: "application/json",
        buffer: file,
      });
      expect(await vote(carol, "night-buses", 0)).toMatch(/^Vote accepted \(#3, option yes\)$/);
      expect(await carol.textContent("#progress-title")).toMatch(/^liveness-vote: accepted in [\d.]+ s$/);
      await screenshot(carol, "carol-liveness-vote");
      expect((await operator.tally("night-buses")).counts).toEqual([1, 0]);
    },
    PROOF_TIMEOUT,
  );

  it("re-verifies every vote of the audit logs in the page and recounts", async () => {
    const alice = voters.get("alice")!;
    await alice.click('[data-poll="budget-2027"] button.audit-button');
    await alice.waitForSelector('[data-poll="budget-2027"] .audit-summary', { timeout: 60_000 });
    expect(await alice.textContent('[data-poll="budget-2027"] .audit-summary')).toBe(
      "2 of 2 votes verified in this page; recount parks 1, buses 1; matches the server's tally",
    );
    expect(await alice.textContent("#progress-title")).toMatch(/^audit: 2 of 2 votes verified in [\d.]+ s$/);
    await screenshot(alice, "audit-plain");
    const carol = voters.get("carol")!;
    await carol.click('[data-poll="night-buses"] button.audit-button');
    await carol.waitForSelector('[data-poll="night-buses"] .audit-summary', { timeout: 60_000 });
    expect(await carol.textContent('[data-poll="night-buses"] .audit-summary')).toBe(
      "1 of 1 votes verified in this page; recount yes 1, no 0; matches the server's tally",
    );
    await screenshot(carol, "audit-liveness");
  }, 120_000);

  it("shows the votes of a tampered audit log that do not verify, and a recount that differs", async () => {
    const bob = voters.get("bob")!;
    // Bob's vote for 'buses' relabelled as a vote for 'parks': the proof no longer verifies.
    await bob.context().route("**/polls/budget-2027/audit-log", async (route) => {
      const log = await (await route.fetch()).json();
      const vote = log.votes?.[1];
      if (vote !== undefined) {
        vote.option = 0;
        vote.proof.message = "0";
      }
      await route.fulfill({ json: log });
    });
    await bob.click('[data-poll="budget-2027"] button.audit-button');
    await bob.waitForSelector('[data-poll="budget-2027"] .audit-summary', { timeout: 60_000 });
    expect(await bob.textContent('[data-poll="budget-2027"] .audit-summary')).toBe(
      "1 of 2 votes verified in this page; recount parks 1, buses 0; DIFFERS FROM the server's tally",
    );
    expect(
      await bob.$$eval('[data-poll="budget-2027"] td.verdict', (els) => els.map((e) => e.textContent)),
    ).toEqual(["VERIFIED", "INVALID_PROOF"]);
    expect(await bob.textContent("#progress-title")).toMatch(/^audit: 1 of 2 votes verified in [\d.]+ s$/);
    await screenshot(bob, "audit-tampered");
    await bob.context().unroute("**/polls/budget-2027/audit-log");
  }, 120_000);

  it("fetched nothing from outside the service, and no page failed", () => {
    expect(pageErrors).toEqual([]);
    const outside = requests.filter((url) => !url.startsWith(`${server.url}/`) && !/^(blob|data):/.test(url));
    expect(outside).toEqual([]);
    // The proofs' artifacts were loaded from the service by the workers.
    expect(requests).toContain(`${server.url}/web/artifacts/semaphore/semaphore-1.zkey`);
    expect(requests).toContain(`${server.url}/web/artifacts/liveness_vote/liveness_vote.zkey`);
  });
});
