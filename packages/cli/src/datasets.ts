import path from "node:path";
import { type DatasetListing, listDataset } from "@zkiris/encoder";
import { UsageError } from "./command.js";

/** FNV-1a of a string: a stable per-image seed, so a rerun degrades every image the same way. */
export function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * The seed of an image's degraded copies: the same in `zkiris accuracy` and `zkiris overlays`, so
 * an overlay shows exactly the copy the accuracy run refused or compared.
 */
export function degradeSeed(job: ImageJob): number {
  return seedOf(`${job.eye}/${path.basename(job.file)}`);
}

/** One dataset directory as the CLI names and counts it. */
export interface Dataset {
  readonly name: string;
  readonly dir: string;
  readonly eyes: number;
  readonly images: number;
}

/** One image of a dataset, with its namespaced eye. */
export interface ImageJob {
  readonly set: string;
  /** Namespaced eye id `set/eye`: two datasets never share an eye. */
  readonly eye: string;
  readonly file: string;
}

/**
 * Lists each `DIR/<eye-id>/<images>` dataset (names made unique: `set`, `set-2`, …). Throws
 * {@link UsageError} with `usage` for a directory that cannot be read or holds no images.
 */
export async function scanDatasets(
  dirs: readonly string[],
  usage: string,
): Promise<{ sets: Dataset[]; jobs: ImageJob[] }> {
  const sets: Dataset[] = [];
  const jobs: ImageJob[] = [];
  const taken = new Set<string>();
  for (const dir of dirs) {
    let listing: DatasetListing;
    try {
      listing = listDataset(dir);
    } catch {
      throw new UsageError(`Dataset directory '${dir}' cannot be read`, usage);
    }
    const base = path.basename(path.resolve(dir)) || "dataset";
    let name = base;
    for (let k = 2; taken.has(name); k++) name = `${base}-${k}`;
    taken.add(name);
    for (const { eye, file } of listing.images) jobs.push({ set: name, eye: `${name}/${eye}`, file });
    const images = listing.images.length;
    if (images === 0)
      throw new UsageError(`Dataset directory '${dir}' has no images in DIR/<eye-id>/ folders`, usage);
    sets.push({ name, dir, eyes: listing.eyes.length, images });
  }
  return { sets, jobs };
}
