/**
 * Command line of the encoder benches that read datasets: positional dataset directories
 * (`DIR/<eye-id>/<images>`, read in place), `--name value` flags and `--name` switches; with no directory, every
 * dataset under ../shared/datasets. Exits 0 with a message when there is nothing to measure.
 */
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export function datasetArgs(valued: readonly string[]): {
  flag: (name: string) => string | undefined;
  has: (name: string) => boolean;
  dirs: string[];
} {
  const args = process.argv.slice(2);
  const flag = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const dirs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (valued.includes(args[i]!)) i++;
    else if (!args[i]!.startsWith("--")) dirs.push(args[i]!);
  }
  if (dirs.length === 0) {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../shared/datasets");
    if (existsSync(root))
      for (const d of readdirSync(root, { withFileTypes: true }))
        if (d.isDirectory()) dirs.push(path.join(root, d.name));
  }
  if (dirs.length === 0) {
    console.log("no dataset found; nothing to measure");
    process.exit(0);
  }
  return { flag, has: (name) => args.includes(name), dirs };
}
