import { type CapturePacketJson, parseCapturePacket } from "@zkiris/device";
import { buildTemplate, DEFAULT_PROFILE, type IrisCode, toJson } from "@zkiris/iris-code";
import { parseCommandArgs } from "../args.js";
import { type CliCommand, type CliIo, EXIT, UsageError } from "../command.js";
import { readIdentityFile, writeIdentityFile } from "./identity-file.js";
import {
  jsonLine,
  readCapturePacketFile,
  refusalsAsResults,
  SERVICE_OPTIONS,
  SERVICE_USAGE,
  serviceClient,
} from "./service.js";

const SYNOPSIS = "zkiris enroll --group G --identity FILE --capture PACKET... [--registry URL]";

const USAGE = `Usage:
  ${SYNOPSIS}
      Enrols one eye into group G of a running zkiris serve from device-signed capture packets
      (files written by 'zkiris device bridge', e.g. its capture result). One packet enrols its
      probe; 3 to 5 packets (--capture repeated) are checked against each other and voted into one
      template. The packets must be signed for challenges of that server (the bridge fetches them
      with --registry, or pass each 'challenge' yourself from POST /challenges).
      The Semaphore identity is kept in --identity FILE (mode 0600): read when it exists, created
      when it does not. The template, its salt and its commitment are added to that file (secret:
      liveness-bound votes and recovery need them, the server never gives them back).
      Prints the receipt as one JSON line: {"groupId","memberIndex","leaf","root","identity",
      "identityCommitment","created"}.
      --group         the group id.
      --identity      the identity file.
      --capture       a capture packet file; repeat for 3 to 5 captures.
${SERVICE_USAGE}
      Exit codes: 0 enrolled, 1 refused (one line 'zkiris enroll: CODE status: message' on stderr:
      DUPLICATE_ENROLLMENT, CHALLENGE_REPLAYED, DEVICE_REVOKED, an unreachable server, a refused
      identity or packet file), 2 usage error, 3 internal error.
`;

/** The template the enrolment committed to: the probe of one capture, or the SDK's `buildTemplate` of several. */
function templateOf(packets: readonly CapturePacketJson[]): IrisCode {
  const probes = packets.map((p) => parseCapturePacket(p).probe);
  return probes.length === 1 ? probes[0]! : buildTemplate(probes, DEFAULT_PROFILE).template;
}

const OPTIONS = {
  ...SERVICE_OPTIONS,
  group: { type: "string" },
  identity: { type: "string" },
  capture: { type: "string", multiple: true },
} as const;

/** `zkiris enroll`: one eye into a group of a running server, the identity kept in a 0600 file. */
export const enrollCommand: CliCommand = {
  name: "enroll",
  synopsis: SYNOPSIS,
  summary: "Enrol an eye from device-signed capture packets into a group of a running server.",
  usage: USAGE,
  run: (args, io) => refusalsAsResults("enroll", io, () => enroll(args, io)),
};

async function enroll(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, OPTIONS, USAGE, { positionals: false });
  if (values.group === undefined) throw new UsageError("enroll needs --group G", USAGE);
  if (values.identity === undefined) throw new UsageError("enroll needs --identity FILE", USAGE);
  // A repeated option (parseArgs `multiple`) comes as an array of strings.
  const captures = (values.capture ?? []) as unknown as string[];
  if (captures.length !== 1 && (captures.length < 3 || captures.length > 5))
    throw new UsageError(
      `enroll needs one --capture PACKET, or 3 to 5 of them, received ${captures.length}`,
      USAGE,
    );
  const packets = await Promise.all(captures.map((file) => readCapturePacketFile(file)));
  const client = await serviceClient(values, USAGE);
  const file = await readIdentityFile(values.identity, { create: true });
  if (file.created) io.stderr(`zkiris enroll: new identity written to ${values.identity} (mode 0600)\n`);
  try {
    const request = { groupId: values.group, member: file.identity };
    const enrolment =
      packets.length === 1
        ? await client.enrol({ ...request, capture: packets[0]! })
        : await client.enrolFromCaptures({ ...request, captures: packets });
    await writeIdentityFile(values.identity, {
      identity: file.identity,
      enrolments: [
        ...file.enrolments,
        {
          groupId: enrolment.groupId,
          memberIndex: enrolment.memberIndex,
          leaf: enrolment.leaf.toString(),
          root: enrolment.root.toString(),
          templateCommitment: enrolment.templateCommitment.toString(),
          salt: enrolment.salt.toString(),
          template: toJson(templateOf(packets)),
          enrolledAt: Date.now(),
        },
      ],
    });
    io.stdout(
      jsonLine({
        groupId: enrolment.groupId,
        memberIndex: enrolment.memberIndex,
        leaf: enrolment.leaf,
        root: enrolment.root,
        identity: values.identity,
        identityCommitment: file.identity.commitment,
        created: file.created,
      }),
    );
    return EXIT.OK;
  } finally {
    await client.close();
  }
}
