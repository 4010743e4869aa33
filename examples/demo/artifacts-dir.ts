import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The committed match-circuit artifacts of the default profile. */
export function defaultArtifactsDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), "..", "..", "circuits", "artifacts", "iris_match");
}
