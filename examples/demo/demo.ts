/**
 * The end-to-end zkiris demo on embedded defaults (`npm run demo`):
 *
 *  1. a mock capture device (seeded synthetic NIR irises) signs captures with its BabyJubJub key;
 *  2. synthetic people are encoded by the real TensorFlow.js encoder and enrolled in a registry on
 *     an embedded database file with the enrolment protocol: three signed captures per person (a
 *     frame with fewer usable bits than the enrolment floor is retaken), checked against each other,
 *     voted into a template, each bound to a Semaphore identity and a salted template commitment;
 *     a subject whose eye never yields enough usable bits is a failure to enrol, counted;
 *  3. a second enrolment of the same eye (fresh captures, a new identity) is refused by the 1:N
 *     search, and so is a squint (an enrolled template's bits with the mask cut to 760 bits);
 *  4. a poll: everyone votes anonymously with a Semaphore proof, a double vote is refused, the tally
 *     is counted, and the public audit log is re-verified offline;
 *  5. a live, device-signed capture is proved to match a committed template in zero knowledge
 *     (Groth16, the committed development artifacts) and verified.
 *
 * Options: --people N (default 12), --db FILE (default a fresh file under the OS temp directory).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Group } from "@semaphore-protocol/group";
import { Identity } from "@semaphore-protocol/identity";
import { generateProof } from "@semaphore-protocol/proof";
import {
  DeviceError,
  DeviceKey,
  DeviceRegistryTree,
  parseCapturePacket,
  signCapture,
  verifyCapture,
} from "@zkiris/device";
import { IrisEncoder, QualityGateError } from "@zkiris/encoder";
import {
  buildTemplate,
  DEFAULT_PROFILE,
  formatGeometry,
  IrisCode,
  matchCodes,
  randomSalt,
  templateCommitment,
} from "@zkiris/iris-code";
import {
  loadLivenessVoteArtifacts,
  loadMatchArtifacts,
  MatchProofError,
  proveLivenessVote,
  proveMatch,
  releaseCurve,
  verifyMatch,
} from "@zkiris/match-proof";
import { renderCapture } from "@zkiris/mock-capture";
import { Registry, RegistryError, recount, releaseProverThreads, semaphoreArtifacts } from "@zkiris/registry";
import { defaultArtifactsDir, livenessArtifactsDir } from "./artifacts-dir.js";

const argValue = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const people = Number(argValue("--people") ?? 12);
if (!Number.isInteger(people) || people < 2 || people > 64) {
  console.error("--people must be an integer between 2 and 64");
  process.exit(2);
}

const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s`;
const step = (text: string) => console.log(`[${elapsed()}] ${text}`);
const bar = (done: number, total: number, label: string) => {
  const width = 24;
  const filled = Math.round((done / total) * width);
  process.stdout.write(
    `\r[${elapsed()}]   [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total} ${label}`.padEnd(
      90,
    ),
  );
  if (done === total) process.stdout.write("\n");
};

const workDir = mkdtempSync(join(tmpdir(), "zkiris-demo-"));
const databaseFile = argValue("--db") ?? join(workDir, "registry.sqlite");

interface Person {
  name: string;
  subjectSeed: string;
  identity: Identity;
  template: IrisCode;
  salt: bigint;
  commitment: bigint;
}

async function main() {
  step(
    `zkiris demo: ${people} synthetic people, profile ${DEFAULT_PROFILE.name} (${formatGeometry(DEFAULT_PROFILE.geometry)})`,
  );

  const encoder = await IrisEncoder.create();
  step(`encoder ready: TensorFlow.js backend '${encoder.backend}'`);

  // The registry verifies liveness-bound votes with the committed liveness circuit's key.
  const livenessArtifacts = await loadLivenessVoteArtifacts(livenessArtifactsDir());
  const registry = await Registry.open({
    database: databaseFile,
    profile: DEFAULT_PROFILE,
    livenessArtifacts,
  });
  step(`registry open on embedded database ${databaseFile}`);

  // The capture device and its registration; a dApp verifier keeps the trusted-device tree.
  const device = DeviceKey.fromSeed("zkiris-demo-device");
  await registry.registerDevice(device.publicKey);
  const trustedDevices = new DeviceRegistryTree();
  trustedDevices.add(device.publicKey);
  await registry.createGroup({ id: "citizens", kind: "plain" });
  step(`mock capture device ${String(device.deviceId).slice(0, 12)}… registered; group 'citizens' created`);

  let qualityRetakes = 0;
  /** The device captures an eye, encodes it and signs it with the verifier's challenge. */
  const capture = async (subjectSeed: string, captureSeed: string, challenge: bigint) => {
    // Like a real camera, the device takes another frame when the encoder refuses one on quality.
    let refusals = 0;
    for (;;) {
      const image = renderCapture(subjectSeed, refusals === 0 ? captureSeed : `${captureSeed}#${refusals}`);
      try {
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
        return { code, packet };
      } catch (error) {
        if (!(error instanceof QualityGateError) || ++refusals > 3) throw error;
        qualityRetakes++;
        console.log(
          `\n[${elapsed()}]   frame refused (${error.gate}: ${error.message}); the device captures again`,
        );
      }
    }
  };

  // Enrolment with the protocol: three captures per person, each over its own challenge.
  const enrolmentFloor = DEFAULT_PROFILE.deduplication.enrolmentMinUsableBits;
  let lowUsableRetakes = 0;
  const enrolmentCaptures = async (subjectSeed: string, session: string) => {
    const packets = [];
    const codes: IrisCode[] = [];
    // The enrolment station retakes a frame whose code has fewer usable bits than the floor.
    for (let frame = 0; frame < 8 && codes.length < 3; frame++) {
      const { challenge } = await registry.issueChallenge();
      let taken: Awaited<ReturnType<typeof capture>>;
      try {
        taken = await capture(subjectSeed, `${session}-${frame}`, challenge);
      } catch (error) {
        // An eye the camera cannot image after its retakes counts towards a failure to enrol.
        if (!(error instanceof QualityGateError)) throw error;
        continue;
      }
      const { code, packet } = taken;
      if (code.usableBitCount() < enrolmentFloor) {
        lowUsableRetakes++;
        continue;
      }
      codes.push(code);
      packets.push(packet);
    }
    return { codes, packets };
  };
  step(
    `enrolling: 3 captures -> encode -> sign -> consistency -> template -> 1:N search -> commit -> group leaf (floor ${enrolmentFloor} usable bits)`,
  );
  /** Enrols one synthetic subject in a group: the person, or why the subject failed to enrol. */
  const enrolSubject = async (
    subjectSeed: string,
    groupId: string,
    name: string,
  ): Promise<Person | string> => {
    const { codes, packets } = await enrolmentCaptures(subjectSeed, "enrolment");
    if (codes.length < 3)
      return `${subjectSeed}: ${codes.length} of 8 frames reached ${enrolmentFloor} usable bits`;
    const { template } = buildTemplate(codes, DEFAULT_PROFILE);
    const identity = new Identity();
    const salt = randomSalt();
    const commitment = templateCommitment(template, salt);
    try {
      await registry.enrolFromCaptures({
        groupId,
        captures: packets,
        identityCommitment: identity.commitment,
        templateCommitment: commitment,
        salt,
      });
    } catch (error) {
      const refused = error instanceof RegistryError ? error.code : undefined;
      if (refused !== "INSUFFICIENT_USABLE_BITS" && refused !== "INCONSISTENT_CAPTURES") throw error;
      return `${subjectSeed}: ${refused}`;
    }
    return { name, subjectSeed, identity, template, salt, commitment };
  };
  const enrolled: Person[] = [];
  const failedToEnrol: string[] = [];
  for (let subject = 0; enrolled.length < people && subject < 2 * people + 4; subject++) {
    const outcome = await enrolSubject(`demo-person-${subject}`, "citizens", `person ${enrolled.length}`);
    if (typeof outcome === "string") {
      failedToEnrol.push(outcome);
      continue;
    }
    enrolled.push(outcome);
    bar(enrolled.length, people, "enrolled");
  }
  for (const failure of failedToEnrol) step(`failure to enrol: ${failure}`);
  if (enrolled.length < Math.min(people, 3)) throw new Error("too few people could be enrolled");

  // A second enrolment of an already enrolled eye, with fresh captures and a new identity.
  const cheater = enrolled[1]!;
  let duplicateRefusal = "NOT REFUSED";
  {
    const { codes, packets } = await enrolmentCaptures(cheater.subjectSeed, "second-attempt");
    if (codes.length < 3) throw new Error(`${cheater.name}'s second attempt did not reach three captures`);
    const salt = randomSalt();
    try {
      await registry.enrolFromCaptures({
        groupId: "citizens",
        captures: packets,
        identityCommitment: new Identity().commitment,
        templateCommitment: templateCommitment(buildTemplate(codes, DEFAULT_PROFILE).template, salt),
        salt,
      });
    } catch (error) {
      if (!(error instanceof RegistryError)) throw error;
      duplicateRefusal = `${error.code}: ${error.message}`;
    }
  }
  step(`second enrolment of ${cheater.name}'s eye refused -> ${duplicateRefusal}`);
  if (duplicateRefusal === "NOT REFUSED") throw new Error("the duplicate enrolment was accepted");

  // A squint: the exact bits of an enrolled template with the mask cut to 760 usable bits, which
  // a search floor alone would call incomparable and hence unique.
  let squintRefusal = "NOT REFUSED";
  {
    const mask = cheater.template.maskValues();
    let kept = 0;
    for (let i = 0; i < mask.length; i++) if (mask[i] === 1 && ++kept > 760) mask[i] = 0;
    const squint = IrisCode.fromBits(cheater.template.geometry, cheater.template.bitValues(), mask);
    const { challenge } = await registry.issueChallenge();
    const salt = randomSalt();
    try {
      await registry.enrol({
        groupId: "citizens",
        capture: signCapture(device, squint, challenge, { sharpness: 1 }),
        identityCommitment: new Identity().commitment,
        templateCommitment: templateCommitment(squint, salt),
        salt,
      });
    } catch (error) {
      if (!(error instanceof RegistryError)) throw error;
      squintRefusal = `${error.code}: ${error.message}`;
    }
  }
  step(`squinted copy of ${cheater.name}'s template refused -> ${squintRefusal}`);
  if (squintRefusal === "NOT REFUSED") throw new Error("the squinted copy was accepted");

  // The poll.
  const now = Date.now();
  const poll = await registry.createPoll({
    id: "budget-2027",
    groupId: "citizens",
    options: ["parks", "libraries", "bike lanes"],
    opensAt: now - 1000,
    closesAt: now + 3_600_000,
  });
  step(`poll '${poll.id}' open: ${poll.options.join(" / ")}`);
  const group = new Group(registry.members("citizens"));
  const artifacts = await semaphoreArtifacts(group.depth);
  const votes: unknown[] = [];
  for (const [i, person] of enrolled.entries()) {
    const option = [1, 0, 2, 1, 1, 0, 2, 1, 0, 1, 2, 1][i % 12]! % poll.options.length;
    const proof = await generateProof(person.identity, group, option, poll.scope, group.depth, artifacts);
    await registry.vote(poll.id, proof);
    votes.push(proof);
    bar(i + 1, enrolled.length, "anonymous votes (Semaphore proofs)");
  }
  let doubleVote = "NOT REFUSED";
  try {
    await registry.vote(poll.id, votes[0] as Parameters<Registry["vote"]>[1]);
  } catch (error) {
    if (!(error instanceof RegistryError)) throw error;
    doubleVote = error.code;
  }
  step(`double vote refused -> ${doubleVote}`);
  if (doubleVote === "NOT REFUSED") throw new Error("the double vote was accepted");
  const tally = await registry.tally(poll.id);
  step(`tally: ${poll.options.map((o, i) => `${o} ${tally.counts[i]}`).join(", ")}`);
  const audit = await registry.auditLog(poll.id);
  const recounted = await recount(audit);
  const recountAgrees =
    JSON.stringify(recounted.counts) === JSON.stringify(tally.counts) && recounted.rejected.length === 0;
  step(
    `audit log re-verified offline: ${audit.votes.length} proofs, recount ${recountAgrees ? "agrees" : "DISAGREES"}`,
  );
  if (!recountAgrees) throw new Error("the recount disagrees with the tally");
  await releaseProverThreads();

  // A live match: a verifier's challenge, a fresh signed capture, a zero-knowledge proof.
  const prover = enrolled[0]!;
  const verifierChallenge = randomSalt();
  const live = await capture(prover.subjectSeed, "live-check", verifierChallenge);
  const received = verifyCapture(parseCapturePacket(JSON.stringify(live.packet)), {
    expectedChallenge: verifierChallenge,
    registry: trustedDevices,
  });
  const plain = matchCodes(prover.template, received.probe, DEFAULT_PROFILE);
  step(
    `live capture of ${prover.name}: distance ${plain.rawDistance.toFixed(3)} at shift ${plain.shift} over ${plain.usableBits} usable bits (threshold ${DEFAULT_PROFILE.thresholdPer10k / 10000})`,
  );
  const matchArtifacts = await loadMatchArtifacts(defaultArtifactsDir());
  const proveStart = performance.now();
  const matchProof = await proveMatch(
    {
      template: prover.template,
      salt: prover.salt,
      probe: received.probe,
      signature: received.signature,
      devicePublicKey: received.publicKey,
      deviceProof: trustedDevices.proof(received.deviceId),
      challenge: verifierChallenge,
    },
    { artifacts: matchArtifacts },
  );
  const proveMs = performance.now() - proveStart;
  const verifyStart = performance.now();
  const valid = await verifyMatch(
    matchProof,
    { templateCommitment: prover.commitment, challenge: verifierChallenge, deviceRoot: trustedDevices.root },
    { artifacts: matchArtifacts },
  );
  const verifyMs = performance.now() - verifyStart;
  step(
    `match proof (${matchArtifacts.manifest.label}): proved in ${(proveMs / 1000).toFixed(2)} s, verified in ${verifyMs.toFixed(0)} ms -> ${valid ? "VALID" : "INVALID"}`,
  );
  if (!valid) throw new Error("the match proof did not verify");

  // The same signed capture replayed to another verifier (another challenge) is refused, and another
  // person's fresh capture cannot be proved to match this template.
  let replay = "NOT REFUSED";
  try {
    verifyCapture(parseCapturePacket(JSON.stringify(live.packet)), {
      expectedChallenge: randomSalt(),
      registry: trustedDevices,
    });
  } catch (error) {
    if (!(error instanceof DeviceError)) throw error;
    replay = error.code;
  }
  step(`replayed capture under another verifier's challenge refused -> ${replay}`);
  const impostorChallenge = randomSalt();
  const impostor = await capture(enrolled[2]!.subjectSeed, "live-check", impostorChallenge);
  const impostorCapture = verifyCapture(impostor.packet, {
    expectedChallenge: impostorChallenge,
    registry: trustedDevices,
  });
  let impostorRefusal = "NOT REFUSED";
  try {
    await proveMatch(
      {
        template: prover.template,
        salt: prover.salt,
        probe: impostorCapture.probe,
        signature: impostorCapture.signature,
        devicePublicKey: impostorCapture.publicKey,
        deviceProof: trustedDevices.proof(impostorCapture.deviceId),
        challenge: impostorChallenge,
      },
      { artifacts: matchArtifacts },
    );
  } catch (error) {
    if (!(error instanceof MatchProofError)) throw error;
    impostorRefusal = `${error.code}: ${error.message}`;
  }
  step(`${enrolled[2]!.name}'s capture against ${prover.name}'s template -> ${impostorRefusal}`);
  if (replay === "NOT REFUSED" || impostorRefusal === "NOT REFUSED")
    throw new Error("a forged match was accepted");
  // A liveness-bound vote: a biometric group, whose leaves bind each identity to its template
  // commitment, and a poll that takes a vote only with a fresh capture signed for its challenge.
  await registry.createGroup({ id: "residents", kind: "biometric" });
  let resident: Person | undefined;
  for (let subject = 0; resident === undefined && subject < 6; subject++) {
    const outcome = await enrolSubject(`demo-resident-${subject}`, "residents", "resident");
    if (typeof outcome !== "string") resident = outcome;
  }
  if (resident === undefined) throw new Error("no resident could be enrolled in the biometric group");
  const livePoll = await registry.createPoll({
    id: "night-buses",
    groupId: "residents",
    options: ["yes", "no"],
    opensAt: now - 1000,
    closesAt: now + 3_600_000,
    requireLiveness: true,
  });
  const pollChallenge = await registry.pollChallenge(livePoll.id);
  step(
    `liveness poll '${livePoll.id}' open on biometric group 'residents'; the device signs for its challenge`,
  );
  const livePollCapture = await capture(resident.subjectSeed, "poll-live", pollChallenge.captureChallenge);
  const liveStart = performance.now();
  const liveVote = await proveLivenessVote(
    {
      identity: resident.identity,
      group: new Group(registry.members("residents")),
      template: resident.template,
      salt: resident.salt,
      capture: parseCapturePacket(JSON.stringify(livePollCapture.packet)),
      deviceProof: registry.deviceProof(device.deviceId),
      scope: BigInt(livePoll.scope),
      message: 0,
      challenge: pollChallenge.challenge,
    },
    { artifacts: livenessArtifacts },
  );
  const liveProveMs = performance.now() - liveStart;
  await registry.livenessVote(livePoll.id, liveVote);
  let liveDouble = "NOT REFUSED";
  try {
    await registry.livenessVote(livePoll.id, liveVote);
  } catch (error) {
    if (!(error instanceof RegistryError)) throw error;
    liveDouble = error.code;
  }
  if (liveDouble === "NOT REFUSED") throw new Error("the second liveness vote was accepted");
  const liveTally = await registry.tally(livePoll.id);
  step(
    `liveness-bound vote (membership + identity + fresh signed capture matching the template, one proof) proved in ${(liveProveMs / 1000).toFixed(2)} s and accepted; again -> ${liveDouble}; tally yes ${liveTally.counts[0]}, no ${liveTally.counts[1]}`,
  );

  await livenessArtifacts.close();
  await matchArtifacts.close();
  await releaseCurve();

  const info = await registry.group("citizens");
  await registry.close();
  encoder.close();

  console.log("\nSummary");
  console.log(`  encoder backend        ${encoder.backend}`);
  console.log(`  enrolled               ${info.size} people, group root ${String(info.root).slice(0, 16)}…`);
  console.log(
    `  failed to enrol        ${failedToEnrol.length} subjects (fewer than ${enrolmentFloor} usable bits in 3 of 8 frames, or refused)`,
  );
  console.log(`  duplicate enrolment    refused (${duplicateRefusal.split(":")[0]})`);
  console.log(`  squint attack          refused (${squintRefusal.split(":")[0]})`);
  console.log(`  votes                  ${audit.votes.length} accepted, double vote refused (${doubleVote})`);
  console.log(
    `  tally                  ${poll.options.map((o, i) => `${o}: ${tally.counts[i]}`).join(", ")}`,
  );
  console.log(`  audit recount          ${recountAgrees ? "agrees" : "disagrees"}`);
  console.log(
    `  live match proof       ${valid ? "valid" : "invalid"} (prove ${(proveMs / 1000).toFixed(2)} s, verify ${verifyMs.toFixed(0)} ms)`,
  );
  console.log(
    `  frames retaken         ${qualityRetakes} (refused by a quality gate), ${lowUsableRetakes} (below the enrolment floor)`,
  );
  console.log(`  replay / impostor      refused (${replay}) / refused (${impostorRefusal.split(":")[0]})`);
  console.log(
    `  liveness-bound vote    accepted (prove ${(liveProveMs / 1000).toFixed(2)} s), again refused (${liveDouble})`,
  );
  console.log(`  total time             ${elapsed().trim()}`);
}

main()
  .then(() => {
    if (argValue("--db") === undefined) rmSync(workDir, { recursive: true, force: true });
  })
  .catch((error) => {
    console.error(
      `\ndemo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    // Worker threads (snarkjs curves, search and verifier pools) may still be alive after a failure.
    process.exit(1);
  });
