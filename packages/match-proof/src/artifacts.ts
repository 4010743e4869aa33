import { describeType, type VerificationProfile } from "@zkiris/iris-code";
import { checkCircuitProfile } from "./circuit-source.js";
import { releaseCurve } from "./curve.js";
import { MatchProofError } from "./errors.js";

/** One artifact file listed in a manifest: its file name (relative to the manifest) and SHA-256 (hex). */
export interface ArtifactFile {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
}

/** `circuits/artifacts/<circuit>/manifest.json`: what a fresh clone needs to prove and verify. */
export interface MatchManifest {
  readonly circuit: string;
  /** "development setup (single-party, NOT for production)" for locally generated keys. */
  readonly label: string;
  /** The verification part of the profile the circuit was compiled for. */
  readonly profile: VerificationProfile;
  readonly deviceTreeDepth: number;
  readonly publicSignals: readonly string[];
  readonly constraints: { readonly total: number; readonly components?: Readonly<Record<string, number>> };
  readonly files: {
    readonly wasm: ArtifactFile;
    readonly zkey: ArtifactFile;
    readonly verificationKey: ArtifactFile;
    readonly verifier: ArtifactFile;
  };
  readonly ptau: { readonly file: string; readonly power: number; readonly sha256: string };
  readonly toolchain: Readonly<Record<string, string>>;
  readonly createdAt: string;
}

/**
 * Loaded, hash-checked proving and verification artifacts of one compiled match circuit. Holds
 * no resources itself; `close()` releases the snarkjs BN254 curve (worker threads) that proving
 * and verifying cache process-wide, so scripts exit.
 */
export interface MatchArtifacts {
  readonly manifest: MatchManifest;
  /** The compiled profile's verification part (geometry, shifts, 1:1 decision), from the manifest. */
  readonly profile: VerificationProfile;
  /** Witness generator (WebAssembly). Absent for verify-only artifacts. */
  readonly wasm: Uint8Array | undefined;
  /** Groth16 proving key. Absent for verify-only artifacts. */
  readonly zkey: Uint8Array | undefined;
  /** Groth16 verification key (snarkjs JSON). */
  readonly verificationKey: Record<string, unknown>;
  /** Releases the cached snarkjs curve. Safe to call more than once. */
  close(): Promise<void>;
}

/** SHA-256 of bytes as lowercase hex (WebCrypto; Node 20 and browsers). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function parseManifest(value: unknown): MatchManifest {
  const fail = (field: string): never => {
    throw new MatchProofError("MALFORMED_MANIFEST", `Manifest field '${field}' is missing or malformed`, {
      field,
    });
  };
  if (typeof value !== "object" || value === null) fail("manifest");
  const m = value as Record<string, unknown>;
  if (typeof m.circuit !== "string") fail("circuit");
  if (typeof m.label !== "string") fail("label");
  const files = m.files as Record<string, unknown> | undefined;
  if (typeof files !== "object" || files === null) fail("files");
  for (const key of ["wasm", "zkey", "verificationKey", "verifier"]) {
    const f = files![key] as Record<string, unknown> | undefined;
    if (
      typeof f !== "object" ||
      f === null ||
      typeof f.path !== "string" ||
      !/^[0-9a-f]{64}$/.test(String(f.sha256))
    ) {
      fail(`files.${key}`);
    }
  }
  try {
    checkCircuitProfile(m.profile as VerificationProfile);
  } catch (cause) {
    throw new MatchProofError(
      "MALFORMED_MANIFEST",
      `Manifest field 'profile' is not a valid circuit profile: ${(cause as Error).message}`,
      {
        field: "profile",
        cause,
      },
    );
  }
  if (!Array.isArray(m.publicSignals)) fail("publicSignals");
  return value as MatchManifest;
}

function parseManifestBytes(bytes: Uint8Array | string): MatchManifest {
  const text = typeof bytes === "string" ? bytes : new TextDecoder().decode(bytes);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new MatchProofError("MALFORMED_MANIFEST", "Manifest is not valid JSON", {
      field: "manifest",
      cause,
    });
  }
  return parseManifest(value);
}

async function checkHash(file: ArtifactFile, bytes: Uint8Array, field: string): Promise<Uint8Array> {
  const actual = await sha256Hex(bytes);
  if (actual !== file.sha256) {
    throw new MatchProofError(
      "ARTIFACT_HASH_MISMATCH",
      `Artifact '${file.path}' has SHA-256 ${actual}; the manifest requires ${file.sha256}`,
      { field },
    );
  }
  return bytes;
}

/** The raw bytes of a manifest and its files, however they were obtained. */
export interface MatchArtifactBytes {
  /** manifest.json, as bytes, a string or a parsed object. */
  readonly manifest: Uint8Array | string | MatchManifest;
  readonly verificationKey: Uint8Array;
  /** Needed only for proving. */
  readonly wasm?: Uint8Array;
  /** Needed only for proving. */
  readonly zkey?: Uint8Array;
}

/**
 * Builds {@link MatchArtifacts} from bytes (for browsers, bundlers, or custom storage), checking
 * each file's SHA-256 against the manifest. Throws `MALFORMED_MANIFEST` or
 * `ARTIFACT_HASH_MISMATCH` (naming the file).
 */
export async function matchArtifactsFromBytes(bytes: MatchArtifactBytes): Promise<MatchArtifacts> {
  const manifest =
    typeof bytes.manifest === "string" || bytes.manifest instanceof Uint8Array
      ? parseManifestBytes(bytes.manifest)
      : parseManifest(bytes.manifest);
  if (!(bytes.verificationKey instanceof Uint8Array)) {
    throw new MatchProofError(
      "INVALID_PARAMETER",
      `Parameter 'verificationKey' is not a Uint8Array, received ${describeType(bytes.verificationKey)}`,
      { field: "verificationKey" },
    );
  }
  await checkHash(manifest.files.verificationKey, bytes.verificationKey, "verificationKey");
  const wasm =
    bytes.wasm === undefined ? undefined : await checkHash(manifest.files.wasm, bytes.wasm, "wasm");
  const zkey =
    bytes.zkey === undefined ? undefined : await checkHash(manifest.files.zkey, bytes.zkey, "zkey");
  const verificationKey = JSON.parse(new TextDecoder().decode(bytes.verificationKey)) as Record<
    string,
    unknown
  >;
  return {
    manifest,
    profile: checkCircuitProfile(manifest.profile),
    wasm,
    zkey,
    verificationKey,
    close: releaseCurve,
  };
}

/**
 * Loads and hash-checks artifacts from a directory holding `manifest.json` and the files it
 * lists (Node only). `verifyOnly` skips the witness wasm and proving key. Throws
 * `ARTIFACT_UNAVAILABLE` when a file cannot be read, and as {@link matchArtifactsFromBytes}.
 */
export async function loadMatchArtifacts(
  directory: string,
  options: { verifyOnly?: boolean } = {},
): Promise<MatchArtifacts> {
  // Computed specifiers: browser bundles of this package must not try to include Node's fs.
  const nodeModule = (name: string) => `node:${name}`;
  const { readFile } = (await import(nodeModule("fs/promises"))) as typeof import("node:fs/promises");
  const { join } = (await import(nodeModule("path"))) as typeof import("node:path");
  const read = async (name: string, field: string): Promise<Uint8Array> => {
    try {
      return new Uint8Array(await readFile(join(directory, name)));
    } catch (cause) {
      throw new MatchProofError("ARTIFACT_UNAVAILABLE", `Cannot read artifact '${join(directory, name)}'`, {
        field,
        cause,
      });
    }
  };
  const parsed = parseManifestBytes(await read("manifest.json", "manifest"));
  return matchArtifactsFromBytes({
    manifest: parsed,
    verificationKey: await read(parsed.files.verificationKey.path, "verificationKey"),
    wasm: options.verifyOnly ? undefined : await read(parsed.files.wasm.path, "wasm"),
    zkey: options.verifyOnly ? undefined : await read(parsed.files.zkey.path, "zkey"),
  });
}

/**
 * Fetches and hash-checks artifacts from a base URL (browsers, or Node's global `fetch`):
 * `<baseUrl>/manifest.json` and the files it lists. Throws `ARTIFACT_UNAVAILABLE` on an HTTP error.
 */
export async function fetchMatchArtifacts(
  baseUrl: string,
  options: { verifyOnly?: boolean; fetch?: typeof globalThis.fetch } = {},
): Promise<MatchArtifacts> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const base = baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`;
  const get = async (name: string, field: string): Promise<Uint8Array> => {
    let response: Response;
    try {
      response = await doFetch(new URL(name, base).toString());
    } catch (cause) {
      throw new MatchProofError("ARTIFACT_UNAVAILABLE", `Cannot fetch artifact '${name}' from ${base}`, {
        field,
        cause,
      });
    }
    if (!response.ok) {
      throw new MatchProofError(
        "ARTIFACT_UNAVAILABLE",
        `Fetching artifact '${name}' from ${base} returned HTTP ${response.status}`,
        {
          field,
        },
      );
    }
    return new Uint8Array(await response.arrayBuffer());
  };
  const manifest = parseManifestBytes(await get("manifest.json", "manifest"));
  return matchArtifactsFromBytes({
    manifest,
    verificationKey: await get(manifest.files.verificationKey.path, "verificationKey"),
    wasm: options.verifyOnly ? undefined : await get(manifest.files.wasm.path, "wasm"),
    zkey: options.verifyOnly ? undefined : await get(manifest.files.zkey.path, "zkey"),
  });
}
