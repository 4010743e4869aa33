import { createHash } from "node:crypto";
import { SNARK_FIELD_ORDER } from "@zkiris/iris-code";
import { DappError } from "./errors.js";

/** Names of actions: 1-64 characters of [A-Za-z0-9._-], starting with a letter or digit. */
export const ACTION_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$";
const ACTION = new RegExp(ACTION_PATTERN);

/**
 * The Semaphore scope of an action: SHA-256 of `zkiris.action:<action>` reduced into the BN254 field
 * (as the registry derives a poll's scope from its id). One nullifier per person and scope, so one
 * accepted proof per person and action. `INVALID_PARAMETER` for a name outside {@link ACTION_PATTERN}.
 */
export function actionScope(action: string): bigint {
  if (typeof action !== "string" || !ACTION.test(action)) {
    throw new DappError(
      "INVALID_PARAMETER",
      "Parameter 'action' must be 1-64 characters of [A-Za-z0-9._-], starting with a letter or digit",
      { field: "action" },
    );
  }
  const digest = createHash("sha256").update(`zkiris.action:${action}`).digest("hex");
  return BigInt(`0x${digest}`) % SNARK_FIELD_ORDER;
}
