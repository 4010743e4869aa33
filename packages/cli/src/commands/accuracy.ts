import { mkdir, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import path from "node:path";
import {
  type AccuracyGroupReport,
  DEGRADATIONS,
  type Degradation,
  decisionThresholds,
  groupedPairDistances,
  IrisEncoder,
  measureAccuracyGroup,
  measureEnrolmentProtocol,
  type PairDistances,
  renderAccuracyRunHtml,
  renderAccuracySvg,
} from "@zkiris/encoder";
import { DEFAULT_PROFILE, formatGeometry, IrisCode, ZkirisError } from "@zkiris/iris-code";
import { backendOf, integerOption, parseCommandArgs } from "../args.js";
import { type CliCommand, type CliIo, EXIT, UsageError } from "../command.js";
import { degradeSeed, scanDatasets } from "../datasets.js";
import { encodeImageKinds, type KindOutcome } from "../encode-image-kinds.js";
import { EncodePool } from "../encode-pool.js";

const SYNOPSIS =
  "zkiris accuracy <DIR...> [--out DIR] [--degrade none,far,offcentre,dark,defocus,eyelid|all] [--workers N] [--backend ...]";

const USAGE = `Usage:
  zkiris accuracy <DIR...> [--out DIR] [--degrade none,far,offcentre,dark,defocus,eyelid|all]
                  [--workers N] [--backend auto|wasm|cpu|tensorflow]
      Each DIR/<eye-id>/<images> is a dataset; eye ids are namespaced per dataset, so impostor
      pairs are also formed across datasets. Encodes every image (and, with --degrade, copies
      degraded at run time; default none), compares all pairs of each kind over the profile's
      shifts and reports every dataset and the pooled datasets for each kind: FTE by gate,
      genuine/impostor figures, d', EER, FNMR and GFNMR at FMR 1e-3..1e-6, false matches at
      the decision thresholds, the fitted impostor tail (false-match and false-duplicate
      probabilities up to 1e6 enrolled) and the registry's enrolment protocol replayed on each
      eye with 4 or more codes (enrolments of 3 captures refused by reason, second enrolments
      with fresh captures missed, templates against the other eyes' codes). Prints the JSON report and writes report.json,
      accuracy.svg and accuracy.html to --out (default ./zkiris-accuracy). --workers: encoding
      threads (default the CPU count, at most 4; 1 encodes in the main thread).
      Exit code 0 when every group was measured, 1 when a dataset or kind has too few codes to
      measure, 2 usage error, 3 internal error.
`;

const OPTIONS = {
  out: { type: "string" },
  backend: { type: "string" },
  degrade: { type: "string" },
  workers: { type: "string" },
} as const;

/** `zkiris accuracy`: encode datasets and measure verification and deduplication accuracy. */
export const accuracyCommand: CliCommand = {
  name: "accuracy",
  synopsis: SYNOPSIS,
  summary: "Encode datasets, compare every pair and report FTE, EER, FNMR at FMR and the impostor tail.",
  usage: USAGE,
  run: accuracy,
};

function progressBar(done: number, total: number, label: string): string {
  const width = 30;
  const filled = total ? Math.round((done / total) * width) : width;
  return `${label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total}`;
}

const ALL_KINDS: readonly DegradationKind[] = ["none", ...DEGRADATIONS];

/** `none` (the image as read) or one of the encoder's degradations. */
type DegradationKind = "none" | Degradation;

function degradationsOf(value: string | undefined): DegradationKind[] {
  if (value === undefined) return ["none"];
  const wanted = value
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
        USAGE,
      );
  }
  if (kinds.size === 0) throw new UsageError("Option '--degrade' needs at least one kind", USAGE);
  return ALL_KINDS.filter((k) => kinds.has(k));
}

interface Refusal {
  readonly file: string;
  readonly set: string;
  readonly degradation: DegradationKind;
  readonly error: string;
  readonly reason: string;
}

async function accuracy(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, OPTIONS, USAGE);
  const workers = integerOption("workers", values.workers, Math.min(4, availableParallelism()), 1, 64, USAGE);
  if (positionals.length === 0) throw new UsageError("accuracy needs at least one dataset directory", USAGE);
  const out = values.out ?? "zkiris-accuracy";
  const kinds = degradationsOf(values.degrade);
  const backend = backendOf(values.backend, USAGE);
  const { sets, jobs } = await scanDatasets(positionals, USAGE);
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
  const record = (index: number, result: KindOutcome[]) => {
    outcomes[index] = result;
    done += kinds.length;
    progress(done, total, "encoding ", done === total);
  };
  try {
    if (workers <= 1) {
      for (let i = 0; i < jobs.length; i++)
        record(i, await encodeImageKinds(encoder, jobs[i]!.file, kinds, degradeSeed(jobs[i]!)));
    } else {
      const pool = new EncodePool(workers, backend);
      try {
        let next = 0;
        const lane = async () => {
          while (next < jobs.length) {
            const i = next++;
            record(i, await pool.encode(jobs[i]!.file, kinds, degradeSeed(jobs[i]!)));
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
  let protocolMs = 0;
  for (const kind of kinds) {
    const byEye = codes.get(kind)!;
    const grouped = groupedPairDistances(
      byEye,
      profile,
      (eye) => setOfEye.get(eye)!,
      (d, t) => progress(d, t, kinds.length > 1 ? `comparing ${kind}` : "comparing", d === t),
    );
    if (io.interactive) io.stderr("\n");
    const tp = performance.now();
    const protocol = measureEnrolmentProtocol(
      byEye,
      profile,
      (eye) => setOfEye.get(eye)!,
      {},
      (d, t) =>
        progress(d, t, kinds.length > 1 ? `enrolment protocol ${kind}` : "enrolment protocol", d === t),
    );
    protocolMs += performance.now() - tp;
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
            enrolmentProtocol:
              name === "pooled" ? protocol.pooled : (protocol.byGroup.get(name) ?? EMPTY_PROTOCOL),
          }),
          distances,
        });
        io.stderr(`${protocolLine(groups.at(-1)!.report)}\n`);
      } catch (error) {
        if (!ZkirisError.is(error)) throw error;
        unmeasured.push({ set: name, degradation: kind, reason: error.message });
        io.stderr(`zkiris: cannot measure accuracy of ${name} (${kind}): ${error.message}\n`);
      }
    }
  }
  const compareSeconds = (performance.now() - t1 - protocolMs) / 1000;
  const dedup = (
    profile as {
      readonly deduplication?: { readonly thresholdPer10k?: unknown; readonly referenceBits?: unknown };
    }
  ).deduplication;
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
      ...(typeof dedup?.referenceBits === "number"
        ? { deduplicationReferenceBits: dedup.referenceBits }
        : {}),
      minUsableBits: profile.minUsableBits,
    },
    backend: encoder.backend,
    modelSource: encoder.modelSource,
    workers,
    msPerImage: Math.round(((encodeSeconds * 1000) / total) * 10) / 10,
    encodeSeconds: Math.round(encodeSeconds * 10) / 10,
    compareSeconds: Math.round(compareSeconds * 10) / 10,
    protocolSeconds: Math.round(protocolMs / 100) / 10,
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
        `profile ${profile.name}: geometry ${formatGeometry(profile.geometry)}, shifts ±${profile.maxShift}, verification threshold ${profile.thresholdPer10k / 10_000}${typeof dedup?.thresholdPer10k === "number" ? `, deduplication threshold ${dedup.thresholdPer10k / 10_000}${typeof dedup.referenceBits === "number" ? ` (normalised, ${dedup.referenceBits} reference bits)` : ""}` : ""}, min usable bits ${profile.minUsableBits}`,
        `backend ${encoder.backend}, model ${encoder.modelSource}; ${total} encodings in ${full.encodeSeconds} s on ${workers} worker${workers > 1 ? "s" : ""} (${full.msPerImage} ms each, wall clock), comparisons ${full.compareSeconds} s, enrolment protocol ${full.protocolSeconds} s`,
      ],
      groups,
      unmeasured,
    }),
  );
  io.stdout(`${JSON.stringify(full, null, 2)}\n`);
  io.stderr(`wrote ${path.join(out, "report.json")}, ${headline ? "accuracy.svg, " : ""}accuracy.html\n`);
  return unmeasured.length === 0 ? EXIT.OK : EXIT.FAILED;
}

/** One line of the progress output: the enrolment protocol's figures of a group. */
function protocolLine(r: AccuracyGroupReport): string {
  const p = r.enrolmentProtocol!;
  const rate = (v: number | null) => (v === null ? "-" : `${(100 * v).toFixed(2)}%`);
  const { enrolments: e, secondEnrolment: a, templateImpostors: t } = p;
  return `enrolment protocol ${r.set} (${r.degradation}): ${e.accepted} of ${e.formed} enrolments of ${p.eyes} eyes accepted (refused: ${e.refused.captureUsableBits} capture floor, ${e.refused.inconsistentCaptures} inconsistent, ${e.refused.templateUsableBits} template floor); second enrolment missed ${a.misses} of ${a.attempts} (FNMR ${rate(a.fnmr)}, GFNMR ${rate(a.gfnmr)}; ${a.capturesOnly} with 1-2 captures), per capture ${a.perCapture.misses} of ${a.perCapture.comparisons} (${rate(a.perCapture.fnmr)}); template impostors ${t.matches} of ${t.comparisons}, closest ${t.closest === null ? "-" : t.closest.toFixed(4)}`;
}

const EMPTY_PROTOCOL = measureEnrolmentProtocol(new Map(), DEFAULT_PROFILE, () => "").pooled;

const EMPTY_DISTANCES: PairDistances = {
  genuine: new Float64Array(0),
  impostor: new Float64Array(0),
  impostorUnshifted: new Float64Array(0),
};
