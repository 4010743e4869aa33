import { createWriteStream, existsSync } from "node:fs";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type CapturePacketJson, DeviceKey, parseCapturePacket, signCapture } from "@zkiris/device";
import {
  buildTemplate,
  DEFAULT_PROFILE,
  deduplicationDistance,
  formatGeometry,
  IrisCode,
  matchCodes,
  ZkirisError,
} from "@zkiris/iris-code";
import type { LivenessVoteArtifacts } from "@zkiris/match-proof";
import type { AuditLog, Registry } from "@zkiris/registry";
import type { ZkirisClient } from "@zkiris/sdk";
import type { ZkirisServer } from "@zkiris/server";
import { backendOf, integerOption, parseCommandArgs } from "../args.js";
import { type CliCommand, type CliIo, EXIT } from "../command.js";
import type { DeviceBridge } from "../device/bridge.js";
import { writeKeyFile } from "../device/key-file.js";
import type { BridgeHttpServer } from "../device/transports.js";
import { type DemoReport, type DistanceRow, renderDemoReport } from "./demo-report.js";
import { envValue } from "./service.js";

const SYNOPSIS = "zkiris demo [--people N] [--out DIR] [--liveness-artifacts DIR] [--backend ...]";

const USAGE = `Usage:
  ${SYNOPSIS}
      The whole product on embedded defaults, over HTTP: starts the service (@zkiris/server on a
      fresh SQLite file, a random local port) and the device bridge (its local HTTP transport, a new
      device key), then as a dApp and its users would, through @zkiris/sdk: registers the device,
      renders mock captures (@zkiris/mock-capture) and has the bridge encode and sign them for the
      server's challenges, enrols N synthetic people from three captures each, shows the refusals
      (the same eye again, a replayed capture, a squinted copy), runs a poll with a vote proof per
      person made locally, refuses a double vote, tallies and recounts the public audit log, and
      casts a liveness-bound vote (a fresh capture signed for the poll's challenge, proved to match
      the committed template) that is accepted once; another person's eye cannot make one.
      Prints one line per stage and a summary; writes report.html (timings per stage, the distances
      behind every match and refusal, the proofs' public signals), report.json, the server's log,
      the device key and the database to --out.
      --people        people to enrol, 2 to 64 (default 12).
      --out           output directory (default a new directory under the OS temp directory).
      --liveness-artifacts
                      the liveness-vote circuit artifacts (default the repository's
                      circuits/artifacts/liveness_vote; env ZKIRIS_LIVENESS_ARTIFACTS).
      --backend       encoder backend: auto, wasm, cpu or tensorflow (default auto).
      Exit codes: 0 every stage behaved as shown, 1 a stage did not (the line says which), 2 usage
      error, 3 internal error.
`;

const OPTIONS = {
  people: { type: "string" },
  out: { type: "string" },
  "liveness-artifacts": { type: "string" },
  backend: { type: "string" },
} as const;

/** `zkiris demo`: the end-to-end flow through the server, the SDK and the device bridge. */
export const demoCommand: CliCommand = {
  name: "demo",
  synopsis: SYNOPSIS,
  summary:
    "Run the whole flow over HTTP (service, device bridge, SDK) with its refusals; write an HTML report.",
  usage: USAGE,
  run: demo,
};

/** A stage of the demo did not behave as it should (exit code 1). */
class DemoFailure extends Error {}

/** The committed liveness-vote artifacts of the repository, found above this module. */
function repositoryLivenessArtifacts(): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, "circuits", "artifacts", "liveness_vote");
    if (existsSync(path.join(candidate, "manifest.json"))) return candidate;
    dir = path.dirname(dir);
  }
  return undefined;
}

interface Person {
  readonly name: string;
  readonly subjectSeed: string;
  readonly identity: ReturnType<typeof import("@zkiris/sdk").createIdentity>;
  readonly template: IrisCode;
  readonly salt: bigint;
  readonly memberIndex: number;
  readonly packets: readonly CapturePacketJson[];
}

const OPTIONS_OF_POLL = ["parks", "libraries", "bike lanes"] as const;
const VOTE_PATTERN = [1, 0, 2, 1, 1, 0, 2, 1, 0, 1, 2, 1];

async function demo(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, OPTIONS, USAGE, { positionals: false });
  const people = integerOption("people", values.people, 12, 2, 64, USAGE);
  const backend = backendOf(values.backend, USAGE);
  const livenessDir =
    values["liveness-artifacts"] ?? envValue("ZKIRIS_LIVENESS_ARTIFACTS") ?? repositoryLivenessArtifacts();
  const out = values.out ?? (await mkdtemp(path.join(tmpdir(), "zkiris-demo-")));
  await mkdir(out, { recursive: true });

  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const clock = () => `${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s`;
  const line = (text: string) => io.stdout(`[${clock()}] ${text}\n`);
  const report: DemoReport = {
    people,
    profile: `${DEFAULT_PROFILE.name} (${formatGeometry(DEFAULT_PROFILE.geometry)})`,
    thresholds: {
      verification: DEFAULT_PROFILE.thresholdPer10k / 10_000,
      deduplication: DEFAULT_PROFILE.deduplication.thresholdPer10k / 10_000,
      deduplicationNormalised: DEFAULT_PROFILE.deduplication.referenceBits !== undefined,
    },
    stages: [],
    distances: [],
    votes: [],
    outcomes: {},
    backend: "",
    serviceUrl: "",
    bridgeUrl: "",
    totalSeconds: 0,
    cpuSeconds: 0,
  };
  /** Runs one stage, timed (wall and this process's CPU), and prints its line. */
  const stage = async <T>(name: string, body: () => Promise<{ value: T; detail: string }>): Promise<T> => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const { value, detail } = await body();
    const cpu = process.cpuUsage(c0);
    report.stages.push({
      name,
      ms: performance.now() - t0,
      cpuMs: (cpu.user + cpu.system) / 1000,
      detail,
    });
    line(`${name}: ${detail}`);
    return value;
  };

  const [
    { Registry },
    { startServer },
    sdk,
    sdkNode,
    matchProof,
    { DeviceBridge },
    { startBridgeHttp },
    { renderCapture },
  ] = await Promise.all([
    import("@zkiris/registry"),
    import("@zkiris/server"),
    import("@zkiris/sdk"),
    import("@zkiris/sdk/node"),
    import("@zkiris/match-proof"),
    import("../device/bridge.js"),
    import("../device/transports.js"),
    import("@zkiris/mock-capture"),
  ]);

  let liveness: LivenessVoteArtifacts | undefined;
  let registry: Registry | undefined;
  let server: ZkirisServer | undefined;
  let bridge: DeviceBridge | undefined;
  let bridgeHttp: BridgeHttpServer | undefined;
  let client: ZkirisClient | undefined;
  const log = createWriteStream(path.join(out, "server.log"));
  try {
    io.stdout(`zkiris demo: ${people} synthetic people, profile ${report.profile}; output in ${out}\n`);
    const adminToken = `demo-${Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString("base64url")}`;
    const database = path.join(out, "registry.sqlite");
    await stage("service", async () => {
      if (livenessDir !== undefined)
        liveness = await matchProof.loadLivenessVoteArtifacts(livenessDir, { verifyOnly: true });
      registry = await Registry.open({
        database,
        ...(liveness === undefined ? {} : { livenessArtifacts: liveness }),
      });
      // One local client, the demo's own: the per-address rate limits would only slow it down.
      server = await startServer(registry, {
        adminToken,
        port: 0,
        rateLimit: false,
        log: { level: "info", destination: log },
      });
      report.serviceUrl = server.url;
      return {
        value: undefined,
        detail: `@zkiris/server on ${server.url}, SQLite ${database}, liveness polls ${liveness ? "on" : "off (no artifacts)"}`,
      };
    });
    client = new sdk.ZkirisClient({ baseUrl: server!.url, adminToken });
    const api = client;
    const key = DeviceKey.generate();
    const keyFile = path.join(out, "device-key.json");
    await stage("device bridge", async () => {
      await writeKeyFile(keyFile, key);
      bridge = await DeviceBridge.create({ key, registry: server!.url, backend });
      bridgeHttp = await startBridgeHttp(bridge, "127.0.0.1", 0);
      report.bridgeUrl = bridgeHttp.url;
      const info = (await bridgeCall(bridgeHttp.url, "GET", "/info")) as { profile: { name: string } };
      const device = await api.registerDevice(key.publicKey);
      await api.createGroup({ id: "citizens", kind: "plain" });
      return {
        value: undefined,
        detail: `device ${String(device.id).slice(0, 12)}… (key ${keyFile}, mode 0600) registered in slot ${device.slot}; bridge on ${bridgeHttp.url} (profile ${info.profile.name}); group 'citizens' created`,
      };
    });
    const bridgeUrl = bridgeHttp!.url;

    let qualityRetakes = 0;
    let lowBitRetakes = 0;
    const floor = DEFAULT_PROFILE.deduplication.enrolmentMinUsableBits;
    /** The mock camera renders an eye; the bridge encodes it and signs it for `challenge`; a quality refusal is retaken. */
    const capture = async (subjectSeed: string, captureSeed: string, challenge: bigint) => {
      for (let attempt = 0; attempt < 4; attempt++) {
        const eye = renderCapture(subjectSeed, attempt === 0 ? captureSeed : `${captureSeed}#${attempt}`);
        const answer = (await bridgeCall(bridgeUrl, "POST", "/capture", {
          challenge: challenge.toString(),
          frame: { width: eye.width, height: eye.height, data: Buffer.from(eye.pixels).toString("base64") },
        })) as { packet?: CapturePacketJson; error?: { code: string } };
        if (answer.packet !== undefined) return answer.packet;
        if (answer.error?.code !== "QUALITY_GATE")
          throw new DemoFailure(`the bridge refused a capture: ${JSON.stringify(answer.error)}`);
        qualityRetakes++;
      }
      return undefined;
    };
    const probeOf = (packet: CapturePacketJson) => parseCapturePacket(packet).probe;
    /** Three captures an enrolment station would take: frames below the enrolment floor are retaken. */
    const enrolmentCaptures = async (subjectSeed: string, session: string) => {
      const packets: CapturePacketJson[] = [];
      for (let frame = 0; frame < 8 && packets.length < 3; frame++) {
        const { challenge } = await api.requestChallenge();
        const packet = await capture(subjectSeed, `${session}-${frame}`, challenge);
        if (packet === undefined) continue;
        if (probeOf(packet).usableBitCount() < floor) {
          lowBitRetakes++;
          continue;
        }
        packets.push(packet);
      }
      return packets;
    };
    const pairDistance = (
      kind: DistanceRow["kind"],
      what: string,
      a: IrisCode,
      b: IrisCode,
      outcome: string,
    ) => {
      const m = matchCodes(a, b, DEFAULT_PROFILE);
      const row: DistanceRow = {
        kind,
        what,
        raw: m.rawDistance,
        deduplication: deduplicationDistance(m.differingBits, m.usableBits, DEFAULT_PROFILE.deduplication),
        usableBits: m.usableBits,
        shift: m.shift,
        outcome,
      };
      report.distances.push(row);
      return row;
    };
    const failedToEnrol: string[] = [];
    /** Enrols one subject through the bridge and the SDK, or says why it failed to enrol. */
    const enrolSubject = async (
      subjectSeed: string,
      groupId: string,
      name: string,
    ): Promise<Person | string> => {
      const packets = await enrolmentCaptures(subjectSeed, "enrolment");
      if (packets.length < 3)
        return `${subjectSeed}: ${packets.length} of 8 frames reached ${floor} usable bits`;
      const identity = sdk.createIdentity();
      let enrolment: Awaited<ReturnType<ZkirisClient["enrolFromCaptures"]>>;
      try {
        enrolment = await api.enrolFromCaptures({ groupId, captures: packets, member: identity });
      } catch (error) {
        const code = ZkirisError.is(error) ? error.code : undefined;
        if (code !== "INSUFFICIENT_USABLE_BITS" && code !== "INCONSISTENT_CAPTURES") throw error;
        return `${subjectSeed}: ${code}`;
      }
      const probes = packets.map(probeOf);
      const template = buildTemplate(probes, DEFAULT_PROFILE).template;
      pairDistance(
        "genuine",
        `${name}: capture 1 vs capture 2 (enrolment consistency)`,
        probes[0]!,
        probes[1]!,
        "consistent",
      );
      return {
        name,
        subjectSeed,
        identity,
        template,
        salt: enrolment.salt,
        memberIndex: enrolment.memberIndex,
        packets,
      };
    };

    const enrolled = await stage("enrolment", async () => {
      const list: Person[] = [];
      for (let subject = 0; list.length < people && subject < 2 * people + 4; subject++) {
        const outcome = await enrolSubject(`demo-person-${subject}`, "citizens", `person ${list.length}`);
        if (typeof outcome === "string") failedToEnrol.push(outcome);
        else list.push(outcome);
      }
      if (list.length < Math.min(people, 3)) throw new DemoFailure("too few people could be enrolled");
      const info = await api.group("citizens");
      return {
        value: list,
        detail: `${list.length} people enrolled from 3 bridge-signed captures each (POST /enrolments/captures; exact 1:N search at every rotation), ${failedToEnrol.length} failed to enrol, ${qualityRetakes} frames refused by a quality gate, ${lowBitRetakes} below the floor of ${floor} usable bits; group root ${String(info.root).slice(0, 16)}…`,
      };
    });
    report.outcomes.enrolled = String(enrolled.length);
    report.outcomes["failed to enrol"] = String(failedToEnrol.length);
    for (let i = 0; i < enrolled.length; i++) {
      let nearest: { d: number; j: number } | undefined;
      for (let j = 0; j < enrolled.length; j++) {
        if (j === i) continue;
        const d = matchCodes(enrolled[i]!.template, enrolled[j]!.template, DEFAULT_PROFILE).rawDistance;
        if (nearest === undefined || d < nearest.d) nearest = { d, j };
      }
      if (nearest !== undefined && i < 6)
        pairDistance(
          "impostor",
          `${enrolled[i]!.name} vs nearest other template (${enrolled[nearest.j]!.name})`,
          enrolled[i]!.template,
          enrolled[nearest.j]!.template,
          "distinct people",
        );
    }

    const refusal = async (attempt: () => Promise<unknown>, what: string): Promise<string> => {
      try {
        await attempt();
      } catch (error) {
        if (!ZkirisError.is(error)) throw error;
        const status = (error as { status?: unknown }).status;
        return `${error.code}${typeof status === "number" ? ` ${status}` : ""}`;
      }
      throw new DemoFailure(`${what} was accepted`);
    };
    const cheater = enrolled[1]!;
    const duplicate = await stage("duplicate enrolment", async () => {
      const packets = await enrolmentCaptures(cheater.subjectSeed, "second-attempt");
      if (packets.length < 3)
        throw new DemoFailure(`${cheater.name}'s second attempt did not reach three captures`);
      const code = await refusal(
        () => api.enrolFromCaptures({ groupId: "citizens", captures: packets, member: sdk.createIdentity() }),
        "the second enrolment of an eye",
      );
      const template = buildTemplate(packets.map(probeOf), DEFAULT_PROFILE).template;
      const row = pairDistance(
        "genuine",
        `${cheater.name}'s second attempt vs their enrolled template`,
        template,
        cheater.template,
        `refused: ${code}`,
      );
      return {
        value: code,
        detail: `${cheater.name}'s eye again (fresh captures, a new identity) refused -> ${code} (distance ${row.raw.toFixed(3)}, deduplication ${row.deduplication.toFixed(3)} <= ${report.thresholds.deduplication})`,
      };
    });
    report.outcomes["duplicate enrolment"] = duplicate;
    const replay = await stage("replayed capture", async () => {
      const code = await refusal(
        () =>
          api.enrol({ groupId: "citizens", capture: enrolled[0]!.packets[0]!, member: sdk.createIdentity() }),
        "a replayed capture",
      );
      return {
        value: code,
        detail: `${enrolled[0]!.name}'s first signed capture sent again refused -> ${code} (its challenge was used once)`,
      };
    });
    report.outcomes["replayed capture"] = replay;
    const squint = await stage("squinted copy", async () => {
      // Firmware that signs anything: the exact bits of an enrolled template with the mask cut to
      // 760 usable bits, which a search floor alone would call incomparable and hence unique.
      const mask = cheater.template.maskValues();
      let kept = 0;
      for (let i = 0; i < mask.length; i++) if (mask[i] === 1 && ++kept > 760) mask[i] = 0;
      const copy = IrisCode.fromBits(cheater.template.geometry, cheater.template.bitValues(), mask);
      const { challenge } = await api.requestChallenge();
      const code = await refusal(
        () =>
          api.enrol({
            groupId: "citizens",
            capture: signCapture(key, copy, challenge, { sharpness: 1 }),
            member: sdk.createIdentity(),
          }),
        "the squinted copy",
      );
      return {
        value: code,
        detail: `${cheater.name}'s template signed with its mask cut to 760 usable bits refused -> ${code}`,
      };
    });
    report.outcomes["squinted copy"] = squint;

    const now = Date.now();
    const poll = await api.createPoll({
      id: "budget-2027",
      groupId: "citizens",
      options: [...OPTIONS_OF_POLL],
      opensAt: now - 1000,
      closesAt: now + 3_600_000,
    });
    const artifacts = sdkNode.nodeArtifacts();
    const proofs = await stage("votes", async () => {
      const made: Awaited<ReturnType<ZkirisClient["proveVote"]>>[] = [];
      let proveMs = 0;
      for (const [i, person] of enrolled.entries()) {
        const option = VOTE_PATTERN[i % VOTE_PATTERN.length]! % OPTIONS_OF_POLL.length;
        const t0 = performance.now();
        const proof = await api.proveVote(poll.id, person.identity, option, { artifacts });
        proveMs += performance.now() - t0;
        const receipt = await api.submitVote(poll.id, proof);
        made.push(proof);
        report.votes.push({
          who: person.name,
          kind: "Semaphore vote",
          signals: {
            merkleTreeRoot: proof.merkleTreeRoot.toString(),
            nullifier: proof.nullifier.toString(),
            message: proof.message.toString(),
            scope: proof.scope.toString(),
            merkleTreeDepth: String(proof.merkleTreeDepth),
          },
          receipt: `accepted, seq ${receipt.seq}`,
        });
      }
      return {
        value: made,
        detail: `poll '${poll.id}' (${poll.options.join(" / ")}): ${made.length} anonymous votes, each a Semaphore proof made locally (${(proveMs / made.length).toFixed(0)} ms each) and accepted (POST /polls/${poll.id}/votes)`,
      };
    });
    const backendCheck = await stage("backend check", async () => {
      // A dApp backend checks a proof it is handed without the server's say: what verifyUniqueAction does.
      const nullifiers = new sdk.InMemoryNullifierStore();
      const action = await sdk.verifyUniqueAction(proofs[0]!, {
        scope: poll.scope,
        rootHistory: () => api.roots("citizens"),
        nullifiers,
      });
      const again = await refusal(
        () =>
          sdk.verifyUniqueAction(proofs[0]!, {
            scope: poll.scope,
            rootHistory: () => api.roots("citizens"),
            nullifiers,
          }),
        "the same proof at the backend",
      );
      return {
        value: again,
        detail: `verifyUniqueAction of ${enrolled[0]!.name}'s proof: valid (option ${action.message}); the same proof again -> ${again}`,
      };
    });
    report.outcomes["backend check, same proof again"] = backendCheck;
    const doubleVote = await stage("double vote", async () => {
      const code = await refusal(() => api.submitVote(poll.id, proofs[0]!), "the double vote");
      return { value: code, detail: `${enrolled[0]!.name}'s vote sent again refused -> ${code}` };
    });
    report.outcomes["double vote"] = doubleVote;
    const tally = await stage("tally", async () => {
      const t = await api.tally(poll.id);
      return { value: t, detail: poll.options.map((o, i) => `${o} ${t.counts[i]}`).join(", ") };
    });
    report.outcomes.tally = poll.options.map((o, i) => `${o}: ${tally.counts[i]}`).join(", ");
    const audit = await stage("audit", async () => {
      const log = await auditLog(server!.url, poll.id);
      const { recount } = await import("@zkiris/registry");
      const recounted = await recount(log);
      const agrees =
        JSON.stringify(recounted.counts) === JSON.stringify(tally.counts) && recounted.rejected.length === 0;
      if (!agrees) throw new DemoFailure("the recount of the audit log disagrees with the tally");
      return {
        value: { votes: log.votes.length, agrees },
        detail: `GET /polls/${poll.id}/audit-log: ${log.votes.length} proofs re-verified here, nullifiers unique, roots in the history; recount agrees with the tally`,
      };
    });
    report.outcomes["votes accepted"] = String(audit.votes);
    report.outcomes["audit recount"] = audit.agrees ? "agrees" : "disagrees";
    await sdkNode.releaseProverThreads();

    if (liveness === undefined) {
      line("liveness-bound vote: skipped (no liveness-vote artifacts; pass --liveness-artifacts DIR)");
      report.outcomes["liveness-bound vote"] = "skipped";
    } else {
      // The voter proves with the SDK's resolver over the same directory (files checked against the pinned hashes).
      const livenessProver = sdkNode.nodeLivenessArtifacts(livenessDir!);
      await api.createGroup({ id: "residents", kind: "biometric" });
      const resident = await stage("biometric enrolment", async () => {
        for (let subject = 0; subject < 6; subject++) {
          const outcome = await enrolSubject(`demo-resident-${subject}`, "residents", "resident");
          if (typeof outcome !== "string")
            return {
              value: outcome,
              detail: `a resident enrolled in biometric group 'residents' (leaf = Poseidon(identity commitment, template commitment))`,
            };
        }
        throw new DemoFailure("no resident could be enrolled in the biometric group");
      });
      const livePoll = await api.createPoll({
        id: "night-buses",
        groupId: "residents",
        options: ["yes", "no"],
        opensAt: now - 1000,
        closesAt: now + 3_600_000,
        requireLiveness: true,
      });
      const live = await stage("liveness-bound vote", async () => {
        const challenge = await api.pollChallenge(livePoll.id);
        const packet = await capture(resident.subjectSeed, "poll-live", challenge.captureChallenge);
        if (packet === undefined) throw new DemoFailure("the resident's live capture was refused on quality");
        const row = pairDistance(
          "genuine",
          "resident's live capture vs their enrolled template",
          resident.template,
          probeOf(packet),
          "match, proved in zero knowledge",
        );
        const voter = { identity: resident.identity, template: resident.template, salt: resident.salt };
        const t0 = performance.now();
        const vote = await api.proveLivenessVote(livePoll.id, { ...voter, capture: packet }, 0, {
          livenessArtifacts: livenessProver,
        });
        const proveMs = performance.now() - t0;
        const receipt = await api.submitLivenessVote(livePoll.id, vote);
        report.votes.push({
          who: "resident",
          kind: "liveness-bound vote",
          signals: {
            merkleTreeRoot: vote.merkleTreeRoot.toString(),
            nullifier: vote.nullifier.toString(),
            message: vote.message.toString(),
            scope: vote.scope.toString(),
            challenge: vote.challenge.toString(),
            deviceRoot: vote.deviceRoot.toString(),
          },
          receipt: `accepted, seq ${receipt.seq}`,
        });
        const again = await refusal(
          () => api.submitLivenessVote(livePoll.id, vote),
          "the second liveness vote",
        );
        // Another person's eye, freshly captured for the same poll, cannot be proved to match the resident's template.
        const otherPacket = await capture(enrolled[2]!.subjectSeed, "poll-live", challenge.captureChallenge);
        let impostor = "not attempted (capture refused on quality)";
        if (otherPacket !== undefined) {
          pairDistance(
            "impostor",
            `${enrolled[2]!.name}'s live capture vs the resident's template`,
            resident.template,
            probeOf(otherPacket),
            "no match: no proof",
          );
          impostor = await refusal(
            () =>
              api.proveLivenessVote(livePoll.id, { ...voter, capture: otherPacket }, 1, {
                livenessArtifacts: livenessProver,
              }),
            "another person's capture in a liveness vote",
          );
        }
        const t = await api.tally(livePoll.id);
        return {
          value: { proveMs, again, impostor, yes: t.counts[0], no: t.counts[1] },
          detail: `poll '${livePoll.id}' on 'residents': a fresh capture signed for the poll's challenge (distance ${row.raw.toFixed(3)}), one proof of membership, identity and match made in ${(proveMs / 1000).toFixed(2)} s and accepted; again -> ${again}; ${enrolled[2]!.name}'s eye for the resident -> ${impostor}; tally yes ${t.counts[0]}, no ${t.counts[1]}`,
        };
      });
      report.outcomes["liveness-bound vote"] =
        `accepted (prove ${(live.proveMs / 1000).toFixed(2)} s), again refused (${live.again})`;
      report.outcomes["impostor liveness vote"] = live.impostor;
      await matchProof.releaseCurve();
    }

    report.backend = bridge!.backend;
    report.totalSeconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    report.cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const info = await api.group("citizens");
    const html = path.join(out, "report.html");
    await writeFile(html, renderDemoReport(report));
    await writeFile(path.join(out, "report.json"), `${JSON.stringify(report, null, 2)}\n`);

    const summary = [
      ["encoder backend", report.backend],
      ["service", `${report.serviceUrl} (SQLite, ${path.join(out, "registry.sqlite")})`],
      ["enrolled", `${info.size} people, group root ${String(info.root).slice(0, 16)}…`],
      [
        "failed to enrol",
        `${failedToEnrol.length} subjects (fewer than ${floor} usable bits in 3 of 8 frames, or refused)`,
      ],
      ["duplicate enrolment", `refused (${duplicate})`],
      ["replayed capture", `refused (${replay})`],
      ["squint attack", `refused (${squint})`],
      ["votes", `${audit.votes} accepted, double vote refused (${doubleVote})`],
      ["backend check", `valid once, again refused (${backendCheck})`],
      ["tally", report.outcomes.tally],
      ["audit recount", report.outcomes["audit recount"]],
      ["liveness-bound vote", report.outcomes["liveness-bound vote"]],
      ...(report.outcomes["impostor liveness vote"] === undefined
        ? []
        : [["impostor liveness", `refused (${report.outcomes["impostor liveness vote"]})`]]),
      [
        "frames retaken",
        `${qualityRetakes} (refused by a quality gate), ${lowBitRetakes} (below the enrolment floor)`,
      ],
      ["report", html],
      [
        "total time",
        `${report.totalSeconds.toFixed(1)} s (${report.cpuSeconds.toFixed(1)} s CPU in this process)`,
      ],
    ];
    io.stdout(`\nSummary\n${summary.map(([k, v]) => `  ${k!.padEnd(22)} ${v}`).join("\n")}\n`);
    return EXIT.OK;
  } catch (error) {
    if (!(error instanceof DemoFailure)) throw error;
    io.stderr(`zkiris demo: FAILED: ${error.message}\n`);
    return EXIT.FAILED;
  } finally {
    await client?.close();
    await bridgeHttp?.close();
    bridge?.close();
    await server?.close();
    await registry?.close();
    await liveness?.close();
    await sdkNode.releaseProverThreads();
    await new Promise<void>((resolve) => log.end(() => resolve()));
  }
}

/** One call to the bridge's local HTTP transport: its `result`, or `{ error }` for a refusal. */
async function bridgeCall(
  base: string,
  method: "GET" | "POST",
  route: string,
  params?: unknown,
): Promise<unknown> {
  const response = await fetch(`${base}${route}`, {
    method,
    ...(params === undefined
      ? {}
      : { headers: { "content-type": "application/json" }, body: JSON.stringify(params) }),
  });
  const body = (await response.json()) as { result?: unknown; error?: unknown };
  return body.result ?? { error: body.error };
}

/** The public audit log (`GET /polls/{pollId}/audit-log`), which the SDK does not fetch. */
async function auditLog(base: string, pollId: string): Promise<AuditLog> {
  const response = await fetch(`${base}/polls/${encodeURIComponent(pollId)}/audit-log`);
  if (!response.ok) throw new DemoFailure(`GET /polls/${pollId}/audit-log answered ${response.status}`);
  return (await response.json()) as AuditLog;
}
