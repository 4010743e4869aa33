export { type CliCommand, type CliIo, COMMANDS, EXIT, runCli, UsageError } from "./cli.js";
