import { writeFile } from "node:fs/promises";
import { integerOption, parseCommandArgs } from "../args.js";
import { type CliCommand, type CliIo, EXIT, UsageError } from "../command.js";
import { readIdentityFile } from "./identity-file.js";
import { jsonLine, refusalsAsResults, SERVICE_OPTIONS, SERVICE_USAGE, serviceClient } from "./service.js";

const SYNOPSIS =
  "zkiris prove --poll P --option N --identity FILE (--out PROOF.json | --submit) [--artifacts DIR] [--registry URL]";

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
${SERVICE_USAGE}
      Prints one JSON line: {"pollId","option","nullifier","merkleTreeRoot","out"} and with --submit
      "receipt" {"seq","nullifier","option","root","acceptedAt"}.
      Exit codes: 0 proved (and accepted), 1 refused (NOT_A_MEMBER, UNSUPPORTED_GROUP for a
      liveness poll, DUPLICATE_NULLIFIER on --submit, POLL_NOT_OPEN, a refused identity file, ...),
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
  const client = await serviceClient(values, USAGE);
  const { identity } = await readIdentityFile(values.identity);
  const [{ proofToJson }, { nodeArtifacts, releaseProverThreads }] = await Promise.all([
    import("@zkiris/sdk"),
    import("@zkiris/sdk/node"),
  ]);
  try {
    let proof: Awaited<ReturnType<typeof client.proveVote>>;
    try {
      proof = await client.proveVote(values.poll, identity, option, {
        artifacts: nodeArtifacts(values.artifacts),
      });
    } finally {
      await releaseProverThreads();
    }
    if (values.out !== undefined)
      await writeFile(values.out, `${JSON.stringify(proofToJson(proof), null, 2)}\n`);
    const receipt = values.submit === true ? await client.submitVote(values.poll, proof) : undefined;
    io.stdout(
      jsonLine({
        pollId: values.poll,
        option,
        nullifier: proof.nullifier,
        merkleTreeRoot: proof.merkleTreeRoot,
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
