import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  checkQuality,
  contactSheet,
  DEGRADATIONS,
  type Degradation,
  decodeImage,
  degradeImage,
  encodeRgbaPng,
  type GreyImage,
  QualityGateError,
  type RgbaImage,
  renderSegmentationOverlay,
  resolvePipelineConfig,
  segmentIris,
} from "@zkiris/encoder";
import { ZkirisError } from "@zkiris/iris-code";
import { integerOption, parseCommandArgs } from "../args.js";
import { type CliCommand, type CliIo, EXIT, UsageError } from "../command.js";
import { degradeSeed, scanDatasets, seedOf } from "../datasets.js";

const SYNOPSIS = "zkiris overlays <DIR...> --out DIR [--sample N] [--seed S] [--refused] [--degrade KIND]";

const USAGE = `Usage:
  ${SYNOPSIS}
      Segmentation contact sheets of a random sample (default 48 images per dataset, seed 1) of
      each DIR/<eye-id>/<images>: traced pupil boundary (yellow), limbus (cyan), noise mask
      (magenta), green frame accepted, red frame refused. --refused samples refused images only;
      --degrade draws a degraded copy (far, offcentre, dark, defocus, eyelid). Writes
      <set>-<n>.png sheets of 48 tiles and <set>.tsv (tile, file, outcome) to --out, which must
      lie outside any repository the images may not be copied into.
      Exit code 0 when the sheets are written, 2 usage error, 3 internal error.
`;

const OPTIONS = {
  out: { type: "string" },
  sample: { type: "string" },
  seed: { type: "string" },
  degrade: { type: "string" },
  refused: { type: "boolean" },
} as const;

/** `zkiris overlays`: segmentation contact sheets of a seeded sample of datasets. */
export const overlaysCommand: CliCommand = {
  name: "overlays",
  synopsis: SYNOPSIS,
  summary: "Draw segmentation contact sheets of a seeded sample of each dataset.",
  usage: USAGE,
  run: overlays,
};

async function overlays(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, OPTIONS, USAGE);
  if (positionals.length === 0) throw new UsageError("overlays needs at least one dataset directory", USAGE);
  const out = values.out;
  if (out === undefined) throw new UsageError("overlays needs --out DIR", USAGE);
  const sample = integerOption("sample", values.sample, 48, 1, 100_000, USAGE);
  const seed = integerOption("seed", values.seed, 1, 1, 100_000, USAGE);
  const degrade = values.degrade;
  if (degrade !== undefined && !(DEGRADATIONS as readonly string[]).includes(degrade))
    throw new UsageError(
      `Option '--degrade' must be one of ${DEGRADATIONS.join(", ")}, received ${degrade}`,
      USAGE,
    );
  const onlyRefused = values.refused === true;
  const { sets, jobs } = await scanDatasets(positionals, USAGE);
  const config = resolvePipelineConfig();
  await mkdir(out, { recursive: true });
  for (const set of sets) {
    // Seeded Fisher-Yates shuffle, so the same seed shows the same sample.
    const files = jobs.filter((j) => j.set === set.name);
    let state = seedOf(`${seed}:${set.name}`) || 1;
    const next = () => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) / 4294967296;
    };
    for (let i = files.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [files[i], files[j]] = [files[j]!, files[i]!];
    }
    const tiles: RgbaImage[] = [];
    const index: string[] = ["tile\tfile\toutcome"];
    let looked = 0;
    for (const job of files) {
      if (tiles.length >= sample) break;
      looked++;
      let line: string;
      let image: GreyImage;
      try {
        image = decodeImage(new Uint8Array(await readFile(job.file)));
      } catch (error) {
        if (!ZkirisError.is(error)) throw error;
        if (!onlyRefused)
          index.push(`-\t${path.relative(set.dir, job.file)}\t${error.code}: ${error.message}`);
        continue;
      }
      if (typeof degrade === "string") image = degradeImage(image, degrade as Degradation, degradeSeed(job));
      const seg = segmentIris(image, config.segmentation);
      let accepted = true;
      try {
        checkQuality(seg, config.quality);
        line = "accepted";
      } catch (error) {
        if (!(error instanceof QualityGateError)) throw error;
        accepted = false;
        line = error.message;
      }
      if (onlyRefused && accepted) continue;
      tiles.push(renderSegmentationOverlay(image, seg, accepted));
      index.push(`${tiles.length}\t${path.relative(set.dir, job.file)}\t${line}`);
    }
    for (let s = 0; s * 48 < tiles.length; s++) {
      const sheet = contactSheet(tiles.slice(s * 48, (s + 1) * 48), { columns: 8, firstNumber: s * 48 + 1 });
      await writeFile(path.join(out, `${set.name}-${s + 1}.png`), encodeRgbaPng(sheet));
    }
    await writeFile(path.join(out, `${set.name}.tsv`), `${index.join("\n")}\n`);
    io.stderr(
      `${set.name}: ${tiles.length} tiles from ${looked} images looked at, ${Math.ceil(tiles.length / 48)} sheet(s) in ${out}\n`,
    );
  }
  return EXIT.OK;
}
