import {
  loadMatchArtifacts,
  type MatchArtifactBytes,
  type MatchArtifacts,
  type MatchManifest,
  matchArtifactsFromBytes,
  sha256Hex,
} from "./artifacts.js";
import { canonicalProfileJson } from "./circuit-source.js";
import { MatchProofError } from "./errors.js";
import { LIVENESS_VOTE_PUBLIC_SIGNALS, livenessVoteCircuitMain } from "./liveness-circuit-source.js";

/** `circuits/artifacts/liveness_vote/manifest.json`: a match manifest plus the group tree depth. */
export interface LivenessVoteManifest extends MatchManifest {
  readonly kind: "liveness-vote";
  /** MAX_DEPTH the circuit was compiled with: groups of up to 2^merkleTreeMaxDepth members. */
  readonly merkleTreeMaxDepth: number;
  /** SHA-256 of the match circuit library (`circuits/src/lib/iris_match.circom`) it includes. */
  readonly matchLibrary: { readonly path: string; readonly sha256: string };
}

/**
 * Loaded, hash-checked artifacts of the liveness-vote circuit. As {@link MatchArtifacts} (the
 * compiled iris profile, wasm, zkey, verification key, `close()`), with the group tree depth.
 */
export interface LivenessVoteArtifacts extends MatchArtifacts {
  readonly manifest: LivenessVoteManifest;
  readonly merkleTreeMaxDepth: number;
}

/**
 * The manifest must record the main component this package writes for its profile and depth, and
 * that profile's hash (as the match circuit's loaders check theirs): otherwise `STALE_ARTIFACTS`.
 * The library hashes (`circuitSource.library`, `matchLibrary`) are checked against the sources by
 * the tests, since the package does not ship the circuit sources.
 */
async function checkLivenessSource(manifest: LivenessVoteManifest): Promise<void> {
  const hash = (text: string) => sha256Hex(new TextEncoder().encode(text));
  const stale = (field: string, message: string): never => {
    throw new MatchProofError("STALE_ARTIFACTS", message, { field });
  };
  const main = await hash(livenessVoteCircuitMain(manifest.profile, manifest.merkleTreeMaxDepth));
  if (manifest.circuitSource.main.sha256 !== main) {
    stale(
      "circuitSource.main",
      `Artifacts were built from a main component with SHA-256 ${manifest.circuitSource.main.sha256}; this package writes ${main} for profile '${manifest.profile.name}' and depth ${manifest.merkleTreeMaxDepth}`,
    );
  }
  const profile = await hash(canonicalProfileJson(manifest.profile));
  if (manifest.circuitSource.profile !== profile) {
    stale(
      "circuitSource.profile",
      `Manifest records profile SHA-256 ${manifest.circuitSource.profile}; its profile '${manifest.profile.name}' hashes to ${profile}`,
    );
  }
}

async function asLivenessVote(artifacts: MatchArtifacts): Promise<LivenessVoteArtifacts> {
  const m = artifacts.manifest as Partial<LivenessVoteManifest>;
  const fail = (field: string, message: string): never => {
    throw new MatchProofError("MALFORMED_MANIFEST", `Manifest field '${field}' ${message}`, { field });
  };
  if (m.kind !== "liveness-vote")
    fail("kind", "must be 'liveness-vote' (is this a match circuit's manifest?)");
  const depth = m.merkleTreeMaxDepth;
  if (typeof depth !== "number" || !Number.isInteger(depth) || depth < 1 || depth > 32)
    fail("merkleTreeMaxDepth", "must be an integer in 1..32");
  if (
    typeof m.matchLibrary !== "object" ||
    m.matchLibrary === null ||
    !/^[0-9a-f]{64}$/.test(String(m.matchLibrary.sha256))
  )
    fail("matchLibrary", "must be { path, sha256 } of the match circuit library");
  const signals = m.publicSignals ?? [];
  if (
    signals.length !== LIVENESS_VOTE_PUBLIC_SIGNALS.length ||
    signals.some((s, i) => s !== LIVENESS_VOTE_PUBLIC_SIGNALS[i])
  ) {
    fail("publicSignals", `must be [${LIVENESS_VOTE_PUBLIC_SIGNALS.join(", ")}]`);
  }
  await checkLivenessSource(m as LivenessVoteManifest);
  return { ...artifacts, manifest: m as LivenessVoteManifest, merkleTreeMaxDepth: depth as number };
}

/**
 * Builds {@link LivenessVoteArtifacts} from bytes, checking each file's SHA-256 against the
 * manifest (as `matchArtifactsFromBytes`). Throws `MALFORMED_MANIFEST` for a manifest that is
 * not a liveness-vote one, `STALE_ARTIFACTS` for one built from another main component or
 * profile, and `ARTIFACT_HASH_MISMATCH` naming the file.
 */
export async function livenessVoteArtifactsFromBytes(
  bytes: MatchArtifactBytes,
): Promise<LivenessVoteArtifacts> {
  return asLivenessVote(await matchArtifactsFromBytes(bytes));
}

/**
 * Loads and hash-checks the liveness-vote artifacts from a directory (Node only), e.g.
 * `circuits/artifacts/liveness_vote`. `verifyOnly` skips the witness wasm and proving key. Throws
 * as `loadMatchArtifacts`, `MALFORMED_MANIFEST` for a manifest that is not a liveness-vote one
 * and `STALE_ARTIFACTS` for one built from another main component or profile.
 */
export async function loadLivenessVoteArtifacts(
  directory: string,
  options: { verifyOnly?: boolean } = {},
): Promise<LivenessVoteArtifacts> {
  return asLivenessVote(await loadMatchArtifacts(directory, options));
}
