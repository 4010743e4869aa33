import { SEMAPHORE_ARTIFACT_SHA256, SEMAPHORE_ARTIFACTS_VERSION } from "@zkiris/match-proof";
import { describeType, ZkirisSdkError } from "./errors.js";

/** The pinned Semaphore artifacts: one table, `@zkiris/match-proof`'s, shared with the registry. */
export { SEMAPHORE_ARTIFACT_SHA256, SEMAPHORE_ARTIFACTS_VERSION };

/**
 * Proving artifacts of one Semaphore tree depth, as `generateProof` takes them: file paths (Node),
 * URLs of the dApp's own copies (browsers; snarkjs fetches them) or the bytes themselves.
 */
export interface SemaphoreArtifacts {
  readonly wasm: string | Uint8Array;
  readonly zkey: string | Uint8Array;
}

/**
 * Where proving artifacts come from: a function from the tree depth (1..32, chosen from the group)
 * to that depth's artifacts. The SDK never downloads artifacts itself; in Node,
 * `nodeArtifacts()` of `@zkiris/sdk/node` resolves the installed `@zk-kit/semaphore-artifacts` files
 * and checks their SHA-256; in a browser, {@link checkedArtifactBytes} checks bytes the dApp serves.
 */
export type ArtifactResolver = (depth: number) => SemaphoreArtifacts | Promise<SemaphoreArtifacts>;

function hex(digest: ArrayBuffer): string {
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The pinned hashes of a depth, or `INVALID_PARAMETER` for a depth outside 1..32. */
export function pinnedHashes(depth: number): { readonly wasm: string; readonly zkey: string } {
  const pinned = Number.isInteger(depth) ? SEMAPHORE_ARTIFACT_SHA256[depth] : undefined;
  if (pinned === undefined) {
    throw new ZkirisSdkError(
      "INVALID_PARAMETER",
      `Parameter 'depth' must be an integer between 1 and 32, received ${typeof depth === "number" ? depth : describeType(depth)}`,
      { field: "depth" },
    );
  }
  return pinned;
}

/**
 * Checks the bytes of one depth's artifacts against the pinned SHA-256 (Web Crypto, so it runs in
 * browsers and Node) and returns them for {@link ArtifactResolver}. Throws `ARTIFACT_HASH_MISMATCH`
 * naming the file (`wasm` or `zkey`) whose hash differs.
 */
export async function checkedArtifactBytes(
  depth: number,
  files: { readonly wasm: Uint8Array; readonly zkey: Uint8Array },
): Promise<SemaphoreArtifacts> {
  const pinned = pinnedHashes(depth);
  for (const kind of ["wasm", "zkey"] as const) {
    const bytes = files[kind];
    if (!(bytes instanceof Uint8Array)) {
      throw new ZkirisSdkError(
        "INVALID_PARAMETER",
        `Parameter 'files.${kind}' is not a Uint8Array, received ${describeType(bytes)}`,
        { field: `files.${kind}` },
      );
    }
    const actual = hex(await globalThis.crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
    if (actual !== pinned[kind]) {
      throw new ZkirisSdkError(
        "ARTIFACT_HASH_MISMATCH",
        `Semaphore ${kind} for depth ${depth} has SHA-256 ${actual}, expected ${pinned[kind]} (@zk-kit/semaphore-artifacts@${SEMAPHORE_ARTIFACTS_VERSION})`,
        { field: kind },
      );
    }
  }
  return { wasm: files.wasm, zkey: files.zkey };
}

/** Calls the resolver for `depth` and checks that it gave artifacts; `ARTIFACTS_MISSING` otherwise. */
export async function resolveArtifacts(resolver: unknown, depth: number): Promise<SemaphoreArtifacts> {
  if (typeof resolver !== "function") {
    throw new ZkirisSdkError(
      "ARTIFACTS_MISSING",
      `Parameter 'artifacts' must be a function from the tree depth to { wasm, zkey } (nodeArtifacts() of @zkiris/sdk/node in Node), received ${describeType(resolver)}; the SDK never downloads artifacts`,
      { field: "artifacts" },
    );
  }
  const files = (await (resolver as ArtifactResolver)(depth)) as unknown;
  const ok = (v: unknown) => typeof v === "string" || v instanceof Uint8Array;
  if (
    typeof files !== "object" ||
    files === null ||
    !ok((files as SemaphoreArtifacts).wasm) ||
    !ok((files as SemaphoreArtifacts).zkey)
  ) {
    throw new ZkirisSdkError(
      "ARTIFACTS_MISSING",
      `The artifact resolver gave no { wasm, zkey } (paths, URLs or bytes) for depth ${depth}, received ${describeType(files)}`,
      { field: "artifacts" },
    );
  }
  return files as SemaphoreArtifacts;
}
