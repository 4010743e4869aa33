import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import {
  BridgeError,
  type BridgeErrorCode,
  type BridgeResponse,
  type DeviceBridge,
  errorResponse,
  HTTP_STATUS_OF,
  MAX_REQUEST_BYTES,
} from "./bridge.js";

/**
 * Serves JSON lines: one request per line of `input`, one response line per request on `write`,
 * in request order. Blank lines are skipped. Resolves when `input` ends (or `signal` aborts) and
 * every response is written.
 */
export async function serveJsonLines(
  bridge: DeviceBridge,
  input: NodeJS.ReadableStream,
  write: (line: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  signal?.addEventListener("abort", () => lines.close(), { once: true });
  let pending: Promise<void> = Promise.resolve();
  for await (const line of lines) {
    if (line.trim() === "") continue;
    const response: Promise<BridgeResponse> =
      Buffer.byteLength(line) > MAX_REQUEST_BYTES
        ? Promise.resolve(
            errorResponse(
              null,
              new BridgeError("REQUEST_TOO_LARGE", `The request is larger than ${MAX_REQUEST_BYTES} bytes`),
            ),
          )
        : bridge.handleLine(line);
    pending = pending.then(async () => write(`${JSON.stringify(await response)}\n`));
  }
  await pending;
}

/** HTTP routes: path → method of the protocol and the HTTP method it takes. */
const ROUTES: Readonly<Record<string, { readonly method: string; readonly http: "GET" | "POST" }>> = {
  "/info": { method: "info", http: "GET" },
  "/capture": { method: "capture", http: "POST" },
  "/enrol": { method: "enrol", http: "POST" },
};

/** Hosts the HTTP transport binds to: loopback only. */
export const LOOPBACK_HOSTS: readonly string[] = ["127.0.0.1", "::1", "localhost"];

/** A running HTTP transport. */
export interface BridgeHttpServer {
  readonly server: Server;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves the protocol over HTTP on a loopback address: `GET /info`, `POST /capture`, `POST /enrol`,
 * the body being the method's params. Refuses requests that carry an `Origin` header or name a
 * `Host` other than the loopback address and port (web pages and DNS rebinding cannot reach the
 * device key), bodies that are not `application/json`, bodies over {@link MAX_REQUEST_BYTES}.
 */
export async function startBridgeHttp(
  bridge: DeviceBridge,
  host: string,
  port: number,
): Promise<BridgeHttpServer> {
  if (!LOOPBACK_HOSTS.includes(host))
    throw new BridgeError(
      "FORBIDDEN",
      `The bridge listens on a loopback address only (${LOOPBACK_HOSTS.join(", ")}), not ${host}`,
    );
  let allowedHosts: string[] = [];
  const server = createServer((req, res) => {
    serveHttp(bridge, req, res, allowedHosts).catch(() => {
      if (!res.headersSent)
        send(res, errorResponse(null, new BridgeError("INTERNAL", "The bridge failed on this request")));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host === "localhost" ? "127.0.0.1" : host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  allowedHosts = [`127.0.0.1:${bound}`, `localhost:${bound}`, `[::1]:${bound}`];
  const shown = host === "::1" ? "[::1]" : host === "localhost" ? "127.0.0.1" : host;
  let closed: Promise<void> | undefined;
  return {
    server,
    port: bound,
    url: `http://${shown}:${bound}`,
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

async function serveHttp(
  bridge: DeviceBridge,
  req: IncomingMessage,
  res: ServerResponse,
  allowedHosts: readonly string[],
): Promise<void> {
  const refuse = async (code: BridgeErrorCode, message: string): Promise<void> => {
    req.resume();
    send(res, errorResponse(null, new BridgeError(code, message)));
  };
  if (req.headers.origin !== undefined)
    return refuse("FORBIDDEN", "Requests from web pages (with an Origin header) are refused");
  if (!allowedHosts.includes(req.headers.host ?? ""))
    return refuse("FORBIDDEN", `Host '${req.headers.host ?? ""}' is not this bridge's loopback address`);
  const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
  const route = Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined;
  if (route === undefined) {
    // The bridge answers for the method the path names, with the same error as on JSON lines.
    req.resume();
    send(res, await bridge.handleMethod(path.slice(1), {}));
    return;
  }
  if (req.method !== route.http) {
    res.setHeader("allow", route.http);
    return refuse("METHOD_NOT_ALLOWED", `Use ${route.http} ${path}`);
  }
  let params: unknown = {};
  if (route.http === "POST") {
    if (!/^application\/json\s*(;|$)/i.test(req.headers["content-type"] ?? ""))
      return refuse("UNSUPPORTED_MEDIA_TYPE", "The request body must be application/json");
    const body = await readBody(req);
    if (body === undefined)
      return refuse("REQUEST_TOO_LARGE", `The request is larger than ${MAX_REQUEST_BYTES} bytes`);
    try {
      params = JSON.parse(body);
    } catch {
      return refuse("MALFORMED_JSON", "The request is not JSON");
    }
  } else req.resume();
  send(res, await bridge.handleMethod(route.method, params));
}

/** The body as text, or `undefined` when it exceeds the limit. */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Reads to the end even past the limit (dropping the excess), so the refusal reaches the client.
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= MAX_REQUEST_BYTES) chunks.push(chunk as Buffer);
  }
  return size > MAX_REQUEST_BYTES ? undefined : Buffer.concat(chunks).toString("utf8");
}

function send(res: ServerResponse, response: BridgeResponse): void {
  const status = "result" in response ? 200 : HTTP_STATUS_OF[response.error.code];
  const body = "result" in response ? { result: response.result } : { error: response.error };
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  res.end(`${JSON.stringify(body)}\n`);
}
