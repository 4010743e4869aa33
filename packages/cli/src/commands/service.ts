import { readFile } from "node:fs/promises";
import type { CapturePacketJson } from "@zkiris/device";
import { describeType, ZkirisError } from "@zkiris/iris-code";
import type { AuditLog } from "@zkiris/registry";
import type { ZkirisClient } from "@zkiris/sdk";
import { type CliIo, EXIT, UsageError } from "../command.js";

/** Where the service commands (`enroll`, `prove`, `verify`, `poll`, `group`, `device register`) find the server when neither flag nor environment names one. */
export const DEFAULT_REGISTRY_URL = "http://127.0.0.1:8080";

/** The options every service command takes: the server and (admin routes) its token. */
export const SERVICE_OPTIONS = {
  registry: { type: "string" },
  "admin-token": { type: "string" },
} as const;

/** The usage lines of {@link SERVICE_OPTIONS}. */
export const SERVICE_USAGE = `      --registry      base URL of a running zkiris serve (env ZKIRIS_REGISTRY_URL; default
                      ${DEFAULT_REGISTRY_URL}).
      --admin-token   bearer token of the admin routes, only for device register and revoke, group
                      create and poll create (env ZKIRIS_ADMIN_TOKEN).`;

/** An environment variable, with an empty one counted as unset. */
export function envValue(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === "" ? undefined : value;
}

/** A client of the server named by `--registry` / `ZKIRIS_REGISTRY_URL`, with the admin token when one is given. */
export async function serviceClient(
  values: { registry?: string; "admin-token"?: string },
  usage: string,
): Promise<ZkirisClient> {
  const base = values.registry ?? envValue("ZKIRIS_REGISTRY_URL") ?? DEFAULT_REGISTRY_URL;
  let url: URL | undefined;
  try {
    url = new URL(base);
  } catch {}
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:"))
    throw new UsageError(`Option '--registry' must be an http or https URL, received ${base}`, usage);
  const adminToken = values["admin-token"] ?? envValue("ZKIRIS_ADMIN_TOKEN");
  const { ZkirisClient } = await import("@zkiris/sdk");
  return new ZkirisClient({ baseUrl: url, ...(adminToken === undefined ? {} : { adminToken }) });
}

/**
 * Runs `body` with a client of the service named by `values` (see {@link serviceClient}) and closes
 * the client after it, whether the body returns or throws.
 */
export async function withServiceClient<T>(
  values: { registry?: string; "admin-token"?: string },
  usage: string,
  body: (client: ZkirisClient) => Promise<T>,
): Promise<T> {
  const client = await serviceClient(values, usage);
  try {
    return await body(client);
  } finally {
    await client.close();
  }
}

/**
 * Runs a service command's body and turns a refusal into exit code 1: a `ZkirisError` (the server's
 * refusal with its code and status, an unreachable server, a refused file) is printed as one line
 * `zkiris <command>: CODE [status]: message (field …)` on stderr. Anything else propagates (exit 3).
 */
export async function refusalsAsResults(
  command: string,
  io: CliIo,
  body: () => Promise<number>,
): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof UsageError || !ZkirisError.is(error)) throw error;
    io.stderr(`${refusalLine(command, error)}\n`);
    return EXIT.FAILED;
  }
}

/** One line for a refusal: `zkiris <command>: CODE [status]: message (field f)`. */
export function refusalLine(command: string, error: ZkirisError): string {
  const status = (error as { status?: unknown }).status;
  const message = error.message.split("\n", 1)[0]!;
  const field = error.field === undefined ? "" : ` (field ${error.field})`;
  return `zkiris ${command}: ${error.code}${typeof status === "number" ? ` ${status}` : ""}: ${message}${field}`;
}

/** A file given on the command line could not be used (a capture packet, a proof). */
export class InputFileError extends ZkirisError {
  constructor(message: string, options: { field?: string; cause?: unknown } = {}) {
    super("INVALID_INPUT_FILE", message, options);
  }
}

/** Reads a JSON file named on the command line (`INVALID_INPUT_FILE` when it cannot be read or is not JSON). */
export async function readJsonFile(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new InputFileError(`The ${what} '${file}' cannot be read: ${(cause as Error).message}`, { cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new InputFileError(`The ${what} '${file}' is not JSON`, { cause });
  }
}

/**
 * The capture packet in a file: the packet JSON itself, `{ "packet": … }` (the bridge's `capture`
 * result) or a bridge response line `{ "id", "result": { "packet": … } }`.
 */
export async function readCapturePacketFile(file: string): Promise<CapturePacketJson> {
  let value = await readJsonFile(file, "capture packet");
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (isObject(value) && isObject(value.result)) value = value.result;
  if (isObject(value) && isObject(value.packet)) value = value.packet;
  if (!isObject(value))
    throw new InputFileError(
      `The capture packet '${file}' must be a JSON object, received ${describeType(value)}`,
    );
  // Its fields are checked where it is used (parseCapturePacket of @zkiris/device, in the SDK).
  return value as unknown as CapturePacketJson;
}

/** A time option: Unix milliseconds or an ISO 8601 date. */
export function timeOption(name: string, value: string | undefined, usage: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = /^[0-9]+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isSafeInteger(ms) || ms < 0)
    throw new UsageError(
      `Option '--${name}' must be Unix milliseconds or an ISO 8601 date (2027-01-31T18:00:00Z), received ${value}`,
      usage,
    );
  return ms;
}

/** A duration option: a number with a unit s, m, h or d (`90m`, `24h`, `7d`). */
export function durationOption(name: string, value: string, usage: string): number {
  const m = /^([0-9]+)(s|m|h|d)$/.exec(value);
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
  if (!m || Number(m[1]) === 0)
    throw new UsageError(
      `Option '--${name}' must be a positive number with a unit s, m, h or d (90m, 24h, 7d), received ${value}`,
      usage,
    );
  return Number(m[1]) * unit[m[2] as keyof typeof unit];
}

/** JSON with bigints as decimal strings, one line. */
export function jsonLine(value: unknown): string {
  return `${JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v))}\n`;
}

/** A server answer the SDK has no method for yet, refused or unreadable. */
export class ServiceAnswerError extends ZkirisError {
  readonly status: number | undefined;

  constructor(
    code: string,
    message: string,
    options: { status?: number; field?: string; cause?: unknown } = {},
  ) {
    super(code, message, options);
    this.status = options.status;
  }
}

/**
 * `GET /polls/{pollId}/audit-log` of the client's server: the poll, its group's root history and
 * every accepted proof, as `recount` of `@zkiris/registry` reads it. A refusal keeps the server's
 * code (`UNKNOWN_POLL`); `NETWORK` or `BAD_RESPONSE` otherwise.
 */
export async function fetchAuditLog(client: ZkirisClient, pollId: string): Promise<AuditLog> {
  const url = `${client.baseUrl}/polls/${encodeURIComponent(pollId)}/audit-log`;
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, { headers: { accept: "application/json" } });
    text = await response.text();
  } catch (cause) {
    throw new ServiceAnswerError("NETWORK", `GET ${url} failed: ${(cause as Error).message}`, { cause });
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (cause) {
    throw new ServiceAnswerError(
      "BAD_RESPONSE",
      `GET ${url} answered ${response.status} with a body that is not JSON`,
      {
        status: response.status,
        cause,
      },
    );
  }
  if (!response.ok) {
    const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    throw new ServiceAnswerError(
      typeof error?.code === "string" ? error.code : "BAD_RESPONSE",
      typeof error?.message === "string" ? error.message : `GET ${url} answered ${response.status}`,
      { status: response.status },
    );
  }
  return body as AuditLog;
}
