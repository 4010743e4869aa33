import { Group } from "@semaphore-protocol/group";
import { DeviceKey } from "@zkiris/device";
import { buildTemplate, DEFAULT_PROFILE, templateCommitment, ZkirisError } from "@zkiris/iris-code";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createIdentity,
  InMemoryNullifierStore,
  type Poll,
  proofToJson,
  type UniqueActionProof,
  verifyUniqueAction,
  ZkirisClient,
  ZkirisSdkError,
} from "../src/index.js";
import { nodeArtifacts, releaseProverThreads } from "../src/node.js";
import {
  ADMIN_TOKEN,
  randomCode,
  recapture,
  signedCapture,
  startTestService,
  type TestService,
} from "./helpers.js";

const key = DeviceKey.fromSeed("sdk-test-device");
const alice = createIdentity();
const bob = createIdentity();
const carol = createIdentity();
const artifacts = nodeArtifacts();

/** The error a promise rejects with; fails the test if it resolves. */
async function refusal(promise: Promise<unknown>): Promise<ZkirisSdkError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ZkirisSdkError);
    return error as ZkirisSdkError;
  }
  throw new Error("expected a refusal, the call succeeded");
}

describe("ZkirisClient against a real server over HTTP", () => {
  let service: TestService;
  let client: ZkirisClient;
  let operator: ZkirisClient;
  let poll: Poll;
  let aliceVote: UniqueActionProof;
  const ACTION_SCOPE = 4242n;
  let action: UniqueActionProof;
  let actionRoot: bigint;

  beforeAll(async () => {
    service = await startTestService();
    client = new ZkirisClient({ baseUrl: service.server.url });
    operator = new ZkirisClient({ baseUrl: service.server.url, adminToken: ADMIN_TOKEN });
    await operator.registerDevice(key.publicKey);
    await operator.createGroup({ id: "voters", kind: "plain" });
  });

  afterAll(async () => {
    await client?.close();
    await operator?.close();
    await service?.close();
    await releaseProverThreads();
  });

  it("enrols two people from device-signed captures and lists the group", async () => {
    const a = await client.enrol({
      groupId: "voters",
      capture: await signedCapture(client, key, randomCode(1)),
      member: alice,
    });
    expect(a).toEqual({
      groupId: "voters",
      memberIndex: 0,
      leaf: alice.commitment,
      root: new Group([alice.commitment]).root,
      salt: expect.any(BigInt),
      templateCommitment: expect.any(BigInt),
    });
    const b = await client.enrol({
      groupId: "voters",
      capture: JSON.stringify(await signedCapture(client, key, randomCode(2))),
      member: bob.commitment,
      salt: 77n,
    });
    expect([b.memberIndex, b.leaf, b.salt]).toEqual([1, bob.commitment, 77n]);
    const root = new Group([alice.commitment, bob.commitment]).root;
    expect(await client.groups()).toEqual([{ id: "voters", kind: "plain", root, depth: 1, size: 2 }]);
    expect(await client.group("voters")).toEqual({ id: "voters", kind: "plain", root, depth: 1, size: 2 });
  });

  it("refuses a second enrolment of the same eye with the server's code and status", async () => {
    const error = await refusal(
      client.enrol({
        groupId: "voters",
        capture: await signedCapture(client, key, randomCode(1)),
        member: createIdentity(),
      }),
    );
    expect([error.code, error.status, error.field]).toEqual(["DUPLICATE_ENROLLMENT", 409, "capture"]);
  });

  it("gives a member list from which stock new Group(members) has the server's root, and Merkle proofs", async () => {
    const members = await client.members("voters");
    expect(members).toEqual([alice.commitment, bob.commitment]);
    const group = new Group(members);
    expect(group.root).toBe((await client.group("voters")).root);
    expect(await client.merkleProof("voters", 1)).toEqual(group.generateMerkleProof(1));
    expect((await client.semaphoreGroup("voters")).root).toBe(group.root);
  });

  it("votes with real proofs made locally, refuses a second vote and tallies", async () => {
    const opensAt = Date.now() - 1000;
    poll = await operator.createPoll({
      id: "lunch",
      groupId: "voters",
      options: ["pizza", "salad"],
      opensAt,
      closesAt: opensAt + 3_600_000,
    });
    expect(await client.polls()).toEqual([poll]);
    expect(typeof poll.scope).toBe("bigint");
    expect(poll.requireLiveness).toBe(false);
    aliceVote = await client.proveVote("lunch", alice, 1, { artifacts });
    expect(aliceVote).toMatchObject({ merkleTreeDepth: 1, message: 1n, scope: poll.scope });
    const accepted = await client.submitVote("lunch", aliceVote);
    expect(accepted).toMatchObject({ pollId: "lunch", option: 1, nullifier: aliceVote.nullifier });
    expect(accepted.root).toBe((await client.group("voters")).root);
    const bobVote = await client.vote("lunch", bob, 0, { artifacts });
    expect(bobVote.option).toBe(0);
    const again = await refusal(client.submitVote("lunch", aliceVote));
    expect([again.code, again.status, again.field]).toEqual(["DUPLICATE_NULLIFIER", 409, "proof.nullifier"]);
    const changedMind = await refusal(client.vote("lunch", alice, 0, { artifacts }));
    expect([changedMind.code, changedMind.status]).toEqual(["DUPLICATE_NULLIFIER", 409]);
    expect(await client.tally("lunch")).toEqual({
      pollId: "lunch",
      options: ["pizza", "salad"],
      counts: [1, 1],
      total: 2,
    });
  });

  it("refuses to prove for an option the poll does not have, a non-member or without artifacts, before proving", async () => {
    const option = await refusal(client.proveVote("lunch", alice, 2, { artifacts }));
    expect([option.code, option.field]).toEqual(["INVALID_PARAMETER", "option"]);
    const stranger = await refusal(client.proveVote("lunch", createIdentity(), 0, { artifacts }));
    expect([stranger.code, stranger.field]).toEqual(["NOT_A_MEMBER", "identity"]);
    const none = await refusal(client.proveVote("lunch", alice, 0, {} as never));
    expect([none.code, none.field]).toEqual(["ARTIFACTS_MISSING", "artifacts"]);
    const unknown = await refusal(client.proveVote("dinner", alice, 0, { artifacts }));
    expect([unknown.code, unknown.status]).toEqual(["UNKNOWN_POLL", 404]);
  });

  it("verifyUniqueAction accepts a fresh proof once and refuses its reuse", async () => {
    action = await client.proveAction("voters", alice, { scope: ACTION_SCOPE, message: 9n }, { artifacts });
    actionRoot = action.merkleTreeRoot;
    const nullifiers = new InMemoryNullifierStore();
    const options = { scope: ACTION_SCOPE, rootHistory: () => client.roots("voters"), nullifiers };
    expect(await verifyUniqueAction(action, { ...options, message: 9n })).toEqual({
      nullifier: action.nullifier,
      scope: ACTION_SCOPE,
      message: 9n,
      merkleTreeRoot: actionRoot,
      merkleTreeDepth: 1,
    });
    expect(nullifiers.has(ACTION_SCOPE, action.nullifier)).toBe(true);
    // The JSON a frontend posts (decimal strings) is the same proof.
    const reused = await refusal(verifyUniqueAction(proofToJson(action), options));
    expect([reused.code, reused.field]).toEqual(["NULLIFIER_USED", "proof.nullifier"]);
    expect(nullifiers.size).toBe(1);
  });

  it("verifyUniqueAction accepts exactly one of two concurrent submissions of one proof", async () => {
    const nullifiers = new InMemoryNullifierStore();
    const options = { scope: ACTION_SCOPE, rootHistory: () => client.roots("voters"), nullifiers };
    const results = await Promise.allSettled([
      verifyUniqueAction(action, options),
      verifyUniqueAction(action, options),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect([lost.reason.code, lost.reason.field]).toEqual(["NULLIFIER_USED", "proof.nullifier"]);
    expect(nullifiers.size).toBe(1);
  });

  it("verifyUniqueAction refuses a wrong scope, a wrong message, an unknown root and a tampered proof", async () => {
    const fresh = () => ({
      rootHistory: () => client.roots("voters"),
      nullifiers: new InMemoryNullifierStore(),
    });
    const scope = await refusal(verifyUniqueAction(action, { ...fresh(), scope: ACTION_SCOPE + 1n }));
    expect([scope.code, scope.field]).toEqual(["WRONG_SCOPE", "proof.scope"]);
    const message = await refusal(
      verifyUniqueAction(action, { ...fresh(), scope: ACTION_SCOPE, message: 8n }),
    );
    expect([message.code, message.field]).toEqual(["WRONG_MESSAGE", "proof.message"]);
    const unknown = await refusal(
      verifyUniqueAction(action, { ...fresh(), scope: ACTION_SCOPE, rootHistory: () => [] }),
    );
    expect([unknown.code, unknown.field]).toEqual(["UNKNOWN_ROOT", "proof.merkleTreeRoot"]);
    const store = new InMemoryNullifierStore();
    const points = [...action.points];
    points[0] =
      (points[0]! + 1n) % 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
    const tampered = await refusal(
      verifyUniqueAction({ ...action, points }, { ...fresh(), nullifiers: store, scope: ACTION_SCOPE }),
    );
    expect([tampered.code, tampered.field]).toEqual(["INVALID_PROOF", "proof"]);
    // A proof whose public message was changed after proving does not verify either.
    const relabelled = await refusal(
      verifyUniqueAction({ ...action, message: 10n }, { ...fresh(), nullifiers: store, scope: ACTION_SCOPE }),
    );
    expect(relabelled.code).toBe("INVALID_PROOF");
    expect(store.size).toBe(0);
    const malformed = await refusal(
      verifyUniqueAction({ ...action, points: points.slice(1) }, { ...fresh(), scope: ACTION_SCOPE }),
    );
    expect([malformed.code, malformed.field]).toEqual(["INVALID_PARAMETER", "proof.points"]);
  });

  it("verifyUniqueAction accepts a replaced root within the window and refuses it as stale after", async () => {
    await client.enrol({
      groupId: "voters",
      capture: await signedCapture(client, key, randomCode(3)),
      member: carol,
    });
    const history = await client.roots("voters");
    const replaced = history.find((r) => r.root === actionRoot)!;
    expect(replaced.replacedAt).toEqual(expect.any(Number));
    const base = { scope: ACTION_SCOPE, rootHistory: () => client.roots("voters") };
    const stale = await refusal(
      verifyUniqueAction(action, {
        ...base,
        nullifiers: new InMemoryNullifierStore(),
        rootExpiryMs: 60_000,
        now: () => replaced.replacedAt! + 60_001,
      }),
    );
    expect([stale.code, stale.field]).toEqual(["STALE_ROOT", "proof.merkleTreeRoot"]);
    const inWindow = await verifyUniqueAction(action, {
      ...base,
      nullifiers: new InMemoryNullifierStore(),
      rootExpiryMs: 60_000,
      now: () => replaced.replacedAt! + 60_000,
    });
    expect(inWindow.merkleTreeRoot).toBe(actionRoot);
  });

  it("rebuilds a group with a removed member as a stock Group with the server's root", async () => {
    const root = await operator.removeMember("voters", 1);
    const members = await client.members("voters");
    expect(members).toEqual([alice.commitment, 0n, carol.commitment]);
    expect(() => new Group(members)).toThrow(/cannot be 0/);
    const group = await client.semaphoreGroup("voters");
    expect(group.root).toBe(root);
    expect(group.root).toBe((await client.group("voters")).root);
    expect(group.indexOf(carol.commitment)).toBe(2);
    const removed = await refusal(client.proveVote("lunch", bob, 0, { artifacts }));
    expect(removed.code).toBe("NOT_A_MEMBER");
  });

  it("enrols from several captures of one eye and passes INCONSISTENT_CAPTURES through", async () => {
    const eye = randomCode(40);
    const probes = [recapture(eye, 41, 0.04), recapture(eye, 42, 0.04, 2), recapture(eye, 43, 0.04, -1)];
    const captures = [];
    for (const probe of probes) captures.push(await signedCapture(client, key, probe));
    const dave = createIdentity();
    const odd = await refusal(
      client.enrolFromCaptures({
        groupId: "voters",
        captures: [captures[0]!, captures[1]!, await signedCapture(client, key, randomCode(44))],
        member: dave,
      }),
    );
    expect([odd.code, odd.status, odd.field]).toEqual(["INCONSISTENT_CAPTURES", 422, "captures[2]"]);
    const enrolment = await client.enrolFromCaptures({
      groupId: "voters",
      captures,
      member: dave,
      salt: 4040n,
    });
    expect(enrolment).toMatchObject({
      groupId: "voters",
      memberIndex: 3,
      leaf: dave.commitment,
      salt: 4040n,
    });
    expect(enrolment.templateCommitment).toBe(
      templateCommitment(buildTemplate(probes, DEFAULT_PROFILE).template, 4040n),
    );
    const few = await refusal(
      client.enrolFromCaptures({ groupId: "voters", captures: captures.slice(0, 2), member: dave }),
    );
    // The server takes 3 to 5 captures.
    expect([few.code, few.field, few.status]).toEqual(["INVALID_PARAMETER", "captures", 400]);
  });

  it("refuses to prove in a biometric group, whose votes are liveness proofs", async () => {
    await operator.createGroup({ id: "eyes", kind: "biometric" });
    const error = await refusal(
      client.proveAction("eyes", alice, { scope: ACTION_SCOPE, message: 0n }, { artifacts }),
    );
    expect([error.code, error.field]).toEqual(["UNSUPPORTED_GROUP", "groupId"]);
  });

  it("passes the server's refusals through with their codes, statuses and fields", async () => {
    const group = await refusal(client.group("nope"));
    expect([group.code, group.status]).toEqual(["UNKNOWN_GROUP", 404]);
    const member = await refusal(client.merkleProof("voters", 9));
    expect([member.code, member.status]).toEqual(["UNKNOWN_MEMBER", 404]);
    const noToken = await refusal(client.createGroup({ id: "g2", kind: "plain" }));
    expect([noToken.code, noToken.status]).toEqual(["UNAUTHORIZED", undefined]);
    const wrongToken = new ZkirisClient({
      baseUrl: service.server.url,
      adminToken: "not-the-admin-token-0000",
    });
    const refused = await refusal(wrongToken.createGroup({ id: "g2", kind: "plain" }));
    expect([refused.code, refused.status]).toEqual(["UNAUTHORIZED", 401]);
    const exists = await refusal(operator.createGroup({ id: "voters", kind: "plain" }));
    expect([exists.code, exists.status]).toEqual(["GROUP_EXISTS", 409]);
    const kind = await refusal(operator.createGroup({ id: "g3", kind: "open" as never }));
    expect([kind.code, kind.status, kind.field]).toEqual(["INVALID_PARAMETER", 400, "kind"]);
    const capture = await refusal(client.enrol({ groupId: "voters", capture: "{}", member: alice }));
    expect(capture.code).toBe("MALFORMED_PACKET");
    expect(capture.field).toMatch(/^capture\./);
  });

  it("revokes a device through the admin client; its captures are refused from then on", async () => {
    const device = await operator.revokeDevice(key.deviceId);
    expect(device).toMatchObject({ id: key.deviceId, revokedAt: expect.any(Number) });
    const refused = await refusal(
      client.enrol({
        groupId: "voters",
        capture: await signedCapture(client, key, randomCode(50)),
        member: createIdentity(),
      }),
    );
    expect([refused.code, refused.status]).toEqual(["DEVICE_REVOKED", 422]);
    expect(refused).toBeInstanceOf(ZkirisError);
  });
});
