import { ZkirisError } from "@zkiris/iris-code";
import { parseCommandArgs } from "../args.js";
import { type CliCommand, type CliIo, EXIT, UsageError } from "../command.js";
import {
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
      Verifies a vote proof off-chain the way a dApp backend must, without submitting it. The file is
      a Semaphore proof or, told apart by its 'challenge' and 'deviceRoot' fields, a liveness-bound
      vote (both as 'zkiris prove --out' writes them).
      A Semaphore proof (verifyUniqueAction of @zkiris/sdk): its shape; the poll takes plain votes
      (UNSUPPORTED_GROUP for a poll that requires liveness); its scope is the poll's (WRONG_SCOPE) and
      its message one of the poll's options (OPTION_OUT_OF_RANGE); its Merkle root is in the group's
      root history (UNKNOWN_ROOT) and current or replaced within the server's root expiry window
      (STALE_ROOT); its nullifier is not among the votes the poll already accepted (NULLIFIER_USED);
      the SNARK verifies with Semaphore's bundled verification keys (INVALID_PROOF).
      A liveness-bound vote (verifyLivenessVote of @zkiris/sdk), in the registry's order: the poll
      requires liveness (UNSUPPORTED_GROUP); its shape (INVALID_PARAMETER); the poll is open
      (POLL_NOT_OPEN); scope, option and root as above; its challenge is one the poll issued
      (UNKNOWN_CHALLENGE) and not expired (CHALLENGE_EXPIRED); its device root is in the device
      tree's root history (UNKNOWN_DEVICE_ROOT) and current or replaced within the server's device
      root expiry window (STALE_DEVICE_ROOT: a device registered or revoked since); its nullifier is
      unused (NULLIFIER_USED); the Groth16 proof verifies with the liveness-vote verification key the
      SDK ships (INVALID_PROOF: a tampered public value or proof, a capture signed for another
      challenge).
      The poll and its public records (roots, accepted nullifiers, issued challenges, device roots)
      are read from the server (GET /polls/P, /polls/P/audit-log).
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
    "Verify a vote proof (Semaphore or liveness-bound) off-chain as a backend would: SNARK, roots, scope, challenge, device root, unused nullifier.",
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
  const { InMemoryNullifierStore, parseProof, verifyLivenessVote, verifyUniqueAction } = await import(
    "@zkiris/sdk"
  );
  const { releaseProverThreads } = await import("@zkiris/sdk/node");
  try {
    const poll = await client.poll(values.poll);
    const audit = await client.auditLog(poll.id);
    const nullifiers = new InMemoryNullifierStore();
    for (const vote of audit.votes) nullifiers.claim(poll.scope, vote.nullifier);
    let action: { option: number; nullifier: bigint; merkleTreeRoot: bigint };
    try {
      if (isLivenessVote(proof)) {
        action = await verifyLivenessVote(proof, {
          poll,
          rootHistory: () => audit.roots,
          rootExpiryMs: audit.rootExpiryMs,
          challenges: () => audit.liveness?.challenges ?? [],
          deviceRootHistory: () => audit.liveness?.deviceRoots ?? [],
          deviceRootExpiryMs: audit.liveness?.deviceRootExpiryMs,
          nullifiers,
        });
      } else {
        if (poll.requireLiveness) {
          throw new ServiceAnswerError(
            "UNSUPPORTED_GROUP",
            `Poll '${poll.id}' requires a liveness-bound vote; a plain Semaphore proof is not accepted`,
            { field: "proof" },
          );
        }
        const parsed = parseProof(proof);
        if (parsed.message >= BigInt(poll.options.length)) {
          throw new ServiceAnswerError(
            "OPTION_OUT_OF_RANGE",
            `Field 'proof.message' is ${parsed.message}, not an option of poll '${poll.id}' (0 to ${poll.options.length - 1})`,
            { field: "proof.message" },
          );
        }
        const unique = await verifyUniqueAction(parsed, {
          scope: poll.scope,
          rootHistory: () => audit.roots,
          rootExpiryMs: audit.rootExpiryMs,
          nullifiers,
        });
        action = { ...unique, option: Number(unique.message) };
      }
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
        option: action.option,
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

/** A liveness-bound vote carries the poll's challenge and the device root; a Semaphore proof has neither. */
function isLivenessVote(value: unknown): boolean {
  return typeof value === "object" && value !== null && ("challenge" in value || "deviceRoot" in value);
}
