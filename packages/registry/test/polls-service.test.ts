import { Group } from "@semaphore-protocol/group";
import { Identity } from "@semaphore-protocol/identity";
import { generateProof, type SemaphoreProof } from "@semaphore-protocol/proof";
import { livenessCaptureChallenge } from "@zkiris/match-proof";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DeviceService } from "../src/devices.js";
import { GroupTrees } from "../src/group-trees.js";
import { GroupService } from "../src/groups.js";
import { defaultPollScope, PollService } from "../src/polls.js";
import { semaphoreArtifacts } from "../src/semaphore-artifacts.js";
import { ProofVerifierPool } from "../src/verifier-pool.js";
import { addMember, type ServiceFixture, serviceFixture } from "./service-fixture.js";

const T0 = 1_760_000_000_000;
const HOUR = 3_600_000;
const TTL = 600_000;
const alice = new Identity("poll-service-alice");
const bob = new Identity("poll-service-bob");
let proof: SemaphoreProof;

beforeAll(async () => {
  // One proof (about a second): alice votes option 1 in poll "p" of the group {alice, bob}.
  const group = new Group([alice.commitment, bob.commitment]);
  proof = await generateProof(alice, group, 1, defaultPollScope("p"), 1, await semaphoreArtifacts(1));
}, 120_000);

describe("PollService, alone on a SQLite repository", () => {
  let f: ServiceFixture;
  let trees: GroupTrees;
  let verifier: ProofVerifierPool;
  let polls: PollService;

  beforeEach(async () => {
    f = await serviceFixture(T0);
    trees = new GroupTrees(f.repository, f.base.now, HOUR);
    const groups = new GroupService({ ...f.base, writeLock: f.writeLock, trees, rootExpiryMs: HOUR });
    const devices = new DeviceService({ ...f.base, writeLock: f.writeLock, deviceRootExpiryMs: 60_000 });
    await devices.loadTree();
    verifier = new ProofVerifierPool(0);
    polls = new PollService({
      ...f.base,
      verifier,
      groups,
      devices,
      livenessArtifacts: undefined,
      livenessChallengeTtlMs: TTL,
    });
    await groups.createGroup({ id: "plain", kind: "plain" });
    await groups.createGroup({ id: "bio", kind: "biometric" });
    await addMember(f, trees, "plain", alice.commitment);
    await addMember(f, trees, "plain", bob.commitment);
  });
  afterEach(async () => {
    await verifier.close();
    await f.close();
  });

  it("takes a vote once, counts it and publishes it in a version 1 audit log", async () => {
    await polls.createPoll({
      id: "p",
      groupId: "plain",
      options: ["a", "b"],
      opensAt: T0,
      closesAt: T0 + HOUR,
    });
    f.setNow(T0 + 5);
    expect(await polls.vote("p", proof)).toMatchObject({
      seq: 1,
      pollId: "p",
      option: 1,
      acceptedAt: T0 + 5,
    });
    await expect(polls.vote("p", proof)).rejects.toMatchObject({
      code: "DUPLICATE_NULLIFIER",
      message: "Field 'proof.nullifier' has already voted in this poll",
    });
    expect(await polls.tally("p")).toEqual({ pollId: "p", options: ["a", "b"], counts: [0, 1], total: 1 });
    const log = await polls.auditLog("p");
    expect(log.version).toBe(1);
    expect(log.rootExpiryMs).toBe(HOUR);
    expect(log.votes.map((v) => v.nullifier)).toEqual([proof.nullifier]);
    expect(log.roots.at(-1)?.root).toBe(proof.merkleTreeRoot);
  });

  it("checks the ballot in order: the poll's window, its scope, the option, then the group root", async () => {
    await polls.createPoll({
      id: "p",
      groupId: "plain",
      options: ["a", "b"],
      opensAt: T0 + 10,
      closesAt: T0 + 3 * HOUR,
    });
    await expect(polls.vote("p", proof)).rejects.toMatchObject({ code: "POLL_NOT_OPEN", field: "pollId" });
    f.setNow(T0 + 10);
    await expect(polls.vote("p", { ...proof, scope: "5" })).rejects.toMatchObject({ code: "SCOPE_MISMATCH" });
    await expect(polls.vote("p", { ...proof, message: "2" })).rejects.toMatchObject({
      code: "OPTION_OUT_OF_RANGE",
      message: "Field 'proof.message' is option 2; poll 'p' has options 0 to 1",
    });
    // A member added since replaces the proof's root; it stays usable for the group's hour.
    await addMember(f, trees, "plain", 99n);
    f.setNow(T0 + 10 + HOUR + 1);
    await expect(polls.vote("p", proof)).rejects.toMatchObject({
      code: "STALE_ROOT",
      field: "proof.merkleTreeRoot",
    });
    f.setNow(T0 + 3 * HOUR);
    await expect(polls.vote("p", proof)).rejects.toMatchObject({ code: "POLL_NOT_OPEN" });
    expect(await f.repository.listVotes("p")).toEqual([]);
  });

  it("refuses liveness polls without liveness artifacts, and on a plain group", async () => {
    const base = {
      groupId: "bio",
      options: ["a", "b"],
      opensAt: T0,
      closesAt: T0 + HOUR,
      requireLiveness: true,
    };
    await expect(polls.createPoll({ id: "l", ...base })).rejects.toMatchObject({
      code: "LIVENESS_UNAVAILABLE",
    });
    await expect(polls.createPoll({ id: "l", ...base, groupId: "plain" })).rejects.toMatchObject({
      code: "INVALID_PARAMETER",
      message: "Parameter 'requireLiveness' needs a biometric group; group 'plain' is plain",
    });
    await expect(polls.createPoll({ id: "l", ...base, groupId: "none" })).rejects.toMatchObject({
      code: "UNKNOWN_GROUP",
    });
    expect(await polls.polls()).toEqual([]);
  });

  it("hands out a poll's liveness challenge for half its lifetime, then a new one, and none once closed", async () => {
    await f.repository.insertPoll({
      id: "l",
      groupId: "bio",
      scope: "77",
      options: ["a", "b"],
      opensAt: T0,
      closesAt: T0 + HOUR,
      createdAt: T0,
      requireLiveness: true,
    });
    const first = await polls.pollChallenge("l");
    expect(first).toMatchObject({ pollId: "l", issuedAt: T0, expiresAt: T0 + TTL });
    expect(first.captureChallenge).toBe(livenessCaptureChallenge(77n, first.challenge));
    f.setNow(T0 + TTL / 2 - 1);
    expect((await polls.pollChallenge("l")).challenge).toBe(first.challenge);
    f.setNow(T0 + TTL / 2);
    const second = await polls.pollChallenge("l");
    expect(second.challenge).not.toBe(first.challenge);
    expect(second.issuedAt).toBe(T0 + TTL / 2);
    expect((await f.repository.listPollChallenges("l")).map((c) => c.value)).toEqual([
      first.challenge.toString(),
      second.challenge.toString(),
    ]);
    f.setNow(T0 + HOUR);
    await expect(polls.pollChallenge("l")).rejects.toMatchObject({ code: "POLL_NOT_OPEN" });
    // The issued ones stay listed after the poll closed (a recount and an off-chain verifier read them).
    expect(await polls.issuedChallenges("l")).toEqual([
      { pollId: "l", value: first.challenge.toString(), issuedAt: T0, expiresAt: T0 + TTL },
      {
        pollId: "l",
        value: second.challenge.toString(),
        issuedAt: T0 + TTL / 2,
        expiresAt: T0 + TTL / 2 + TTL,
      },
    ]);
    await expect(polls.issuedChallenges("nowhere")).rejects.toMatchObject({ code: "UNKNOWN_POLL" });
    await polls.createPoll({
      id: "p",
      groupId: "plain",
      options: ["a", "b"],
      opensAt: T0,
      closesAt: T0 + HOUR,
    });
    await expect(polls.pollChallenge("p")).rejects.toMatchObject({ code: "LIVENESS_NOT_REQUIRED" });
    await expect(polls.issuedChallenges("p")).rejects.toMatchObject({ code: "LIVENESS_NOT_REQUIRED" });
    await expect(polls.vote("l", proof)).rejects.toMatchObject({ code: "LIVENESS_REQUIRED" });
  });
});
