// The dApp example (examples/dapp-verify) against a real zkiris service: a person enrolled in a
// biometric group through the SDK proves "a unique live human, once per action" with a fresh
// device-signed capture (committed liveness-vote artifacts), and the backend verifies the proof
// off-chain and the same proof on-chain (committed Verifier.sol and UniqueAction.sol in an
// in-process EVM). Every refusal is checked on both sides.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Identity } from "@semaphore-protocol/identity";
import { DeviceKey, parseCapturePacket, signCapture } from "@zkiris/device";
import { DEFAULT_PROFILE, type IrisCode } from "@zkiris/iris-code";
import {
  type LivenessVoteArtifacts,
  type LivenessVoteProof,
  loadLivenessVoteArtifacts,
  proveLivenessVote,
  semaphoreHash,
} from "@zkiris/match-proof";
import { Registry } from "@zkiris/registry";
import { proofToJson, type SemaphoreProofJson, ZkirisClient } from "@zkiris/sdk";
import { nodeArtifacts, releaseProverThreads } from "@zkiris/sdk/node";
import { startServer, type ZkirisServer } from "@zkiris/server";
import { randomCode, recapture, unit, xorshift32 } from "@zkiris/test-kit";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actionScope } from "../examples/dapp-verify/src/action-scope.js";
import { ActionStore } from "../examples/dapp-verify/src/action-store.js";
import { type ActionOutcome, NO_END, UniqueActionChain } from "../examples/dapp-verify/src/chain.js";
import { LIVENESS_ARTIFACTS_DIR } from "../examples/dapp-verify/src/paths.js";
import { HttpRegistrySource } from "../examples/dapp-verify/src/registry-source.js";
import { RootOracle } from "../examples/dapp-verify/src/root-oracle.js";
import { buildDappServer } from "../examples/dapp-verify/src/server.js";

const ADMIN_TOKEN = "dapp-verify-admin-token-0123456789";
const CLAIM = "claim-airdrop";
const VOTE = "vote-2027";
const FRONT_RUN = "front-run";
const HOUR = 3_600_000;
/** Execution gas of UniqueAction.performAction (a liveness proof) and performPlainAction (Semaphore, depth 1). */
const LIVENESS_ACTION_GAS = 259_304;
const PLAIN_ACTION_GAS = 243_472;

/** The revert of an outcome the contract refused (undefined for an accepted one). */
const revertOf = (outcome: ActionOutcome) => (outcome.accepted ? undefined : outcome.revert);

const eye = (seed: number): IrisCode =>
  randomCode(unit(xorshift32(seed, 0x9e3779b9)), DEFAULT_PROFILE.geometry, 0.9);

describe("dApp example: a unique live human, once per action", () => {
  const device = DeviceKey.fromSeed("dapp-verify-camera");
  const alice = new Identity("dapp-verify-alice");
  const aliceEye = eye(101);
  let clock = Date.now();
  const now = () => clock;
  let dir: string;
  let artifacts: LivenessVoteArtifacts;
  let registry: Registry;
  let server: ZkirisServer;
  let client: ZkirisClient;
  let store: ActionStore;
  let source: HttpRegistrySource;
  let chain: UniqueActionChain;
  let app: FastifyInstance;
  let claimProof: LivenessVoteProof;
  let voteProof: LivenessVoteProof;
  let frontRunProof: LivenessVoteProof;
  let plainClaim: SemaphoreProofJson;
  let plainVote: SemaphoreProofJson;

  const post = async (url: string, body?: unknown) => {
    const r = await app.inject({
      method: "POST",
      url,
      ...(body === undefined ? {} : { payload: body as object }),
    });
    return { status: r.statusCode, body: r.json() };
  };

  /** Alice's device captures her eye for the action's challenge; she proves with her enrolment. */
  const prove = async (action: string, message: number, salt: bigint): Promise<LivenessVoteProof> => {
    const issued = (await post(`/actions/${action}/challenges`)).body;
    const packet = signCapture(
      device,
      recapture(unit(xorshift32(message + 7, 3)), aliceEye, { flip: 0.05, shift: 2 }),
      BigInt(issued.captureChallenge),
      {},
    );
    return proveLivenessVote(
      {
        identity: alice,
        group: await client.semaphoreGroup("humans"),
        template: aliceEye,
        salt,
        capture: parseCapturePacket(JSON.stringify(packet)),
        deviceProof: registry.deviceProof(device.deviceId),
        scope: actionScope(action),
        message,
        challenge: BigInt(issued.challenge),
      },
      { artifacts },
    );
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "zkiris-dapp-"));
    artifacts = await loadLivenessVoteArtifacts(LIVENESS_ARTIFACTS_DIR);
    registry = await Registry.open({
      database: join(dir, "registry.sqlite"),
      profile: { ...DEFAULT_PROFILE, ...artifacts.profile },
      searchWorkers: 0,
      verifierWorkers: 1,
    });
    server = await startServer(registry, { adminToken: ADMIN_TOKEN, rateLimit: false, log: false });
    client = new ZkirisClient({ baseUrl: server.url, adminToken: ADMIN_TOKEN });
    await client.registerDevice(device.publicKey);
    await client.createGroup({ id: "humans", kind: "biometric" });
    const { challenge } = await client.requestChallenge();
    const enrolment = await client.enrol({
      groupId: "humans",
      capture: signCapture(device, aliceEye, challenge, { focus: 1 }),
      member: alice,
    });

    // A plain (stock Semaphore) group beside it, whose members prove with the SDK.
    const carol = new Identity("dapp-verify-carol");
    await client.createGroup({ id: "citizens", kind: "plain" });
    const plainChallenge = await client.requestChallenge();
    await client.enrol({
      groupId: "citizens",
      capture: signCapture(device, eye(303), plainChallenge.challenge, { focus: 1 }),
      member: carol,
    });
    const semaphore = { artifacts: nodeArtifacts() };
    plainClaim = proofToJson(
      await client.proveAction("citizens", carol, { scope: actionScope(CLAIM), message: 5n }, semaphore),
    );
    plainVote = proofToJson(
      await client.proveAction("citizens", carol, { scope: actionScope(VOTE), message: 0n }, semaphore),
    );
    await releaseProverThreads();

    store = new ActionStore(join(dir, "dapp.sqlite"), { now });
    source = new HttpRegistrySource({
      baseUrl: server.url,
      groupId: "humans",
      plainGroupId: "citizens",
      now,
    });
    chain = await UniqueActionChain.deploy({ now });
    app = await buildDappServer({ store, registry: source, chain, artifacts, now });
    claimProof = await prove(CLAIM, 1, enrolment.salt);
    voteProof = await prove(VOTE, 0, enrolment.salt);
    frontRunProof = await prove(FRONT_RUN, 2, enrolment.salt);
  }, 300_000);

  afterAll(async () => {
    await app?.close();
    store?.close();
    await source?.close();
    await client?.close();
    await server?.close();
    await registry?.close();
    await artifacts?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("hands out one challenge per action, published on-chain, with the capture challenge the device signs", async () => {
    const first = await post(`/actions/${CLAIM}/challenges`);
    expect(first.status).toBe(200);
    expect(first.body.scope).toBe(actionScope(CLAIM).toString());
    expect(first.body.challenge).toBe(claimProof.challenge);
    expect(first.body.expiresAt - first.body.issuedAt).toBe(10 * 60_000);
    expect((await post(`/actions/${VOTE}/challenges`)).body.challenge).toBe(voteProof.challenge);
    expect(voteProof.challenge).not.toBe(claimProof.challenge);
  });

  it("accepts a real proof once off-chain and records its nullifier in the store and the contract", async () => {
    const scope = actionScope(CLAIM);
    expect(await chain.nullifierUsed(scope, BigInt(claimProof.nullifier))).toBe(false);
    const accepted = await post(`/actions/${CLAIM}`, { proof: claimProof });
    expect(accepted.status).toBe(201);
    expect(accepted.body).toMatchObject({
      action: CLAIM,
      scope: scope.toString(),
      nullifier: claimProof.nullifier,
      message: "1",
    });
    // The checks, the verifier call, the nullifier's new storage slot and the event, as one transaction.
    expect(accepted.body.onChain.executionGas).toBe(LIVENESS_ACTION_GAS);
    expect(accepted.body.onChain.transactionGas).toBeGreaterThan(LIVENESS_ACTION_GAS + 21_000);
    expect(accepted.body.onChain.transactionGas).toBeLessThan(290_000);
    expect(store.has(scope, BigInt(claimProof.nullifier))).toBe(true);
    expect(await chain.nullifierUsed(scope, BigInt(claimProof.nullifier))).toBe(true);
  });

  it("costs the bare verifier 222,157 gas for the same proof, and refuses it there with another signal", async () => {
    const signals = [
      BigInt(claimProof.merkleTreeRoot),
      BigInt(claimProof.nullifier),
      semaphoreHash(BigInt(claimProof.message), "message"),
      semaphoreHash(BigInt(claimProof.scope), "scope"),
      BigInt(claimProof.challenge),
      BigInt(claimProof.deviceRoot),
    ];
    const direct = await chain.verifyProofDirectly(signals, claimProof.proof);
    expect([direct.valid, direct.executionGas]).toEqual([true, 222_157n]);
    const wrong = await chain.verifyProofDirectly(
      [...signals.slice(0, 5), signals[5]! + 1n],
      claimProof.proof,
    );
    expect(wrong.valid).toBe(false);
  });

  it("refuses the replayed nullifier off-chain and on-chain", async () => {
    const again = await post(`/actions/${CLAIM}`, { proof: claimProof });
    expect([again.status, again.body.error.code, again.body.error.field]).toEqual([
      409,
      "NULLIFIER_USED",
      "proof.nullifier",
    ]);
    const onChain = await chain.performAction(actionScope(CLAIM), claimProof);
    expect(onChain.accepted === false && onChain.revert).toEqual({
      name: "NullifierUsed",
      args: [BigInt(claimProof.nullifier)],
    });
  });

  it("answers ON_CHAIN_REJECTED when the proof reached the contract first, and keeps the nullifier used", async () => {
    const scope = actionScope(FRONT_RUN);
    // The user (or anyone who saw the proof) sends it to the contract directly, then to the backend.
    const direct = await chain.performAction(scope, frontRunProof, { caller: UniqueActionChain.OWNER });
    expect([direct.accepted, direct.executionGas]).toEqual([true, BigInt(LIVENESS_ACTION_GAS)]);
    const late = await post(`/actions/${FRONT_RUN}`, { proof: frontRunProof });
    expect([late.status, late.body.error.code, late.body.error.message]).toEqual([
      502,
      "ON_CHAIN_REJECTED",
      "UniqueAction.performAction reverted with NullifierUsed after the off-chain checks passed",
    ]);
    expect(store.has(scope, BigInt(frontRunProof.nullifier))).toBe(true);
    const again = await post(`/actions/${FRONT_RUN}`, { proof: frontRunProof });
    expect([again.status, again.body.error.code]).toEqual([409, "NULLIFIER_USED"]);
  });

  it("refuses a forged proof (a tampered coordinate, a changed public signal) off-chain and on-chain", async () => {
    const scope = actionScope(VOTE);
    // -A is on the curve and well formed; only the pairing check can tell.
    const negatedA = BigInt(voteProof.proof.pi_a[1] as string);
    const tampered: LivenessVoteProof = {
      ...voteProof,
      proof: {
        ...voteProof.proof,
        pi_a: [
          voteProof.proof.pi_a[0] as string,
          (FIELD_Q - negatedA).toString(),
          voteProof.proof.pi_a[2] as string,
        ],
      },
    };
    const otherMessage: LivenessVoteProof = { ...voteProof, message: "1" };
    const otherNullifier: LivenessVoteProof = { ...voteProof, nullifier: "12345" };
    for (const forged of [tampered, otherMessage, otherNullifier]) {
      const offChain = await post(`/actions/${VOTE}`, { proof: forged });
      expect([offChain.status, offChain.body.error.code, offChain.body.error.field]).toEqual([
        422,
        "INVALID_PROOF",
        "proof",
      ]);
      const onChain = await chain.performAction(scope, forged);
      expect(onChain.accepted === false && onChain.revert).toEqual({ name: "InvalidProof", args: [] });
    }
    expect(store.has(scope, BigInt(voteProof.nullifier))).toBe(false);
    expect(await chain.nullifierUsed(scope, BigInt(voteProof.nullifier))).toBe(false);
  });

  it("refuses another action's proof off-chain and on-chain", async () => {
    const offChain = await post(`/actions/${CLAIM}`, { proof: voteProof });
    expect([offChain.status, offChain.body.error.code, offChain.body.error.field]).toEqual([
      422,
      "WRONG_SCOPE",
      "proof.scope",
    ]);
    const onChain = await chain.performAction(actionScope(CLAIM), voteProof);
    expect(onChain.accepted === false && onChain.revert).toEqual({
      name: "WrongScope",
      args: [actionScope(CLAIM), actionScope(VOTE)],
    });
  });

  it("refuses an unknown root and an unknown challenge off-chain and on-chain", async () => {
    const scope = actionScope(VOTE);
    const unknownRoot = { ...voteProof, merkleTreeRoot: "777" };
    const offChain = await post(`/actions/${VOTE}`, { proof: unknownRoot });
    expect([offChain.status, offChain.body.error.code, offChain.body.error.field]).toEqual([
      422,
      "UNKNOWN_ROOT",
      "proof.merkleTreeRoot",
    ]);
    const onChain = await chain.performAction(scope, unknownRoot);
    expect(onChain.accepted === false && onChain.revert).toEqual({ name: "UnknownRoot", args: [777n] });

    const unknownChallenge = { ...voteProof, challenge: claimProof.challenge };
    const offChallenge = await post(`/actions/${VOTE}`, { proof: unknownChallenge });
    expect([offChallenge.status, offChallenge.body.error.code]).toEqual([422, "UNKNOWN_CHALLENGE"]);
    const onChallenge = await chain.performAction(scope, unknownChallenge);
    expect(onChallenge.accepted === false && onChallenge.revert).toEqual({
      name: "UnknownChallenge",
      args: [BigInt(claimProof.challenge)],
    });
  });

  it("refuses a device root replaced longer ago than the window off-chain and on-chain", async () => {
    const scope = actionScope(VOTE);
    const issued = store.challenge(scope, BigInt(voteProof.challenge))!;
    expect(await source.deviceRoots()).toHaveLength(1);
    // A second camera is registered a minute after the challenge: the device tree gets a new root.
    clock = issued.issuedAt + 60_000;
    await client.registerDevice(DeviceKey.fromSeed("dapp-verify-second-camera").publicKey);
    const roots = await source.deviceRoots();
    expect(roots.map((r) => [r.root === BigInt(voteProof.deviceRoot), r.replacedAt])).toEqual([
      [true, clock],
      [false, null],
    ]);
    // Five and a half minutes later the old root is stale, while the challenge is still valid.
    clock = issued.issuedAt + 6.5 * 60_000;
    const offChain = await post(`/actions/${VOTE}`, { proof: voteProof });
    expect([offChain.status, offChain.body.error.code, offChain.body.error.field]).toEqual([
      422,
      "STALE_DEVICE_ROOT",
      "proof.deviceRoot",
    ]);
    await new RootOracle(chain).sync(
      { groupRoots: await source.groupRoots(), deviceRoots: roots },
      { rootExpiryMs: HOUR, deviceRootExpiryMs: 5 * 60_000 },
    );
    const onChain = await chain.performAction(scope, voteProof);
    expect(onChain.accepted === false && onChain.revert).toEqual({
      name: "StaleDeviceRoot",
      args: [BigInt(voteProof.deviceRoot), BigInt(Math.floor((issued.issuedAt + 6 * 60_000) / 1000))],
    });
    clock = Date.now();
  });

  it("refuses malformed bodies with MALFORMED_BODY naming the field", async () => {
    const badNumber = await post(`/actions/${VOTE}`, { proof: { ...voteProof, nullifier: "0x12" } });
    expect([badNumber.status, badNumber.body.error.code, badNumber.body.error.field]).toEqual([
      400,
      "MALFORMED_BODY",
      "body.proof.nullifier",
    ]);
    const missing = await post(`/actions/${VOTE}`, {});
    expect([missing.status, missing.body.error.code]).toEqual([400, "MALFORMED_BODY"]);
    const notJson = await app.inject({
      method: "POST",
      url: `/actions/${VOTE}`,
      headers: { "content-type": "application/json" },
      payload: "{ not json",
    });
    expect([notJson.statusCode, notJson.json().error.code]).toEqual([400, "MALFORMED_BODY"]);
    const badAction = await post("/actions/-no/challenges");
    expect([badAction.status, badAction.body.error.code, badAction.body.error.field]).toEqual([
      400,
      "MALFORMED_BODY",
      "params.action",
    ]);
  });

  it("refuses an unknown device root and an expired challenge off-chain and on-chain", async () => {
    const scope = actionScope(VOTE);
    const unknownDevices = { ...voteProof, deviceRoot: "4242" };
    const offDevices = await post(`/actions/${VOTE}`, { proof: unknownDevices });
    expect([offDevices.status, offDevices.body.error.code, offDevices.body.error.field]).toEqual([
      422,
      "UNKNOWN_DEVICE_ROOT",
      "proof.deviceRoot",
    ]);
    const onDevices = await chain.performAction(scope, unknownDevices);
    expect(onDevices.accepted === false && onDevices.revert).toEqual({
      name: "UnknownDeviceRoot",
      args: [4242n],
    });

    // Ten minutes and a second after it was issued, the action's challenge has expired.
    const issued = store.challenge(scope, BigInt(voteProof.challenge))!;
    clock = issued.expiresAt + 1000;
    const offExpired = await post(`/actions/${VOTE}`, { proof: voteProof });
    expect([offExpired.status, offExpired.body.error.code, offExpired.body.error.field]).toEqual([
      422,
      "CHALLENGE_EXPIRED",
      "proof.challenge",
    ]);
    const onExpired = await chain.performAction(scope, voteProof);
    expect(onExpired.accepted === false && onExpired.revert).toEqual({
      name: "ChallengeExpired",
      args: [BigInt(voteProof.challenge), BigInt(Math.floor((issued.expiresAt - 1) / 1000))],
    });
    clock = Date.now();
  });

  it("takes roots and challenges only from the contract's owner", async () => {
    await expect(chain.publishGroupRoot(1n, NO_END, { caller: UniqueActionChain.RELAYER })).rejects.toThrow(
      "UniqueAction.publishGroupRoot reverted with NotOwner",
    );
    await expect(
      chain.publishChallenge(actionScope(VOTE), 1n, NO_END, { caller: UniqueActionChain.RELAYER }),
    ).rejects.toThrow("UniqueAction.publishChallenge reverted with NotOwner");
  });

  it("verifies a plain Semaphore proof with the SDK's verifyUniqueAction and on-chain, once per action", async () => {
    const claimScope = actionScope(CLAIM);
    const voteScope = actionScope(VOTE);
    const accepted = await post(`/actions/${CLAIM}/semaphore`, { proof: plainClaim });
    expect(accepted.status).toBe(201);
    expect(accepted.body).toMatchObject({
      action: CLAIM,
      scope: claimScope.toString(),
      nullifier: plainClaim.nullifier,
      message: "5",
      onChain: { executionGas: PLAIN_ACTION_GAS },
    });
    expect(plainClaim.merkleTreeDepth).toBe(1);
    expect(await chain.nullifierUsed(claimScope, BigInt(plainClaim.nullifier))).toBe(true);
    const bare = await chain.verifySemaphoreProofDirectly(plainClaim);
    expect([bare.valid, bare.executionGas]).toEqual([true, 208_946n]);

    const again = await post(`/actions/${CLAIM}/semaphore`, { proof: plainClaim });
    expect([again.status, again.body.error.code]).toEqual([409, "NULLIFIER_USED"]);
    expect(revertOf(await chain.performPlainAction(claimScope, plainClaim))).toEqual({
      name: "NullifierUsed",
      args: [BigInt(plainClaim.nullifier)],
    });

    const otherAction = await post(`/actions/${CLAIM}/semaphore`, { proof: plainVote });
    expect([otherAction.status, otherAction.body.error.code, otherAction.body.error.field]).toEqual([
      422,
      "WRONG_SCOPE",
      "proof.scope",
    ]);
    expect(revertOf(await chain.performPlainAction(claimScope, plainVote))).toEqual({
      name: "WrongScope",
      args: [claimScope, voteScope],
    });

    const points = [...plainVote.points] as SemaphoreProofJson["points"];
    points[0] = points[2];
    for (const forged of [
      { ...plainVote, points },
      { ...plainVote, message: "6" },
    ]) {
      const off = await post(`/actions/${VOTE}/semaphore`, { proof: forged });
      expect([off.status, off.body.error.code]).toEqual([422, "INVALID_PROOF"]);
      expect(revertOf(await chain.performPlainAction(voteScope, forged))).toEqual({
        name: "InvalidProof",
        args: [],
      });
    }

    const unknownRoot = { ...plainVote, merkleTreeRoot: "99" };
    const offRoot = await post(`/actions/${VOTE}/semaphore`, { proof: unknownRoot });
    expect([offRoot.status, offRoot.body.error.code]).toEqual([422, "UNKNOWN_ROOT"]);
    expect(revertOf(await chain.performPlainAction(voteScope, unknownRoot))).toEqual({
      name: "UnknownRoot",
      args: [99n],
    });
    // The contract has a Semaphore verifier only for the depths it was given.
    expect(revertOf(await chain.performPlainAction(voteScope, { ...plainVote, merkleTreeDepth: 7 }))).toEqual(
      {
        name: "UnsupportedDepth",
        args: [7n],
      },
    );
    expect(await chain.nullifierUsed(voteScope, BigInt(plainVote.nullifier))).toBe(false);

    // Four concurrent submissions of one proof: one is accepted, on both sides, and three are refused.
    const concurrent = await Promise.all(
      [1, 2, 3, 4].map(() => post(`/actions/${VOTE}/semaphore`, { proof: plainVote })),
    );
    expect(concurrent.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
    expect(concurrent.filter((r) => r.status === 409).map((r) => r.body.error.code)).toEqual([
      "NULLIFIER_USED",
      "NULLIFIER_USED",
      "NULLIFIER_USED",
    ]);
    expect(await chain.nullifierUsed(voteScope, BigInt(plainVote.nullifier))).toBe(true);

    const malformed = await post(`/actions/${VOTE}/semaphore`, { proof: { ...plainVote, points: [1, 2] } });
    expect([malformed.status, malformed.body.error.code, malformed.body.error.field]).toEqual([
      400,
      "MALFORMED_BODY",
      "body.proof.points",
    ]);
    // A liveness proof is not a plain one, and a backend without a plain group takes none.
    const liveness = await post(`/actions/${VOTE}/semaphore`, { proof: voteProof });
    expect([liveness.status, liveness.body.error.code]).toEqual([400, "MALFORMED_BODY"]);
    const biometricOnly = await buildDappServer({
      store,
      registry: new HttpRegistrySource({ baseUrl: server.url, groupId: "humans" }),
      chain,
      artifacts,
      now,
    });
    const refused = await biometricOnly.inject({
      method: "POST",
      url: `/actions/${VOTE}/semaphore`,
      payload: { proof: plainVote } as object,
    });
    expect([refused.statusCode, refused.json().error.code]).toEqual([422, "UNSUPPORTED_PROOF"]);
    await biometricOnly.close();
  });

  it("refuses a root replaced longer ago than the window off-chain and on-chain (a stale root)", async () => {
    const scope = actionScope(VOTE);
    // Bob enrols: the root Alice proved against is replaced; an hour and a minute later it is stale.
    const bob = new Identity("dapp-verify-bob");
    const { challenge } = await client.requestChallenge();
    await client.enrol({
      groupId: "humans",
      capture: signCapture(device, eye(202), challenge, { focus: 1 }),
      member: bob,
    });
    clock = Date.now() + HOUR + 60_000;
    const offChain = await post(`/actions/${VOTE}`, { proof: voteProof });
    expect([offChain.status, offChain.body.error.code, offChain.body.error.field]).toEqual([
      422,
      "STALE_ROOT",
      "proof.merkleTreeRoot",
    ]);
    const roots = await source.groupRoots();
    expect(roots.map((r) => r.root === BigInt(voteProof.merkleTreeRoot))).toEqual([false, true, false]);
    await new RootOracle(chain).sync(
      { groupRoots: roots, deviceRoots: await source.deviceRoots() },
      { rootExpiryMs: HOUR, deviceRootExpiryMs: 5 * 60_000 },
    );
    const replacedAt = roots[1]!.replacedAt!;
    const onChain = await chain.performAction(scope, voteProof);
    expect(onChain.accepted === false && onChain.revert).toEqual({
      name: "StaleRoot",
      args: [BigInt(voteProof.merkleTreeRoot), BigInt(Math.floor((replacedAt + HOUR) / 1000))],
    });
    expect(NO_END).toBe(2n ** 64n - 1n);
    expect(await chain.nullifierUsed(scope, BigInt(voteProof.nullifier))).toBe(false);
  });
});

/** The BN254 base-field modulus (the coordinates' field), for negating a G1 point. */
const FIELD_Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
