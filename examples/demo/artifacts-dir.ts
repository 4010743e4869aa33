import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The committed liveness-vote circuit artifacts of the default profile (tree depth 20). */
export function livenessArtifactsDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), "..", "..", "circuits", "artifacts", "liveness_vote");
}

/** The committed match-circuit artifacts of the default profile. */
export function defaultArtifactsDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), "..", "..", "circuits", "artifacts", "iris_match");
}
