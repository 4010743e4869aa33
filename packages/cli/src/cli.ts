import { ZkirisError } from "@zkiris/iris-code";
import { type CliCommand, type CliIo, EXIT, HelpRequest, UsageError } from "./command.js";
import { accuracyCommand } from "./commands/accuracy.js";
import { backupCommand } from "./commands/backup.js";
import { demoCommand } from "./commands/demo.js";
import { deviceCommand } from "./commands/device.js";
import { encodeCommand } from "./commands/encode.js";
import { enrollCommand } from "./commands/enroll.js";
import { groupCommand } from "./commands/group.js";
import { overlaysCommand } from "./commands/overlays.js";
import { pollCommand } from "./commands/poll.js";
import { proveCommand } from "./commands/prove.js";
import { serveCommand } from "./commands/serve.js";
import { verifyCommand } from "./commands/verify.js";

export { type CliCommand, type CliIo, EXIT, UsageError } from "./command.js";

/**
 * The commands of `zkiris`, in the order `zkiris --help` lists them. A new command is one module
 * under `commands/` exporting a {@link CliCommand} and one entry here.
 */
export const COMMANDS: readonly CliCommand[] = [
  demoCommand,
  encodeCommand,
  accuracyCommand,
  overlaysCommand,
  deviceCommand,
  serveCommand,
  backupCommand,
  groupCommand,
  enrollCommand,
  pollCommand,
  proveCommand,
  verifyCommand,
];

/** The text of `zkiris --help`: every command's synopsis and summary, and the exit codes. */
export function globalUsage(): string {
  const lines = COMMANDS.map((c) => `  ${c.synopsis}\n      ${c.summary}\n`).join("");
  return `Usage:
${lines}
'zkiris <command> --help' prints a command's options.
Exit codes: 0 ok, 1 a result failed (an image refused, a group not measurable, a key file or a
backup refused, a server that cannot start, a refusal of the server), 2 usage error, 3 internal
error (one line; the stack trace with ZKIRIS_DEBUG=1).
`;
}

/**
 * Runs the `zkiris` command line with `args` (without the node and script names) and returns the
 * exit code ({@link EXIT}): 0 success, 1 a result failed, 2 usage error, 3 internal error. Never
 * throws: an unexpected error is printed on stderr as one line (`zkiris: CODE: message`; the stack
 * as well when the environment has `ZKIRIS_DEBUG=1`).
 */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = args;
  let command: CliCommand | undefined;
  try {
    if (name === undefined) {
      io.stderr(globalUsage());
      return EXIT.USAGE;
    }
    if (name === "--help" || name === "-h" || name === "help") {
      io.stdout(globalUsage());
      return EXIT.OK;
    }
    command = COMMANDS.find((c) => c.name === name);
    if (command === undefined) throw new UsageError(`Unknown command '${name}'`);
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof HelpRequest) {
      io.stdout(error.usage);
      return EXIT.OK;
    }
    if (error instanceof UsageError) {
      io.stderr(`zkiris: ${error.message}\n${error.usage ?? command?.usage ?? globalUsage()}`);
      return EXIT.USAGE;
    }
    io.stderr(describeInternalError(error));
    return EXIT.INTERNAL;
  }
}

/** Longest message printed for an internal error; longer ones are cut (some carry whole sources). */
const MAX_MESSAGE = 400;

/**
 * One line for an error nobody handled: `zkiris: CODE: message\n` with the `ZkirisError` code (or
 * Node's `code`, or the error's name) and the first line of the message, at most 400 characters.
 * With `ZKIRIS_DEBUG=1` in the environment the stack trace follows.
 */
export function describeInternalError(error: unknown): string {
  let code = "INTERNAL";
  let message: string;
  const nodeCode = (error as { code?: unknown } | null)?.code;
  if (ZkirisError.is(error)) code = error.code;
  else if (error instanceof Error && typeof nodeCode === "string") code = nodeCode;
  else if (error instanceof Error && error.name !== "Error") code = error.name;
  if (error instanceof Error) message = error.message;
  else message = typeof error === "string" ? error : `non-error value thrown (${typeof error})`;
  let line = message.split("\n", 1)[0]!.trim() || "(no message)";
  if (line.length > MAX_MESSAGE) line = `${line.slice(0, MAX_MESSAGE)}…`;
  const debug = process.env.ZKIRIS_DEBUG === "1" && error instanceof Error && error.stack !== undefined;
  return `zkiris: ${code}: ${line}\n${debug ? `${error.stack}\n` : ""}`;
}
