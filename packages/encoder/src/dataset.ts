import { readdirSync, statSync } from "node:fs";
import path from "node:path";

/** Image files a dataset may hold: PNG, JPEG or BMP, by extension. */
export const DATASET_IMAGE_FILE = /\.(png|jpe?g|bmp)$/i;

/** A dataset laid out as `DIR/<eye-id>/<images>`. */
export interface DatasetListing {
  /** Eye folders (folders, or links to folders, since a subset may be assembled without copying), sorted. */
  readonly eyes: readonly string[];
  /** Every image, eye by eye, files sorted by name within an eye. */
  readonly images: readonly { readonly eye: string; readonly file: string }[];
}

/**
 * Lists a dataset directory: each sub-folder is one eye, each image file in it one capture.
 * Throws the file-system error when `dir` or an eye folder cannot be read.
 */
export function listDataset(dir: string): DatasetListing {
  const eyes = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() || (d.isSymbolicLink() && statSync(path.join(dir, d.name)).isDirectory()))
    .map((d) => d.name)
    .sort();
  const images: { eye: string; file: string }[] = [];
  for (const eye of eyes) {
    for (const f of readdirSync(path.join(dir, eye)).sort())
      if (DATASET_IMAGE_FILE.test(f)) images.push({ eye, file: path.join(dir, eye, f) });
  }
  return { eyes, images };
}
