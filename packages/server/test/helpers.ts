import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_PROFILE, type IrisCode } from "@zkiris/iris-code";
import type { DatabaseLocation } from "@zkiris/registry";
import type { ZkirisServer } from "@zkiris/server";
import {
  randomCode as kitRandomCode,
  recapture as kitRecapture,
  needs,
  requirement,
  unit,
  xorshift32,
} from "@zkiris/test-kit";
import { Ajv } from "ajv";
import pg from "pg";

export const ADMIN_TOKEN = "test-admin-token-0123456789";

const G = DEFAULT_PROFILE.geometry;

/** A random code of the default geometry with about 10 % of its bits masked out. */
export function randomCode(seed: number): IrisCode {
  return kitRandomCode(unit(xorshift32(seed, 0x9e3779b9)), G, 0.9);
}

/** The same code with a fraction of its bits flipped and its columns rotated by `shift`. */
export function recapture(code: IrisCode, seed: number, flip: number, shift = 0): IrisCode {
  return kitRecapture(unit(xorshift32(seed, 0x9e3779b9)), code, { flip, shift });
}

/** A database under test: where it lives and how to drop it. */
export interface TestDatabase {
  readonly location: DatabaseLocation;
  drop(): Promise<void>;
}

/** The PostgreSQL test server (`ZKIRIS_TEST_DATABASE_URL`); the skip report names it when absent. */
export const POSTGRES = requirement("postgresql");

let counter = 0;

/** A fresh SQLite file in a temporary directory. */
export function sqliteDatabase(): TestDatabase & { readonly dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "zkiris-server-"));
  return {
    dir,
    location: join(dir, "registry.sqlite"),
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A fresh PostgreSQL schema on the test server. */
export function postgresDatabase(): TestDatabase {
  const url = process.env.ZKIRIS_TEST_DATABASE_URL!;
  const schema = `s_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  return {
    location: { postgres: url, schema },
    drop: async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}

/** The storage backends the suites run on; PostgreSQL only when its test server is configured. */
export const BACKENDS = [
  { name: "SQLite", create: sqliteDatabase, skip: false, title: (what: string) => `${what} on SQLite` },
  {
    name: "PostgreSQL",
    create: postgresDatabase,
    skip: !POSTGRES.available,
    title: (what: string) => needs(POSTGRES, `${what} on PostgreSQL`),
  },
] as const;

/** A response as the tests read it. */
export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are JSON checked by the assertions
  readonly body: Record<string, any>;
  /** The raw body (the only content of a non-JSON answer such as a backup file). */
  readonly bytes: Uint8Array;
}

type Operation = { responses: Record<string, { content?: Record<string, { schema: unknown }> }> };

/**
 * An HTTP client of a running server that checks every JSON response against the server's own
 * OpenAPI document: the operation is found by method and path template, the response schema by
 * status (exact, else `4XX`/`5XX`), and ajv must accept the body. A response the document does not
 * describe fails the test.
 */
export class Client {
  readonly #server: ZkirisServer;
  readonly #ajv: Ajv;
  readonly #document: { paths: Record<string, Record<string, Operation>>; components: object };
  readonly #templates: { path: string; pattern: RegExp }[];
  token: string | undefined = ADMIN_TOKEN;

  constructor(server: ZkirisServer) {
    this.#server = server;
    this.#document = server.openApiDocument() as never;
    this.#ajv = new Ajv({ strict: false, allErrors: true });
    this.#ajv.addSchema({ components: this.#document.components }, "doc");
    this.#templates = Object.keys(this.#document.paths).map((path) => ({
      path,
      pattern: new RegExp(`^${path.replace(/\{[^}]+\}/g, "[^/]+")}$`),
    }));
  }

  get url(): string {
    return this.#server.url;
  }

  /** The documented response schema of `method path` for `status`, or undefined. */
  schemaFor(method: string, path: string, status: number): unknown {
    const template = this.#templates.find((t) => t.pattern.test(path.split("?")[0]!));
    const operation = template && this.#document.paths[template.path]?.[method.toLowerCase()];
    if (operation === undefined) return undefined;
    const response = operation.responses[String(status)] ?? operation.responses[`${String(status)[0]}XX`];
    return response?.content?.["application/json"]?.schema;
  }

  async call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const response = await fetch(`${this.#server.url}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...(this.token === undefined ? {} : { authorization: `Bearer ${this.token}` }),
        ...headers,
      },
      ...(body === undefined
        ? {}
        : {
            body:
              typeof body === "string" || body instanceof Uint8Array
                ? (body as BodyInit)
                : JSON.stringify(body),
          }),
    });
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (!/^application\/json/.test(response.headers.get("content-type") ?? "application/json")) {
      return { status: response.status, headers: response.headers, body: {}, bytes };
    }
    const text = new TextDecoder().decode(bytes);
    const parsed = text === "" ? {} : JSON.parse(text);
    this.check(method, path, response.status, parsed);
    return { status: response.status, headers: response.headers, body: parsed, bytes };
  }

  /** Throws unless `body` is what the document says `method path` answers with `status`. */
  check(method: string, path: string, status: number, body: unknown): void {
    const schema = this.schemaFor(method, path, status);
    if (schema === undefined) {
      // Unknown paths and methods are answered outside the documented operations, in the Error shape.
      const error = this.#document.components as { schemas: { Error: object } };
      if (status === 404 || status === 405) {
        if (!this.#ajv.validate(error.schemas.Error, body))
          throw new Error(`${method} ${path} ${status}: not the Error shape`);
        return;
      }
      throw new Error(`${method} ${path} answered ${status}, which the OpenAPI document does not describe`);
    }
    const resolved = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/'));
    if (!this.#ajv.validate(resolved, body)) {
      throw new Error(
        `${method} ${path} ${status}: body does not match the OpenAPI document: ${this.#ajv.errorsText()}\n${JSON.stringify(body).slice(0, 500)}`,
      );
    }
  }
}
