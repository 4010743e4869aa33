import { writeFile } from "node:fs/promises";
import type { Poll } from "@zkiris/sdk";
import { parseCommandArgs } from "../args.js";
import { type CliCommand, type CliIo, EXIT, HelpRequest, UsageError } from "../command.js";
import {
  durationOption,
  fetchAuditLog,
  jsonLine,
  readJsonFile,
  refusalsAsResults,
  SERVICE_OPTIONS,
  SERVICE_USAGE,
  serviceClient,
  timeOption,
  withServiceClient,
} from "./service.js";

const CREATE =
  "zkiris poll create --id P --group G --options A,B,... [--opens-at T] [--closes-at T | --duration D] [--scope S] [--liveness]";
const LIST = "zkiris poll list";
const SHOW = "zkiris poll show <P>";
const VOTE = "zkiris poll vote <P> <PROOF.json>";
const TALLY = "zkiris poll tally <P>";
const AUDIT = "zkiris poll audit <P> [--out FILE] [--liveness-artifacts DIR]";

const USAGE = `Usage:
  ${CREATE}
      Creates a poll over group G (admin: --admin-token or ZKIRIS_ADMIN_TOKEN). --opens-at and
      --closes-at take Unix milliseconds or an ISO 8601 date (default: opens now); --duration (90m,
      24h, 7d) instead of --closes-at (default 24h). --scope is the Semaphore scope as a decimal
      field element (default: the server's SHA-256 of the id). --liveness: only liveness-bound votes
      (a biometric group; the server needs --liveness-artifacts).
  ${LIST}
      Every poll, oldest first, one JSON line each.
  ${SHOW}
      One poll as a JSON line.
  ${VOTE}
      Submits a vote proof made by 'zkiris prove --out' (a Semaphore proof, or a liveness-bound vote
      for a poll that requires liveness) and prints the receipt.
  ${TALLY}
      Votes per option: {"pollId","options","counts","total"}.
  ${AUDIT}
      Fetches the public audit log and recounts it here: every proof re-verified, nullifiers
      checked unique, roots checked against the group's history (recount of @zkiris/registry).
      Prints {"pollId","votes","tally","recount":{"counts","rejected"},"agrees"}; --out also
      writes the audit log itself. A liveness poll needs --liveness-artifacts DIR (its
      verification key). Exit code 1 when the recount disagrees with the server's tally.
${SERVICE_USAGE}
      Exit codes: 0 done, 1 refused (UNKNOWN_POLL, POLL_EXISTS, UNAUTHORIZED, DUPLICATE_NULLIFIER,
      an unreachable server, a recount that disagrees), 2 usage error, 3 internal error.
`;

/** `zkiris poll`: create, list, show, vote, tally and audit polls of a running server. */
export const pollCommand: CliCommand = {
  name: "poll",
  synopsis: "zkiris poll create|list|show|vote|tally|audit ...",
  summary: "Create polls (admin), list and show them, submit a vote proof, tally, and recount the audit log.",
  usage: USAGE,
  run: (args, io) => refusalsAsResults("poll", io, () => poll(args, io)),
};

const pollJson = (p: Poll) => ({
  id: p.id,
  groupId: p.groupId,
  scope: p.scope,
  options: p.options,
  opensAt: p.opensAt,
  closesAt: p.closesAt,
  createdAt: p.createdAt,
  requireLiveness: p.requireLiveness,
});

async function poll(args: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === "--help" || sub === "-h") throw new HelpRequest(USAGE);
  if (sub === undefined)
    throw new UsageError("poll needs a subcommand: create, list, show, vote, tally or audit", USAGE);
  const handlers: Record<string, (rest: readonly string[], io: CliIo) => Promise<number>> = {
    create,
    list,
    show,
    vote,
    tally,
    audit,
  };
  const handler = handlers[sub];
  if (handler === undefined)
    throw new UsageError(
      `Unknown poll subcommand '${sub}'; expected create, list, show, vote, tally or audit`,
      USAGE,
    );
  return handler(rest, io);
}

/** The one positional a subcommand takes (the poll id), and more for `vote`. */
function positionalsOf(positionals: string[], names: string[], synopsis: string): string[] {
  if (positionals.length !== names.length)
    throw new UsageError(`${synopsis.split(" <")[0]} needs ${names.join(" and ")}`, USAGE);
  return positionals;
}

async function create(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    {
      ...SERVICE_OPTIONS,
      id: { type: "string" },
      group: { type: "string" },
      options: { type: "string" },
      "opens-at": { type: "string" },
      "closes-at": { type: "string" },
      duration: { type: "string" },
      scope: { type: "string" },
      liveness: { type: "boolean" },
    },
    USAGE,
    { positionals: false },
  );
  const { id, group } = values;
  if (id === undefined) throw new UsageError("poll create needs --id P", USAGE);
  if (group === undefined) throw new UsageError("poll create needs --group G", USAGE);
  if (values.options === undefined) throw new UsageError("poll create needs --options A,B,...", USAGE);
  const options = values.options.split(",").map((o) => o.trim());
  if (options.length < 2 || options.some((o) => o === ""))
    throw new UsageError(
      `Option '--options' needs at least two non-empty options, received ${values.options}`,
      USAGE,
    );
  if (values["closes-at"] !== undefined && values.duration !== undefined)
    throw new UsageError("Give --closes-at or --duration, not both", USAGE);
  if (values.scope !== undefined && !/^(0|[1-9][0-9]{0,77})$/.test(values.scope))
    throw new UsageError(`Option '--scope' must be a decimal field element, received ${values.scope}`, USAGE);
  const opensAt = timeOption("opens-at", values["opens-at"], USAGE) ?? Date.now();
  const closesAt =
    timeOption("closes-at", values["closes-at"], USAGE) ??
    opensAt + durationOption("duration", values.duration ?? "24h", USAGE);
  return withServiceClient(values, USAGE, async (client) => {
    const created = await client.createPoll({
      id,
      groupId: group,
      options,
      opensAt,
      closesAt,
      ...(values.scope === undefined ? {} : { scope: BigInt(values.scope) }),
      ...(values.liveness === true ? { requireLiveness: true } : {}),
    });
    io.stdout(jsonLine(pollJson(created)));
    return EXIT.OK;
  });
}

async function list(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, SERVICE_OPTIONS, USAGE, { positionals: false });
  return withServiceClient(values, USAGE, async (client) => {
    for (const p of await client.polls()) io.stdout(jsonLine(pollJson(p)));
    return EXIT.OK;
  });
}

async function show(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, SERVICE_OPTIONS, USAGE);
  const [id] = positionalsOf(positionals, ["a poll id"], SHOW);
  return withServiceClient(values, USAGE, async (client) => {
    io.stdout(jsonLine(pollJson(await client.poll(id!))));
    return EXIT.OK;
  });
}

async function vote(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, SERVICE_OPTIONS, USAGE);
  const [id, file] = positionalsOf(positionals, ["a poll id", "a proof file"], VOTE);
  const proof = await readJsonFile(file!, "proof");
  const client = await serviceClient(values, USAGE);
  const { parseLivenessVote, parseProof } = await import("@zkiris/sdk");
  try {
    // A liveness-bound vote carries the device root and the poll's challenge; a Semaphore proof does not.
    const liveness = typeof proof === "object" && proof !== null && "deviceRoot" in proof;
    const receipt = liveness
      ? await client.submitLivenessVote(id!, parseLivenessVote(proof))
      : await client.submitVote(id!, parseProof(proof));
    io.stdout(
      jsonLine({
        seq: receipt.seq,
        pollId: receipt.pollId,
        nullifier: receipt.nullifier,
        option: receipt.option,
        root: receipt.root,
        acceptedAt: receipt.acceptedAt,
      }),
    );
    return EXIT.OK;
  } finally {
    await client.close();
  }
}

async function tally(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, SERVICE_OPTIONS, USAGE);
  const [id] = positionalsOf(positionals, ["a poll id"], TALLY);
  return withServiceClient(values, USAGE, async (client) => {
    const t = await client.tally(id!);
    io.stdout(jsonLine({ pollId: t.pollId, options: t.options, counts: t.counts, total: t.total }));
    return EXIT.OK;
  });
}

async function audit(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    { ...SERVICE_OPTIONS, out: { type: "string" }, "liveness-artifacts": { type: "string" } },
    USAGE,
  );
  const [id] = positionalsOf(positionals, ["a poll id"], AUDIT);
  const client = await serviceClient(values, USAGE);
  try {
    const log = await fetchAuditLog(client, id!);
    const t = await client.tally(id!);
    if (values.out !== undefined) await writeFile(values.out, `${JSON.stringify(log, null, 2)}\n`);
    const { recount } = await import("@zkiris/registry");
    let liveness:
      | Awaited<ReturnType<typeof import("@zkiris/match-proof").loadLivenessVoteArtifacts>>
      | undefined;
    if (log.liveness !== undefined) {
      if (values["liveness-artifacts"] === undefined)
        throw new UsageError(
          `Poll '${id}' takes liveness-bound votes: its recount needs --liveness-artifacts DIR`,
          USAGE,
        );
      const { loadLivenessVoteArtifacts } = await import("@zkiris/match-proof");
      liveness = await loadLivenessVoteArtifacts(values["liveness-artifacts"], { verifyOnly: true });
    }
    let result: Awaited<ReturnType<typeof recount>>;
    try {
      result = await recount(log, liveness === undefined ? {} : { livenessArtifacts: liveness });
    } finally {
      await liveness?.close();
    }
    const agrees = result.rejected.length === 0 && JSON.stringify(result.counts) === JSON.stringify(t.counts);
    io.stdout(
      jsonLine({
        pollId: id,
        votes: log.votes.length,
        tally: t.counts,
        recount: { counts: result.counts, rejected: result.rejected },
        agrees,
        ...(values.out === undefined ? {} : { out: values.out }),
      }),
    );
    return agrees ? EXIT.OK : EXIT.FAILED;
  } finally {
    await client.close();
    // snarkjs's verifier keeps worker threads, which would keep the process alive.
    const { releaseProverThreads } = await import("@zkiris/sdk/node");
    await releaseProverThreads();
  }
}
