export { type CliIo, runCli, UsageError } from "./cli.js";
