import { ZkirisError } from "@zkiris/iris-code";

/** Where the CLI writes; tests pass collectors, the binary passes the process streams. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** True when stderr is a terminal (progress redraws in place). */
  readonly interactive?: boolean;
  /**
   * Standard input, for commands that read a stream (`zkiris device bridge`). The binary passes
   * `process.stdin`; without it such commands read nothing.
   */
  readonly stdin?: NodeJS.ReadableStream;
  /**
   * Long-running commands (a bridge, a server) call this once: it resolves when the process is
   * asked to stop (SIGINT, SIGTERM; the binary installs those handlers only then), and the command
   * closes down and returns. Tests pass their own.
   */
  readonly waitForStop?: () => Promise<void>;
}

/**
 * One `zkiris` command. The dispatcher in `cli.ts` holds a table of these: adding a command is one
 * module under `commands/` and one line in that table.
 */
export interface CliCommand {
  /** The word after `zkiris`. */
  readonly name: string;
  /** One synopsis line for `zkiris --help`, e.g. `zkiris encode <images...> [--json]`. */
  readonly synopsis: string;
  /** One sentence for `zkiris --help`. */
  readonly summary: string;
  /** The full text of `zkiris <name> --help`; starts with `Usage:`. */
  readonly usage: string;
  /**
   * Runs the command with the arguments after its name. Returns the exit code (0 ok, 1 a result
   * failed). Throws {@link UsageError} for bad arguments (exit code 2); anything else thrown is an
   * internal error (exit code 3).
   */
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** Exit codes of `zkiris`. */
export const EXIT = Object.freeze({
  /** Everything asked for succeeded. */
  OK: 0,
  /** A result failed: an image refused, a group not measurable, a file not overwritten. */
  FAILED: 1,
  /** The arguments were wrong; the command's usage is printed. */
  USAGE: 2,
  /** An internal error: a fault of zkiris or its environment, printed as one line. */
  INTERNAL: 3,
});

/** The CLI refuses its own arguments with this error (exit code 2). */
export class UsageError extends ZkirisError {
  /** The usage text printed after the message (the command's own; the global one when absent). */
  readonly usage: string | undefined;

  constructor(message: string, usage?: string) {
    super("USAGE", message, { field: "argv" });
    this.usage = usage;
  }
}

/** Thrown by the argument parser for `--help`/`-h`: the dispatcher prints `usage` and exits 0. */
export class HelpRequest extends Error {
  readonly usage: string;

  constructor(usage: string) {
    super("help requested");
    this.name = "HelpRequest";
    this.usage = usage;
  }
}
