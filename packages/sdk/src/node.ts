import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { ZkirisError } from "@zkiris/iris-code";
import { type LivenessVoteArtifacts, loadLivenessVoteArtifacts } from "@zkiris/match-proof";
import {
  type ArtifactResolver,
  pinnedHashes,
  SEMAPHORE_ARTIFACTS_VERSION,
  type SemaphoreArtifacts,
} from "./artifacts.js";
import { ZkirisSdkError } from "./errors.js";
import { checkPinnedLivenessArtifacts, type LivenessArtifactResolver } from "./liveness-artifacts.js";

export { releaseProverThreads } from "./prover-threads.js";

/** Directory of the installed `@zk-kit/semaphore-artifacts` package; `ARTIFACTS_MISSING` when it is not installed. */
export function semaphoreArtifactsDirectory(): string {
  try {
    return dirname(createRequire(import.meta.url).resolve("@zk-kit/semaphore-artifacts/package.json"));
  } catch (cause) {
    throw new ZkirisSdkError(
      "ARTIFACTS_MISSING",
      `@zk-kit/semaphore-artifacts is not installed; install @zk-kit/semaphore-artifacts@${SEMAPHORE_ARTIFACTS_VERSION} next to @zkiris/sdk or pass nodeArtifacts(directory)`,
      { cause },
    );
  }
}

/**
 * An {@link ArtifactResolver} over local files: `semaphore-<depth>.wasm` and `.zkey` in `directory`
 * (default: the installed `@zk-kit/semaphore-artifacts`), each checked against the pinned SHA-256 the
 * first time this resolver gives it out (the check is remembered by the resolver, not by the process).
 * No network. Resolving throws `ARTIFACTS_MISSING` for a file that cannot be read and
 * `ARTIFACT_HASH_MISMATCH` for one whose hash differs.
 */
export function nodeArtifacts(directory?: string): ArtifactResolver {
  const verified = new Map<string, Promise<void>>();
  const check = async (path: string, expected: string, kind: "wasm" | "zkey", depth: number) => {
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (cause) {
      throw new ZkirisSdkError(
        "ARTIFACTS_MISSING",
        `Semaphore ${kind} for depth ${depth} cannot be read at ${path}`,
        {
          field: kind,
          cause,
        },
      );
    }
    const actual = createHash("sha256").update(bytes).digest("hex");
    if (actual !== expected) {
      throw new ZkirisSdkError(
        "ARTIFACT_HASH_MISMATCH",
        `Semaphore artifact ${path} has SHA-256 ${actual}, expected ${expected} (@zk-kit/semaphore-artifacts@${SEMAPHORE_ARTIFACTS_VERSION})`,
        { field: kind },
      );
    }
  };
  return async (depth: number): Promise<SemaphoreArtifacts> => {
    const pinned = pinnedHashes(depth);
    const dir = directory ?? semaphoreArtifactsDirectory();
    const files = { wasm: join(dir, `semaphore-${depth}.wasm`), zkey: join(dir, `semaphore-${depth}.zkey`) };
    for (const kind of ["wasm", "zkey"] as const) {
      let pending = verified.get(files[kind]);
      if (pending === undefined) {
        pending = check(files[kind], pinned[kind], kind, depth);
        verified.set(files[kind], pending);
        pending.catch(() => verified.delete(files[kind]));
      }
      await pending;
    }
    return files;
  };
}

/**
 * A {@link LivenessArtifactResolver} over a local directory holding the liveness-vote artifacts
 * (`manifest.json`, the wasm, zkey and verification key it lists), e.g. the repository's committed
 * `circuits/artifacts/liveness_vote`. Loaded once per resolver: every file is checked against the
 * manifest and the manifest against the pinned SHA-256 (`LIVENESS_VOTE_ARTIFACT_SHA256`). No
 * network. Resolving throws `ARTIFACTS_MISSING` for a file that cannot be read and
 * `ARTIFACT_HASH_MISMATCH`, `MALFORMED_MANIFEST` or `STALE_ARTIFACTS` for files that are not the
 * pinned ones; a failed load is retried on the next call. Call `close()` of the artifacts (or
 * {@link releaseProverThreads}) when done proving.
 */
export function nodeLivenessArtifacts(directory: string): LivenessArtifactResolver {
  if (typeof directory !== "string" || directory === "") {
    throw new ZkirisSdkError(
      "INVALID_PARAMETER",
      "Parameter 'directory' must be the path of the liveness-vote artifacts (e.g. circuits/artifacts/liveness_vote)",
      { field: "directory" },
    );
  }
  let loading: Promise<LivenessVoteArtifacts> | undefined;
  const load = async (): Promise<LivenessVoteArtifacts> => {
    try {
      return checkPinnedLivenessArtifacts(await loadLivenessVoteArtifacts(directory));
    } catch (error) {
      if (error instanceof ZkirisSdkError || !ZkirisError.is(error)) throw error;
      const code = error.code === "ARTIFACT_UNAVAILABLE" ? "ARTIFACTS_MISSING" : error.code;
      throw new ZkirisSdkError(code, `Liveness-vote artifacts in ${directory}: ${error.message}`, {
        ...(error.field === undefined ? {} : { field: error.field }),
        cause: error,
      });
    }
  };
  return () => {
    if (loading === undefined) {
      loading = load();
      loading.catch(() => {
        loading = undefined;
      });
    }
    return loading;
  };
}
