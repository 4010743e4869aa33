import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  type AccuracyReport,
  type BackendPreference,
  computeAccuracy,
  IrisEncoder,
  pairDistances,
  renderAccuracyHtml,
  renderAccuracySvg,
} from "@zkiris/encoder";
import { formatGeometry, type IrisCode, toJson, ZkirisError } from "@zkiris/iris-code";

/** Where the CLI writes; tests pass collectors, the binary passes the process streams. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** True when stderr is a terminal (progress redraws in place). */
  readonly interactive?: boolean;
}

const USAGE = `Usage:
  zkiris encode <images...> [--json] [--backend auto|wasm|cpu|tensorflow]
      One JSON line per image: file, version, geometry, bits, mask, quality; or file, error, reason.
      Exit code 0 when every image encoded, 1 when any failed.
  zkiris accuracy <DIR> [--out DIR] [--backend ...]
      DIR/<eye-id>/<images>: encodes everything, compares all pairs over the profile's shifts,
      prints the JSON report and writes report.json, accuracy.svg and accuracy.html to --out
      (default ./zkiris-accuracy).
`;

/** The CLI refuses its own arguments with this error (exit code 2). */
export class UsageError extends ZkirisError {
  constructor(message: string) {
    super("USAGE", message, { field: "argv" });
  }
}

interface Parsed {
  positional: string[];
  flags: Map<string, string | true>;
}

function parseArgs(args: readonly string[], valued: readonly string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith("--")) {
      const [name, inline] = a.slice(2).split("=", 2) as [string, string | undefined];
      if (valued.includes(name)) {
        const v = inline ?? args[++i];
        if (v === undefined) throw new UsageError(`Option '--${name}' needs a value`);
        flags.set(name, v);
      } else if (name === "json" || name === "help") flags.set(name, true);
      else throw new UsageError(`Unknown option '--${name}'`);
    } else positional.push(a);
  }
  return { positional, flags };
}

function backendOf(flags: Map<string, string | true>): BackendPreference {
  const b = flags.get("backend") ?? "auto";
  if (b !== "auto" && b !== "wasm" && b !== "cpu" && b !== "tensorflow") {
    throw new UsageError(`Option '--backend' must be auto, wasm, cpu or tensorflow, received ${String(b)}`);
  }
  return b;
}

/**
 * Runs the `zkiris` command line with `args` (without the node and script names) and returns the
 * exit code: 0 success, 1 some input failed, 2 usage error.
 */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = args;
  try {
    if (command === undefined || command === "--help" || command === "help") {
      io.stdout(USAGE);
      return command === undefined ? 2 : 0;
    }
    if (command === "encode") return await encodeCommand(rest, io);
    if (command === "accuracy") return await accuracyCommand(rest, io);
    throw new UsageError(`Unknown command '${command}'`);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`zkiris: ${error.message}\n${USAGE}`);
      return 2;
    }
    throw error;
  }
}

async function encodeCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { positional, flags } = parseArgs(args, ["backend"]);
  if (positional.length === 0) throw new UsageError("encode needs at least one image file");
  const encoder = await IrisEncoder.create({ backend: backendOf(flags) });
  let failed = 0;
  try {
    for (const file of positional) {
      let line: Record<string, unknown>;
      try {
        const bytes = new Uint8Array(await readFile(file));
        const { code, quality } = await encoder.encode(bytes);
        line = { file, ...toJson(code), quality: roundQuality(quality) };
      } catch (error) {
        failed++;
        if (error instanceof ZkirisError)
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
  return failed === 0 ? 0 : 1;
}

function gateOf(error: ZkirisError): Record<string, unknown> {
  const e = error as ZkirisError & { gate?: string; measured?: number; limit?: number };
  return e.gate === undefined ? {} : { gate: e.gate, measured: e.measured, limit: e.limit };
}

function isFsError(error: unknown): boolean {
  return (
    typeof error === "object" &&
    error !== null &&
    typeof (error as { code?: unknown }).code === "string" &&
    "syscall" in error
  );
}

function roundQuality(q: object): Record<string, number> {
  return Object.fromEntries(Object.entries(q).map(([k, v]) => [k, Math.round((v as number) * 1e4) / 1e4]));
}

function progressBar(done: number, total: number, label: string): string {
  const width = 30;
  const filled = total ? Math.round((done / total) * width) : width;
  return `${label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total}`;
}

async function accuracyCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { positional, flags } = parseArgs(args, ["out", "backend"]);
  if (positional.length !== 1) throw new UsageError("accuracy needs exactly one dataset directory");
  const dir = positional[0]!;
  const out = (flags.get("out") as string | undefined) ?? "zkiris-accuracy";
  let eyes: string[];
  try {
    eyes = (await readdir(dir, { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch {
    throw new UsageError(`Dataset directory '${dir}' cannot be read`);
  }
  const jobs: { eye: string; file: string }[] = [];
  for (const eye of eyes) {
    for (const f of (await readdir(path.join(dir, eye))).sort()) {
      if (/\.(png|jpe?g|bmp)$/i.test(f)) jobs.push({ eye, file: path.join(dir, eye, f) });
    }
  }
  if (jobs.length === 0)
    throw new UsageError(`Dataset directory '${dir}' has no images in DIR/<eye-id>/ folders`);
  const encoder = await IrisEncoder.create({ backend: backendOf(flags) });
  const codesByEye = new Map<string, IrisCode[]>();
  const refusals: Record<string, number> = {};
  const refused: { file: string; error: string; reason: string }[] = [];
  const progress = (done: number, total: number, label: string, force = false) => {
    if (io.interactive) io.stderr(`\r${progressBar(done, total, label)}`);
    else if (force || done % Math.max(1, Math.ceil(total / 10)) === 0)
      io.stderr(`${progressBar(done, total, label)}\n`);
  };
  const t0 = performance.now();
  try {
    for (let i = 0; i < jobs.length; i++) {
      const { eye, file } = jobs[i]!;
      try {
        const { code } = await encoder.encode(new Uint8Array(await readFile(file)));
        const list = codesByEye.get(eye) ?? [];
        list.push(code);
        codesByEye.set(eye, list);
      } catch (error) {
        if (!(error instanceof ZkirisError)) throw error;
        const key = (error as { gate?: string }).gate ?? error.code;
        refusals[key] = (refusals[key] ?? 0) + 1;
        refused.push({ file, error: key, reason: error.message });
      }
      progress(i + 1, jobs.length, "encoding ", i + 1 === jobs.length);
    }
  } finally {
    encoder.close();
  }
  if (io.interactive) io.stderr("\n");
  const encodeMs = (performance.now() - t0) / jobs.length;
  const profile = encoder.profile;
  const enrolledCount = [...codesByEye.values()].reduce((a, l) => a + l.length, 0);
  const distances = pairDistances(codesByEye, profile, (done, total) =>
    progress(done, total, "comparing", done === total),
  );
  if (io.interactive) io.stderr("\n");
  let report: AccuracyReport;
  try {
    report = computeAccuracy({ ...distances, attempted: jobs.length, enrolled: enrolledCount });
  } catch (error) {
    io.stderr(`zkiris: cannot measure accuracy: ${(error as Error).message}\n`);
    return 1;
  }
  const full = {
    dataset: dir,
    profile: {
      name: profile.name,
      geometry: formatGeometry(profile.geometry),
      maxShift: profile.maxShift,
      thresholdPer10k: profile.thresholdPer10k,
      minUsableBits: profile.minUsableBits,
    },
    backend: encoder.backend,
    modelSource: encoder.modelSource,
    msPerImage: Math.round(encodeMs * 10) / 10,
    refusals,
    refused,
    ...report,
  };
  await mkdir(out, { recursive: true });
  await writeFile(path.join(out, "report.json"), `${JSON.stringify(full, null, 2)}\n`);
  await writeFile(
    path.join(out, "accuracy.svg"),
    renderAccuracySvg(report, distances, `zkiris accuracy: ${dir}`),
  );
  await writeFile(
    path.join(out, "accuracy.html"),
    renderAccuracyHtml(report, distances, `zkiris accuracy: ${dir}`),
  );
  io.stdout(`${JSON.stringify(full, null, 2)}\n`);
  io.stderr(`wrote ${path.join(out, "report.json")}, accuracy.svg, accuracy.html\n`);
  return 0;
}
