import { randomBytes } from "node:crypto";
import { chmod, open, rename, unlink } from "node:fs/promises";
import path from "node:path";

/**
 * Writes `text` to `file` with mode 0600, for files that hold secrets (device keys, identities).
 * `exclusive`: the file is created with `O_EXCL`, and an existing one makes `open` throw its
 * `EEXIST` error for the caller to name. Otherwise the text goes to a new 0600 file beside it,
 * synced, then renamed over the old one, so the path never holds a partial file or a wider mode.
 */
export async function writeSecretFile(
  file: string,
  text: string,
  { exclusive }: { exclusive: boolean },
): Promise<void> {
  const target = exclusive
    ? file
    : path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(target, "wx", 0o600);
  try {
    // The umask can only narrow the mode; chmod makes it exactly 0600.
    await handle.chmod(0o600);
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (target !== file) {
    try {
      await rename(target, file);
    } catch (error) {
      await unlink(target).catch(() => {});
      throw error;
    }
  }
  await chmod(file, 0o600);
}
