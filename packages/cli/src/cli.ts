import { mkdir, readFile, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import path from "node:path";
import {
  type AccuracyGroupReport,
  type BackendPreference,
  checkQuality,
  contactSheet,
  type DatasetListing,
  DEGRADATIONS,
  type Degradation,
  decisionThresholds,
  decodeImage,
  degradeImage,
  encodeRgbaPng,
  type GreyImage,
  groupedPairDistances,
  IrisEncoder,
  listDataset,
  measureAccuracyGroup,
  type PairDistances,
  QualityGateError,
  type RgbaImage,
  renderAccuracyRunHtml,
  renderAccuracySvg,
  renderSegmentationOverlay,
  resolvePipelineConfig,
  segmentIris,
} from "@zkiris/encoder";
import { formatGeometry, IrisCode, toJson, ZkirisError } from "@zkiris/iris-code";
import { encodeImageKinds, type KindOutcome } from "./encode-image-kinds.js";
import { EncodePool } from "./encode-pool.js";

/** Where the CLI writes; tests pass collectors, the binary passes the process streams. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** True when stderr is a terminal (progress redraws in place). */
  readonly interactive?: boolean;
}

const OVERLAYS_USAGE = `  zkiris overlays <DIR...> --out DIR [--sample N] [--seed S] [--refused] [--degrade KIND]
      Segmentation contact sheets of a random sample (default 48 images per dataset, seed 1) of
      each DIR/<eye-id>/<images>: traced pupil boundary (yellow), limbus (cyan), noise mask
      (magenta), green frame accepted, red frame refused. --refused samples refused images only;
      --degrade draws a degraded copy (far, offcentre, dark, defocus, eyelid). Writes
      <set>-<n>.png sheets of 48 tiles and <set>.tsv (tile, file, outcome) to --out, which must
      lie outside any repository the images may not be copied into.
`;

const USAGE = `Usage:
  zkiris encode <images...> [--json] [--backend auto|wasm|cpu|tensorflow]
      One JSON line per image: file, version, geometry, bits, mask, quality; or file, error, reason.
      Exit code 0 when every image encoded, 1 when any failed.
  zkiris accuracy <DIR...> [--out DIR] [--degrade none,far,offcentre,dark,defocus,eyelid|all]
                  [--workers N] [--backend ...]
      Each DIR/<eye-id>/<images> is a dataset; eye ids are namespaced per dataset, so impostor
      pairs are also formed across datasets. Encodes every image (and, with --degrade, copies
      degraded at run time; default none), compares all pairs of each kind over the profile's
      shifts and reports every dataset and the pooled datasets for each kind: FTE by gate,
      genuine/impostor figures, d', EER, FNMR and GFNMR at FMR 1e-3..1e-6, false matches at
      the decision thresholds and the fitted impostor tail (false-match and false-duplicate
      probabilities up to 1e6 enrolled). Prints the JSON report and writes report.json,
      accuracy.svg and accuracy.html to --out (default ./zkiris-accuracy). --workers: encoding
      threads (default the CPU count, at most 4; 1 encodes in the main thread). Exit code 1 when a
      dataset or kind has too few codes to measure.
${OVERLAYS_USAGE}`;

/** The CLI refuses its own arguments with this error (exit code 2). */
export class UsageError extends ZkirisError {
  constructor(message: string) {
    super("USAGE", message, { field: "argv" });
  }
}

interface Parsed {
  positional: string[];
  flags: Map<string, string | true>;
}

function parseArgs(args: readonly string[], valued: readonly string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith("--")) {
      const [name, inline] = a.slice(2).split("=", 2) as [string, string | undefined];
      if (valued.includes(name)) {
        const v = inline ?? args[++i];
        if (v === undefined) throw new UsageError(`Option '--${name}' needs a value`);
        flags.set(name, v);
      } else if (name === "json" || name === "help" || name === "refused") flags.set(name, true);
      else throw new UsageError(`Unknown option '--${name}'`);
    } else positional.push(a);
  }
  return { positional, flags };
}

function backendOf(flags: Map<string, string | true>): BackendPreference {
  const b = flags.get("backend") ?? "auto";
  if (b !== "auto" && b !== "wasm" && b !== "cpu" && b !== "tensorflow") {
    throw new UsageError(`Option '--backend' must be auto, wasm, cpu or tensorflow, received ${String(b)}`);
  }
  return b;
}

/**
 * Runs the `zkiris` command line with `args` (without the node and script names) and returns the
 * exit code: 0 success, 1 some input failed, 2 usage error.
 */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = args;
  try {
    if (command === undefined || command === "--help" || command === "help") {
      io.stdout(USAGE);
      return command === undefined ? 2 : 0;
    }
    if (command === "encode") return await encodeCommand(rest, io);
    if (command === "accuracy") return await accuracyCommand(rest, io);
    if (command === "overlays") return await overlaysCommand(rest, io);
    throw new UsageError(`Unknown command '${command}'`);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`zkiris: ${error.message}\n${USAGE}`);
      return 2;
    }
    throw error;
  }
}

async function encodeCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { positional, flags } = parseArgs(args, ["backend"]);
  if (positional.length === 0) throw new UsageError("encode needs at least one image file");
  const encoder = await IrisEncoder.create({ backend: backendOf(flags) });
  let failed = 0;
  try {
    for (const file of positional) {
      let line: Record<string, unknown>;
      try {
        const bytes = new Uint8Array(await readFile(file));
        const { code, quality } = await encoder.encode(bytes);
        line = { file, ...toJson(code), quality: roundQuality(quality) };
      } catch (error) {
        failed++;
        if (error instanceof ZkirisError)
          line = { file, error: error.code, reason: error.message, ...gateOf(error) };
        else if (isFsError(error))
          line = { file, error: "UNREADABLE_FILE", reason: (error as Error).message };
        else throw error;
      }
      io.stdout(`${JSON.stringify(line)}\n`);
    }
  } finally {
    encoder.close();
  }
  return failed === 0 ? 0 : 1;
}

function gateOf(error: ZkirisError): Record<string, unknown> {
  const e = error as ZkirisError & { gate?: string; measured?: number; limit?: number };
  return e.gate === undefined ? {} : { gate: e.gate, measured: e.measured, limit: e.limit };
}

function isFsError(error: unknown): boolean {
  return (
    typeof error === "object" &&
    error !== null &&
    typeof (error as { code?: unknown }).code === "string" &&
    "syscall" in error
  );
}

function roundQuality(q: object): Record<string, number> {
  return Object.fromEntries(Object.entries(q).map(([k, v]) => [k, Math.round((v as number) * 1e4) / 1e4]));
}

function progressBar(done: number, total: number, label: string): string {
  const width = 30;
  const filled = total ? Math.round((done / total) * width) : width;
  return `${label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total}`;
}

const ALL_KINDS: readonly DegradationKind[] = ["none", ...DEGRADATIONS];

/** `none` (the image as read) or one of the encoder's degradations. */
type DegradationKind = "none" | Degradation;

function degradationsOf(flags: Map<string, string | true>): DegradationKind[] {
  const v = flags.get("degrade");
  if (v === undefined) return ["none"];
  const wanted = String(v)
    .split(",")
    .map((k) => k.trim())
    .filter((k) => k !== "");
  const kinds = new Set<DegradationKind>();
  for (const k of wanted) {
    if (k === "all") for (const a of ALL_KINDS) kinds.add(a);
    else if ((ALL_KINDS as readonly string[]).includes(k)) kinds.add(k as DegradationKind);
    else
      throw new UsageError(
        `Option '--degrade' takes a comma-separated list of ${ALL_KINDS.join(", ")} or all, received ${k}`,
      );
  }
  if (kinds.size === 0) throw new UsageError("Option '--degrade' needs at least one kind");
  return ALL_KINDS.filter((k) => kinds.has(k));
}

function workersOf(flags: Map<string, string | true>): number {
  const v = flags.get("workers");
  if (v === undefined) return Math.min(4, availableParallelism());
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= 1 && n <= 64))
    throw new UsageError(`Option '--workers' must be an integer from 1 to 64, received ${String(v)}`);
  return n;
}

/** FNV-1a of a string: a stable per-image seed, so a rerun degrades every image the same way. */
function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

interface Dataset {
  readonly name: string;
  readonly dir: string;
  readonly eyes: number;
  readonly images: number;
}

interface ImageJob {
  readonly set: string;
  /** Namespaced eye id `set/eye`: two datasets never share an eye. */
  readonly eye: string;
  readonly file: string;
}

async function scanDatasets(dirs: readonly string[]): Promise<{ sets: Dataset[]; jobs: ImageJob[] }> {
  const sets: Dataset[] = [];
  const jobs: ImageJob[] = [];
  const taken = new Set<string>();
  for (const dir of dirs) {
    let listing: DatasetListing;
    try {
      listing = listDataset(dir);
    } catch {
      throw new UsageError(`Dataset directory '${dir}' cannot be read`);
    }
    const base = path.basename(path.resolve(dir)) || "dataset";
    let name = base;
    for (let k = 2; taken.has(name); k++) name = `${base}-${k}`;
    taken.add(name);
    for (const { eye, file } of listing.images) jobs.push({ set: name, eye: `${name}/${eye}`, file });
    const images = listing.images.length;
    if (images === 0)
      throw new UsageError(`Dataset directory '${dir}' has no images in DIR/<eye-id>/ folders`);
    sets.push({ name, dir, eyes: listing.eyes.length, images });
  }
  return { sets, jobs };
}

async function overlaysCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { positional, flags } = parseArgs(args, ["out", "sample", "seed", "degrade"]);
  if (positional.length === 0) throw new UsageError("overlays needs at least one dataset directory");
  const out = flags.get("out");
  if (typeof out !== "string") throw new UsageError("overlays needs --out DIR");
  const count = (name: string, fallback: number): number => {
    const raw = flags.get(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 100_000)
      throw new UsageError(`Option '--${name}' must be an integer from 1 to 100000, received ${String(raw)}`);
    return n;
  };
  const sample = count("sample", 48);
  const seed = count("seed", 1);
  const degrade = flags.get("degrade");
  if (degrade !== undefined && !(DEGRADATIONS as readonly unknown[]).includes(degrade))
    throw new UsageError(
      `Option '--degrade' must be one of ${DEGRADATIONS.join(", ")}, received ${String(degrade)}`,
    );
  const onlyRefused = flags.has("refused");
  const { sets, jobs } = await scanDatasets(positional);
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
        if (!(error instanceof ZkirisError)) throw error;
        if (!onlyRefused)
          index.push(`-\t${path.relative(set.dir, job.file)}\t${error.code}: ${error.message}`);
        continue;
      }
      if (typeof degrade === "string") image = degradeImage(image, degrade as Degradation, seedOf(job.file));
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
  return 0;
}

interface Refusal {
  readonly file: string;
  readonly set: string;
  readonly degradation: DegradationKind;
  readonly error: string;
  readonly reason: string;
}

async function accuracyCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { positional, flags } = parseArgs(args, ["out", "backend", "degrade", "workers"]);
  const workers = workersOf(flags);
  if (positional.length === 0) throw new UsageError("accuracy needs at least one dataset directory");
  const out = (flags.get("out") as string | undefined) ?? "zkiris-accuracy";
  const kinds = degradationsOf(flags);
  const backend = backendOf(flags);
  const { sets, jobs } = await scanDatasets(positional);
  const encoder = await IrisEncoder.create({ backend });
  const profile = encoder.profile;
  const codes = new Map<DegradationKind, Map<string, IrisCode[]>>(kinds.map((k) => [k, new Map()]));
  const setOfEye = new Map<string, string>(jobs.map((j) => [j.eye, j.set]));
  const refused: Refusal[] = [];
  const progress = (done: number, total: number, label: string, force = false) => {
    if (io.interactive) io.stderr(`\r${progressBar(done, total, label)}`);
    else if (force || done % Math.max(1, Math.ceil(total / 10)) === 0)
      io.stderr(`${progressBar(done, total, label)}\n`);
  };
  const total = jobs.length * kinds.length;
  let done = 0;
  const outcomes: KindOutcome[][] = new Array(jobs.length);
  const t0 = performance.now();
  const seedOfJob = (job: ImageJob) => seedOf(`${job.eye}/${path.basename(job.file)}`);
  const record = (index: number, result: KindOutcome[]) => {
    outcomes[index] = result;
    done += kinds.length;
    progress(done, total, "encoding ", done === total);
  };
  try {
    if (workers <= 1) {
      for (let i = 0; i < jobs.length; i++)
        record(i, await encodeImageKinds(encoder, jobs[i]!.file, kinds, seedOfJob(jobs[i]!)));
    } else {
      const pool = new EncodePool(workers, backend);
      try {
        let next = 0;
        const lane = async () => {
          while (next < jobs.length) {
            const i = next++;
            record(i, await pool.encode(jobs[i]!.file, kinds, seedOfJob(jobs[i]!)));
          }
        };
        // Two requests in flight per worker keep every worker busy between answers.
        await Promise.all(Array.from({ length: workers * 2 }, lane));
      } finally {
        await pool.close();
      }
    }
  } finally {
    encoder.close();
  }
  // Collected in job order, so the codes (and every figure) do not depend on worker timing.
  jobs.forEach((job, i) => {
    for (const o of outcomes[i]!) {
      const kind = o.kind as DegradationKind;
      if ("bits" in o) {
        const byEye = codes.get(kind)!;
        const list = byEye.get(job.eye) ?? [];
        list.push(IrisCode.fromPacked(profile.geometry, o.bits, o.mask));
        byEye.set(job.eye, list);
      } else
        refused.push({ file: job.file, set: job.set, degradation: kind, error: o.error, reason: o.reason });
    }
  });
  if (io.interactive) io.stderr("\n");
  const encodeSeconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const groups: { report: AccuracyGroupReport; distances: PairDistances }[] = [];
  const unmeasured: { set: string; degradation: DegradationKind; reason: string }[] = [];
  const thresholds = decisionThresholds(profile);
  for (const kind of kinds) {
    const byEye = codes.get(kind)!;
    const grouped = groupedPairDistances(
      byEye,
      profile,
      (eye) => setOfEye.get(eye)!,
      (d, t) => progress(d, t, kinds.length > 1 ? `comparing ${kind}` : "comparing", d === t),
    );
    if (io.interactive) io.stderr("\n");
    const names = sets.length > 1 ? [...sets.map((s) => s.name), "pooled"] : [sets[0]!.name];
    for (const name of names) {
      const inSet = (setName: string) => name === "pooled" || setName === name;
      const attempted = jobs.filter((j) => inSet(j.set)).length;
      const refusals: Record<string, number> = {};
      for (const r of refused)
        if (r.degradation === kind && inSet(r.set)) refusals[r.error] = (refusals[r.error] ?? 0) + 1;
      const enrolled = attempted - Object.values(refusals).reduce((a, n) => a + n, 0);
      const distances = name === "pooled" ? grouped.pooled : (grouped.byGroup.get(name) ?? EMPTY_DISTANCES);
      try {
        groups.push({
          report: measureAccuracyGroup({
            set: name,
            degradation: kind,
            distances,
            attempted,
            enrolled,
            refusals,
            profile,
            thresholds,
          }),
          distances,
        });
      } catch (error) {
        if (!(error instanceof ZkirisError)) throw error;
        unmeasured.push({ set: name, degradation: kind, reason: error.message });
        io.stderr(`zkiris: cannot measure accuracy of ${name} (${kind}): ${error.message}\n`);
      }
    }
  }
  const compareSeconds = (performance.now() - t1) / 1000;
  const dedup = (profile as { readonly deduplication?: { readonly thresholdPer10k?: unknown } })
    .deduplication;
  const full = {
    datasets: sets,
    degradations: kinds,
    profile: {
      name: profile.name,
      geometry: formatGeometry(profile.geometry),
      maxShift: profile.maxShift,
      thresholdPer10k: profile.thresholdPer10k,
      ...(typeof dedup?.thresholdPer10k === "number"
        ? { deduplicationThresholdPer10k: dedup.thresholdPer10k }
        : {}),
      minUsableBits: profile.minUsableBits,
    },
    backend: encoder.backend,
    modelSource: encoder.modelSource,
    workers,
    msPerImage: Math.round(((encodeSeconds * 1000) / total) * 10) / 10,
    encodeSeconds: Math.round(encodeSeconds * 10) / 10,
    compareSeconds: Math.round(compareSeconds * 10) / 10,
    results: groups.map((g) => g.report),
    unmeasured,
    refused,
  };
  await mkdir(out, { recursive: true });
  await writeFile(path.join(out, "report.json"), `${JSON.stringify(full, null, 2)}\n`);
  const title = `zkiris accuracy: ${sets.map((s) => s.name).join(" + ")}`;
  const headline = groups.find(
    (g) => g.report.degradation === kinds[0] && g.report.set === (sets.length > 1 ? "pooled" : sets[0]!.name),
  );
  if (headline)
    await writeFile(
      path.join(out, "accuracy.svg"),
      renderAccuracySvg(
        headline.report,
        headline.distances,
        `${title} (${headline.report.set}, ${headline.report.degradation})`,
      ),
    );
  await writeFile(
    path.join(out, "accuracy.html"),
    renderAccuracyRunHtml({
      title,
      meta: [
        ...sets.map((s) => `${s.name}: ${s.dir} (${s.eyes} eyes, ${s.images} images)`),
        `degradations: ${kinds.join(", ")}`,
        `profile ${profile.name}: geometry ${formatGeometry(profile.geometry)}, shifts ±${profile.maxShift}, verification threshold ${profile.thresholdPer10k / 10_000}${typeof dedup?.thresholdPer10k === "number" ? `, deduplication threshold ${dedup.thresholdPer10k / 10_000}` : ""}, min usable bits ${profile.minUsableBits}`,
        `backend ${encoder.backend}, model ${encoder.modelSource}; ${total} encodings in ${full.encodeSeconds} s on ${workers} worker${workers > 1 ? "s" : ""} (${full.msPerImage} ms each, wall clock), comparisons ${full.compareSeconds} s`,
      ],
      groups,
      unmeasured,
    }),
  );
  io.stdout(`${JSON.stringify(full, null, 2)}\n`);
  io.stderr(`wrote ${path.join(out, "report.json")}, ${headline ? "accuracy.svg, " : ""}accuracy.html\n`);
  return unmeasured.length === 0 ? 0 : 1;
}

const EMPTY_DISTANCES: PairDistances = {
  genuine: new Float64Array(0),
  impostor: new Float64Array(0),
  impostorUnshifted: new Float64Array(0),
};
