import { Identity } from "@semaphore-protocol/identity";
import { describeType, ZkirisSdkError } from "./errors.js";

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * A new Semaphore identity from the platform's secure random generator (`crypto.getRandomValues`,
 * in browsers and Node). Its private key is the user's secret: keep it with {@link exportIdentity}.
 */
export function createIdentity(): Identity {
  return new Identity();
}

/**
 * The identity's private key as Semaphore's documented export: base64 of the private key bytes
 * (`Identity.export()`). Whoever holds this text can vote as the identity.
 */
export function exportIdentity(identity: Identity): string {
  if (!(identity instanceof Identity)) {
    throw new ZkirisSdkError(
      "INVALID_PARAMETER",
      `Parameter 'identity' is not a Semaphore Identity, received ${describeType(identity)}`,
      { field: "identity" },
    );
  }
  return identity.export();
}

/**
 * Restores an identity from its {@link exportIdentity} text. Throws `INVALID_IDENTITY` for a text
 * that is not canonical, non-empty base64 (Semaphore's own `Identity.import` accepts any string and
 * silently builds another identity from it).
 */
export function restoreIdentity(exported: string): Identity {
  if (typeof exported !== "string" || exported.length === 0 || !BASE64.test(exported)) {
    throw new ZkirisSdkError(
      "INVALID_IDENTITY",
      `Parameter 'exported' must be the base64 private key of Identity.export(), received ${typeof exported === "string" ? `a string of ${exported.length} characters that is not canonical base64` : describeType(exported)}`,
      { field: "exported" },
    );
  }
  const identity = Identity.import(exported);
  if (identity.export() !== exported) {
    throw new ZkirisSdkError(
      "INVALID_IDENTITY",
      "Parameter 'exported' is base64 with non-zero padding bits; it is not the export of an identity",
      { field: "exported" },
    );
  }
  return identity;
}
