import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/**
 * What some tests need from outside the repository. A test that needs one skips with
 * `describe.skipIf(!r.available)(needs(r, "title"), ...)`; the skip report (see
 * skip-reporter.ts) then names the requirement and why it is missing, and in CI fails the run
 * unless the requirement is listed in `ZKIRIS_ALLOWED_SKIPS`.
 */
export type RequirementId = "postgresql" | "chromium" | "datasets" | "circom" | "match-artifacts";

/** A requirement as found on this machine. */
export interface Requirement {
  readonly id: RequirementId;
  readonly available: boolean;
  /** Where it was looked for, and how to provide it. */
  readonly howToProvide: string;
}

/** Where the real research datasets are: `ZKIRIS_DATASETS`, else `../shared/datasets` next to the repository. */
export function datasetsDirectory(): string {
  const dir = process.env.ZKIRIS_DATASETS;
  if (dir !== undefined && dir !== "") return isAbsolute(dir) ? dir : resolve(REPO_ROOT, dir);
  return resolve(REPO_ROOT, "..", "shared", "datasets");
}

/** The Chromium executable the browser tests drive: `ZKIRIS_CHROMIUM`, else `/usr/bin/chromium`. */
export function chromiumPath(): string {
  return process.env.ZKIRIS_CHROMIUM ?? "/usr/bin/chromium";
}

/** Looks a requirement up on this machine (environment variables and files only; cheap). */
export function requirement(id: RequirementId): Requirement {
  switch (id) {
    case "postgresql":
      return {
        id,
        available: (process.env.ZKIRIS_TEST_DATABASE_URL ?? "") !== "",
        howToProvide:
          "ZKIRIS_TEST_DATABASE_URL is not set (run .ci/start-postgres.sh and export the URL it uses)",
      };
    case "chromium":
      return {
        id,
        available: existsSync(chromiumPath()),
        howToProvide: `no Chromium at ${chromiumPath()} (apt-get install chromium, or set ZKIRIS_CHROMIUM)`,
      };
    case "datasets":
      return {
        id,
        available: existsSync(datasetsDirectory()),
        howToProvide: `no datasets at ${datasetsDirectory()} (research data, never in the repository: set ZKIRIS_DATASETS to a copy)`,
      };
    case "circom": {
      const modules = join(REPO_ROOT, "node_modules");
      return {
        id,
        available:
          existsSync(join(modules, "circom2")) &&
          existsSync(join(modules, "circomlib", "circuits", "eddsaposeidon.circom")) &&
          existsSync(join(modules, "snarkjs")),
        howToProvide: "circom2, circomlib or snarkjs is not installed (npm ci)",
      };
    }
    case "match-artifacts": {
      const dir = join(REPO_ROOT, "circuits", "artifacts", "iris_match");
      return {
        id,
        available: existsSync(join(dir, "manifest.json")),
        howToProvide: `${dir} has no manifest.json (the artifacts are committed; restore them)`,
      };
    }
  }
}

/** A test or suite title that carries the requirement, so the skip report can say why it skipped. */
export function needs(r: Requirement | RequirementId, title: string): string {
  return `${title} [needs ${typeof r === "string" ? r : r.id}]`;
}

/** The requirement a title carries (see {@link needs}), or undefined. */
export function neededBy(title: string): RequirementId | undefined {
  return /\[needs ([a-z-]+)\]$/.exec(title)?.[1] as RequirementId | undefined;
}
