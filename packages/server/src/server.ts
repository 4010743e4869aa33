import { createHash, timingSafeEqual } from "node:crypto";
import type { AddressInfo } from "node:net";
import cors from "@fastify/cors";
import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { ZkirisError } from "@zkiris/iris-code";
import type { Registry } from "@zkiris/registry";
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest, LogController } from "fastify";
import { type DestinationStream, type Logger, type LoggerOptions, pino } from "pino";
import { httpStatusOf, ServerError } from "./errors.js";
import { type App, registerRoutes } from "./routes.js";
import { ErrorBody } from "./schemas.js";
import { validationRefusal } from "./validation-message.js";
import { checkWebOptions, registerWeb, type WebOptions } from "./web.js";

/** Requests per window and client address for one class of unauthenticated routes. */
export interface RateLimit {
  /** Requests allowed per window. */
  readonly max: number;
  /** Window length in milliseconds. */
  readonly windowMs: number;
}

/** Options of {@link startServer}. */
export interface ServerOptions {
  /**
   * Bearer token of the administrative routes (devices, groups, polls, member removal): at least 16
   * characters. Required: the server never runs its admin routes open.
   */
  readonly adminToken: string;
  /** Interface to bind. Default `127.0.0.1`. */
  readonly host?: string;
  /** TCP port; 0 picks a free one. Default 0. */
  readonly port?: number;
  /**
   * Origins allowed to call the API from a browser (CORS): a list of exact origins such as
   * `https://vote.example.org`, or `"*"` for any. Default none (no CORS headers, browsers refuse).
   */
  readonly corsOrigins?: readonly string[] | "*";
  /** Largest accepted request body in bytes. Default 256 KiB. */
  readonly bodyLimitBytes?: number;
  /**
   * Per-client-address limits of the unauthenticated routes: `writes` for challenges, enrolments,
   * votes and recovery (default 60 a minute), `reads` for the rest (default 1200 a minute). Admin
   * routes, `/health` and `/ready` are not limited. `false` turns limiting off (tests, benches
   * behind a proxy that limits).
   */
  readonly rateLimit?: false | { readonly writes?: RateLimit; readonly reads?: RateLimit };
  /** Take the client address from `X-Forwarded-For` (behind a reverse proxy). Default false. */
  readonly trustProxy?: boolean;
  /** Interval of the pruning of expired challenges, in milliseconds; 0 turns it off. Default 60 s. */
  readonly challengePruneIntervalMs?: number;
  /**
   * A built web page and the proving artifacts it loads, served next to the API under `/web/`
   * (`GET /` redirects there): see {@link WebOptions}. Default none.
   */
  readonly web?: WebOptions;
  /**
   * Structured logs (pino, JSON lines): `false` for none, or the level and destination (default
   * `info` on standard output). Lines carry method, route, status, time and error code; never
   * bodies, headers, iris codes, masks, salts, secrets or tokens.
   */
  readonly log?:
    | false
    | { readonly level?: LoggerOptions["level"]; readonly destination?: DestinationStream };
}

/** A running zkiris HTTP server. */
export interface ZkirisServer {
  /** The Fastify instance (for `inject` and introspection). */
  readonly app: App;
  readonly port: number;
  /** `http://host:port` */
  readonly url: string;
  /** Every route the server answers, as `METHOD /path/{param}` in OpenAPI form, sorted. */
  readonly routes: readonly string[];
  /** The served OpenAPI 3.1 document. */
  openApiDocument(): Record<string, unknown>;
  /**
   * Stops accepting connections, lets requests in flight finish (new ones get 503), stops the
   * challenge pruning. Idempotent: every call returns the same promise. Does not close the registry.
   */
  close(): Promise<void>;
}

const DEFAULT_WRITES: RateLimit = { max: 60, windowMs: 60_000 };
const DEFAULT_READS: RateLimit = { max: 1200, windowMs: 60_000 };

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

function checkOptions(options: ServerOptions): void {
  if (typeof options?.adminToken !== "string" || options.adminToken.length < 16) {
    throw new ServerError(
      "INVALID_PARAMETER",
      "Parameter 'adminToken' must be a string of at least 16 characters; the admin routes never run open",
      { field: "adminToken" },
    );
  }
  if (/\s/.test(options.adminToken)) {
    throw new ServerError("INVALID_PARAMETER", "Parameter 'adminToken' must not contain whitespace", {
      field: "adminToken",
    });
  }
  if (options.web !== undefined) checkWebOptions(options.web);
  const cors = options.corsOrigins;
  if (cors !== undefined && cors !== "*") {
    if (!Array.isArray(cors)) {
      throw new ServerError("INVALID_PARAMETER", "Parameter 'corsOrigins' must be '*' or a list of origins", {
        field: "corsOrigins",
      });
    }
    for (const origin of cors) {
      let parsed: URL | undefined;
      try {
        parsed = new URL(origin);
      } catch {}
      if (parsed === undefined || parsed.origin !== origin) {
        throw new ServerError(
          "INVALID_PARAMETER",
          `Parameter 'corsOrigins' holds '${origin}', which is not an origin such as https://app.example.org`,
          { field: "corsOrigins" },
        );
      }
    }
  }
}

function logger(options: ServerOptions["log"]): Logger | undefined {
  if (options === false) return undefined;
  return pino(
    {
      level: options?.level ?? "info",
      base: { service: "zkiris" },
      // Nothing below logs headers or bodies; the redaction is the guard if a plugin ever does.
      redact: {
        paths: [
          "req.headers.authorization",
          "req.headers.cookie",
          "headers.authorization",
          "body",
          "req.body",
          "*.salt",
          "*.capture",
          "*.captures",
          "*.adminToken",
        ],
        censor: "[redacted]",
      },
      serializers: {
        req: (req: FastifyRequest) => ({ method: req.method, url: req.url, remoteAddress: req.ip }),
        res: (res: FastifyReply) => ({ statusCode: res.statusCode }),
      },
    },
    options?.destination,
  );
}

/** OpenAPI path template of a Fastify route: `/groups/:groupId` → `/groups/{groupId}`. */
function openApiPath(url: string): string {
  return url.replace(/:(\w+)/g, "{$1}");
}

/**
 * Starts the zkiris HTTP API over `registry` (Fastify; one TypeBox schema per route validates the
 * request, serialises the response and documents both in `GET /openapi.json`) and resolves once it
 * listens. Refusals answer `{ error: { code, message, field? } }` with a 4xx status; the server's own
 * faults answer 5xx (`INTERNAL` without details, or the registry's code such as `CLOSED` for 503).
 * Throws `INVALID_PARAMETER` for bad options (an `adminToken` is required).
 */
export async function startServer(registry: Registry, options: ServerOptions): Promise<ZkirisServer> {
  checkOptions(options);
  const bodyLimit = options.bodyLimitBytes ?? 256 * 1024;
  const expectedToken = digest(`Bearer ${options.adminToken}`);
  const log = logger(options.log);

  const app = Fastify({
    ...(log === undefined ? { logger: false } : { loggerInstance: log }),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit,
    trustProxy: options.trustProxy ?? false,
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    return503OnClosing: true,
    forceCloseConnections: "idle",
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false },
    },
    // Bytes that are not HTTP at all: answered in the Error shape too, then the socket is closed.
    clientErrorHandler: (error, socket) => {
      if ((error as { code?: string }).code === "ECONNRESET" || !socket.writable) {
        socket.destroy();
        return;
      }
      const body = JSON.stringify({
        error: { code: "BAD_REQUEST", message: "The request is not valid HTTP/1.1" },
      });
      socket.end(
        `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-zkiris-error: BAD_REQUEST\r\nconnection: close\r\n\r\n${body}`,
      );
    },
    frameworkErrors: (error, _request, reply) => {
      const code = error.code === "FST_ERR_BAD_URL" ? "BAD_URL_ENCODING" : "BAD_REQUEST";
      const message =
        code === "BAD_URL_ENCODING"
          ? "The request path is not valid percent-encoding of UTF-8"
          : "The request could not be read";
      void (reply as FastifyReply)
        .code(400)
        .header("x-zkiris-error", code)
        .send({ error: { code, message } });
    },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as App;

  // Routes as registered, for 405 answers and for the route list checked against the document.
  const routes: { method: string; pattern: RegExp; path: string }[] = [];
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    // Static content (ServerOptions.web) is not part of the API and its document.
    if ((route.schema as { hide?: boolean } | undefined)?.hide === true) return;
    for (const method of methods) {
      if (method === "HEAD" || method === "OPTIONS") continue;
      const source = route.url.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/:(\w+)/g, "[^/]+");
      routes.push({ method, pattern: new RegExp(`^${source}$`), path: openApiPath(route.url) });
    }
  });

  app.addSchema(ErrorBody);

  // JSON bodies: strict UTF-8 (invalid bytes are refused, never turned into U+FFFD), strings checked
  // for lone surrogates written as \u escapes, then the default parser (prototype poisoning refused).
  const defaultJson = app.getDefaultJsonParser("error", "error");
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (request, body, done) => {
    const bytes = body as Buffer;
    if (bytes.length === 0) {
      done(null, undefined);
      return;
    }
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      done(new ServerError("INVALID_UTF8", "The request body is not valid UTF-8"), undefined);
      return;
    }
    defaultJson(request, text, (error, value) => {
      if (error) {
        done(new ServerError("MALFORMED_JSON", "The request body is not valid JSON"), undefined);
        return;
      }
      const bad = illFormedString(value, "");
      if (bad !== undefined) {
        done(
          new ServerError(
            "INVALID_UTF8",
            `Field '${bad || "body"}' holds a lone UTF-16 surrogate (a \\u escape that is no character)`,
            { field: bad || "body" },
          ),
          undefined,
        );
        return;
      }
      done(null, value);
    });
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const refusal = refusalOf(error, request);
    const status = refusal.status;
    if (status >= 500) {
      request.log.error(
        { err: error, code: refusal.body.error.code, route: request.routeOptions.url },
        "request failed",
      );
    }
    reply.header("x-zkiris-error", refusal.body.error.code);
    void (reply as FastifyReply).code(status).send(refusal.body);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0]!;
    const allowed = routes.filter((r) => r.pattern.test(path)).map((r) => r.method);
    if (allowed.length > 0) {
      reply.header("allow", [...new Set(allowed)].join(", ")).header("x-zkiris-error", "METHOD_NOT_ALLOWED");
      void reply.code(405).send({
        error: { code: "METHOD_NOT_ALLOWED", message: `${request.method} is not allowed on ${path}` },
      });
      return;
    }
    void reply
      .code(404)
      .header("x-zkiris-error", "NOT_FOUND")
      .send({ error: { code: "NOT_FOUND", message: `No route ${path}` } });
  });

  app.addHook("onResponse", (request, reply, done) => {
    const code = reply.getHeader("x-zkiris-error");
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? null,
        statusCode: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        ...(code === undefined ? {} : { code }),
      },
      "request",
    );
    done();
  });

  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "zkiris",
        version: "0.1.0",
        description:
          "Unique iris enrolment from signed captures, Semaphore groups with root history, and anonymous polls with a public audit log. Field elements are decimal strings; times are Unix milliseconds. Every refusal and fault answers the Error schema.",
      },
      components: { securitySchemes: { adminToken: { type: "http", scheme: "bearer" } } },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });

  if (options.corsOrigins !== undefined) {
    await app.register(cors, {
      origin: options.corsOrigins === "*" ? "*" : [...options.corsOrigins],
      methods: ["GET", "POST", "DELETE"],
      allowedHeaders: ["content-type", "authorization"],
      exposedHeaders: ["x-zkiris-error", "retry-after", "x-ratelimit-limit", "x-ratelimit-remaining"],
      maxAge: 600,
    });
  }

  const limits = options.rateLimit;
  if (limits !== false) {
    await app.register(rateLimit, {
      global: false,
      errorResponseBuilder: (_request, context) =>
        new ServerError(
          "RATE_LIMITED",
          `Too many requests from this address: ${context.max} per ${context.after} allowed on this route; retry after ${context.after}`,
        ),
    });
  }
  const limitConfig = (limit: RateLimit | undefined, fallback: RateLimit) =>
    limits === false ? false : { max: (limit ?? fallback).max, timeWindow: (limit ?? fallback).windowMs };

  const admin = async (request: FastifyRequest) => {
    const header = request.headers.authorization;
    if (typeof header !== "string" || !timingSafeEqual(digest(header), expectedToken)) {
      throw new ServerError(
        "UNAUTHORIZED",
        "This route needs the admin bearer token (Authorization: Bearer …)",
      );
    }
  };

  registerRoutes(app, registry, {
    admin,
    writeLimit: limitConfig(limits === false ? undefined : limits?.writes, DEFAULT_WRITES) as never,
    readLimit: limitConfig(limits === false ? undefined : limits?.reads, DEFAULT_READS) as never,
  });

  app.get(
    "/openapi.json",
    {
      schema: {
        operationId: "getOpenApiDocument",
        summary: "This document",
        tags: ["service"],
        response: {
          200: { type: "object", additionalProperties: true, description: "OpenAPI 3.1 document" },
        },
      },
    },
    async () => app.swagger() as unknown as Record<string, unknown>,
  );

  if (options.web !== undefined) await registerWeb(app, options.web);

  await app.listen({ port: options.port ?? 0, host: options.host ?? "127.0.0.1" });

  const prune = () => {
    registry.pruneChallenges().then(
      (n) => {
        if (n > 0) app.log.debug({ pruned: n }, "pruned expired challenges");
      },
      (error: unknown) => app.log.warn({ err: error }, "challenge pruning failed"),
    );
  };
  const interval = options.challengePruneIntervalMs ?? 60_000;
  const timer = interval > 0 ? setInterval(prune, interval) : undefined;
  timer?.unref();

  const address = app.server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    app,
    port: address.port,
    url: `http://${host}:${address.port}`,
    routes: routes.map((r) => `${r.method} ${r.path}`).sort(),
    openApiDocument: () => app.swagger() as unknown as Record<string, unknown>,
    close: () => {
      if (timer !== undefined) clearInterval(timer);
      closing ??= app.close();
      return closing;
    },
  };
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The path of the first string in a parsed JSON value that is not well-formed UTF-16, if any. */
function illFormedString(value: unknown, path: string): string | undefined {
  if (typeof value === "string") return LONE_SURROGATE.test(value) ? path : undefined;
  if (typeof value !== "object" || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = illFormedString(value[i], `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    const name = path === "" ? key : `${path}.${key}`;
    if (LONE_SURROGATE.test(key)) return name;
    const found = illFormedString(item, name);
    if (found !== undefined) return found;
  }
  return undefined;
}

interface Refusal {
  readonly status: number;
  readonly body: ErrorBody;
}

function refusalOf(error: FastifyError, request: FastifyRequest): Refusal {
  if (error.validation !== undefined) {
    const part = error.validationContext ?? "body";
    const schema = (request.routeOptions.schema as Record<string, unknown> | undefined)?.[part];
    const data = part === "params" ? request.params : part === "body" ? request.body : undefined;
    return fromZkiris(validationRefusal(error.validation, part, schema as never, data));
  }
  if (ZkirisError.is(error)) return fromZkiris(error);
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return fromZkiris(
        new ServerError(
          "PAYLOAD_TOO_LARGE",
          `The request body exceeds the limit of ${request.routeOptions.bodyLimit} bytes`,
        ),
      );
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return fromZkiris(
        new ServerError("UNSUPPORTED_MEDIA_TYPE", "The request body must be application/json"),
      );
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return { status, body: { error: { code: "BAD_REQUEST", message: error.message } } };
  }
  return {
    status: 500,
    body: { error: { code: "INTERNAL", message: "Internal error; the server log has the details" } },
  };
}

function fromZkiris(error: ZkirisError): Refusal {
  const status = httpStatusOf(error.code);
  if (status === 500) {
    return {
      status,
      body: { error: { code: "INTERNAL", message: "Internal error; the server log has the details" } },
    };
  }
  return {
    status,
    body: {
      error: {
        code: error.code,
        message: error.message,
        ...(error.field === undefined ? {} : { field: error.field }),
      },
    },
  };
}
