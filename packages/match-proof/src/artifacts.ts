import { describeType, type VerificationProfile } from "@zkiris/iris-code";
import { canonicalProfileJson, checkCircuitProfile, matchCircuitMain } from "./circuit-source.js";
import { releaseCurve } from "./curve.js";
import { MatchProofError } from "./errors.js";
import shippedVerificationKey from "./iris-match-verification-key.json" with { type: "json" };
import { MATCH_ARTIFACT_PINS } from "./pinned-artifacts.js";

export { MATCH_ARTIFACT_PINS };

/**
 * The Groth16 verification key of the match circuit this package ships
 * (`circuits/artifacts/iris_match/verification_key.json`, SHA-256 `MATCH_ARTIFACT_PINS.files.verificationKey`).
 * `verifyMatch` uses it unless given other artifacts.
 */
export const MATCH_VERIFICATION_KEY: Readonly<Record<string, unknown>> = shippedVerificationKey;

/** One artifact file listed in a manifest: its file name (relative to the manifest) and SHA-256 (hex). */
export interface ArtifactFile {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
}

/** A source file of the circuit: its path in the repository and the SHA-256 (hex) of its bytes. */
export interface CircuitSourceFile {
  readonly path: string;
  readonly sha256: string;
}

/**
 * What a circuit was compiled from, as its manifest records it: the circuit library the main
 * component includes (`circuits/src/lib/iris_match.circom`), the generated main component, and
 * the SHA-256 of the verification profile's canonical JSON (`canonicalProfileJson`).
 */
export interface CircuitSourceHashes {
  readonly library: CircuitSourceFile;
  readonly main: CircuitSourceFile;
  readonly profile: string;
}

/**
 * The SHA-256 of the shipped match circuit's source and files that this package carries in code
 * (`MATCH_ARTIFACT_PINS`, written by `circuits/scripts/build.ts`): downloads are checked against
 * these, not only against a served manifest.
 */
export interface MatchArtifactPins {
  readonly circuit: string;
  /** Name of the compiled profile. */
  readonly profile: string;
  readonly circuitSource: CircuitSourceHashes;
  readonly files: {
    readonly wasm: ArtifactFile;
    readonly zkey: ArtifactFile;
    readonly verificationKey: ArtifactFile;
  };
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
  /** SHA-256 of the circuit source the artifacts were built from. */
  readonly circuitSource: CircuitSourceHashes;
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
  const source = m.circuitSource as Record<string, Record<string, unknown> | string> | undefined;
  const hex = (v: unknown) => typeof v === "string" && /^[0-9a-f]{64}$/.test(v);
  if (typeof source !== "object" || source === null) fail("circuitSource");
  for (const key of ["library", "main"] as const) {
    const f = source![key];
    if (typeof f !== "object" || f === null || typeof f.path !== "string" || !hex(f.sha256)) {
      fail(`circuitSource.${key}`);
    }
  }
  if (!hex(source!.profile)) fail("circuitSource.profile");
  return value as MatchManifest;
}

function stale(field: string, message: string): never {
  throw new MatchProofError("STALE_ARTIFACTS", message, { field });
}

/**
 * A match circuit's manifest (one without a `kind`) must have been built from the circuit source
 * this package knows: the pinned library hash, the main component `matchCircuitMain` writes for
 * the manifest's profile, and that profile. Throws `STALE_ARTIFACTS` naming the hash that differs.
 */
async function checkCircuitSource(manifest: MatchManifest): Promise<void> {
  if ((manifest as { kind?: unknown }).kind !== undefined) return;
  const recorded = manifest.circuitSource;
  const library = MATCH_ARTIFACT_PINS.circuitSource.library.sha256;
  if (recorded.library.sha256 !== library) {
    stale(
      "circuitSource.library",
      `Artifacts were built from a circuit library with SHA-256 ${recorded.library.sha256}; this package knows ${library} (rebuild the artifacts)`,
    );
  }
  const main = await sha256Hex(new TextEncoder().encode(matchCircuitMain(manifest.profile)));
  if (recorded.main.sha256 !== main) {
    stale(
      "circuitSource.main",
      `Artifacts were built from a main component with SHA-256 ${recorded.main.sha256}; this package writes ${main} for profile '${manifest.profile.name}'`,
    );
  }
  const profile = await sha256Hex(new TextEncoder().encode(canonicalProfileJson(manifest.profile)));
  if (recorded.profile !== profile) {
    stale(
      "circuitSource.profile",
      `Manifest records profile SHA-256 ${recorded.profile}; its profile '${manifest.profile.name}' hashes to ${profile}`,
    );
  }
}

/**
 * With pins, the manifest must be the pinned circuit's: the same circuit source (`STALE_ARTIFACTS`)
 * and the same file hashes (`ARTIFACT_HASH_MISMATCH`, field `manifest.files.<file>`).
 */
function checkPins(manifest: MatchManifest, pins: MatchArtifactPins): void {
  const recorded = manifest.circuitSource;
  for (const key of ["library", "main"] as const) {
    if (recorded[key].sha256 !== pins.circuitSource[key].sha256) {
      stale(
        `circuitSource.${key}`,
        `Manifest's circuit ${key} has SHA-256 ${recorded[key].sha256}; this package pins ${pins.circuitSource[key].sha256}`,
      );
    }
  }
  if (recorded.profile !== pins.circuitSource.profile) {
    stale(
      "circuitSource.profile",
      `Manifest's profile has SHA-256 ${recorded.profile}; this package pins ${pins.circuitSource.profile}`,
    );
  }
  for (const key of ["wasm", "zkey", "verificationKey"] as const) {
    if (manifest.files[key].sha256 !== pins.files[key].sha256) {
      throw new MatchProofError(
        "ARTIFACT_HASH_MISMATCH",
        `Manifest lists '${manifest.files[key].path}' with SHA-256 ${manifest.files[key].sha256}; this package pins ${pins.files[key].sha256}`,
        { field: `manifest.files.${key}` },
      );
    }
  }
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

async function checkHash(
  file: ArtifactFile,
  bytes: Uint8Array,
  field: string,
  pinned: boolean,
): Promise<Uint8Array> {
  const actual = await sha256Hex(bytes);
  if (actual !== file.sha256) {
    throw new MatchProofError(
      "ARTIFACT_HASH_MISMATCH",
      `Artifact '${file.path}' has SHA-256 ${actual}; the manifest${pinned ? " and this package's pins" : ""} require ${file.sha256}`,
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

/** Options of {@link matchArtifactsFromBytes} and {@link loadMatchArtifacts}. */
export interface MatchArtifactOptions {
  /**
   * Hashes the artifacts must have besides their manifest's: pass {@link MATCH_ARTIFACT_PINS} for
   * bytes from anywhere but this repository's own build. Without pins, a manifest and its files
   * only have to agree with each other (and with the circuit source this package knows).
   */
  readonly pins?: MatchArtifactPins;
}

/**
 * Builds {@link MatchArtifacts} from bytes (for browsers, bundlers, or custom storage), checking
 * each file's SHA-256 against the manifest and, with `options.pins`, against the pins. Throws
 * `MALFORMED_MANIFEST`, `STALE_ARTIFACTS` (a match circuit manifest whose circuit source hashes
 * differ from the source this package knows, or from the pins), or `ARTIFACT_HASH_MISMATCH`
 * (naming the file, or `manifest.files.<file>` when the manifest differs from the pins).
 */
export async function matchArtifactsFromBytes(
  bytes: MatchArtifactBytes,
  options: MatchArtifactOptions = {},
): Promise<MatchArtifacts> {
  const manifest =
    typeof bytes.manifest === "string" || bytes.manifest instanceof Uint8Array
      ? parseManifestBytes(bytes.manifest)
      : parseManifest(bytes.manifest);
  await checkCircuitSource(manifest);
  if (options.pins) checkPins(manifest, options.pins);
  if (!(bytes.verificationKey instanceof Uint8Array)) {
    throw new MatchProofError(
      "INVALID_PARAMETER",
      `Parameter 'verificationKey' is not a Uint8Array, received ${describeType(bytes.verificationKey)}`,
      { field: "verificationKey" },
    );
  }
  const pinned = options.pins !== undefined;
  await checkHash(manifest.files.verificationKey, bytes.verificationKey, "verificationKey", pinned);
  const wasm =
    bytes.wasm === undefined ? undefined : await checkHash(manifest.files.wasm, bytes.wasm, "wasm", pinned);
  const zkey =
    bytes.zkey === undefined ? undefined : await checkHash(manifest.files.zkey, bytes.zkey, "zkey", pinned);
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
 * lists (Node only). `verifyOnly` skips the witness wasm and proving key; `pins` as in
 * {@link matchArtifactsFromBytes}. Throws `ARTIFACT_UNAVAILABLE` when a file cannot be read, and
 * as {@link matchArtifactsFromBytes}.
 */
export async function loadMatchArtifacts(
  directory: string,
  options: MatchArtifactOptions & { verifyOnly?: boolean } = {},
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
  return matchArtifactsFromBytes(
    {
      manifest: parsed,
      verificationKey: await read(parsed.files.verificationKey.path, "verificationKey"),
      wasm: options.verifyOnly ? undefined : await read(parsed.files.wasm.path, "wasm"),
      zkey: options.verifyOnly ? undefined : await read(parsed.files.zkey.path, "zkey"),
    },
    options.pins ? { pins: options.pins } : {},
  );
}

/**
 * Fetches and hash-checks artifacts from a base URL (browsers, or Node's global `fetch`):
 * `<baseUrl>/manifest.json` and the files it lists. Whatever the server's manifest says, the
 * manifest and every file must have the hashes this package pins (`options.pins`, by default
 * {@link MATCH_ARTIFACT_PINS}, the shipped circuit): a substituted verification key, proving key,
 * witness generator or manifest is refused (`ARTIFACT_HASH_MISMATCH` naming the file or
 * `manifest.files.<file>`, `STALE_ARTIFACTS` for another circuit source). Throws
 * `ARTIFACT_UNAVAILABLE` on a network or HTTP error, and as {@link matchArtifactsFromBytes}.
 */
export async function fetchMatchArtifacts(
  baseUrl: string,
  options: { verifyOnly?: boolean; fetch?: typeof globalThis.fetch; pins?: MatchArtifactPins } = {},
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
  const pins = options.pins ?? MATCH_ARTIFACT_PINS;
  const manifest = parseManifestBytes(await get("manifest.json", "manifest"));
  // Refuse a manifest that is not the pinned one before downloading what it lists.
  await checkCircuitSource(manifest);
  checkPins(manifest, pins);
  return matchArtifactsFromBytes(
    {
      manifest,
      verificationKey: await get(manifest.files.verificationKey.path, "verificationKey"),
      wasm: options.verifyOnly ? undefined : await get(manifest.files.wasm.path, "wasm"),
      zkey: options.verifyOnly ? undefined : await get(manifest.files.zkey.path, "zkey"),
    },
    { pins },
  );
}
