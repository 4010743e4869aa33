import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** The committed liveness-vote artifacts (development setup) of the default profile, tree depth 20. */
export const LIVENESS_ARTIFACTS_DIR = join(here, "..", "..", "..", "circuits", "artifacts", "liveness_vote");

/** The consumer contract. */
export const UNIQUE_ACTION_SOURCE = join(here, "..", "contracts", "UniqueAction.sol");
