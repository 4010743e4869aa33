import { readFile } from "node:fs/promises";
import { IrisEncoder } from "@zkiris/encoder";
import { toJson, ZkirisError } from "@zkiris/iris-code";
import { backendOf, parseCommandArgs } from "../args.js";
import { type CliCommand, type CliIo, EXIT, UsageError } from "../command.js";

const SYNOPSIS = "zkiris encode <images...> [--json] [--backend auto|wasm|cpu|tensorflow]";

const USAGE = `Usage:
  ${SYNOPSIS}
      One JSON line per image: file, version, geometry, bits, mask, quality; or file, error, reason
      (and gate, measured, limit for a quality-gate refusal). One bad image never stops the rest.
      --json is the only output form (accepted for compatibility). --backend: TensorFlow.js backend
      of the encoder (default auto).
      Exit code 0 when every image encoded, 1 when any failed, 2 usage error, 3 internal error.
`;

const OPTIONS = { json: { type: "boolean" }, backend: { type: "string" } } as const;

/** `zkiris encode`: iris images to iris codes, one JSON line per image. */
export const encodeCommand: CliCommand = {
  name: "encode",
  synopsis: SYNOPSIS,
  summary: "Encode iris images (PNG, JPEG, BMP) to iris codes, one JSON line per image.",
  usage: USAGE,
  run: encode,
};

async function encode(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, OPTIONS, USAGE);
  const backend = backendOf(values.backend, USAGE);
  if (positionals.length === 0) throw new UsageError("encode needs at least one image file", USAGE);
  const encoder = await IrisEncoder.create({ backend });
  let failed = 0;
  try {
    for (const file of positionals) {
      let line: Record<string, unknown>;
      try {
        const bytes = new Uint8Array(await readFile(file));
        const { code, quality } = await encoder.encode(bytes);
        line = { file, ...toJson(code), quality: roundQuality(quality) };
      } catch (error) {
        failed++;
        if (ZkirisError.is(error))
          line = { file, error: error.code, reason: error.message, ...gateOf(error) };
        else if (isFsError(error))
          line = { file, error: "UNREADABLE_FILE", reason: (error as Error).message };
        else throw error;
      }
      io.stdout(`${JSON.stringify(line)}\n`);
    }
  } finally {
    encoder.close();
  }
  return failed === 0 ? EXIT.OK : EXIT.FAILED;
}

/** `gate`, `measured`, `limit` of a quality-gate refusal; nothing for other errors. */
export function gateOf(error: ZkirisError): Record<string, unknown> {
  const e = error as ZkirisError & { gate?: string; measured?: number; limit?: number };
  return e.gate === undefined ? {} : { gate: e.gate, measured: e.measured, limit: e.limit };
}

/** True for an error of a Node file-system call (it has a string `code` and a `syscall`). */
export function isFsError(error: unknown): boolean {
  return (
    typeof error === "object" &&
    error !== null &&
    typeof (error as { code?: unknown }).code === "string" &&
    "syscall" in error
  );
}

/** The quality report with every figure rounded to 1e-4. */
export function roundQuality(q: object): Record<string, number> {
  return Object.fromEntries(Object.entries(q).map(([k, v]) => [k, Math.round((v as number) * 1e4) / 1e4]));
}
