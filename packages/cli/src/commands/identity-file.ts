import { readFile, stat } from "node:fs/promises";
import { describeType, fromJson, type IrisCodeJson, ZkirisError } from "@zkiris/iris-code";
import { createIdentity, exportIdentity, restoreIdentity } from "@zkiris/sdk";
import { writeSecretFile } from "../secret-file.js";

/** A Semaphore identity (as `@zkiris/sdk` makes and restores them). */
export type Identity = ReturnType<typeof createIdentity>;

/** `type` of an identity file. */
export const IDENTITY_FILE_TYPE = "zkiris.identity";
/** `version` of the identity file format. */
export const IDENTITY_FILE_VERSION = 1;

/** Codes of {@link IdentityFileError}. */
export type IdentityFileErrorCode =
  /** The file is not JSON of the documented shape, or its commitment is not its identity's. */
  | "INVALID_IDENTITY_FILE"
  /** Others than its owner may read or write the file (its mode allows more than 0600). */
  | "IDENTITY_FILE_PERMISSIONS"
  /** The file cannot be read. */
  | "UNREADABLE_IDENTITY_FILE"
  /** A command that proves was given a file that does not exist (only `enroll` creates one). */
  | "NO_IDENTITY_FILE"
  /** A liveness-bound vote needs the template of an enrolment in the poll's group, and the file has none. */
  | "NO_TEMPLATE";

/** An identity file was refused. */
export class IdentityFileError extends ZkirisError {
  declare readonly code: IdentityFileErrorCode;

  constructor(
    code: IdentityFileErrorCode,
    message: string,
    options: { field?: string; cause?: unknown } = {},
  ) {
    super(code, message, options);
  }
}

/** One enrolment of the identity, with the template salt the server never gives back (secret). */
export interface IdentityEnrolment {
  readonly groupId: string;
  readonly memberIndex: number;
  readonly leaf: string;
  readonly root: string;
  readonly templateCommitment: string;
  readonly salt: string;
  /**
   * The enrolled template (the public JSON form of `@zkiris/iris-code`: packed bits and mask, base64):
   * a liveness-bound vote proves a fresh capture against it. Biometric data, as secret as the salt.
   */
  readonly template?: IrisCodeJson;
  readonly enrolledAt: number;
}

/** The JSON of an identity file (mode 0600; `privateKey` and the salts are secret). */
export interface IdentityFileJson {
  readonly type: typeof IDENTITY_FILE_TYPE;
  readonly version: typeof IDENTITY_FILE_VERSION;
  /** Semaphore's base64 export of the identity's private key (`exportIdentity` of `@zkiris/sdk`). */
  readonly privateKey: string;
  /** The identity commitment, decimal (checked on reading). */
  readonly commitment: string;
  readonly enrolments: readonly IdentityEnrolment[];
}

/** An identity and its enrolments, as read from a file. */
export interface IdentityFile {
  readonly identity: Identity;
  readonly enrolments: readonly IdentityEnrolment[];
}

/**
 * Reads an identity file, or with `create` makes a new identity and writes it (exclusively, mode
 * 0600) when `file` does not exist. Refuses a file others may read or write
 * (`IDENTITY_FILE_PERMISSIONS`), one that cannot be read (`UNREADABLE_IDENTITY_FILE`), a missing file
 * without `create` (`NO_IDENTITY_FILE`), anything but the documented JSON (`INVALID_IDENTITY_FILE`).
 */
export async function readIdentityFile(
  file: string,
  { create = false } = {},
): Promise<IdentityFile & { created: boolean }> {
  let text: string;
  try {
    const info = await stat(file);
    if (process.platform !== "win32" && (info.mode & 0o077) !== 0)
      throw new IdentityFileError(
        "IDENTITY_FILE_PERMISSIONS",
        `Identity file '${file}' has mode ${(info.mode & 0o777).toString(8).padStart(4, "0")}; it must not be readable or writable by others (chmod 600 '${file}')`,
      );
    text = await readFile(file, "utf8");
  } catch (error) {
    if (error instanceof IdentityFileError) throw error;
    if ((error as { code?: unknown }).code === "ENOENT") {
      if (!create)
        throw new IdentityFileError(
          "NO_IDENTITY_FILE",
          `Identity file '${file}' does not exist (zkiris enroll creates it)`,
          { field: "identity" },
        );
      const identity = createIdentity();
      await writeIdentityFile(file, { identity, enrolments: [] }, { exclusive: true });
      return { identity, enrolments: [], created: true };
    }
    throw new IdentityFileError(
      "UNREADABLE_IDENTITY_FILE",
      `Identity file '${file}' cannot be read: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return { ...parseIdentityFile(file, text), created: false };
}

function parseIdentityFile(file: string, text: string): IdentityFile {
  const bad = (field: string, why: string): never => {
    throw new IdentityFileError("INVALID_IDENTITY_FILE", `Identity file '${file}': field '${field}' ${why}`, {
      field,
    });
  };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new IdentityFileError("INVALID_IDENTITY_FILE", `Identity file '${file}' is not JSON`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json))
    bad("(root)", `must be an object, received ${describeType(json)}`);
  const o = json as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!["type", "version", "privateKey", "commitment", "enrolments"].includes(k))
      bad(k, "is not an identity file field");
  if (o.type !== IDENTITY_FILE_TYPE) bad("type", `must be "${IDENTITY_FILE_TYPE}"`);
  if (o.version !== IDENTITY_FILE_VERSION)
    bad("version", `must be ${IDENTITY_FILE_VERSION}, received ${JSON.stringify(o.version)}`);
  if (typeof o.privateKey !== "string") bad("privateKey", "must be a string");
  let identity: Identity;
  try {
    identity = restoreIdentity(o.privateKey as string);
  } catch {
    return bad("privateKey", "is not Semaphore's base64 export of a private key");
  }
  if (o.commitment !== identity.commitment.toString())
    bad("commitment", "is not the commitment of the private key");
  if (!Array.isArray(o.enrolments)) bad("enrolments", "must be an array");
  const enrolments = (o.enrolments as unknown[]).map((e, i) => {
    const r = e as Record<string, unknown>;
    if (typeof e !== "object" || e === null) bad(`enrolments[${i}]`, "must be an object");
    for (const k of ["groupId", "leaf", "root", "templateCommitment", "salt"])
      if (typeof r[k] !== "string") bad(`enrolments[${i}].${k}`, "must be a string");
    for (const k of ["memberIndex", "enrolledAt"])
      if (!Number.isSafeInteger(r[k])) bad(`enrolments[${i}].${k}`, "must be an integer");
    if (r.template !== undefined) {
      try {
        fromJson(r.template);
      } catch {
        bad(`enrolments[${i}].template`, "is not an iris code in the JSON form of @zkiris/iris-code");
      }
    }
    return r as unknown as IdentityEnrolment;
  });
  return { identity, enrolments };
}

/**
 * Writes an identity file with mode 0600: exclusively (`O_EXCL`, refusing an existing file), or by
 * writing a new 0600 file beside it and renaming it over the old one, so the path never holds a
 * partial file or a wider mode.
 */
export async function writeIdentityFile(
  file: string,
  content: IdentityFile,
  { exclusive = false } = {},
): Promise<void> {
  const json: IdentityFileJson = {
    type: IDENTITY_FILE_TYPE,
    version: IDENTITY_FILE_VERSION,
    privateKey: exportIdentity(content.identity),
    commitment: content.identity.commitment.toString(),
    enrolments: content.enrolments,
  };
  await writeSecretFile(file, `${JSON.stringify(json, null, 2)}\n`, { exclusive });
}
