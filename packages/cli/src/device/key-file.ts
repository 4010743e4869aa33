import { readFile, stat } from "node:fs/promises";
import { DeviceKey } from "@zkiris/device";
import { describeType, ZkirisError } from "@zkiris/iris-code";
import { writeSecretFile } from "../secret-file.js";

/** `type` of a device key file. */
export const KEY_FILE_TYPE = "zkiris.device-key";
/** `version` of the device key file format this CLI writes and reads. */
export const KEY_FILE_VERSION = 1;

/** Codes of {@link KeyFileError}. */
export type KeyFileErrorCode =
  /** `keygen` found a file at the path and `--force` was not given. */
  | "KEY_FILE_EXISTS"
  /** The key file is not JSON of the documented shape, or its public key does not match its private key. */
  | "INVALID_KEY_FILE"
  /** The key file can be read or written by other users than its owner (its mode allows more than 0600). */
  | "KEY_FILE_PERMISSIONS"
  /** The key file cannot be read. */
  | "UNREADABLE_KEY_FILE";

/** A device key file was refused. `field` is the offending JSON field where there is one. */
export class KeyFileError extends ZkirisError {
  declare readonly code: KeyFileErrorCode;

  constructor(code: KeyFileErrorCode, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(code, message, options);
  }
}

/** The JSON of a device key file (one object; `privateKey` is secret). */
export interface KeyFileJson {
  readonly type: typeof KEY_FILE_TYPE;
  readonly version: typeof KEY_FILE_VERSION;
  /** 64 lower-case hexadecimal digits: the 32 private key bytes. */
  readonly privateKey: string;
  /** `[Ax, Ay]`, decimal strings (derived from the private key; checked on reading). */
  readonly publicKey: readonly [string, string];
  /** `Poseidon2(Ax, Ay)`, decimal (checked on reading). */
  readonly deviceId: string;
}

/** The key file's JSON for `key` (with its private key). */
export function keyFileJson(key: DeviceKey): KeyFileJson {
  const { publicKey, deviceId } = key.toJSON();
  return {
    type: KEY_FILE_TYPE,
    version: KEY_FILE_VERSION,
    privateKey: key.exportPrivateKeyHex(),
    publicKey,
    deviceId,
  };
}

/**
 * Writes `key` to `file` with mode 0600. Without `force` the file is created exclusively (`O_EXCL`)
 * and an existing file is refused with `KEY_FILE_EXISTS`; with `force` the key is written to a new
 * 0600 file beside it and renamed over it, so the path never holds a partial key or a wider mode.
 */
export async function writeKeyFile(file: string, key: DeviceKey, { force = false } = {}): Promise<void> {
  try {
    await writeSecretFile(file, `${JSON.stringify(keyFileJson(key), null, 2)}\n`, { exclusive: !force });
  } catch (error) {
    if ((error as { code?: unknown }).code === "EEXIST" && !force)
      throw new KeyFileError(
        "KEY_FILE_EXISTS",
        `Key file '${file}' exists; pass --force to replace it (the old key is lost)`,
        { field: "out" },
      );
    throw error;
  }
}

/**
 * Reads a device key file. Refuses (`KeyFileError`): a file others can read or write
 * (`KEY_FILE_PERMISSIONS`, on POSIX systems, like ssh does), a file that cannot be read
 * (`UNREADABLE_KEY_FILE`), anything but the documented JSON with a public key and device id that
 * match the private key (`INVALID_KEY_FILE`).
 */
export async function readKeyFile(file: string): Promise<DeviceKey> {
  let text: string;
  try {
    const info = await stat(file);
    if (process.platform !== "win32" && (info.mode & 0o077) !== 0)
      throw new KeyFileError(
        "KEY_FILE_PERMISSIONS",
        `Key file '${file}' has mode ${(info.mode & 0o777).toString(8).padStart(4, "0")}; it must not be readable or writable by others (chmod 600 '${file}')`,
      );
    text = await readFile(file, "utf8");
  } catch (error) {
    if (error instanceof KeyFileError) throw error;
    throw new KeyFileError(
      "UNREADABLE_KEY_FILE",
      `Key file '${file}' cannot be read: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new KeyFileError("INVALID_KEY_FILE", `Key file '${file}' is not JSON`);
  }
  const bad = (field: string, why: string): never => {
    throw new KeyFileError("INVALID_KEY_FILE", `Key file '${file}': field '${field}' ${why}`, { field });
  };
  if (typeof json !== "object" || json === null || Array.isArray(json))
    bad("(root)", `must be an object, received ${describeType(json)}`);
  const o = json as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!["type", "version", "privateKey", "publicKey", "deviceId"].includes(k))
      bad(k, "is not a key file field");
  if (o.type !== KEY_FILE_TYPE) bad("type", `must be "${KEY_FILE_TYPE}"`);
  if (o.version !== KEY_FILE_VERSION)
    bad("version", `must be ${KEY_FILE_VERSION}, received ${JSON.stringify(o.version)}`);
  if (typeof o.privateKey !== "string" || !/^[0-9a-f]{64}$/.test(o.privateKey))
    bad("privateKey", "must be 64 lower-case hexadecimal digits");
  const key = DeviceKey.fromPrivateKey(o.privateKey as string);
  const expected = key.toJSON();
  if (
    !Array.isArray(o.publicKey) ||
    o.publicKey.length !== 2 ||
    o.publicKey[0] !== expected.publicKey[0] ||
    o.publicKey[1] !== expected.publicKey[1]
  )
    bad("publicKey", "is not the public key of 'privateKey'");
  if (o.deviceId !== expected.deviceId) bad("deviceId", "is not the device id of 'privateKey'");
  return key;
}
