/**
 * Rendering throughput of the mock capture device.
 *
 *   npx tsx --conditions=zkiris-source bench/mock-capture/render.ts [images]
 *
 * Baseline, in the same process: filling a buffer of the same size with a constant grey (the
 * least any renderer has to do per image). Prints images/s for rendering, for PNG encoding and
 * for both, and each against the baseline.
 */
import { renderCapture } from "@zkiris/mock-capture";

const count = Number(process.argv[2] ?? 200);
const width = 320;
const height = 280;

interface Rate {
  /** Images per wall-clock second. */
  perSecond: number;
  /** CPU milliseconds (user + system) per image: less sensitive to other processes on a shared machine. */
  cpuMs: number;
}

function measure(label: string, n: number, fn: (k: number) => unknown): Rate {
  for (let k = 0; k < Math.min(10, n); k++) fn(1_000_000 + k); // warm-up
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  let lastReport = started;
  let sink = 0;
  for (let k = 0; k < n; k++) {
    const out = fn(k);
    if (out instanceof Uint8Array) sink ^= out[k % out.length]!;
    const now = performance.now();
    if (now - lastReport > 1000) {
      lastReport = now;
      process.stderr.write(`\r  ${label}: ${k}/${n}`);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  process.stderr.write(`\r${" ".repeat(60)}\r`);
  if (sink === -1) console.log("unreachable");
  return { perSecond: n / seconds, cpuMs: (cpu.user + cpu.system) / 1000 / n };
}

const fill = measure("baseline fill", count * 20, (k) => new Uint8Array(width * height).fill(k & 0xff));
const render = measure("render", count, (k) => renderCapture(`bench-${k % 20}`, k).pixels);
const renderHard = measure(
  "render hard",
  count,
  (k) => renderCapture(`bench-${k % 20}`, k, { preset: "hard" }).pixels,
);
const fresh = measure(
  "render, new subject each time",
  Math.ceil(count / 4),
  (k) => renderCapture(`fresh-${k}`, 1).pixels,
);
const captures = Array.from({ length: 20 }, (_, k) => renderCapture(`bench-${k}`, k));
const png = measure("png", count, (k) => captures[k % 20]!.toPng());
const both = measure("render+png", count, (k) => renderCapture(`bench-${k % 20}`, k).toPng());

const row = (label: string, rate: Rate) =>
  console.log(
    `${label.padEnd(38)} ${rate.perSecond.toFixed(1).padStart(9)} images/s ${(1000 / rate.perSecond).toFixed(2).padStart(7)} ms/image ${rate.cpuMs.toFixed(2).padStart(7)} CPU ms/image  ${(rate.cpuMs / fill.cpuMs).toFixed(0).padStart(5)}x baseline CPU time`,
  );
console.log(`mock capture rendering, ${width}x${height}, ${count} images per row (Node ${process.version})`);
row("baseline: constant fill", fill);
row("renderCapture (default preset)", render);
row("renderCapture (hard preset)", renderHard);
row("renderCapture (uncached new subject)", fresh);
row("toPng", png);
row("renderCapture + toPng", both);
