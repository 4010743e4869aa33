/**
 * Code realism card: genuine and impostor distance distributions of mock captures next to the two
 * real near-infrared sample sets, all through the project's encoder (`IrisEncoder`, default
 * profile, wasm backend) and comparison (`pairDistances`: best of ±8 shifts, 720 usable bits).
 * The real sets are read in place from ../shared/datasets (skipped when absent).
 *
 *   npx tsx --conditions=zkiris-source bench/mock-capture/code-realism.ts \
 *     [--subjects 100] [--captures 4] [--presets default,hard] [--real casia,iitd|none] [--seed code-realism]
 *
 * Mock eye `s` of a preset is subject seed `<seed>-<s>`, captures 1..M. Baseline, in the same
 * process: the real sets, measured the same way; the last rows are the mock/real ratios.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type ImageInput,
  IrisEncoder,
  type PairDistances,
  pairDistances,
  QualityGateError,
} from "@zkiris/encoder";
import { DEFAULT_PROFILE, type IrisCode } from "@zkiris/iris-code";
import { type CapturePreset, renderCapture } from "@zkiris/mock-capture";

const args = process.argv.slice(2);
function flag(name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
}
const subjects = Number(flag("subjects", "100"));
const captures = Number(flag("captures", "4"));
const presets = flag("presets", "default,hard").split(",").filter(Boolean) as CapturePreset[];
const realWanted = flag("real", "casia,iitd")
  .split(",")
  .filter((s) => s && s !== "none");
const seed = flag("seed", "code-realism");

const REAL_SETS: Record<string, string> = {
  casia: "casia-iris-interval-sample",
  iitd: "iitd-sample",
};

/** One measured set: codes per eye and how many images were attempted. */
interface EncodedSet {
  readonly name: string;
  readonly codesByEye: Map<string, IrisCode[]>;
  readonly attempted: number;
}

interface Row {
  readonly name: string;
  readonly images: number;
  readonly fte: number;
  readonly usableBits: number;
  readonly genuine: Float64Array;
  readonly impostor: Float64Array;
  readonly notComparable: number;
}

async function encodeAll(
  encoder: IrisEncoder,
  name: string,
  eyes: { eye: string; inputs: (() => ImageInput)[] }[],
): Promise<EncodedSet> {
  const codesByEye = new Map<string, IrisCode[]>();
  const total = eyes.reduce((a, e) => a + e.inputs.length, 0);
  let done = 0;
  const started = performance.now();
  for (const { eye, inputs } of eyes) {
    const codes: IrisCode[] = [];
    for (const input of inputs) {
      try {
        codes.push((await encoder.encode(input())).code);
      } catch (error) {
        if (!(error instanceof QualityGateError)) throw error;
      }
      done++;
      if (done % 10 === 0 || done === total) {
        const rate = done / ((performance.now() - started) / 1000);
        process.stderr.write(`\r${name}: encoded ${done}/${total} (${rate.toFixed(1)} images/s)   `);
      }
    }
    if (codes.length > 0) codesByEye.set(eye, codes);
  }
  process.stderr.write("\n");
  return { name, codesByEye, attempted: total };
}

function realEyes(dir: string): { eye: string; inputs: (() => ImageInput)[] }[] {
  const eyes: { eye: string; inputs: (() => ImageInput)[] }[] = [];
  for (const eye of readdirSync(dir).sort()) {
    const eyeDir = join(dir, eye);
    if (!statSync(eyeDir).isDirectory()) continue;
    const files = readdirSync(eyeDir)
      .filter((f) => /\.(jpe?g|png|bmp)$/i.test(f))
      .sort();
    eyes.push({ eye, inputs: files.map((f) => () => new Uint8Array(readFileSync(join(eyeDir, f)))) });
  }
  return eyes;
}

function mockEyes(preset: CapturePreset): { eye: string; inputs: (() => ImageInput)[] }[] {
  return Array.from({ length: subjects }, (_, s) => ({
    eye: `mock-${s}`,
    inputs: Array.from({ length: captures }, (_, c) => () => {
      const capture = renderCapture(`${seed}-${s}`, c + 1, { preset });
      return { width: capture.width, height: capture.height, data: capture.pixels };
    }),
  }));
}

function measure(set: EncodedSet): Row {
  let images = 0;
  let bits = 0;
  for (const codes of set.codesByEye.values()) {
    for (const code of codes) {
      images++;
      bits += code.usableBitCount();
    }
  }
  const started = performance.now();
  const d: PairDistances = pairDistances(set.codesByEye, DEFAULT_PROFILE, (done, total) => {
    if (done % 50 === 0 || done === total)
      process.stderr.write(`\r${set.name}: compared ${done}/${total} codes   `);
  });
  process.stderr.write(` (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  return {
    name: set.name,
    images: set.attempted,
    fte: 1 - images / set.attempted,
    usableBits: images ? bits / images : Number.NaN,
    genuine: Float64Array.from(d.genuine).sort(),
    impostor: Float64Array.from(d.impostor).sort(),
    notComparable: (d.genuineNotComparable ?? 0) + (d.impostorNotComparable ?? 0),
  };
}

function meanSd(v: Float64Array): { mean: number; sd: number } {
  if (v.length === 0) return { mean: Number.NaN, sd: Number.NaN };
  let s = 0;
  for (const x of v) s += x;
  const mean = s / v.length;
  let q = 0;
  for (const x of v) q += (x - mean) ** 2;
  return { mean, sd: Math.sqrt(q / v.length) };
}

/** Percentile of sorted values (nearest rank below). */
function pct(sorted: Float64Array, p: number): number {
  return sorted.length ? sorted[Math.floor(p * (sorted.length - 1))]! : Number.NaN;
}

function atMost(sorted: Float64Array, t: number): number {
  let n = 0;
  for (const x of sorted) {
    if (x > t + 1e-12) break;
    n++;
  }
  return n;
}

/** The figures of one row, by column name. */
function figures(r: Row): Record<string, number> {
  const g = meanSd(r.genuine);
  const i = meanSd(r.impostor);
  return {
    FTE: r.fte,
    bits: r.usableBits,
    "gen n": r.genuine.length,
    "gen mean": g.mean,
    "gen sd": g.sd,
    "gen p50": pct(r.genuine, 0.5),
    "gen p95": pct(r.genuine, 0.95),
    "gen max": r.genuine.length ? r.genuine[r.genuine.length - 1]! : Number.NaN,
    "imp n": r.impostor.length,
    "imp mean": i.mean,
    "imp sd": i.sd,
    "imp p0.1": pct(r.impostor, 0.001),
    "imp p1": pct(r.impostor, 0.01),
    "imp min": r.impostor.length ? r.impostor[0]! : Number.NaN,
    "≤0.32 /1e5": (1e5 * atMost(r.impostor, 0.32)) / r.impostor.length,
    "≤0.34 /1e5": (1e5 * atMost(r.impostor, 0.34)) / r.impostor.length,
    "d'": (i.mean - g.mean) / Math.sqrt((i.sd ** 2 + g.sd ** 2) / 2),
  };
}

function format(key: string, v: number): string {
  if (!Number.isFinite(v)) return "-";
  if (key === "FTE") return `${(100 * v).toFixed(1)}%`;
  if (key.endsWith(" n") || key === "bits") return v.toFixed(0);
  if (key.includes("/1e5")) return v.toFixed(1);
  if (key === "d'") return v.toFixed(2);
  return v.toFixed(4);
}

const encoder = await IrisEncoder.create({ backend: "wasm" });
console.log(
  `code realism: profile ${encoder.profile.name}, ${encoder.backend} backend, model ${encoder.modelSource.split("/").slice(-2).join("/")}; mock ${subjects} subjects x ${captures} captures, seed '${seed}'`,
);
const rows: Row[] = [];
const counts: string[] = [];
const datasets = fileURLToPath(new URL("../../../shared/datasets/", import.meta.url));
for (const key of realWanted) {
  const dir = join(datasets, REAL_SETS[key] ?? key);
  if (!existsSync(dir)) {
    console.log(`skipped ${key}: not at ${dir}`);
    continue;
  }
  const row = measure(await encodeAll(encoder, key, realEyes(dir)));
  rows.push(row);
}
const realCount = rows.length;
for (const preset of presets) {
  rows.push(measure(await encodeAll(encoder, `mock ${preset}`, mockEyes(preset))));
}
encoder.close();

const table = rows.map((r) => ({ name: r.name, f: figures(r) }));
const keys = Object.keys(table[0]?.f ?? {});
const width = 11;
const head = (label: string) => label.padEnd(22);
console.log(head("set") + keys.map((k) => k.padStart(width)).join(""));
for (const { name, f } of table)
  console.log(head(name) + keys.map((k) => format(k, f[k]!).padStart(width)).join(""));
for (const mock of table.slice(realCount)) {
  for (const real of table.slice(0, realCount)) {
    console.log(
      head(`${mock.name}/${real.name}`) +
        keys
          .map((k) => {
            const a = mock.f[k]!;
            const b = real.f[k]!;
            return (b === 0 || !Number.isFinite(a / b) ? "-" : (a / b).toFixed(2)).padStart(width);
          })
          .join(""),
    );
  }
}
for (const r of rows) {
  counts.push(
    `${r.name}: impostors ≤ 0.32 / ≤ 0.34: ${atMost(r.impostor, 0.32)} / ${atMost(r.impostor, 0.34)} of ${r.impostor.length}; not comparable ${r.notComparable}`,
  );
}
for (const line of counts) console.log(line);
