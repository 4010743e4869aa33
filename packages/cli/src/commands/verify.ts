import { ZkirisError } from "@zkiris/iris-code";
import { parseCommandArgs } from "../args.js";
import { type CliCommand, type CliIo, EXIT, UsageError } from "../command.js";
import {
  fetchAuditLog,
  jsonLine,
  readJsonFile,
  refusalsAsResults,
  SERVICE_OPTIONS,
  SERVICE_USAGE,
  ServiceAnswerError,
  serviceClient,
} from "./service.js";

const SYNOPSIS = "zkiris verify <PROOF.json> --poll P [--registry URL]";

const USAGE = `Usage:
  ${SYNOPSIS}
      Verifies a vote proof off-chain the way a dApp backend must, without submitting it
      (verifyUniqueAction of @zkiris/sdk): its shape; its scope is the poll's (WRONG_SCOPE) and its
      message one of the poll's options (OPTION_OUT_OF_RANGE); its Merkle root is in the group's root
      history (UNKNOWN_ROOT) and current or replaced within the server's root expiry window
      (STALE_ROOT); its nullifier is not among the votes the poll already accepted (NULLIFIER_USED);
      the SNARK verifies with Semaphore's bundled verification keys (INVALID_PROOF). The poll, the
      root history and the accepted nullifiers are read from the server (GET /polls/P,
      /groups/G/roots, /polls/P/audit-log).
${SERVICE_USAGE}
      Prints one JSON line: {"valid":true,"pollId","option","nullifier","merkleTreeRoot"}, or
      {"valid":false,"code","message"} for a proof that would be refused.
      Exit codes: 0 valid, 1 refused (or the server unreachable, or the file not a proof), 2 usage
      error, 3 internal error.
`;

/** `zkiris verify`: a vote proof checked as a backend would (SNARK, root freshness, scope, nullifier). */
export const verifyCommand: CliCommand = {
  name: "verify",
  synopsis: SYNOPSIS,
  summary:
    "Verify a vote proof off-chain as a backend would: SNARK, root freshness, scope, unused nullifier.",
  usage: USAGE,
  run: (args, io) => refusalsAsResults("verify", io, () => verify(args, io)),
};

async function verify(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    { ...SERVICE_OPTIONS, poll: { type: "string" } },
    USAGE,
  );
  if (positionals.length !== 1) throw new UsageError("verify needs exactly one proof file", USAGE);
  if (values.poll === undefined) throw new UsageError("verify needs --poll P", USAGE);
  const proof = await readJsonFile(positionals[0]!, "proof");
  const client = await serviceClient(values, USAGE);
  const { InMemoryNullifierStore, parseProof, verifyUniqueAction } = await import("@zkiris/sdk");
  const { releaseProverThreads } = await import("@zkiris/sdk/node");
  try {
    const poll = await client.poll(values.poll);
    const audit = await fetchAuditLog(client, poll.id);
    const nullifiers = new InMemoryNullifierStore();
    for (const vote of audit.votes) nullifiers.claim(poll.scope, BigInt(vote.nullifier));
    let action: Awaited<ReturnType<typeof verifyUniqueAction>>;
    try {
      const parsed = parseProof(proof);
      if (parsed.message >= BigInt(poll.options.length)) {
        throw new ServiceAnswerError(
          "OPTION_OUT_OF_RANGE",
          `Field 'proof.message' is ${parsed.message}, not an option of poll '${poll.id}' (0 to ${poll.options.length - 1})`,
          { field: "proof.message" },
        );
      }
      action = await verifyUniqueAction(parsed, {
        scope: poll.scope,
        rootHistory: () => client.roots(poll.groupId),
        rootExpiryMs: audit.rootExpiryMs,
        nullifiers,
      });
    } catch (error) {
      // The proof's refusals are the answer; a server that stops answering is not.
      if (!ZkirisError.is(error) || error.code === "NETWORK" || error.code === "BAD_RESPONSE") throw error;
      io.stdout(jsonLine({ valid: false, code: error.code, message: error.message }));
      return EXIT.FAILED;
    }
    io.stdout(
      jsonLine({
        valid: true,
        pollId: poll.id,
        option: Number(action.message),
        nullifier: action.nullifier,
        merkleTreeRoot: action.merkleTreeRoot,
      }),
    );
    return EXIT.OK;
  } finally {
    await client.close();
    // snarkjs's verifier keeps worker threads, which would keep the process alive.
    await releaseProverThreads();
  }
}
