/**
 * Development powers-of-tau benchmark: wall time and peak RSS of the tool
 * (`circuits/scripts/dev-ptau-setup.ts`) at 2^10, 2^12, 2^14, 2^16 (and 2^18, 2^20 with --large),
 * against snarkjs 0.7.6's own `powersoftau new` + `contribute` + `prepare phase2` at 2^10 and 2^12
 * as the baseline in the same process. RSS is sampled every 20 ms during each run (the tool's
 * workers are threads of this process), reported as the peak above the RSS before the run.
 *
 *   npx tsx --conditions=zkiris-source bench/setup/ptau.ts [--large] [--powers 10,12,14,16] [--baseline 10,12]
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import * as snarkjs from "snarkjs";
import { writeDevPtau } from "../../circuits/scripts/dev-ptau-setup.js";

interface Run {
  who: "tool" | "snarkjs";
  power: number;
  seconds: number;
  cpuSeconds: number;
  peakRssMiB: number;
  bytes: number;
  detail: string;
}

function list(flag: string, fallback: number[]): number[] {
  const i = process.argv.indexOf(flag);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]!.split(",").map(Number) : fallback;
}

const large = process.argv.includes("--large");
const powers = list("--powers", large ? [10, 12, 14, 16, 18, 20] : [10, 12, 14, 16]);
const baseline = list("--baseline", [10, 12]);

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * Runs `work` while sampling RSS; returns its wall time, the CPU time of the process (all threads:
 * steadier than wall time on a shared machine) and the peak RSS above the start.
 */
async function measured<T>(
  work: () => Promise<T>,
): Promise<{ value: T; seconds: number; cpuSeconds: number; peakRssMiB: number }> {
  const before = process.memoryUsage.rss();
  const cpu = process.cpuUsage();
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  const started = performance.now();
  try {
    const value = await work();
    peak = Math.max(peak, process.memoryUsage.rss());
    const used = process.cpuUsage(cpu);
    return {
      value,
      seconds: (performance.now() - started) / 1000,
      cpuSeconds: (used.user + used.system) / 1e6,
      peakRssMiB: (peak - before) / 2 ** 20,
    };
  } finally {
    clearInterval(timer);
  }
}

/** The snarkjs 0.7.6 setup API the baseline calls (the workspace's snarkjs typings cover proving only). */
interface SnarkjsSetup {
  curves: { getCurveFromName(name: string): Promise<unknown> };
  powersOfTau: {
    newAccumulator(curve: unknown, power: number, file: string, logger?: unknown): Promise<unknown>;
    contribute(from: string, to: string, name: string, entropy: string, logger?: unknown): Promise<unknown>;
    preparePhase2(from: string, to: string, logger?: unknown): Promise<void>;
  };
}
const setup = snarkjs as unknown as SnarkjsSetup;

const silent = { debug() {}, info() {}, warn() {}, error: (m: string) => progress(`snarkjs: ${m}`) };

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "zkiris-ptau-bench-"));
  const runs: Run[] = [];
  progress(
    `${cpus().length} cores (${cpus()[0]?.model}), load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  try {
    for (const power of [...new Set([...powers, ...baseline])].sort((a, b) => a - b)) {
      if (powers.includes(power)) {
        const output = join(dir, `tool_${power}.ptau`);
        progress(`tool 2^${power}...`);
        const m = await measured(() => writeDevPtau({ power, output, onProgress: () => {} }));
        runs.push({
          who: "tool",
          power,
          seconds: m.seconds,
          cpuSeconds: m.cpuSeconds,
          peakRssMiB: m.peakRssMiB,
          bytes: m.value.bytes,
          detail: `windows ${m.value.window.G1}/${m.value.window.G2} bits, ${m.value.threads} threads`,
        });
        await rm(output);
      }
      if (baseline.includes(power)) {
        const f0 = join(dir, `snarkjs_${power}_0000.ptau`);
        const f1 = join(dir, `snarkjs_${power}_0001.ptau`);
        const f2 = join(dir, `snarkjs_${power}_final.ptau`);
        progress(`snarkjs new + contribute + prepare phase2 2^${power}...`);
        const steps: string[] = [];
        const m = await measured(async () => {
          const curve = await setup.curves.getCurveFromName("bn128");
          for (const [name, step] of [
            ["new", () => setup.powersOfTau.newAccumulator(curve, power, f0, silent)],
            [
              "contribute",
              () => setup.powersOfTau.contribute(f0, f1, "bench", randomBytes(32).toString("hex"), silent),
            ],
            ["prepare phase2", () => setup.powersOfTau.preparePhase2(f1, f2, silent)],
          ] as const) {
            const t = performance.now();
            await step();
            steps.push(`${name} ${((performance.now() - t) / 1000).toFixed(1)} s`);
          }
        });
        runs.push({
          who: "snarkjs",
          power,
          seconds: m.seconds,
          cpuSeconds: m.cpuSeconds,
          peakRssMiB: m.peakRssMiB,
          bytes: (await stat(f2)).size,
          detail: steps.join(", "),
        });
        for (const f of [f0, f1, f2]) await rm(f);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    const holder = globalThis as { curve_bn128?: { terminate(): Promise<void> } | null };
    await holder.curve_bn128?.terminate();
  }

  console.log("\nprepared BN254 powers of tau: wall time, CPU time (all threads), peak RSS above the start");
  console.log("| who     | power | wall s | CPU s | peak RSS MiB | file MiB | detail |");
  console.log("| ------- | ----- | ------ | ----- | ------------ | -------- | ------ |");
  for (const r of runs) {
    console.log(
      `| ${r.who.padEnd(7)} | 2^${String(r.power).padEnd(3)} | ${r.seconds.toFixed(1).padStart(6)} | ${r.cpuSeconds
        .toFixed(1)
        .padStart(
          5,
        )} | ${r.peakRssMiB.toFixed(0).padStart(12)} | ${(r.bytes / 2 ** 20).toFixed(1).padStart(8)} | ${
        r.detail
      } |`,
    );
  }
  console.log("\nratios (snarkjs / tool, same process):");
  for (const power of baseline) {
    const tool = runs.find((r) => r.who === "tool" && r.power === power);
    const base = runs.find((r) => r.who === "snarkjs" && r.power === power);
    if (tool && base) {
      console.log(
        `  2^${power}: wall ${(base.seconds / tool.seconds).toFixed(1)}x, CPU ${(base.cpuSeconds / tool.cpuSeconds).toFixed(1)}x`,
      );
    }
  }
  const tools = runs.filter((r) => r.who === "tool");
  for (let i = 1; i < tools.length; i++) {
    const a = tools[i - 1]!;
    const b = tools[i]!;
    console.log(
      `  tool 2^${a.power} -> 2^${b.power}: wall x${(b.seconds / a.seconds).toFixed(2)}, CPU x${(b.cpuSeconds / a.cpuSeconds).toFixed(2)}`,
    );
  }
  console.log(
    `load average after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
