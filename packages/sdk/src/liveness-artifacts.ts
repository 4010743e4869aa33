import { ZkirisError } from "@zkiris/iris-code";
import {
  type LivenessVoteArtifacts,
  type LivenessVoteManifest,
  livenessVoteArtifactsFromBytes,
} from "@zkiris/match-proof";
import { describeType, ZkirisSdkError } from "./errors.js";

/**
 * SHA-256 of the committed liveness-vote artifacts (`circuits/artifacts/liveness_vote`, tree depth
 * 20, profile `zkiris-16x112x2`), as its `manifest.json` lists them: whatever a server or a local
 * directory offers must hash to these (a test keeps them equal to the committed manifest).
 */
export const LIVENESS_VOTE_ARTIFACT_SHA256 = {
  wasm: "280a2d350e720dece03d1dce22325e11f5ffbbe5dfcaa25e04b315936779b73c",
  zkey: "0722203495474d4babfd6cf37796f0d9021196b2773d67e95959c784342cb08d",
  verificationKey: "0fb2b0ac5a103988c38b745319f1ca9cfafe13648b1d297df9bd9d592b5c8f69",
} as const;

/**
 * Where the liveness-vote proving artifacts come from: a function giving the loaded, hash-checked
 * artifacts (`nodeLivenessArtifacts(directory)` of `@zkiris/sdk/node` in Node,
 * {@link fetchLivenessArtifacts} in browsers). The SDK never downloads artifacts itself.
 */
export type LivenessArtifactResolver = () => LivenessVoteArtifacts | Promise<LivenessVoteArtifacts>;

/** URLs of the liveness-vote artifacts, on the dApp's or the zkiris service's own origin. */
export interface LivenessArtifactUrls {
  readonly manifest: string | URL;
  readonly wasm: string | URL;
  readonly zkey: string | URL;
  readonly verificationKey: string | URL;
}

/** The bytes of the liveness-vote artifacts, however they were obtained. */
export interface LivenessArtifactBytes {
  /** `manifest.json`, as bytes or text. */
  readonly manifest: Uint8Array | string;
  readonly wasm: Uint8Array;
  readonly zkey: Uint8Array;
  readonly verificationKey: Uint8Array;
}

function asSdk(error: unknown): never {
  if (ZkirisError.is(error) && !(error instanceof ZkirisSdkError)) {
    throw new ZkirisSdkError(error.code, error.message, {
      ...(error.field === undefined ? {} : { field: error.field }),
      cause: error,
    });
  }
  throw error;
}

/**
 * Refuses loaded artifacts that are not the pinned ones: the manifest must list the pinned SHA-256
 * for the wasm, zkey and verification key (`ARTIFACT_HASH_MISMATCH`, field `manifest.files.<file>`),
 * and the proving parts must be present (`ARTIFACTS_MISSING`).
 */
export function checkPinnedLivenessArtifacts(artifacts: unknown): LivenessVoteArtifacts {
  const a = artifacts as Partial<LivenessVoteArtifacts> | null;
  if (
    typeof a !== "object" ||
    a === null ||
    !(a.wasm instanceof Uint8Array) ||
    !(a.zkey instanceof Uint8Array) ||
    typeof a.manifest !== "object"
  ) {
    throw new ZkirisSdkError(
      "ARTIFACTS_MISSING",
      `The liveness artifact resolver gave no loaded liveness-vote artifacts with wasm and zkey, received ${describeType(artifacts)}`,
      { field: "livenessArtifacts" },
    );
  }
  const files = (a.manifest as LivenessVoteManifest).files;
  for (const kind of ["wasm", "zkey", "verificationKey"] as const) {
    const listed = files?.[kind]?.sha256;
    if (listed !== LIVENESS_VOTE_ARTIFACT_SHA256[kind]) {
      throw new ZkirisSdkError(
        "ARTIFACT_HASH_MISMATCH",
        `The liveness-vote manifest lists ${kind} with SHA-256 ${String(listed)}; the SDK pins ${LIVENESS_VOTE_ARTIFACT_SHA256[kind]}`,
        { field: `manifest.files.${kind}` },
      );
    }
  }
  return a as LivenessVoteArtifacts;
}

/**
 * Builds the liveness-vote artifacts from bytes (browsers and Node): every file is checked against
 * the manifest by `@zkiris/match-proof` and the manifest against the pinned hashes
 * ({@link LIVENESS_VOTE_ARTIFACT_SHA256}). Throws `ARTIFACT_HASH_MISMATCH` naming the file,
 * `MALFORMED_MANIFEST`, `STALE_ARTIFACTS`.
 */
export async function checkedLivenessArtifacts(bytes: LivenessArtifactBytes): Promise<LivenessVoteArtifacts> {
  let artifacts: LivenessVoteArtifacts;
  try {
    artifacts = await livenessVoteArtifactsFromBytes(bytes);
  } catch (error) {
    asSdk(error);
  }
  return checkPinnedLivenessArtifacts(artifacts);
}

/**
 * Fetches the liveness-vote artifacts from the given URLs (never anywhere else) and checks them as
 * {@link checkedLivenessArtifacts}. `onProgress` is told each file's name once it arrived.
 * Throws `ARTIFACTS_MISSING` when a file cannot be fetched (network error or HTTP status).
 */
export async function fetchLivenessArtifacts(
  urls: LivenessArtifactUrls,
  options: { readonly fetch?: typeof globalThis.fetch; readonly onProgress?: (file: string) => void } = {},
): Promise<LivenessVoteArtifacts> {
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const get = async (kind: keyof LivenessArtifactUrls): Promise<Uint8Array> => {
    const url = urls?.[kind];
    if (typeof url !== "string" && !(url instanceof URL)) {
      throw new ZkirisSdkError(
        "INVALID_PARAMETER",
        `Parameter 'urls.${kind}' is not a URL, received ${describeType(url)}`,
        { field: `urls.${kind}` },
      );
    }
    let response: Response;
    try {
      response = await doFetch(String(url));
    } catch (cause) {
      throw new ZkirisSdkError("ARTIFACTS_MISSING", `Fetching the liveness-vote ${kind} from ${url} failed`, {
        field: kind,
        cause,
      });
    }
    if (!response.ok) {
      throw new ZkirisSdkError(
        "ARTIFACTS_MISSING",
        `Fetching the liveness-vote ${kind} from ${url} answered HTTP ${response.status}`,
        { field: kind },
      );
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    options.onProgress?.(kind);
    return bytes;
  };
  const [manifest, verificationKey, wasm, zkey] = await Promise.all([
    get("manifest"),
    get("verificationKey"),
    get("wasm"),
    get("zkey"),
  ]);
  return checkedLivenessArtifacts({ manifest, verificationKey, wasm, zkey });
}

/** Calls the resolver and checks what it gave against the pins; `ARTIFACTS_MISSING` without a resolver. */
export async function resolveLivenessArtifacts(resolver: unknown): Promise<LivenessVoteArtifacts> {
  if (typeof resolver !== "function") {
    throw new ZkirisSdkError(
      "ARTIFACTS_MISSING",
      `Parameter 'livenessArtifacts' must be a function giving the liveness-vote artifacts (nodeLivenessArtifacts(directory) of @zkiris/sdk/node, or fetchLivenessArtifacts in a browser), received ${describeType(resolver)}; the SDK never downloads artifacts`,
      { field: "livenessArtifacts" },
    );
  }
  return checkPinnedLivenessArtifacts(await (resolver as LivenessArtifactResolver)());
}
