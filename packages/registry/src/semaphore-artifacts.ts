import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { SEMAPHORE_ARTIFACT_SHA256, SEMAPHORE_ARTIFACTS_VERSION } from "@zkiris/match-proof";
import { ArtifactIntegrityError, InvalidParameterError } from "./errors.js";

export { SEMAPHORE_ARTIFACT_SHA256, SEMAPHORE_ARTIFACTS_VERSION };

/** Paths of the proving artifacts for one Semaphore tree depth (what `generateProof` takes). */
export interface SemaphoreArtifacts {
  readonly wasm: string;
  readonly zkey: string;
}

const verified = new Map<string, Promise<void>>();

async function checkFile(path: string, expected: string, field: string): Promise<void> {
  const actual = createHash("sha256")
    .update(await readFile(path))
    .digest("hex");
  if (actual !== expected) {
    throw new ArtifactIntegrityError(
      "ARTIFACT_HASH_MISMATCH",
      `Semaphore artifact ${path} has SHA-256 ${actual}, expected ${expected} (@zk-kit/semaphore-artifacts@${SEMAPHORE_ARTIFACTS_VERSION})`,
      { field },
    );
  }
}

/** Directory of the installed `@zk-kit/semaphore-artifacts` package. */
export function semaphoreArtifactsDirectory(): string {
  return dirname(createRequire(import.meta.url).resolve("@zk-kit/semaphore-artifacts/package.json"));
}

/**
 * Paths of the Semaphore proving artifacts for a tree depth (1..32) from the installed
 * `@zk-kit/semaphore-artifacts` package (no network), after checking both files against their
 * pinned SHA-256 (once per process and path). Throws `INVALID_PARAMETER` for a depth outside 1..32 and
 * `ARTIFACT_HASH_MISMATCH` for a file that does not match.
 */
export async function semaphoreArtifacts(
  depth: number,
  directory = semaphoreArtifactsDirectory(),
): Promise<SemaphoreArtifacts> {
  const pinned = SEMAPHORE_ARTIFACT_SHA256[depth];
  if (!Number.isInteger(depth) || pinned === undefined) {
    throw new InvalidParameterError(
      "depth",
      `Parameter 'depth' must be an integer between 1 and 32, received ${depth}`,
    );
  }
  const artifacts = {
    wasm: join(directory, `semaphore-${depth}.wasm`),
    zkey: join(directory, `semaphore-${depth}.zkey`),
  };
  for (const kind of ["wasm", "zkey"] as const) {
    const path = artifacts[kind];
    let check = verified.get(path);
    if (check === undefined) {
      check = checkFile(path, pinned[kind], kind);
      verified.set(path, check);
      check.catch(() => verified.delete(path));
    }
    await check;
  }
  return artifacts;
}
