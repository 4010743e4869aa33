import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** A workspace package that is published (not `"private": true`). */
export interface PublishablePackage {
  readonly name: string;
  readonly dir: string;
  readonly manifest: Record<string, unknown>;
}

/** Every publishable workspace package under packages/, in directory order. */
export function publishablePackages(): PublishablePackage[] {
  const out: PublishablePackage[] = [];
  for (const entry of readdirSync(join(ROOT, "packages")).sort()) {
    const dir = join(ROOT, "packages", entry);
    const file = join(dir, "package.json");
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    if (manifest.private === true) continue;
    out.push({ name: manifest.name as string, dir, manifest });
  }
  return out;
}
