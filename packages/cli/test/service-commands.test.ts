import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DeviceKey, signCapture } from "@zkiris/device";
import { DEFAULT_PROFILE, type IrisCode, toJson } from "@zkiris/iris-code";
import { type LivenessVoteArtifacts, loadLivenessVoteArtifacts } from "@zkiris/match-proof";
import { Registry } from "@zkiris/registry";
import { ZkirisClient } from "@zkiris/sdk";
import { releaseProverThreads } from "@zkiris/sdk/node";
import { startServer, type ZkirisServer } from "@zkiris/server";
import {
  randomCode as kitRandomCode,
  recapture as kitRecapture,
  REPO_ROOT,
  unit,
  xorshift32,
} from "@zkiris/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../src/index.js";

const TOKEN = "cli-service-admin-token-42";
const key = DeviceKey.fromSeed("cli-service-test-device");

const eye = (seed: number): IrisCode =>
  kitRandomCode(unit(xorshift32(seed, 0x9e3779b9)), DEFAULT_PROFILE.geometry, 0.9);
const recapture = (code: IrisCode, seed: number): IrisCode =>
  kitRecapture(unit(xorshift32(seed, 0x9e3779b9)), code, { flip: 0.04, shift: seed % 3 });

/** Runs `zkiris <args>` in this process and collects its output. */
async function zkiris(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
  return { code, stdout: out.join(""), stderr: err.join("") };
}

/** The one JSON line a command printed. */
const json = (text: string) => JSON.parse(text.trim().split("\n").at(-1)!);

let dir: string;
let registry: Registry;
let liveness: LivenessVoteArtifacts;
const LIVENESS_DIR = path.join(REPO_ROOT, "circuits", "artifacts", "liveness_vote");
let server: ZkirisServer;
let client: ZkirisClient;
let url: string;
const file = (name: string) => path.join(dir, name);

/** A capture packet of `code` for a fresh challenge of the server, written to a file as the bridge's `{ packet }` result. */
async function packetFile(name: string, code: IrisCode, signer = key): Promise<string> {
  const { challenge } = await client.requestChallenge();
  writeFileSync(file(name), JSON.stringify({ packet: signCapture(signer, code, challenge, { focus: 1 }) }));
  return file(name);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "zkiris-cli-service-"));
  liveness = await loadLivenessVoteArtifacts(LIVENESS_DIR, { verifyOnly: true });
  registry = await Registry.open({
    database: file("registry.sqlite"),
    searchWorkers: 1,
    verifierWorkers: 1,
    livenessArtifacts: liveness,
  });
  server = await startServer(registry, { adminToken: TOKEN, rateLimit: false, log: false });
  url = server.url;
  client = new ZkirisClient({ baseUrl: url, adminToken: TOKEN });
  await client.registerDevice(key.publicKey);
  await client.createGroup({ id: "citizens", kind: "plain" });
});

afterAll(async () => {
  await client?.close();
  await server?.close();
  await registry?.close();
  await liveness?.close();
  await releaseProverThreads();
  rmSync(dir, { recursive: true, force: true });
});

describe("zkiris enroll, poll, prove, verify against a running server", () => {
  it("enrols from one packet, creating the identity file with mode 0600 and keeping the salt in it", async () => {
    const packet = await packetFile("alice-1.json", eye(1));
    const run = await zkiris(
      "enroll",
      "--group",
      "citizens",
      "--identity",
      file("alice.json"),
      "--capture",
      packet,
      "--registry",
      url,
    );
    expect(run.stderr).toBe(`zkiris enroll: new identity written to ${file("alice.json")} (mode 0600)\n`);
    expect(run.code).toBe(0);
    const receipt = json(run.stdout);
    const saved = JSON.parse(readFileSync(file("alice.json"), "utf8"));
    expect(receipt).toEqual({
      groupId: "citizens",
      memberIndex: 0,
      leaf: saved.commitment,
      root: (await client.group("citizens")).root.toString(),
      identity: file("alice.json"),
      identityCommitment: saved.commitment,
      created: true,
    });
    expect(statSync(file("alice.json")).mode & 0o777).toBe(0o600);
    expect(Object.keys(saved)).toEqual(["type", "version", "privateKey", "commitment", "enrolments"]);
    expect(saved.enrolments).toEqual([
      {
        groupId: "citizens",
        memberIndex: 0,
        leaf: saved.commitment,
        root: receipt.root,
        templateCommitment: expect.stringMatching(/^[1-9][0-9]*$/),
        salt: expect.stringMatching(/^[1-9][0-9]*$/),
        template: toJson(eye(1)),
        enrolledAt: expect.any(Number),
      },
    ]);
    // The same packet again: its challenge was used.
    const replay = await zkiris(
      "enroll",
      "--group",
      "citizens",
      "--identity",
      file("mallory.json"),
      "--capture",
      packet,
      "--registry",
      url,
    );
    expect(replay.code).toBe(1);
    expect(replay.stderr).toMatch(
      /^zkiris enroll: new identity written to .*\nzkiris enroll: CHALLENGE_REPLAYED 409: /,
    );
  });

  it("enrols from three packets (a bridge response line, a { packet } and a bare packet) and refuses the same eye again", async () => {
    const base = eye(2);
    const a = await packetFile("bob-1.json", recapture(base, 21));
    const b = await packetFile("bob-2.json", recapture(base, 22));
    const c = await packetFile("bob-3.json", recapture(base, 23));
    writeFileSync(a, JSON.stringify({ id: 7, result: JSON.parse(readFileSync(a, "utf8")) }));
    writeFileSync(c, JSON.stringify(JSON.parse(readFileSync(c, "utf8")).packet));
    const run = await zkiris(
      "enroll",
      "--group",
      "citizens",
      "--identity",
      file("bob.json"),
      "--capture",
      a,
      "--capture",
      b,
      "--capture",
      c,
      "--registry",
      url,
    );
    expect(run.code).toBe(0);
    expect(json(run.stdout)).toMatchObject({ groupId: "citizens", memberIndex: 1, created: true });
    const again = await zkiris(
      "enroll",
      "--group",
      "citizens",
      "--identity",
      file("bob-twin.json"),
      "--capture",
      await packetFile("bob-4.json", recapture(base, 24)),
      "--registry",
      url,
    );
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/zkiris enroll: DUPLICATE_ENROLLMENT 409: /);
  });

  it("refuses an identity file others can read, a revoked device's capture, and a wrong number of captures", async () => {
    writeFileSync(file("open.json"), readFileSync(file("alice.json")));
    chmodSync(file("open.json"), 0o644);
    const open = await zkiris(
      "enroll",
      "--group",
      "citizens",
      "--identity",
      file("open.json"),
      "--capture",
      await packetFile("o.json", eye(3)),
      "--registry",
      url,
    );
    expect(open.code).toBe(1);
    expect(open.stderr).toBe(
      `zkiris enroll: IDENTITY_FILE_PERMISSIONS: Identity file '${file("open.json")}' has mode 0644; it must not be readable or writable by others (chmod 600 '${file("open.json")}')\n`,
    );
    const revoked = DeviceKey.fromSeed("cli-service-revoked-device");
    await client.registerDevice(revoked.publicKey);
    await client.revokeDevice(revoked.deviceId);
    const refused = await zkiris(
      "enroll",
      "--group",
      "citizens",
      "--identity",
      file("carol.json"),
      "--capture",
      await packetFile("r.json", eye(4), revoked),
      "--registry",
      url,
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/zkiris enroll: DEVICE_REVOKED 422: /);
    const two = await zkiris(
      "enroll",
      "--group",
      "citizens",
      "--identity",
      file("carol.json"),
      "--capture",
      "x",
      "--capture",
      "y",
    );
    expect(two.code).toBe(2);
    expect(two.stderr).toMatch(
      /^zkiris: enroll needs one --capture PACKET, or 3 to 5 of them, received 2\nUsage:/,
    );
    const down = await zkiris("poll", "list", "--registry", "http://127.0.0.1:1");
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^zkiris poll: NETWORK: GET \/polls to http:\/\/127\.0\.0\.1:1 failed/);
  });

  it("creates a poll (admin only), lists and shows it, proves, verifies, votes once, tallies and recounts", async () => {
    const noToken = await zkiris(
      "poll",
      "create",
      "--id",
      "budget",
      "--group",
      "citizens",
      "--options",
      "parks,libraries",
      "--registry",
      url,
    );
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toMatch(/^zkiris poll: UNAUTHORIZED: POST \/polls is an admin route/);
    const created = await zkiris(
      "poll",
      "create",
      "--id",
      "budget",
      "--group",
      "citizens",
      "--options",
      "parks, libraries,bikes",
      "--duration",
      "2h",
      "--registry",
      url,
      "--admin-token",
      TOKEN,
    );
    expect(created.code).toBe(0);
    const poll = json(created.stdout);
    expect(poll).toMatchObject({
      id: "budget",
      groupId: "citizens",
      options: ["parks", "libraries", "bikes"],
      requireLiveness: false,
    });
    expect(poll.closesAt - poll.opensAt).toBe(7_200_000);
    expect(json((await zkiris("poll", "show", "budget", "--registry", url)).stdout)).toEqual(poll);
    expect((await zkiris("poll", "list", "--registry", url)).stdout).toBe(`${JSON.stringify(poll)}\n`);

    const proved = await zkiris(
      "prove",
      "--poll",
      "budget",
      "--option",
      "1",
      "--identity",
      file("alice.json"),
      "--out",
      file("proof.json"),
      "--registry",
      url,
    );
    expect(proved.stderr).toBe("");
    expect(proved.code).toBe(0);
    const proof = JSON.parse(readFileSync(file("proof.json"), "utf8"));
    expect(proof).toMatchObject({ message: "1", scope: poll.scope });
    expect(json(proved.stdout)).toEqual({
      pollId: "budget",
      option: 1,
      nullifier: proof.nullifier,
      merkleTreeRoot: proof.merkleTreeRoot,
      out: file("proof.json"),
    });
    const valid = await zkiris("verify", file("proof.json"), "--poll", "budget", "--registry", url);
    expect([valid.code, json(valid.stdout)]).toEqual([
      0,
      {
        valid: true,
        pollId: "budget",
        option: 1,
        nullifier: proof.nullifier,
        merkleTreeRoot: proof.merkleTreeRoot,
      },
    ]);
    // A forged option is not one of the poll's; another option under the same proof does not verify.
    writeFileSync(file("forged.json"), JSON.stringify({ ...proof, message: "7" }));
    const forged = await zkiris("verify", file("forged.json"), "--poll", "budget", "--registry", url);
    expect([forged.code, json(forged.stdout).code]).toEqual([1, "OPTION_OUT_OF_RANGE"]);
    writeFileSync(file("bent.json"), JSON.stringify({ ...proof, message: "2" }));
    const bent = await zkiris("verify", file("bent.json"), "--poll", "budget", "--registry", url);
    expect([bent.code, json(bent.stdout).code]).toEqual([1, "INVALID_PROOF"]);

    const voted = await zkiris("poll", "vote", "budget", file("proof.json"), "--registry", url);
    expect(voted.code).toBe(0);
    expect(json(voted.stdout)).toMatchObject({ pollId: "budget", option: 1, nullifier: proof.nullifier });
    const twice = await zkiris("poll", "vote", "budget", file("proof.json"), "--registry", url);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/^zkiris poll: DUPLICATE_NULLIFIER 409: /);
    const used = await zkiris("verify", file("proof.json"), "--poll", "budget", "--registry", url);
    expect([used.code, json(used.stdout).code]).toEqual([1, "NULLIFIER_USED"]);

    // The same proof for another poll is out of its scope.
    await zkiris(
      "poll",
      "create",
      "--id",
      "other",
      "--group",
      "citizens",
      "--options",
      "a,b",
      "--registry",
      url,
      "--admin-token",
      TOKEN,
    );
    const scope = await zkiris("verify", file("proof.json"), "--poll", "other", "--registry", url);
    expect([scope.code, json(scope.stdout).code]).toEqual([1, "WRONG_SCOPE"]);
    const submitted = await zkiris(
      "prove",
      "--poll",
      "budget",
      "--option",
      "2",
      "--identity",
      file("bob.json"),
      "--submit",
      "--registry",
      url,
    );
    expect(submitted.code).toBe(0);
    expect(json(submitted.stdout)).toMatchObject({
      pollId: "budget",
      option: 2,
      out: null,
      receipt: { seq: expect.any(Number), option: 2 },
    });
    const outsider = await zkiris(
      "prove",
      "--poll",
      "budget",
      "--option",
      "0",
      "--identity",
      file("mallory.json"),
      "--submit",
      "--registry",
      url,
    );
    expect(outsider.code).toBe(1);
    expect(outsider.stderr).toMatch(/^zkiris prove: NOT_A_MEMBER: /);

    const tally = await zkiris("poll", "tally", "budget", "--registry", url);
    expect(json(tally.stdout)).toEqual({
      pollId: "budget",
      options: ["parks", "libraries", "bikes"],
      counts: [0, 1, 1],
      total: 2,
    });
    const audit = await zkiris("poll", "audit", "budget", "--out", file("audit.json"), "--registry", url);
    expect(audit.code).toBe(0);
    expect(json(audit.stdout)).toEqual({
      pollId: "budget",
      votes: 2,
      tally: [0, 1, 1],
      recount: { counts: [0, 1, 1], rejected: [] },
      agrees: true,
      out: file("audit.json"),
    });
    expect(JSON.parse(readFileSync(file("audit.json"), "utf8")).votes).toHaveLength(2);
    const unknown = await zkiris("poll", "tally", "nope", "--registry", url);
    expect([unknown.code, unknown.stderr]).toEqual([
      1,
      expect.stringMatching(/^zkiris poll: UNKNOWN_POLL 404: /),
    ]);
  });

  it("ends its process after verifying (snarkjs's verifier threads are released)", async () => {
    // In this process runCli returns either way; only a child shows whether lingering threads keep it alive.
    const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));
    const run = (...args: string[]) =>
      new Promise<{ code: number | null; stdout: string }>((resolve) => {
        const child = execFile(
          process.execPath,
          ["--conditions=zkiris-source", "--import", "tsx", main, ...args, "--registry", url],
          { timeout: 120_000 },
          (_error, stdout) => resolve({ code: child.exitCode, stdout }),
        );
      });
    const verified = await run("verify", file("proof.json"), "--poll", "budget");
    expect([verified.code, json(verified.stdout).code]).toEqual([1, "NULLIFIER_USED"]);
    const audited = await run("poll", "audit", "budget");
    expect([audited.code, json(audited.stdout).agrees]).toEqual([0, true]);
  });

  it("makes a liveness-bound vote from a capture signed for the poll's challenge and the template kept in the identity file", async () => {
    await client.createGroup({ id: "residents", kind: "biometric" });
    const eye5 = eye(5);
    const enrolled = await zkiris(
      "enroll",
      "--group",
      "residents",
      "--identity",
      file("dora.json"),
      "--capture",
      await packetFile("dora-1.json", eye5),
      "--registry",
      url,
    );
    expect(enrolled.code).toBe(0);
    const saved = JSON.parse(readFileSync(file("dora.json"), "utf8"));
    expect(saved.enrolments[0].template).toMatchObject({ geometry: { rows: 16, cols: 112, bitsPerCell: 2 } });
    const created = await zkiris(
      "poll",
      "create",
      "--id",
      "night-buses",
      "--group",
      "residents",
      "--options",
      "yes,no",
      "--liveness",
      "--registry",
      url,
      "--admin-token",
      TOKEN,
    );
    expect(json(created.stdout)).toMatchObject({ id: "night-buses", requireLiveness: true });
    // The device signs a fresh capture of the same eye for the poll's capture challenge.
    const { captureChallenge } = await client.pollChallenge("night-buses");
    writeFileSync(
      file("live.json"),
      JSON.stringify(signCapture(key, recapture(eye5, 51), captureChallenge, { focus: 1 })),
    );
    const plain = await zkiris(
      "prove",
      "--poll",
      "night-buses",
      "--option",
      "0",
      "--identity",
      file("dora.json"),
      "--out",
      file("x.json"),
      "--registry",
      url,
    );
    expect([plain.code, plain.stderr]).toEqual([
      1,
      expect.stringMatching(/^zkiris prove: UNSUPPORTED_GROUP: /),
    ]);
    const noArtifacts = await zkiris(
      "prove",
      "--poll",
      "night-buses",
      "--option",
      "0",
      "--identity",
      file("dora.json"),
      "--capture",
      file("live.json"),
      "--out",
      file("x.json"),
    );
    expect([noArtifacts.code, noArtifacts.stderr.split("\n")[0]]).toEqual([
      2,
      "zkiris: prove --capture (a liveness-bound vote) needs --liveness-artifacts DIR",
    ]);
    const stranger = await zkiris(
      "prove",
      "--poll",
      "night-buses",
      "--option",
      "0",
      "--identity",
      file("alice.json"),
      "--capture",
      file("live.json"),
      "--liveness-artifacts",
      LIVENESS_DIR,
      "--out",
      file("x.json"),
      "--registry",
      url,
    );
    expect([stranger.code, stranger.stderr]).toEqual([
      1,
      expect.stringMatching(/^zkiris prove: NO_TEMPLATE: .*group 'residents'/),
    ]);

    const proved = await zkiris(
      "prove",
      "--poll",
      "night-buses",
      "--option",
      "1",
      "--identity",
      file("dora.json"),
      "--capture",
      file("live.json"),
      "--liveness-artifacts",
      LIVENESS_DIR,
      "--out",
      file("live-vote.json"),
      "--registry",
      url,
    );
    expect(proved.stderr).toBe("");
    expect(proved.code).toBe(0);
    const vote = JSON.parse(readFileSync(file("live-vote.json"), "utf8"));
    expect(vote).toMatchObject({
      message: "1",
      deviceRoot: expect.any(String),
      challenge: expect.any(String),
    });
    expect(json(proved.stdout)).toEqual({
      pollId: "night-buses",
      option: 1,
      nullifier: vote.nullifier,
      merkleTreeRoot: vote.merkleTreeRoot,
      out: file("live-vote.json"),
    });
    // Verified off-chain before it is submitted, as a backend would; then every refusal of a
    // tampered copy, by its code.
    const verified = await zkiris(
      "verify",
      file("live-vote.json"),
      "--poll",
      "night-buses",
      "--registry",
      url,
    );
    expect([verified.code, json(verified.stdout)]).toEqual([
      0,
      {
        valid: true,
        pollId: "night-buses",
        option: 1,
        nullifier: vote.nullifier,
        merkleTreeRoot: vote.merkleTreeRoot,
      },
    ]);
    const refused = async (name: string, tampered: object, pollId = "night-buses") => {
      writeFileSync(file(name), JSON.stringify(tampered));
      const run = await zkiris("verify", file(name), "--poll", pollId, "--registry", url);
      return [run.code, json(run.stdout).valid, json(run.stdout).code];
    };
    const pi = vote.proof;
    for (const [tampered, code] of [
      [{ ...vote, scope: "7" }, "WRONG_SCOPE"],
      [{ ...vote, message: "2" }, "OPTION_OUT_OF_RANGE"],
      [{ ...vote, merkleTreeRoot: "7" }, "UNKNOWN_ROOT"],
      [{ ...vote, challenge: "7" }, "UNKNOWN_CHALLENGE"],
      [{ ...vote, deviceRoot: "7" }, "UNKNOWN_DEVICE_ROOT"],
      [{ ...vote, message: "0" }, "INVALID_PROOF"],
      [{ ...vote, nullifier: "7" }, "INVALID_PROOF"],
      [{ ...vote, proof: { ...pi, pi_a: pi.pi_c, pi_c: pi.pi_a } }, "INVALID_PROOF"],
      [{ ...vote, deviceRoot: undefined }, "INVALID_PARAMETER"],
    ] as const) {
      expect(await refused("tampered.json", tampered)).toEqual([1, false, code]);
    }
    // A liveness-bound vote is not a vote of a plain poll, nor a plain proof one of a liveness poll.
    expect(await refused("tampered.json", vote, "budget")).toEqual([1, false, "UNSUPPORTED_GROUP"]);
    const plainProof = JSON.parse(readFileSync(file("proof.json"), "utf8"));
    expect(await refused("plain.json", plainProof)).toEqual([1, false, "UNSUPPORTED_GROUP"]);

    const voted = await zkiris("poll", "vote", "night-buses", file("live-vote.json"), "--registry", url);
    expect([voted.code, json(voted.stdout)]).toEqual([
      0,
      expect.objectContaining({ pollId: "night-buses", option: 1, nullifier: vote.nullifier }),
    ]);
    const twice = await zkiris("poll", "vote", "night-buses", file("live-vote.json"), "--registry", url);
    expect([twice.code, twice.stderr]).toEqual([
      1,
      expect.stringMatching(/^zkiris poll: DUPLICATE_NULLIFIER 409: /),
    ]);
    expect(await refused("used.json", vote)).toEqual([1, false, "NULLIFIER_USED"]);
    const audit = await zkiris(
      "poll",
      "audit",
      "night-buses",
      "--liveness-artifacts",
      LIVENESS_DIR,
      "--registry",
      url,
    );
    expect([audit.code, json(audit.stdout)]).toEqual([
      0,
      expect.objectContaining({ votes: 1, tally: [0, 1], agrees: true }),
    ]);
  });

  it("prints each command's usage on --help and refuses bad arguments with exit code 2", async () => {
    for (const args of [["enroll"], ["prove"], ["verify"], ["poll"], ["poll", "create"]]) {
      const help = await zkiris(...args, "--help");
      expect([help.code, help.stdout.startsWith("Usage:")]).toEqual([0, true]);
    }
    const bad = [
      [
        ["prove", "--poll", "p", "--option", "1", "--identity", "i"],
        "prove needs --out PROOF.json, --submit or both",
      ],
      [
        ["poll", "create", "--id", "p", "--group", "g", "--options", "a"],
        "Option '--options' needs at least two non-empty options, received a",
      ],
      [
        ["poll", "create", "--id", "p", "--group", "g", "--options", "a,b", "--duration", "5 days"],
        "Option '--duration' must be a positive number with a unit s, m, h or d (90m, 24h, 7d), received 5 days",
      ],
      [
        ["poll", "frobnicate"],
        "Unknown poll subcommand 'frobnicate'; expected create, list, show, vote, tally or audit",
      ],
      [["verify", "--poll", "p"], "verify needs exactly one proof file"],
      [
        ["poll", "list", "--registry", "ftp://x"],
        "Option '--registry' must be an http or https URL, received ftp://x",
      ],
    ] as const;
    for (const [args, message] of bad) {
      const run = await zkiris(...args);
      expect([run.code, run.stderr.split("\n")[0]]).toEqual([2, `zkiris: ${message}`]);
    }
  });
});
