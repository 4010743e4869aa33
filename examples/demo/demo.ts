/**
 * The end-to-end zkiris demo on embedded defaults (`npm run demo`):
 *
 *  1. a mock capture device (seeded synthetic NIR irises) signs captures with its BabyJubJub key;
 *  2. synthetic people are encoded by the real TensorFlow.js encoder and enrolled in a registry on
 *     an embedded database file, each bound to a Semaphore identity and a salted template commitment;
 *  3. a second enrolment of the same eye (a fresh capture, a new identity) is refused by the 1:N search;
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
  DEFAULT_PROFILE,
  formatGeometry,
  type IrisCode,
  matchCodes,
  randomSalt,
  templateCommitment,
} from "@zkiris/iris-code";
import {
  loadMatchArtifacts,
  MatchProofError,
  proveMatch,
  releaseCurve,
  verifyMatch,
} from "@zkiris/match-proof";
import { renderCapture } from "@zkiris/mock-capture";
import { Registry, RegistryError, recount, releaseProverThreads, semaphoreArtifacts } from "@zkiris/registry";
import { defaultArtifactsDir } from "./artifacts-dir.js";

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

  const registry = await Registry.open({ database: databaseFile, profile: DEFAULT_PROFILE });
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

  // Enrolment.
  step("enrolling: capture -> encode -> sign -> 1:N uniqueness search -> commit -> group leaf");
  const enrolled: Person[] = [];
  for (let i = 0; i < people; i++) {
    const subjectSeed = `demo-person-${i}`;
    const { challenge } = await registry.issueChallenge();
    const { code, packet } = await capture(subjectSeed, "enrolment", challenge);
    const identity = new Identity();
    const salt = randomSalt();
    const commitment = templateCommitment(code, salt);
    await registry.enrol({
      groupId: "citizens",
      capture: packet,
      identityCommitment: identity.commitment,
      templateCommitment: commitment,
      salt,
    });
    enrolled.push({ name: `person ${i}`, subjectSeed, identity, template: code, salt, commitment });
    bar(i + 1, people, "enrolled");
  }

  // A second enrolment of an already enrolled eye, with a fresh capture and a new identity.
  const cheater = enrolled[1]!;
  let duplicateRefusal = "NOT REFUSED";
  {
    const { challenge } = await registry.issueChallenge();
    const { code, packet } = await capture(cheater.subjectSeed, "second-attempt", challenge);
    const salt = randomSalt();
    try {
      await registry.enrol({
        groupId: "citizens",
        capture: packet,
        identityCommitment: new Identity().commitment,
        templateCommitment: templateCommitment(code, salt),
        salt,
      });
    } catch (error) {
      if (!(error instanceof RegistryError)) throw error;
      duplicateRefusal = `${error.code}: ${error.message}`;
    }
  }
  step(`second enrolment of ${cheater.name}'s eye refused -> ${duplicateRefusal}`);
  if (duplicateRefusal === "NOT REFUSED") throw new Error("the duplicate enrolment was accepted");

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
  await matchArtifacts.close();
  await releaseCurve();

  const info = await registry.group("citizens");
  await registry.close();
  encoder.close();

  console.log("\nSummary");
  console.log(`  encoder backend        ${encoder.backend}`);
  console.log(`  enrolled               ${info.size} people, group root ${String(info.root).slice(0, 16)}…`);
  console.log(`  duplicate enrolment    refused (${duplicateRefusal.split(":")[0]})`);
  console.log(`  votes                  ${audit.votes.length} accepted, double vote refused (${doubleVote})`);
  console.log(
    `  tally                  ${poll.options.map((o, i) => `${o}: ${tally.counts[i]}`).join(", ")}`,
  );
  console.log(`  audit recount          ${recountAgrees ? "agrees" : "disagrees"}`);
  console.log(
    `  live match proof       ${valid ? "valid" : "invalid"} (prove ${(proveMs / 1000).toFixed(2)} s, verify ${verifyMs.toFixed(0)} ms)`,
  );
  console.log(`  frames retaken         ${qualityRetakes} (refused by a quality gate)`);
  console.log(`  replay / impostor      refused (${replay}) / refused (${impostorRefusal.split(":")[0]})`);
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
