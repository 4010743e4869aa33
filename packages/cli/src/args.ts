import { parseArgs } from "node:util";
import type { BackendPreference } from "@zkiris/encoder";
import { HelpRequest, UsageError } from "./command.js";

/** Options of one command, in the form `node:util` `parseArgs` takes. */
export type OptionSpec = Readonly<
  Record<string, { readonly type: "string" | "boolean"; readonly short?: string; readonly default?: never }>
>;

/** The values `parseArgs` returns for `O`: strings for string options, `true` for flags. */
export type OptionValues<O extends OptionSpec> = {
  [K in keyof O]?: O[K]["type"] extends "boolean" ? boolean : string;
};

/**
 * Parses one command's arguments with `node:util` `parseArgs` (strict: unknown options and missing
 * values are refused). Every command takes `--help`/`-h`, which throws {@link HelpRequest} with
 * `usage`. Parser errors become {@link UsageError} with `usage`.
 */
export function parseCommandArgs<O extends OptionSpec>(
  args: readonly string[],
  options: O,
  usage: string,
  { positionals = true }: { positionals?: boolean } = {},
): { values: OptionValues<O>; positionals: string[] } {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...args],
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: positionals,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(parserMessage(error), usage);
  }
  if (parsed.values.help === true) throw new HelpRequest(usage);
  return { values: parsed.values as OptionValues<O>, positionals: parsed.positionals };
}

/** A short message for a `parseArgs` error (its own messages run on with advice about `--`). */
function parserMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown }).code;
  const unknown = /^Unknown option '([^']+)'/.exec(message);
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && unknown) return `Unknown option '${unknown[1]}'`;
  const missing = /^Option '([^' ]+)[^']*' argument missing/.exec(message);
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && missing)
    return `Option '${missing[1]}' needs a value`;
  const positional = /^Unexpected argument '([^']+)'/.exec(message);
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL" && positional)
    return `Unexpected argument '${positional[1]}'`;
  return message.split(". ")[0]!;
}

/** `--backend`: auto (default), wasm, cpu or tensorflow. */
export function backendOf(value: string | undefined, usage: string): BackendPreference {
  const b = value ?? "auto";
  if (b !== "auto" && b !== "wasm" && b !== "cpu" && b !== "tensorflow") {
    throw new UsageError(`Option '--backend' must be auto, wasm, cpu or tensorflow, received ${b}`, usage);
  }
  return b;
}

/** An integer option in `[min, max]`, or `fallback` when absent. */
export function integerOption(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
  usage: string,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!(value.trim() !== "" && Number.isInteger(n) && n >= min && n <= max))
    throw new UsageError(
      `Option '--${name}' must be an integer from ${min} to ${max}, received ${value}`,
      usage,
    );
  return n;
}
