import { describeInternalError, runCli } from "./cli.js";
import { EXIT } from "./command.js";

/**
 * Prints an error that escaped every handler as one line and exits with code 3. Registered before
 * anything else, so it runs ahead of the handlers the WebAssembly glue of TensorFlow.js installs
 * (they rethrow, and Node then prints the throwing source line: the whole minified glue).
 */
function exitOnUncaught(error: unknown): void {
  process.stderr.write(describeInternalError(error));
  process.exit(EXIT.INTERNAL);
}

/** Entry point of the `zkiris` binary: runs the CLI on the process arguments and sets the exit code. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  process.prependListener("uncaughtException", exitOnUncaught);
  process.prependListener("unhandledRejection", exitOnUncaught);
  let stopListener: (() => void) | undefined;
  const waitForStop = () =>
    new Promise<void>((resolve) => {
      stopListener = () => resolve();
      process.once("SIGINT", stopListener);
      process.once("SIGTERM", stopListener);
    });
  const code = await runCli(argv, {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    interactive: process.stderr.isTTY === true,
    stdin: process.stdin,
    waitForStop,
  });
  if (stopListener) {
    process.off("SIGINT", stopListener);
    process.off("SIGTERM", stopListener);
  }
  process.exitCode = code;
  return code;
}

const invokedDirectly = process.argv[1] !== undefined && /[\\/]main\.(ts|js|cjs)$/.test(process.argv[1]);
if (invokedDirectly) {
  main().catch(exitOnUncaught);
}
