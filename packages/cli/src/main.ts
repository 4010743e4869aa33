import { runCli } from "./cli.js";

/** Entry point of the `zkiris` binary: runs the CLI on the process arguments and sets the exit code. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  const code = await runCli(argv, {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    interactive: process.stderr.isTTY === true,
  });
  process.exitCode = code;
  return code;
}

const invokedDirectly = process.argv[1] !== undefined && /[\\/]main\.(ts|js|cjs)$/.test(process.argv[1]);
if (invokedDirectly) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `zkiris: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 70;
  });
}
