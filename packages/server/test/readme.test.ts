import { readFileSync } from "node:fs";
import { Registry } from "@zkiris/registry";
import { HTTP_STATUS, startServer } from "@zkiris/server";
import { expect, it } from "vitest";
import { ADMIN_TOKEN } from "./helpers.js";

const README = readFileSync(new URL("../README.md", import.meta.url), "utf8");

/** Rows of the Markdown table under `## heading`, as arrays of trimmed cells (header and rule dropped). */
function table(heading: string): string[][] {
  const section = README.split(`\n## ${heading}\n`)[1]!.split("\n## ")[0]!;
  return section
    .split("\n")
    .filter((line) => line.startsWith("|"))
    .slice(2)
    .map((line) =>
      line
        .split("|")
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
}

it("lists in its README exactly the routes of the served OpenAPI document, with their access and success status", async () => {
  const registry = await Registry.open({ database: ":memory:", searchWorkers: 0, verifierWorkers: 1 });
  const server = await startServer(registry, { adminToken: ADMIN_TOKEN, log: false });
  try {
    const document = server.openApiDocument() as {
      paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>;
    };
    const served = Object.entries(document.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => [
        method.toUpperCase(),
        `\`${path}\``,
        op.security === undefined ? "open" : "admin",
        Object.keys(op.responses).find((status) => status.startsWith("2")),
      ]),
    );
    expect(table("Routes").map((row) => row.slice(0, 4))).toEqual(served);
  } finally {
    await server.close();
    await registry.close();
  }
});

it("documents every error code with the status the server answers", () => {
  const documented = table("Errors").flatMap(([status, codes]) =>
    [...codes!.matchAll(/`([A-Z0-9_]+)`/g)].map((m) => [m[1]!, Number(status)] as const),
  );
  expect(Object.fromEntries(documented)).toEqual(HTTP_STATUS);
  expect(documented.length).toBe(Object.keys(HTTP_STATUS).length);
});
