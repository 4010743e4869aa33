// End to end with the committed artifacts of the default liveness-vote circuit: one real Groth16
// vote, verified off-chain (and refused for every public value a cheater could change) and by the
// exported Solidity verifier; the prover's refusals; and plain Semaphore beside it, unchanged.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Group } from "@semaphore-protocol/group";
import { Identity } from "@semaphore-protocol/identity";
import { generateProof, verifyProof } from "@semaphore-protocol/proof";
import { DEFAULT_PROFILE } from "@zkiris/iris-code";
import { poseidon2 } from "poseidon-lite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CIRCUITS_DIR } from "../../../circuits/scripts/compile.js";
import {
  type LivenessVoteArtifacts,
  type LivenessVoteProof,
  livenessCaptureChallenge,
  livenessVoteArtifactsFromBytes,
  livenessVoteCircuitMain,
  loadLivenessVoteArtifacts,
  loadMatchArtifacts,
  MatchProofError,
  proveLivenessVote,
  semaphoreHash,
  semaphoreValue,
  verifyLivenessVote,
} from "../src/index.js";
import { deployVerifier, verifyProofCalldata } from "./evm-verifier.js";
import { capture, honestVote, makePoll, makeVoter, type Poll, type Voter } from "./liveness-fixtures.js";

const DIR = join(CIRCUITS_DIR, "artifacts", "liveness_vote");
const require = createRequire(import.meta.url);
const SEMAPHORE_ARTIFACTS = dirname(require.resolve("@zk-kit/semaphore-artifacts/package.json"));

let artifacts: LivenessVoteArtifacts;
let poll: Poll;
let alice: Voter;
let vote: LivenessVoteProof;

async function refusal(promise: Promise<unknown>): Promise<{ code: string; field: string | undefined }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MatchProofError);
  return { code: (error as MatchProofError).code, field: (error as MatchProofError).field };
}

function expected(p: Poll = poll) {
  return {
    merkleTreeRoots: [p.group.root],
    scope: p.scope,
    challenge: p.challenge,
    deviceRoot: p.devices.root,
  };
}

beforeAll(async () => {
  artifacts = await loadLivenessVoteArtifacts(DIR);
  poll = makePoll(artifacts.profile);
  alice = poll.voters[0]!;
  vote = await proveLivenessVote(honestVote(poll, alice, 2n), { artifacts });
}, 600_000);

afterAll(async () => {
  await artifacts?.close();
});

describe("committed liveness-vote artifacts", () => {
  it("are built for the default profile, depth 20, within 2^16 constraints, labelled as a development setup", () => {
    const { deduplication: _, ...verification } = DEFAULT_PROFILE;
    expect(artifacts.profile).toEqual(verification);
    expect(artifacts.merkleTreeMaxDepth).toBe(20);
    expect(artifacts.manifest.label).toBe("development setup (single-party, NOT for production)");
    expect(artifacts.manifest.publicSignals).toEqual([
      "merkleRoot",
      "nullifier",
      "message",
      "scope",
      "challenge",
      "deviceRoot",
    ]);
    expect(artifacts.manifest.constraints.total).toBeLessThanOrEqual(2 ** 16);
  });

  it("are built from the current circuit sources (rebuild after changing either library or the profile)", () => {
    const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
    const lib = (name: string) => join(CIRCUITS_DIR, "src", "lib", name);
    expect(artifacts.manifest.matchLibrary).toEqual({
      path: "circuits/src/lib/iris_match.circom",
      sha256: sha(lib("iris_match.circom")),
    });
    const source = (
      artifacts.manifest as { circuitSource?: { library: { sha256: string }; main: { sha256: string } } }
    ).circuitSource;
    expect(source?.library.sha256).toBe(sha(lib("liveness_vote.circom")));
    const main = livenessVoteCircuitMain(DEFAULT_PROFILE);
    expect(readFileSync(join(CIRCUITS_DIR, "src", "main", "liveness_vote.circom"), "utf8")).toBe(main);
    expect(source?.main.sha256).toBe(createHash("sha256").update(main).digest("hex"));
  });

  it("refuses a manifest of another main component or profile (STALE_ARTIFACTS) and a tampered key", async () => {
    const manifest = JSON.parse(readFileSync(join(DIR, "manifest.json"), "utf8"));
    const verificationKey = new Uint8Array(readFileSync(join(DIR, "verification_key.json")));
    const load = (m: unknown, key = verificationKey) =>
      refusal(livenessVoteArtifactsFromBytes({ manifest: m as never, verificationKey: key }));
    expect((await livenessVoteArtifactsFromBytes({ manifest, verificationKey })).merkleTreeMaxDepth).toBe(20);
    expect(await load({ ...manifest, merkleTreeMaxDepth: 16 })).toEqual({
      code: "STALE_ARTIFACTS",
      field: "circuitSource.main",
    });
    const sourceProfile = { ...manifest.circuitSource, profile: "0".repeat(64) };
    expect(await load({ ...manifest, circuitSource: sourceProfile })).toEqual({
      code: "STALE_ARTIFACTS",
      field: "circuitSource.profile",
    });
    const tampered = verificationKey.slice();
    tampered[10]! ^= 1;
    expect(await load(manifest, tampered)).toEqual({
      code: "ARTIFACT_HASH_MISMATCH",
      field: "verificationKey",
    });
    expect(await load({ ...manifest, matchLibrary: undefined })).toEqual({
      code: "MALFORMED_MANIFEST",
      field: "matchLibrary",
    });
  });

  it("refuses the match circuit's artifacts as liveness-vote ones", async () => {
    const match = await loadMatchArtifacts(join(CIRCUITS_DIR, "artifacts", "iris_match"), {
      verifyOnly: true,
    });
    expect(match.manifest.circuit).toBe("iris_match");
    expect(await refusal(loadLivenessVoteArtifacts(join(CIRCUITS_DIR, "artifacts", "iris_match")))).toEqual({
      code: "MALFORMED_MANIFEST",
      field: "kind",
    });
  });
});

describe("proveLivenessVote and verifyLivenessVote", () => {
  it("proves an honest vote: Semaphore's root, nullifier, message and scope, the poll's challenge and device root", async () => {
    expect(vote.merkleTreeRoot).toBe(poll.group.root.toString());
    const scope = semaphoreValue(poll.scope, "scope");
    expect(vote.scope).toBe(scope.toString());
    expect(vote.message).toBe("2");
    expect(vote.nullifier).toBe(
      poseidon2([semaphoreHash(scope, "scope"), alice.identity.secretScalar]).toString(),
    );
    expect(vote.challenge).toBe(poll.challenge.toString());
    expect(vote.deviceRoot).toBe(poll.devices.root.toString());
    expect(await verifyLivenessVote(vote, expected(), { artifacts })).toBe(true);
    // JSON round trip, and verify-only artifacts.
    const verifyOnly = await loadLivenessVoteArtifacts(DIR, { verifyOnly: true });
    expect(
      await verifyLivenessVote(JSON.parse(JSON.stringify(vote)), expected(), { artifacts: verifyOnly }),
    ).toBe(true);
  });

  it("has the nullifier plain Semaphore gives the same identity in the same scope", async () => {
    const plain = new Group([alice.identity.commitment, new Identity("plain member").commitment]);
    const proof = await generateProof(alice.identity, plain, 2n, poll.scope, 20, {
      wasm: join(SEMAPHORE_ARTIFACTS, "semaphore-20.wasm"),
      zkey: join(SEMAPHORE_ARTIFACTS, "semaphore-20.zkey"),
    });
    expect(proof.nullifier).toBe(vote.nullifier);
    expect(proof.scope).toBe(vote.scope);
    // Plain Semaphore groups and proofs are untouched: Semaphore's own verifier accepts the proof.
    expect(await verifyProof(proof)).toBe(true);
    expect(await verifyProof({ ...proof, message: "3" })).toBe(false);
  });

  it("wrong nullifier: a vote whose nullifier was changed (to vote twice) does not verify", async () => {
    const other = (BigInt(vote.nullifier) + 1n).toString();
    expect(await verifyLivenessVote({ ...vote, nullifier: other }, expected(), { artifacts })).toBe(false);
  });

  it("binds the message: the same proof with another vote does not verify", async () => {
    expect(await verifyLivenessVote({ ...vote, message: "1" }, expected(), { artifacts })).toBe(false);
  });

  it("stale root: after the group changes, a vote on the old root is refused unless the poll still accepts that root", async () => {
    const group = new Group(poll.group.members);
    group.removeMember(2);
    const now = { ...expected(), merkleTreeRoots: [group.root] };
    expect(await verifyLivenessVote(vote, now, { artifacts })).toBe(false);
    expect(
      await verifyLivenessVote(
        vote,
        { ...now, merkleTreeRoots: [group.root, poll.group.root] },
        { artifacts },
      ),
    ).toBe(true);
    // A root rewritten to the current one does not verify either.
    expect(
      await verifyLivenessVote({ ...vote, merkleTreeRoot: group.root.toString() }, now, { artifacts }),
    ).toBe(false);
  });

  it("another poll: the vote is refused for another scope, challenge or device root, even rewritten to match", async () => {
    const other = makePoll(artifacts.profile, "poll-43");
    expect(await verifyLivenessVote(vote, { ...expected(), scope: other.scope }, { artifacts })).toBe(false);
    expect(
      await verifyLivenessVote(
        { ...vote, scope: semaphoreValue("poll-43", "scope").toString() },
        { ...expected(), scope: "poll-43" },
        { artifacts },
      ),
    ).toBe(false);
    expect(
      await verifyLivenessVote(vote, { ...expected(), challenge: poll.challenge + 1n }, { artifacts }),
    ).toBe(false);
    expect(
      await verifyLivenessVote(
        { ...vote, challenge: (poll.challenge + 1n).toString() },
        { ...expected(), challenge: poll.challenge + 1n },
        { artifacts },
      ),
    ).toBe(false);
    const devices = makePoll(artifacts.profile).devices;
    devices.revoke(poll.deviceKey.deviceId);
    expect(await verifyLivenessVote(vote, { ...expected(), deviceRoot: devices.root }, { artifacts })).toBe(
      false,
    );
    expect(
      await verifyLivenessVote(
        { ...vote, deviceRoot: devices.root.toString() },
        { ...expected(), deviceRoot: devices.root },
        { artifacts },
      ),
    ).toBe(false);
  });

  it("refuses malformed votes and expectations, naming the field", async () => {
    expect(await refusal(verifyLivenessVote(null as never, expected(), { artifacts }))).toEqual({
      code: "MALFORMED_PROOF",
      field: "vote",
    });
    expect(
      await refusal(verifyLivenessVote({ ...vote, nullifier: "0x1" }, expected(), { artifacts })),
    ).toEqual({
      code: "MALFORMED_PROOF",
      field: "nullifier",
    });
    expect(
      await refusal(
        verifyLivenessVote({ ...vote, proof: { ...vote.proof, pi_a: ["1"] } }, expected(), { artifacts }),
      ),
    ).toEqual({ code: "MALFORMED_PROOF", field: "proof.pi_a" });
    expect(
      await refusal(verifyLivenessVote(vote, { ...expected(), merkleTreeRoots: [-1n] }, { artifacts })),
    ).toEqual({ code: "INVALID_PARAMETER", field: "expected.merkleTreeRoots[0]" });
  });

  it("verifies in the exported Solidity verifier and rejects another nullifier there", async () => {
    const verifier = await deployVerifier(
      readFileSync(join(DIR, artifacts.manifest.files.verifier.path), "utf8"),
    );
    const scope = semaphoreValue(poll.scope, "scope");
    const signals = [
      vote.merkleTreeRoot,
      vote.nullifier,
      semaphoreHash(2n, "message").toString(),
      semaphoreHash(scope, "scope").toString(),
      vote.challenge,
      vote.deviceRoot,
    ];
    const valid = await verifier.call(await verifyProofCalldata(verifier, vote.proof, signals));
    expect(valid.result).toBe(true);
    const tampered = [...signals];
    tampered[1] = (BigInt(vote.nullifier) + 1n).toString();
    expect((await verifier.call(await verifyProofCalldata(verifier, vote.proof, tampered))).result).toBe(
      false,
    );
    console.log(
      `liveness vote verifyProof gas: ${valid.executionGas} execution, ${valid.transactionGas} as a transaction`,
    );
  });
});

describe("proveLivenessVote refusals (before any proof)", () => {
  it("refuses a non-member, a wrong secret, another person's capture and a capture for another poll or challenge", async () => {
    const mallory = makeVoter(artifacts.profile, "mallory", 99);
    expect(await refusal(proveLivenessVote(honestVote(poll, mallory), { artifacts }))).toEqual({
      code: "NOT_A_MEMBER",
      field: "group",
    });
    // Alice's commitment with Bob's secret: the leaf is Alice's, the witness's root is not the group's.
    const bob = poll.voters[1]!;
    const impostor = { secretScalar: bob.identity.secretScalar, commitment: alice.identity.commitment };
    expect(
      await refusal(proveLivenessVote({ ...honestVote(poll, alice), identity: impostor }, { artifacts })),
    ).toEqual({
      code: "INVALID_IDENTITY",
      field: "identity",
    });
    const honest = honestVote(poll, alice);
    expect(
      await refusal(
        proveLivenessVote(
          { ...honest, capture: capture(poll.deviceKey, bob.probe, honest.capture.challenge) },
          { artifacts },
        ),
      ),
    ).toEqual({ code: "NO_MATCH", field: "probe" });
    const forOtherPoll = capture(
      poll.deviceKey,
      alice.probe,
      livenessCaptureChallenge("poll-43", poll.challenge),
    );
    expect(await refusal(proveLivenessVote({ ...honest, capture: forOtherPoll }, { artifacts }))).toEqual({
      code: "CHALLENGE_MISMATCH",
      field: "capture.challenge",
    });
  });

  it("refuses a revoked device and verify-only artifacts", async () => {
    const honest = honestVote(poll, alice);
    const devices = makePoll(artifacts.profile).devices;
    devices.revoke(poll.deviceKey.deviceId);
    expect(
      await refusal(
        proveLivenessVote(
          { ...honest, deviceProof: { ...honest.deviceProof, root: devices.root } },
          { artifacts },
        ),
      ),
    ).toEqual({ code: "UNTRUSTED_DEVICE", field: "deviceProof" });
    const verifyOnly = await loadLivenessVoteArtifacts(DIR, { verifyOnly: true });
    expect(await refusal(proveLivenessVote(honest, { artifacts: verifyOnly }))).toEqual({
      code: "INVALID_PARAMETER",
      field: "artifacts",
    });
  });
});
