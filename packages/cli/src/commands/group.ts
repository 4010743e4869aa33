import type { GroupInfo } from "@zkiris/sdk";
import { parseCommandArgs } from "../args.js";
import { type CliCommand, type CliIo, EXIT, HelpRequest, UsageError } from "../command.js";
import { jsonLine, refusalsAsResults, SERVICE_OPTIONS, SERVICE_USAGE, withServiceClient } from "./service.js";

const CREATE = "zkiris group create --id G --kind plain|biometric";
const LIST = "zkiris group list";
const SHOW = "zkiris group show <G>";

const USAGE = `Usage:
  ${CREATE}
      Creates an empty group (admin: --admin-token or ZKIRIS_ADMIN_TOKEN, POST /groups). A plain
      group's leaf is the identity commitment (stock Semaphore); a biometric group's leaf binds the
      template commitment too, and its polls may require liveness-bound votes.
  ${LIST}
      Every group, one JSON line each.
  ${SHOW}
      One group as a JSON line.
${SERVICE_USAGE}
      Each prints {"id","kind","root","depth","size"}.
      Exit codes: 0 done, 1 refused (GROUP_EXISTS, UNKNOWN_GROUP, UNAUTHORIZED, an unreachable
      server), 2 usage error, 3 internal error.
`;

/** `zkiris group`: create (admin), list and show the groups of a running server. */
export const groupCommand: CliCommand = {
  name: "group",
  synopsis: "zkiris group create|list|show ...",
  summary: "Create groups (admin) of a running server, list and show them.",
  usage: USAGE,
  run: (args, io) => refusalsAsResults("group", io, () => group(args, io)),
};

const KINDS = ["plain", "biometric"] as const;

const groupJson = (g: GroupInfo) => ({ id: g.id, kind: g.kind, root: g.root, depth: g.depth, size: g.size });

async function group(args: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === "--help" || sub === "-h") throw new HelpRequest(USAGE);
  if (sub === undefined) throw new UsageError("group needs a subcommand: create, list or show", USAGE);
  if (sub === "create") return create(rest, io);
  if (sub === "list") return list(rest, io);
  if (sub === "show") return show(rest, io);
  throw new UsageError(`Unknown group subcommand '${sub}'; expected create, list or show`, USAGE);
}

async function create(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    { ...SERVICE_OPTIONS, id: { type: "string" }, kind: { type: "string" } },
    USAGE,
    { positionals: false },
  );
  const id = values.id;
  if (id === undefined) throw new UsageError("group create needs --id G", USAGE);
  const kind = KINDS.find((k) => k === values.kind);
  if (kind === undefined)
    throw new UsageError(
      `Option '--kind' must be plain or biometric, received ${values.kind ?? "nothing"}`,
      USAGE,
    );
  return withServiceClient(values, USAGE, async (client) => {
    io.stdout(jsonLine(groupJson(await client.createGroup({ id, kind }))));
    return EXIT.OK;
  });
}

async function list(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, SERVICE_OPTIONS, USAGE, { positionals: false });
  return withServiceClient(values, USAGE, async (client) => {
    for (const g of await client.groups()) io.stdout(jsonLine(groupJson(g)));
    return EXIT.OK;
  });
}

async function show(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, SERVICE_OPTIONS, USAGE);
  if (positionals.length !== 1) throw new UsageError("group show needs a group id", USAGE);
  return withServiceClient(values, USAGE, async (client) => {
    io.stdout(jsonLine(groupJson(await client.group(positionals[0]!))));
    return EXIT.OK;
  });
}
