// Witness-level soundness of the liveness-vote circuit on the small test profile (4 x 16 x 2 bits,
// shifts -2..2, group depth up to 20), compiled once per run: the honest vote's witness satisfies
// the R1CS and outputs the group's root and Semaphore's nullifier; every way to cheat either fails
// at the constraint meant to stop it (template and source line as circom reports them) or yields
// public outputs the poll's verifier refuses (a root that is not the group's).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Group } from "@semaphore-protocol/group";
import { Identity } from "@semaphore-protocol/identity";
import { DeviceKey } from "@zkiris/device";
import { IrisCode } from "@zkiris/iris-code";
import { poseidon2 } from "poseidon-lite";
import * as snarkjs from "snarkjs";
import { beforeAll, describe, expect, it } from "vitest";
import { CIRCUITS_DIR, compileCircuit, TEST_PROFILE } from "../../../circuits/scripts/compile.js";
import {
  BABYJUBJUB_SUBGROUP_ORDER,
  LIVENESS_VOTE_MAX_DEPTH,
  type LivenessVoteInput,
  livenessCaptureChallenge,
  livenessVoteCircuitInputs,
  type MatchCircuitInputs,
  MatchProofError,
  matchCircuitInputsAtShift,
  prepareLivenessVoteWitness,
  semaphoreHash,
  semaphoreValue,
  witnessOutputs,
} from "../src/index.js";
import { codePair } from "./fixtures.js";
import { capture, honestVote, makePoll, makeVoter, type Poll, type Voter } from "./liveness-fixtures.js";

const profile = TEST_PROFILE;
const K = profile.maxShift;
const LIB = join(CIRCUITS_DIR, "src", "lib");

let wasm: Uint8Array;
let r1csPath: string;

/** 1-based line of a circuit library file that contains `text` (exactly once). */
function lineOf(file: string, text: string): number {
  const lines = readFileSync(join(LIB, file), "utf8")
    .split("\n")
    .flatMap((l, i) => (l.includes(text) ? [i + 1] : []));
  if (lines.length !== 1) throw new Error(`'${text}' occurs ${lines.length} times in ${file}`);
  return lines[0]!;
}

async function calculate(inputs: MatchCircuitInputs): Promise<Uint8Array> {
  const out: { type: "mem"; data?: Uint8Array } = { type: "mem" };
  await snarkjs.wtns.calculate(inputs, wasm, out);
  return out.data!;
}

/** The public outputs [merkleRoot, nullifier] of a satisfying witness. */
async function outputs(inputs: MatchCircuitInputs): Promise<{ root: bigint; nullifier: bigint }> {
  const [root, nullifier] = witnessOutputs(await calculate(inputs), 2);
  return { root: root!, nullifier: nullifier! };
}

async function expectFail(inputs: MatchCircuitInputs, template: string, file?: string, constraint?: string) {
  const line = file && constraint ? String(lineOf(file, constraint)) : "\\d+";
  await expect(calculate(inputs)).rejects.toThrow(
    new RegExp(`Assert Failed\\. Error in template ${template}_\\d+ line: ${line}\\b`),
  );
}

function refusal(fn: () => unknown): { code: string; field: string | undefined } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MatchProofError);
    return { code: (e as MatchProofError).code, field: (e as MatchProofError).field };
  }
  throw new Error("expected a refusal");
}

const scopeHash = (scope: string) => semaphoreHash(semaphoreValue(scope, "scope"), "scope");

/**
 * A cheating prover's inputs, built without the TypeScript checks: `voter`'s secret with `path`'s
 * Merkle proof, `probe` signed by `key` for `signedChallenge`, proved at `shift` against `template`.
 */
function cheatInputs(
  poll: Poll,
  parts: {
    secret: bigint;
    path: Voter;
    template: Voter;
    probe?: Voter["probe"];
    key?: DeviceKey;
    signedChallenge?: bigint;
    deviceProof?: LivenessVoteInput["deviceProof"];
    shift?: number;
    scope?: string;
    challenge?: bigint;
  },
): MatchCircuitInputs {
  const scope = parts.scope ?? poll.scope;
  const challenge = parts.challenge ?? poll.challenge;
  const captureChallenge = poseidon2([scopeHash(scope), challenge]);
  const signed = capture(
    parts.key ?? poll.deviceKey,
    parts.probe ?? parts.template.probe,
    parts.signedChallenge ?? captureChallenge,
  );
  const match = matchCircuitInputsAtShift(
    {
      template: parts.template.template,
      salt: parts.template.salt,
      probe: signed.probe,
      signature: signed.signature,
      devicePublicKey: signed.publicKey,
      deviceProof: parts.deviceProof ?? poll.devices.proof(poll.deviceKey.deviceId),
      challenge: captureChallenge,
    },
    profile,
    parts.shift ?? 1,
  );
  return livenessVoteCircuitInputs({
    secret: parts.secret,
    merkleProof: poll.group.generateMerkleProof(poll.group.indexOf(parts.path.leaf)),
    maxDepth: LIVENESS_VOTE_MAX_DEPTH,
    messageHash: semaphoreHash(1n, "message"),
    scopeHash: scopeHash(scope),
    challenge,
    match,
  });
}

beforeAll(() => {
  const compiled = compileCircuit("liveness", profile, "liveness_vote_test", (line) => console.log(line));
  wasm = new Uint8Array(readFileSync(compiled.wasm));
  r1csPath = compiled.r1cs;
}, 300_000);

describe("liveness-vote circuit, honest witnesses", () => {
  const poll = makePoll(profile);
  const [alice, bob] = poll.voters as [Voter, Voter, Voter];

  it("outputs the group's root and Semaphore's nullifier, and the witness satisfies every R1CS constraint", async () => {
    const prepared = prepareLivenessVoteWitness(honestVote(poll, alice, 2n), profile);
    expect(prepared.comparison.shift).toBe(1);
    const data = await calculate(prepared.inputs);
    const [root, nullifier] = witnessOutputs(data, 2);
    expect(root).toBe(poll.group.root);
    expect(nullifier).toBe(poseidon2([scopeHash(poll.scope), alice.identity.secretScalar]));
    expect(prepared.nullifier).toBe(nullifier);
    const dir = mkdtempSync(join(tmpdir(), "zkiris-liveness-wtns-"));
    try {
      writeFileSync(join(dir, "w.wtns"), data);
      expect(await snarkjs.wtns.check(r1csPath, join(dir, "w.wtns"))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("accepts every member, at a negative shift too, and a group of one member (empty Merkle proof)", async () => {
    expect((await outputs(prepareLivenessVoteWitness(honestVote(poll, bob), profile).inputs)).root).toBe(
      poll.group.root,
    );
    const single = { ...poll, group: new Group([alice.leaf]) };
    const prepared = prepareLivenessVoteWitness(honestVote(single, alice), profile);
    expect(prepared.inputs.merkleProofLength).toBe("0");
    expect((await outputs(prepared.inputs)).root).toBe(alice.leaf);
  });

  it("gives one nullifier per identity and poll: another scope changes it, another message does not", async () => {
    const a = await outputs(prepareLivenessVoteWitness(honestVote(poll, alice, 1n), profile).inputs);
    const b = await outputs(prepareLivenessVoteWitness(honestVote(poll, alice, 2n), profile).inputs);
    const other = makePoll(profile, "poll-43");
    const c = await outputs(
      prepareLivenessVoteWitness(honestVote(other, other.voters[0]!, 1n), profile).inputs,
    );
    expect(b.nullifier).toBe(a.nullifier);
    expect(c.nullifier).not.toBe(a.nullifier);
  });

  it("takes the group's Merkle proof instead of the group, and refuses one for another leaf or too deep", () => {
    const fromGroup = prepareLivenessVoteWitness(honestVote(poll, bob), profile);
    const proof = poll.group.generateMerkleProof(1);
    const fromProof = prepareLivenessVoteWitness({ ...honestVote(poll, bob), group: proof }, profile);
    expect(fromProof.inputs).toEqual(fromGroup.inputs);
    expect(fromProof.merkleTreeRoot).toBe(poll.group.root);
    const alicesProof = poll.group.generateMerkleProof(0);
    expect(
      refusal(() => prepareLivenessVoteWitness({ ...honestVote(poll, bob), group: alicesProof }, profile)),
    ).toEqual({
      code: "NOT_A_MEMBER",
      field: "group",
    });
    const forged = { ...proof, siblings: [...proof.siblings, 5n] };
    expect(
      refusal(() => prepareLivenessVoteWitness({ ...honestVote(poll, bob), group: forged }, profile)),
    ).toEqual({
      code: "NOT_A_MEMBER",
      field: "group",
    });
    const deep = { ...proof, siblings: new Array<bigint>(LIVENESS_VOTE_MAX_DEPTH + 1).fill(1n) };
    expect(
      refusal(() => prepareLivenessVoteWitness({ ...honestVote(poll, bob), group: deep }, profile)),
    ).toEqual({
      code: "INVALID_PARAMETER",
      field: "group",
    });
  });

  it("refuses malformed input naming the field", () => {
    const vote = honestVote(poll, alice);
    const cases: [Partial<LivenessVoteInput>, string][] = [
      [{ identity: null as never }, "identity"],
      [{ identity: { secretScalar: 1, commitment: 2n } as never }, "identity.secretScalar"],
      [{ template: {} as never }, "template"],
      [{ salt: -1n }, "salt"],
      [{ group: null as never }, "group"],
      [{ capture: null as never }, "capture"],
      [{ challenge: -1n }, "challenge"],
      [{ scope: "x".repeat(32) }, "scope"],
      [{ message: -1n }, "message"],
    ];
    for (const [override, field] of cases) {
      expect(refusal(() => prepareLivenessVoteWitness({ ...vote, ...override }, profile))).toEqual({
        code: "INVALID_PARAMETER",
        field,
      });
    }
  });

  it("reads the same witness as the checked path when built from parts", async () => {
    const prepared = prepareLivenessVoteWitness(honestVote(poll, alice), profile);
    const inputs = cheatInputs(poll, { secret: alice.identity.secretScalar, path: alice, template: alice });
    expect(inputs).toEqual(prepared.inputs);
  });
});

describe("liveness-vote circuit, cheating provers", () => {
  const poll = makePoll(profile);
  const [alice, bob] = poll.voters as [Voter, Voter, Voter];
  const mallory = makeVoter(profile, "mallory", 99);
  const secret = alice.identity.secretScalar;

  it("non-member: an enrolled-looking leaf outside the group yields another root", async () => {
    expect(refusal(() => prepareLivenessVoteWitness(honestVote(poll, mallory), profile))).toEqual({
      code: "NOT_A_MEMBER",
      field: "group",
    });
    // Mallory reuses Alice's Merkle path with her own identity and template.
    const out = await outputs(
      cheatInputs(poll, { secret: mallory.identity.secretScalar, path: alice, template: mallory }),
    );
    expect(out.root).not.toBe(poll.group.root);
  });

  it("wrong secret: another identity's secret on a member's path yields another root", async () => {
    const out = await outputs(
      cheatInputs(poll, { secret: bob.identity.secretScalar, path: alice, template: alice }),
    );
    expect(out.root).not.toBe(poll.group.root);
    const random = new Identity("someone who never enrolled");
    const out2 = await outputs(
      cheatInputs(poll, { secret: random.secretScalar, path: alice, template: alice }),
    );
    expect(out2.root).not.toBe(poll.group.root);
  });

  it("wrong nullifier: secret + l has the same public key (so the same leaf) but is refused", async () => {
    // BabyPbk(secret + l) = BabyPbk(secret): without the range check this would be a second nullifier.
    await expectFail(
      cheatInputs(poll, { secret: secret + BABYJUBJUB_SUBGROUP_ORDER, path: alice, template: alice }),
      "LivenessVote",
      "liveness_vote.circom",
      "secretInRange.out === 1;",
    );
    expect(
      refusal(() =>
        prepareLivenessVoteWitness(
          {
            ...honestVote(poll, alice),
            identity: {
              secretScalar: secret + BABYJUBJUB_SUBGROUP_ORDER,
              commitment: alice.identity.commitment,
            },
          },
          profile,
        ),
      ),
    ).toEqual({ code: "INVALID_PARAMETER", field: "identity.secretScalar" });
  });

  it("another person's capture: Bob's probe against Alice's template is over the threshold", async () => {
    const inputs = cheatInputs(poll, { secret, path: alice, template: alice, probe: bob.probe, shift: 0 });
    await expectFail(inputs, "IrisMatch", "iris_match.circom", "withinThreshold.out === 1;");
    const vote = honestVote(poll, alice);
    const bobsCapture = capture(poll.deviceKey, bob.probe, vote.capture.challenge);
    expect(refusal(() => prepareLivenessVoteWitness({ ...vote, capture: bobsCapture }, profile))).toEqual({
      code: "NO_MATCH",
      field: "probe",
    });
    expect(
      refusal(() =>
        prepareLivenessVoteWitness({ ...honestVote(poll, bob), identity: alice.identity }, profile),
      ),
    ).toEqual({ code: "NOT_A_MEMBER", field: "group" });
    // Alice's identity with Bob's capture and Bob's template: that leaf is not in the group.
    const out = await outputs(cheatInputs(poll, { secret, path: alice, template: bob, shift: -1 }));
    expect(out.root).not.toBe(poll.group.root);
  });

  it("a capture signed for another challenge of this poll fails the device signature", async () => {
    const other = livenessCaptureChallenge(poll.scope, poll.challenge + 1n);
    await expectFail(
      cheatInputs(poll, { secret, path: alice, template: alice, signedChallenge: other }),
      "ForceEqualIfEnabled",
    );
    const vote = honestVote(poll, alice);
    expect(
      refusal(() =>
        prepareLivenessVoteWitness(
          { ...vote, capture: capture(poll.deviceKey, alice.probe, other) },
          profile,
        ),
      ),
    ).toEqual({ code: "CHALLENGE_MISMATCH", field: "capture.challenge" });
  });

  it("a capture signed for another poll (same challenge, another scope) fails the device signature", async () => {
    const otherPoll = livenessCaptureChallenge("poll-43", poll.challenge);
    await expectFail(
      cheatInputs(poll, { secret, path: alice, template: alice, signedChallenge: otherPoll }),
      "ForceEqualIfEnabled",
    );
    // Nor is the poll's raw challenge, unbound to the scope, what the device must sign.
    await expectFail(
      cheatInputs(poll, { secret, path: alice, template: alice, signedChallenge: poll.challenge }),
      "ForceEqualIfEnabled",
    );
    const vote = honestVote(poll, alice);
    expect(
      refusal(() =>
        prepareLivenessVoteWitness(
          { ...vote, capture: capture(poll.deviceKey, alice.probe, otherPoll) },
          profile,
        ),
      ),
    ).toEqual({ code: "CHALLENGE_MISMATCH", field: "capture.challenge" });
  });

  it("a capture from a device that is not trusted fails the device tree", async () => {
    // Signed by the rogue key (valid for it), shown with a trusted device's path.
    const rogue = DeviceKey.fromSeed("rogue camera");
    await expectFail(
      cheatInputs(poll, { secret, path: alice, template: alice, key: rogue }),
      "IrisMatch",
      "iris_match.circom",
      "tree.root === deviceRoot;",
    );
  });

  it("a revoked device (no longer under the device root) fails the device tree", async () => {
    const proofBefore = poll.devices.proof(poll.deviceKey.deviceId);
    const devices = makePoll(profile).devices;
    devices.revoke(poll.deviceKey.deviceId);
    expect(devices.root).not.toBe(proofBefore.root);
    const inputs = cheatInputs(poll, { secret, path: alice, template: alice, deviceProof: proofBefore });
    await expectFail(
      { ...inputs, deviceRoot: devices.root.toString() },
      "IrisMatch",
      "iris_match.circom",
      "tree.root === deviceRoot;",
    );
    expect(
      refusal(() =>
        prepareLivenessVoteWitness(
          { ...honestVote(poll, alice), deviceProof: { ...proofBefore, root: devices.root } },
          profile,
        ),
      ),
    ).toEqual({ code: "UNTRUSTED_DEVICE", field: "deviceProof" });
  });

  it("stale root: a path from before a member was removed yields the old root, not the current one", async () => {
    const group = new Group(poll.group.members);
    const before = group.root;
    const oldPath = group.generateMerkleProof(0);
    group.removeMember(2);
    expect(group.root).not.toBe(before);
    const inputs = livenessVoteCircuitInputs({
      ...cheatParts(poll, alice),
      merkleProof: oldPath,
    });
    expect((await outputs(inputs)).root).toBe(before);
    // Carol, removed, has no path to the current root at all.
    expect(
      refusal(() => prepareLivenessVoteWitness({ ...honestVote(poll, poll.voters[2]!), group }, profile)),
    ).toEqual({ code: "NOT_A_MEMBER", field: "group" });
  });

  it("a Merkle proof length over MAX_DEPTH outputs root 0, which no group has", async () => {
    const inputs = cheatInputs(poll, { secret, path: alice, template: alice });
    expect((await outputs({ ...inputs, merkleProofLength: String(LIVENESS_VOTE_MAX_DEPTH + 1) })).root).toBe(
      0n,
    );
  });

  it("shift out of range (|s| = K + 1) fails the shift selector", async () => {
    for (const shift of [K + 1, -(K + 1)]) {
      const { template, probe } = codePair(profile, { shift, usable: 100, differing: 10, seed: 5 });
      const voter = { ...alice, template, probe };
      const inputs = cheatInputs(poll, { secret, path: alice, template: voter, shift });
      await expectFail(inputs, "ShiftSelector", "iris_match.circom", "sum === 1;");
    }
  });

  it("too few usable bits fails the usable-bit floor", async () => {
    const { template, probe } = codePair(profile, {
      shift: 0,
      usable: profile.minUsableBits - 1,
      differing: 0,
      seed: 6,
    });
    const voter = { ...alice, template, probe };
    const inputs = cheatInputs(poll, { secret, path: alice, template: voter, shift: 0 });
    await expectFail(inputs, "IrisMatch", "iris_match.circom", "enoughUsable.out === 1;");
    // A fully masked capture of an enrolled voter: the TypeScript path refuses it before any witness.
    const masked = IrisCode.fromBits(
      profile.geometry,
      alice.probe.bitValues(),
      new Array(alice.probe.bitValues().length).fill(0),
    );
    const vote = honestVote(poll, alice);
    expect(
      refusal(() =>
        prepareLivenessVoteWitness(
          { ...vote, capture: capture(poll.deviceKey, masked, vote.capture.challenge) },
          profile,
        ),
      ),
    ).toEqual({
      code: "TOO_FEW_USABLE_BITS",
      field: "probe",
    });
  });
});

/** Honest parts of Alice's vote, for building variants with {@link livenessVoteCircuitInputs}. */
function cheatParts(poll: Poll, voter: Voter) {
  const prepared = prepareLivenessVoteWitness(honestVote(poll, voter), profile);
  return {
    secret: voter.identity.secretScalar,
    maxDepth: LIVENESS_VOTE_MAX_DEPTH,
    messageHash: prepared.messageHash,
    scopeHash: prepared.scopeHash,
    challenge: prepared.challenge,
    match: prepared.inputs,
  };
}
