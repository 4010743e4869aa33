import { writeFile } from "node:fs/promises";
import { fromJson } from "@zkiris/iris-code";
import type { VoteReceipt } from "@zkiris/sdk";
import { integerOption, parseCommandArgs } from "../args.js";
import { type CliCommand, type CliIo, EXIT, UsageError } from "../command.js";
import { IdentityFileError, readIdentityFile } from "./identity-file.js";
import {
  envValue,
  jsonLine,
  readCapturePacketFile,
  refusalsAsResults,
  SERVICE_OPTIONS,
  SERVICE_USAGE,
  serviceClient,
} from "./service.js";

const SYNOPSIS =
  "zkiris prove --poll P --option N --identity FILE (--out PROOF.json | --submit) [--capture PACKET --liveness-artifacts DIR] [--artifacts DIR] [--registry URL]";

const USAGE = `Usage:
  ${SYNOPSIS}
      Makes a vote proof for poll P on this machine: a Semaphore proof that the identity in FILE is
      a member of the poll's group, with message = option index N and the poll's scope. The whole
      member list is fetched, so the server does not learn who proves. The artifacts for the group's
      tree depth are read from disk (SHA-256 checked; never downloaded).
      --out           write the proof (Semaphore's JSON, decimal strings) to this file, for
                      'zkiris verify' or 'zkiris poll vote' or a backend.
      --submit        also submit the vote (POST /polls/P/votes) and print its receipt.
      --artifacts     directory of semaphore-<depth>.wasm/.zkey (default: the installed
                      @zk-kit/semaphore-artifacts).
      --capture       for a poll that requires liveness: a capture packet the device signed for
                      the poll's captureChallenge (POST /polls/P/challenges; 'zkiris device bridge'
                      with that challenge). The vote is then a liveness-bound vote: one proof of
                      membership in the biometric group, of the identity, and that the capture
                      matches the template enrolled in FILE.
      --liveness-artifacts
                      the liveness-vote circuit artifacts, e.g. circuits/artifacts/liveness_vote
                      (SHA-256 checked; env ZKIRIS_LIVENESS_ARTIFACTS); needed with --capture.
${SERVICE_USAGE}
      Prints one JSON line: {"pollId","option","nullifier","merkleTreeRoot","out"} and with --submit
      "receipt" {"seq","nullifier","option","root","acceptedAt"}.
      Exit codes: 0 proved (and accepted), 1 refused (NOT_A_MEMBER, UNSUPPORTED_GROUP for a
      liveness poll without --capture or a plain poll with it, NO_MATCH, CHALLENGE_MISMATCH,
      NO_TEMPLATE, DUPLICATE_NULLIFIER on --submit, POLL_NOT_OPEN, a refused identity file, ...),
      2 usage error, 3 internal error.
`;

const OPTIONS = {
  ...SERVICE_OPTIONS,
  poll: { type: "string" },
  option: { type: "string" },
  identity: { type: "string" },
  out: { type: "string" },
  submit: { type: "boolean" },
  artifacts: { type: "string" },
  capture: { type: "string" },
  "liveness-artifacts": { type: "string" },
} as const;

/** `zkiris prove`: a vote proof made locally, written to a file and/or submitted. */
export const proveCommand: CliCommand = {
  name: "prove",
  synopsis: SYNOPSIS,
  summary:
    "Make a vote proof for a poll locally (identity file, installed artifacts); write it or submit it.",
  usage: USAGE,
  run: (args, io) => refusalsAsResults("prove", io, () => prove(args, io)),
};

async function prove(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, OPTIONS, USAGE, { positionals: false });
  if (values.poll === undefined) throw new UsageError("prove needs --poll P", USAGE);
  if (values.option === undefined) throw new UsageError("prove needs --option N", USAGE);
  if (values.identity === undefined) throw new UsageError("prove needs --identity FILE", USAGE);
  if (values.out === undefined && values.submit !== true)
    throw new UsageError("prove needs --out PROOF.json, --submit or both", USAGE);
  const option = integerOption("option", values.option, 0, 0, 1_000_000, USAGE);
  const livenessDir = values["liveness-artifacts"] ?? envValue("ZKIRIS_LIVENESS_ARTIFACTS");
  if (values.capture !== undefined && livenessDir === undefined)
    throw new UsageError("prove --capture (a liveness-bound vote) needs --liveness-artifacts DIR", USAGE);
  const capture = values.capture === undefined ? undefined : await readCapturePacketFile(values.capture);
  const client = await serviceClient(values, USAGE);
  const { identity, enrolments } = await readIdentityFile(values.identity);
  const sdk = await import("@zkiris/sdk");
  const { nodeArtifacts, nodeLivenessArtifacts, releaseProverThreads } = await import("@zkiris/sdk/node");
  try {
    let proofJson: object;
    let summary: { nullifier: bigint; merkleTreeRoot: bigint };
    let submit: () => Promise<VoteReceipt>;
    try {
      if (capture === undefined) {
        const proof = await client.proveVote(values.poll, identity, option, {
          artifacts: nodeArtifacts(values.artifacts),
        });
        proofJson = sdk.proofToJson(proof);
        summary = proof;
        submit = () => client.submitVote(values.poll!, proof);
      } else {
        const poll = await client.poll(values.poll);
        const enrolment = [...enrolments]
          .reverse()
          .find((e) => e.groupId === poll.groupId && e.template !== undefined);
        if (enrolment === undefined)
          throw new IdentityFileError(
            "NO_TEMPLATE",
            `Identity file '${values.identity}' has no enrolment in group '${poll.groupId}' with its template (enrol with zkiris enroll)`,
            { field: "identity" },
          );
        const vote = await client.proveLivenessVote(
          values.poll,
          {
            identity,
            template: fromJson(enrolment.template),
            salt: BigInt(enrolment.salt),
            capture,
          },
          option,
          { livenessArtifacts: nodeLivenessArtifacts(livenessDir!) },
        );
        proofJson = sdk.livenessVoteToJson(vote);
        summary = vote;
        submit = () => client.submitLivenessVote(values.poll!, vote);
      }
    } finally {
      await releaseProverThreads();
    }
    if (values.out !== undefined) await writeFile(values.out, `${JSON.stringify(proofJson, null, 2)}\n`);
    const receipt = values.submit === true ? await submit() : undefined;
    io.stdout(
      jsonLine({
        pollId: values.poll,
        option,
        nullifier: summary.nullifier,
        merkleTreeRoot: summary.merkleTreeRoot,
        out: values.out ?? null,
        ...(receipt === undefined
          ? {}
          : {
              receipt: {
                seq: receipt.seq,
                nullifier: receipt.nullifier,
                option: receipt.option,
                root: receipt.root,
                acceptedAt: receipt.acceptedAt,
              },
            }),
      }),
    );
    return EXIT.OK;
  } finally {
    await client.close();
  }
}
