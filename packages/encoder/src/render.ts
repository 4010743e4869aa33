import type { AccuracyReport, PairDistances, ThresholdOutcome } from "./accuracy.js";
import type { AccuracyGroupReport } from "./accuracy-group.js";
import { binomialFalseMatch, normalCdf, type TailProbabilities } from "./impostor-tail.js";

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function histogram(values: Float64Array, bins: number): Float64Array {
  const h = new Float64Array(bins);
  for (const v of values) h[Math.min(bins - 1, Math.floor(v * bins))]! += 1;
  const n = values.length || 1;
  for (let i = 0; i < bins; i++) h[i] = h[i]! / n;
  return h;
}

function rateAtMost(sorted: Float64Array, t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return sorted.length ? lo / sorted.length : 0;
}

/**
 * A self-contained SVG with the genuine and impostor distance histograms (left) and the DET
 * curve, FNMR against FMR on log axes (right), annotated with the report's figures.
 */
export function renderAccuracySvg(
  report: AccuracyReport,
  distances: PairDistances,
  title = "zkiris accuracy",
): string {
  const W = 980;
  const H = 420;
  const bins = 100;
  const g = histogram(distances.genuine, bins);
  const im = histogram(distances.impostor, bins);
  const hmax = Math.max(...g, ...im, 1e-9);
  const px = 60;
  const py = 50;
  const pw = 400;
  const ph = 300;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`,
    `<rect x="${px}" y="${py}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`,
  );
  const bar = (h: Float64Array, colour: string) => {
    let d = `M${px},${py + ph}`;
    for (let i = 0; i < bins; i++) {
      const x0 = px + (i / bins) * pw;
      const x1 = px + ((i + 1) / bins) * pw;
      const y = py + ph - (h[i]! / hmax) * ph;
      d += ` L${x0.toFixed(1)},${y.toFixed(1)} L${x1.toFixed(1)},${y.toFixed(1)}`;
    }
    d += ` L${px + pw},${py + ph} Z`;
    parts.push(`<path d="${d}" fill="${colour}" fill-opacity="0.45" stroke="${colour}"/>`);
  };
  bar(im, "#d62728");
  bar(g, "#1f77b4");
  for (let t = 0; t <= 10; t += 2) {
    const x = px + (t / 10) * pw;
    parts.push(`<line x1="${x}" y1="${py + ph}" x2="${x}" y2="${py + ph + 4}" stroke="#333"/>`);
    parts.push(`<text x="${x}" y="${py + ph + 17}" text-anchor="middle">${(t / 10).toFixed(1)}</text>`);
  }
  const op4 = report.operatingPoints.find((p) => p.fmr === 1e-4);
  if (op4) {
    const x = px + (op4.thresholdPer10k / 10_000) * pw;
    parts.push(`<line x1="${x}" y1="${py}" x2="${x}" y2="${py + ph}" stroke="#555" stroke-dasharray="4 3"/>`);
    parts.push(
      `<text x="${x + 3}" y="${py + 12}" fill="#555">t@FMR1e-4 = ${(op4.thresholdPer10k / 10_000).toFixed(4)}</text>`,
    );
  }
  parts.push(
    `<text x="${px + pw / 2}" y="${py + ph + 34}" text-anchor="middle">fractional Hamming distance (best shift)</text>`,
    `<text x="${px + 8}" y="${py + 28}" fill="#1f77b4">genuine n=${report.genuine.count} mean ${report.genuine.mean.toFixed(3)} sd ${report.genuine.std.toFixed(3)}</text>`,
    `<text x="${px + 8}" y="${py + 44}" fill="#d62728">impostor n=${report.impostor.count} mean ${report.impostor.mean.toFixed(3)} sd ${report.impostor.std.toFixed(3)}</text>`,
    `<text x="${px + 8}" y="${py + 60}">d' = ${report.dPrime.toFixed(2)}, EER = ${(100 * report.eer).toFixed(2)}%, FTE = ${(100 * report.failureToEnrol).toFixed(2)}%</text>`,
  );
  // DET curve.
  const qx = 560;
  const qw = 380;
  const decades = 5;
  parts.push(`<rect x="${qx}" y="${py}" width="${qw}" height="${ph}" fill="none" stroke="#333"/>`);
  const lx = (v: number) => qx + ((Math.log10(Math.max(v, 10 ** -decades)) + decades) / decades) * qw;
  const ly = (v: number) => py + ph - ((Math.log10(Math.max(v, 10 ** -decades)) + decades) / decades) * ph;
  for (let e = -decades; e <= 0; e++) {
    const v = 10 ** e;
    parts.push(`<line x1="${lx(v)}" y1="${py}" x2="${lx(v)}" y2="${py + ph}" stroke="#eee"/>`);
    parts.push(`<line x1="${qx}" y1="${ly(v)}" x2="${qx + qw}" y2="${ly(v)}" stroke="#eee"/>`);
    parts.push(`<text x="${lx(v)}" y="${py + ph + 17}" text-anchor="middle">1e${e}</text>`);
    parts.push(`<text x="${qx - 5}" y="${ly(v) + 4}" text-anchor="end">1e${e}</text>`);
  }
  const gs = Float64Array.from(distances.genuine).sort();
  const is = Float64Array.from(distances.impostor).sort();
  let d = "";
  for (let i = 0; i <= 2000; i++) {
    const t = i / 2000;
    const fmr = rateAtMost(is, t);
    const fnmr = 1 - rateAtMost(gs, t);
    d += `${d ? " L" : "M"}${lx(fmr).toFixed(1)},${ly(fnmr).toFixed(1)}`;
  }
  parts.push(`<path d="${d}" fill="none" stroke="#2ca02c" stroke-width="2"/>`);
  parts.push(
    `<text x="${qx + qw / 2}" y="${py + ph + 34}" text-anchor="middle">false match rate</text>`,
    `<text x="${qx - 42}" y="${py + ph / 2}" text-anchor="middle" transform="rotate(-90 ${qx - 42} ${py + ph / 2})">false non-match rate</text>`,
    `<text x="${qx + qw / 2}" y="${py - 8}" text-anchor="middle">DET (rates below 1e-${decades} drawn at the axis)</text>`,
  );
  const notes = report.operatingPoints
    .map((p) => `FNMR ${(100 * p.fnmr).toFixed(2)}% at FMR ${p.fmr}${p.resolved ? "" : " (unresolved)"}`)
    .join("; ");
  parts.push(`<text x="${W / 2}" y="${H - 12}" text-anchor="middle">${esc(notes)}</text>`);
  parts.push("</svg>");
  return parts.join("\n");
}

/** A self-contained HTML page with the SVG picture and the JSON report. */
export function renderAccuracyHtml(
  report: AccuracyReport,
  distances: PairDistances,
  title = "zkiris accuracy",
): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title></head>
<body style="font-family: sans-serif">
${renderAccuracySvg(report, distances, title)}
<pre>${esc(JSON.stringify(report, null, 2))}</pre>
</body></html>
`;
}

/** What {@link renderAccuracyRunHtml} draws: groups of one run, each with its distances. */
export interface AccuracyRunView {
  readonly title: string;
  /** Lines of context shown under the title (datasets, profile, backend, timings). */
  readonly meta: readonly string[];
  readonly groups: readonly { readonly report: AccuracyGroupReport; readonly distances: PairDistances }[];
  /** Groups that could not be measured, with the reason. */
  readonly unmeasured?: readonly {
    readonly set: string;
    readonly degradation: string;
    readonly reason: string;
  }[];
}

const SET_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"];
const GENUINE = "#1f77b4";
const IMPOSTOR = "#d62728";

/** Probability for a table: exponent form below 1e-3, percent above. */
function prob(p: number | null | undefined): string {
  if (p === null || p === undefined || Number.isNaN(p)) return "–";
  if (p === 0) return "0";
  if (p < 1e-3) return p.toExponential(2);
  return `${(100 * p).toFixed(2)}%`;
}

const pct = (v: number): string => (Number.isNaN(v) ? "–" : `${(100 * v).toFixed(2)}%`);

interface Frame {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

function svgOpen(w: number, h: number, title: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="11"><rect width="${w}" height="${h}" fill="white"/><text x="${w / 2}" y="16" text-anchor="middle" font-size="13">${esc(title)}</text>`;
}

function linearTicks(f: Frame, x0: number, x1: number, step: number, parts: string[]): (v: number) => number {
  const sx = (v: number) => f.x + ((v - x0) / (x1 - x0)) * f.w;
  for (let v = x0; v <= x1 + 1e-9; v += step) {
    parts.push(
      `<line x1="${sx(v).toFixed(1)}" y1="${f.y}" x2="${sx(v).toFixed(1)}" y2="${f.y + f.h}" stroke="#eee"/>`,
      `<text x="${sx(v).toFixed(1)}" y="${f.y + f.h + 14}" text-anchor="middle">${v.toFixed(2)}</text>`,
    );
  }
  return sx;
}

function logAxisY(f: Frame, lo: number, hi: number, parts: string[]): (v: number) => number {
  const sy = (v: number) => {
    const e = Math.log10(Math.max(v, 10 ** lo));
    return f.y + f.h - ((e - lo) / (hi - lo)) * f.h;
  };
  const step = hi - lo > 8 ? 2 : 1;
  for (let e = lo; e <= hi; e += step) {
    parts.push(
      `<line x1="${f.x}" y1="${sy(10 ** e).toFixed(1)}" x2="${f.x + f.w}" y2="${sy(10 ** e).toFixed(1)}" stroke="#eee"/>`,
      `<text x="${f.x - 4}" y="${(sy(10 ** e) + 4).toFixed(1)}" text-anchor="end">1e${e}</text>`,
    );
  }
  return sy;
}

function thresholdLines(
  f: Frame,
  sx: (v: number) => number,
  thresholds: readonly ThresholdOutcome[],
  parts: string[],
): void {
  thresholds.forEach((t, i) => {
    const x = sx(t.thresholdPer10k / 10_000);
    if (x < f.x || x > f.x + f.w) return;
    parts.push(
      `<line x1="${x.toFixed(1)}" y1="${f.y}" x2="${x.toFixed(1)}" y2="${f.y + f.h}" stroke="#777" stroke-dasharray="3 3"/>`,
      `<text x="${(x + 2).toFixed(1)}" y="${f.y + 10 + 10 * i}" fill="#555" font-size="9">${esc(t.label)}</text>`,
    );
  });
}

/** Genuine and impostor histograms over [0, 0.6] in bins of 0.005: density, or count on a log axis. */
function histogramSvg(report: AccuracyGroupReport, distances: PairDistances, logCount: boolean): string {
  const W = 440;
  const H = 300;
  const f: Frame = { x: 50, y: 28, w: 380, h: 230 };
  const bins = 120;
  const top = 0.6;
  const count = (values: Float64Array) => {
    const h = new Float64Array(bins);
    for (const v of values) h[Math.min(bins - 1, Math.floor((v / top) * bins))]! += 1;
    return h;
  };
  const g = count(distances.genuine);
  const im = count(distances.impostor);
  const parts = [
    svgOpen(W, H, logCount ? "distances, count on a log axis" : "distances, density (each sums to 1)"),
  ];
  const sx = linearTicks(f, 0, top, 0.1, parts);
  let sy: (v: number) => number;
  let value: (h: Float64Array, i: number) => number;
  if (logCount) {
    const maxCount = Math.max(1, ...g, ...im);
    const hi = Math.max(1, Math.ceil(Math.log10(maxCount)));
    sy = logAxisY(f, 0, hi, parts);
    value = (h, i) => h[i]!;
  } else {
    const gn = distances.genuine.length || 1;
    const inn = distances.impostor.length || 1;
    let max = 1e-9;
    for (let i = 0; i < bins; i++) max = Math.max(max, g[i]! / gn, im[i]! / inn);
    sy = (v: number) => f.y + f.h - (v / max) * f.h;
    value = (h, i) => h[i]! / (h === g ? gn : inn);
  }
  const path = (h: Float64Array, colour: string) => {
    let d = `M${f.x},${f.y + f.h}`;
    for (let i = 0; i < bins; i++) {
      const v = value(h, i);
      const y = logCount && v < 1 ? f.y + f.h : sy(v);
      d += ` L${sx((i / bins) * top).toFixed(1)},${y.toFixed(1)} L${sx(((i + 1) / bins) * top).toFixed(1)},${y.toFixed(1)}`;
    }
    d += ` L${f.x + f.w},${f.y + f.h} Z`;
    parts.push(`<path d="${d}" fill="${colour}" fill-opacity="0.35" stroke="${colour}" stroke-width="1"/>`);
  };
  path(im, IMPOSTOR);
  path(g, GENUINE);
  thresholdLines(f, sx, report.thresholds.slice(0, 1), parts);
  parts.push(
    `<rect x="${f.x}" y="${f.y}" width="${f.w}" height="${f.h}" fill="none" stroke="#333"/>`,
    `<text x="${f.x + f.w / 2}" y="${H - 10}" text-anchor="middle">fractional Hamming distance (best of the shifts)</text>`,
    `<text x="${f.x + f.w - 4}" y="${f.y + 14}" text-anchor="end" fill="${GENUINE}">genuine n=${report.genuine.count}</text>`,
    `<text x="${f.x + f.w - 4}" y="${f.y + 28}" text-anchor="end" fill="${IMPOSTOR}">impostor n=${report.impostor.count}</text>`,
    "</svg>",
  );
  return parts.join("");
}

/** Empirical impostor CDF (minima and shift 0) on a log axis with the fitted tail models. */
function tailSvg(report: AccuracyGroupReport, distances: PairDistances): string {
  const W = 440;
  const H = 300;
  const f: Frame = { x: 50, y: 28, w: 380, h: 230 };
  const tail = report.impostorTail;
  const parts = [svgOpen(W, H, "impostor lower tail: empirical CDF and fits")];
  const x0 = 0.15;
  const x1 = 0.5;
  const lo = -12;
  const sx = linearTicks(f, x0, x1, 0.05, parts);
  const sy = logAxisY(f, lo, 0, parts);
  const steps = 350;
  const curve = (F: (x: number) => number | null, colour: string, dash = "", width = 1.5) => {
    let d = "";
    for (let i = 0; i <= steps; i++) {
      const x = x0 + ((x1 - x0) * i) / steps;
      const v = F(x);
      if (v === null || !(v > 10 ** lo)) {
        if (d && !d.endsWith("|")) d += "|";
        continue;
      }
      d += `${d === "" || d.endsWith("|") ? "M" : " L"}${sx(x).toFixed(1)},${sy(v).toFixed(1)}`;
    }
    d = d.replace(/\|/g, " ");
    if (d.trim())
      parts.push(
        `<path d="${d}" fill="none" stroke="${colour}" stroke-width="${width}"${dash ? ` stroke-dasharray="${dash}"` : ""}/>`,
      );
  };
  const empirical = (values: Float64Array | undefined, colour: string) => {
    if (!values || values.length === 0) return;
    const sorted = Float64Array.from(values).sort();
    const n = sorted.length;
    // Every point of the lowest 300, then a coarse grid: the staircase of the tail stays visible.
    let d = "";
    let last = -1;
    const limit = Math.min(n, 300);
    for (let i = 0; i < n; i++) {
      if (i >= limit && sorted[i]! < last + (x1 - x0) / steps && i < n - 1) continue;
      const x = sorted[i]!;
      if (x > x1) break;
      last = x;
      const F = (i + 1) / n;
      const px = sx(Math.max(x, x0)).toFixed(1);
      d += d ? ` L${px},${sy(i / n).toFixed(1)} L${px},${sy(F).toFixed(1)}` : `M${px},${sy(F).toFixed(1)}`;
    }
    if (d) parts.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="2"/>`);
  };
  empirical(distances.impostorUnshifted, "#bbb");
  empirical(distances.impostor, IMPOSTOR);
  const legend: [string, string, string][] = [
    [IMPOSTOR, "", "empirical, best of shifts"],
    ["#bbb", "", "empirical, shift 0"],
  ];
  if (tail) {
    const b = tail.binomial;
    curve((x) => binomialFalseMatch(x, b, 1), "#888", "4 3");
    curve((x) => binomialFalseMatch(x, b, tail.shifts), "#000");
    curve((x) => binomialFalseMatch(x, b, tail.effectiveShifts), "#9467bd");
    legend.push(
      ["#888", "4 3", `binomial p=${b.p.toFixed(3)} N=${b.degreesOfFreedom}, one shift`],
      ["#000", "", `binomial, min of m=${tail.shifts} shifts`],
      ["#9467bd", "", `binomial, min of m_eff=${tail.effectiveShifts.toFixed(2)}`],
    );
    const gt = tail.empiricalTail?.gaussian;
    if (gt) {
      curve((x) => normalCdf((x - gt.mean) / gt.std), "#2ca02c", "6 2");
      legend.push(["#2ca02c", "6 2", `Gaussian fit to lowest ${tail.empiricalTail!.points} minima`]);
    }
    const ll = tail.empiricalTail?.logLinear;
    if (ll) {
      curve((x) => Math.min(1, Math.exp(ll.intercept + ll.slope * x)), "#ff7f0e", "2 2");
      legend.push(["#ff7f0e", "2 2", "log-linear fit to the same points"]);
    }
  }
  thresholdLines(f, sx, report.thresholds, parts);
  parts.push(
    `<rect x="${f.x + 174}" y="${f.y + f.h - 100}" width="${f.w - 176}" height="98" fill="white" fill-opacity="0.85"/>`,
  );
  legend.forEach(([colour, dash, label], i) => {
    const y = f.y + f.h - 8 - 13 * (legend.length - 1 - i);
    parts.push(
      `<line x1="${f.x + 178}" y1="${y - 3}" x2="${f.x + 196}" y2="${y - 3}" stroke="${colour}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ""}/>`,
      `<text x="${f.x + 200}" y="${y}" font-size="9.5">${esc(label)}</text>`,
    );
  });
  parts.push(
    `<rect x="${f.x}" y="${f.y}" width="${f.w}" height="${f.h}" fill="none" stroke="#333"/>`,
    `<text x="${f.x + f.w / 2}" y="${H - 10}" text-anchor="middle">distance threshold t; P(impostor distance &lt;= t)</text>`,
    "</svg>",
  );
  return parts.join("");
}

/** DET curves (FNMR against FMR, log axes) of several groups overlaid. */
function detSvg(
  title: string,
  groups: readonly { readonly report: AccuracyGroupReport; readonly distances: PairDistances }[],
): string {
  const W = 560;
  const H = 420;
  const f: Frame = { x: 60, y: 28, w: 330, h: 340 };
  const fmrDecades = 7;
  const fnmrDecades = 4;
  const parts = [svgOpen(W, H, title)];
  const sx = (v: number) =>
    f.x + ((Math.log10(Math.max(v, 10 ** -fmrDecades)) + fmrDecades) / fmrDecades) * f.w;
  const sy = logAxisY(f, -fnmrDecades, 0, parts);
  for (let e = -fmrDecades; e <= 0; e++) {
    parts.push(
      `<line x1="${sx(10 ** e).toFixed(1)}" y1="${f.y}" x2="${sx(10 ** e).toFixed(1)}" y2="${f.y + f.h}" stroke="#eee"/>`,
      `<text x="${sx(10 ** e).toFixed(1)}" y="${f.y + f.h + 14}" text-anchor="middle">1e${e}</text>`,
    );
  }
  groups.forEach(({ report, distances }, k) => {
    const colour = report.set === "pooled" ? "#000" : SET_COLOURS[k % SET_COLOURS.length]!;
    const g = Float64Array.from(distances.genuine).sort();
    const im = Float64Array.from(distances.impostor).sort();
    const nG = g.length + (distances.genuineNotComparable ?? 0);
    const nI = im.length + (distances.impostorNotComparable ?? 0);
    const ts = new Set<number>();
    for (let i = 0; i <= 1000; i++) ts.add(i / 1000);
    for (let i = 0; i < Math.min(im.length, 400); i++) ts.add(im[i]!);
    const sorted = [...ts].sort((a, b) => a - b);
    let d = "";
    for (const t of sorted) {
      const fmr = (rateAtMost(im, t) * im.length) / nI;
      const fnmr = 1 - (rateAtMost(g, t) * g.length) / nG;
      if (fmr === 0) continue;
      d += `${d ? " L" : "M"}${sx(fmr).toFixed(1)},${sy(fnmr).toFixed(1)}`;
    }
    parts.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    const y = f.y + 14 + 30 * k;
    parts.push(
      `<line x1="${f.x + f.w + 12}" y1="${y - 4}" x2="${f.x + f.w + 30}" y2="${y - 4}" stroke="${colour}" stroke-width="3"/>`,
      `<text x="${f.x + f.w + 34}" y="${y}">${esc(report.set)}</text>`,
      `<text x="${f.x + f.w + 34}" y="${y + 13}" font-size="10" fill="#555">EER ${pct(report.eer)}, d' ${report.dPrime.toFixed(2)}</text>`,
    );
  });
  parts.push(
    `<rect x="${f.x}" y="${f.y}" width="${f.w}" height="${f.h}" fill="none" stroke="#333"/>`,
    `<text x="${f.x + f.w / 2}" y="${f.y + f.h + 30}" text-anchor="middle">false match rate</text>`,
    `<text x="${f.x + f.w / 2}" y="${f.y + f.h + 44}" text-anchor="middle" font-size="10" fill="#555">curves end where FMR reaches 1/(impostor pairs); FNMR 0 drawn at the axis</text>`,
    `<text x="16" y="${f.y + f.h / 2}" text-anchor="middle" transform="rotate(-90 16 ${f.y + f.h / 2})">false non-match rate</text>`,
    "</svg>",
  );
  return parts.join("");
}

function refusalText(refusals: Readonly<Record<string, number>>): string {
  const e = Object.entries(refusals).sort((a, b) => b[1] - a[1]);
  return e.length ? e.map(([k, v]) => `${k} ${v}`).join(", ") : "none";
}

function summaryTable(groups: AccuracyRunView["groups"]): string {
  const fmrs = groups[0]?.report.operatingPoints.map((p) => p.fmr) ?? [];
  const head = `<tr><th>degradation</th><th>set</th><th>images</th><th>FTE</th><th>refusals by gate</th><th>genuine mean ± sd (pairs)</th><th>impostor mean ± sd (pairs)</th><th>d'</th><th>EER</th>${fmrs
    .map((f) => `<th>FNMR / GFNMR at FMR ${f}</th>`)
    .join("")}</tr>`;
  const rows = groups.map(({ report: r }) => {
    const ops = r.operatingPoints
      .map((p) =>
        p.resolved ? `<td>${pct(p.fnmr)} / ${pct(p.gfnmr)}</td>` : `<td class="unresolved">unresolved</td>`,
      )
      .join("");
    return `<tr${r.set === "pooled" ? ' class="pooled"' : ""}><td class="l">${esc(r.degradation)}</td><td class="l">${esc(r.set)}</td><td>${r.attempted}</td><td>${pct(r.failureToEnrol)}</td><td>${esc(refusalText(r.refusals))}</td><td>${r.genuine.mean.toFixed(4)} ± ${r.genuine.std.toFixed(4)} (${r.genuine.count})</td><td>${r.impostor.mean.toFixed(4)} ± ${r.impostor.std.toFixed(4)} (${r.impostor.count})</td><td>${r.dPrime.toFixed(2)}</td><td>${pct(r.eer)} at ${r.eerThreshold.toFixed(4)}</td>${ops}</tr>`;
  });
  return `<table>${head}${rows.join("")}</table>`;
}

/**
 * The deduplication decision on the normalised distance, one row per group: its threshold's
 * false duplicates counted, FNMR and GFNMR, FNMR at each FMR target, and the fitted probability
 * of a false duplicate among a million enrolled people.
 */
/** The enrolment protocol's figures of every group (see `EnrolmentProtocolReport`). */
function protocolTable(groups: AccuracyRunView["groups"]): string {
  const rows = groups.flatMap(({ report: r }) => {
    const p = r.enrolmentProtocol;
    if (!p) return [];
    const rate = (v: number | null) => (v === null ? "–" : pct(v));
    const { enrolments: e, secondEnrolment: a, templateImpostors: t } = p;
    return [
      `<tr${r.set === "pooled" ? ' class="pooled"' : ""}><td class="l">${esc(r.degradation)}</td><td class="l">${esc(r.set)}</td><td>${p.eyes}</td><td>${e.accepted} of ${e.formed}</td><td>${e.refused.captureUsableBits} / ${e.refused.inconsistentCaptures} / ${e.refused.templateUsableBits}</td><td>${rate(e.failureToEnrol)}</td><td>${a.misses} of ${a.attempts}${a.capturesOnly ? ` (${a.capturesOnly} with 1–2 captures)` : ""}</td><td>${rate(a.fnmr)} / ${rate(a.gfnmr)}</td><td>${a.perCapture.misses} of ${a.perCapture.comparisons}: ${rate(a.perCapture.fnmr)}</td><td>${t.matches} of ${t.comparisons}</td><td>${t.closest === null ? "–" : t.closest.toFixed(4)}</td></tr>`,
    ];
  });
  if (rows.length === 0) return "";
  const close = groups.flatMap(({ report: r }) => {
    const c = r.enrolmentProtocol?.templateImpostors.closeEyes;
    if (!c || c.total === 0) return [];
    const pairs = c.listed
      .slice(0, 5)
      .map(
        (p) =>
          `${esc(p.eyes[0])} → ${esc(p.eyes[1])} ${p.matches} of ${p.comparisons} (closest ${p.closest.toFixed(4)})`,
      )
      .join("; ");
    return [
      `<li>${esc(r.set)} — ${esc(r.degradation)}: ${c.total} eye pair(s) with template matches: ${pairs}${c.total > 5 ? "; …" : ""}</li>`,
    ];
  });
  return `<h2>enrolment protocol</h2>
<p class="note">The registry's enrolment protocol replayed on every eye with 4 or more accepted codes: enrolments of 3 captures (every 3-subset, at most 10 per eye spread evenly), checked in the registry's order (each capture's usable bits, each pair matching under the verification decision, the template's usable bits). Each accepted template is then searched, under the deduplication decision, by a second enrolment of the same eye with up to 5 of its other captures: their template and every capture when 3 or more remain, the captures alone when 1 or 2 remain (an upper bound on the miss rate: the registry would require 3 and search their template too). GFNMR counts a refused enrolment as a miss. Template impostors: every accepted template against every code (over the floor) of every other eye.</p>
<table><tr><th>degradation</th><th>set</th><th>eyes</th><th>enrolments accepted</th><th>refused: capture floor / inconsistent / template floor</th><th>FTE</th><th>second enrolments missed</th><th>FNMR / GFNMR</th><th>per capture missed</th><th>template impostor matches</th><th>closest</th></tr>${rows.join("")}</table>${close.length ? `<p class="note">Template (eye) → code (eye), matches of comparisons:</p><ul class="meta">${close.join("")}</ul>` : ""}`;
}

function deduplicationTable(groups: AccuracyRunView["groups"]): string {
  const first = groups.find((g) => g.report.deduplication)?.report.deduplication;
  if (!first) return "";
  const fmrs = first.operatingPoints.map((p) => p.fmr);
  const head = `<tr><th>degradation</th><th>set</th><th>impostor pairs at or under (of all)</th><th>FNMR / GFNMR</th>${fmrs
    .map((f) => `<th>FNMR at FMR ${f}</th>`)
    .join("")}<th>P(false duplicate), N=1e6: binomial / log-linear tail</th></tr>`;
  const rows = groups.map(({ report: r }) => {
    const d = r.deduplication;
    if (!d) return "";
    const t = d.thresholds[0]!;
    const tail = d.impostorTail?.thresholds[0]?.falseDuplicate.find((f) => f.population === 1e6);
    const ops = d.operatingPoints
      .map((p) => (p.resolved ? `<td>${pct(p.fnmr)}</td>` : `<td class="unresolved">unresolved</td>`))
      .join("");
    return `<tr${r.set === "pooled" ? ' class="pooled"' : ""}><td class="l">${esc(r.degradation)}</td><td class="l">${esc(r.set)}</td><td>${t.impostorPairsAtOrUnder} of ${t.impostorPairs}</td><td>${pct(t.fnmr)} / ${pct(t.gfnmr)}</td>${ops}<td>${tail ? `${prob(tail.probability.binomial)} / ${prob(tail.probability.logLinearTail)}` : "–"}</td></tr>`;
  });
  return `<h2>deduplication: normalised distance ${(first.thresholdPer10k / 10_000).toFixed(4)} at ${first.referenceBits} reference bits</h2>
<p class="note">The enrolment decision uses Daugman's normalised distance 0.5 − (0.5 − HD)·√(min(u, ${first.referenceBits}) / ${first.referenceBits}) of the u jointly usable bits, minimised over the shifts: a distance from fewer than ${first.referenceBits} bits is weaker evidence and is pulled towards 0.5; from ${first.referenceBits} bits on the raw distance decides. FMR targets and the tail fit are on the normalised distances.</p>
<table>${head}${rows.join("")}</table>`;
}

/**
 * The pairs of different eyes whose images the enrolment decision matches: failed segmentations,
 * or one eye under two labels (many matches at a genuine-like distance), for a person to look at.
 */
function closeEyesTable(report: AccuracyGroupReport): string {
  const { total, listed } = report.closeImpostorEyes;
  if (total === 0)
    return `<p class="note">No pair of different eyes has a comparison the enrolment decision matches.</p>`;
  const rows = listed
    .map(
      (c) =>
        `<tr><td class="l">${esc(c.eyes[0])}</td><td class="l">${esc(c.eyes[1])}</td><td>${c.matches} of ${c.comparisons}</td><td>${c.closest.toFixed(4)}</td></tr>`,
    )
    .join("");
  return `<p class="note">${total} pair(s) of different eyes with comparisons the enrolment decision matches${total > listed.length ? ` (the ${listed.length} with most matches listed)` : ""}. Most of an eye pair's comparisons matching suggests one eye under two labels; one or two, a failed segmentation.</p>
<table><tr><th>eye</th><th>eye</th><th>matches (of comparisons)</th><th>closest</th></tr>${rows}</table>`;
}

function thresholdTable(report: AccuracyGroupReport): string {
  const tail = report.impostorTail;
  const pops = tail?.populations ?? [];
  const models: [keyof TailProbabilities, string][] = [
    ["binomial", `binomial, m=${tail?.shifts ?? "–"}`],
    ["binomialEffectiveShifts", `binomial, m_eff=${tail ? tail.effectiveShifts.toFixed(2) : "–"}`],
    ["gaussianTail", "Gaussian tail"],
    ["logLinearTail", "log-linear tail"],
  ];
  const head = `<tr><th>threshold</th><th>impostor pairs at or under (of all)</th><th>FMR</th><th>FNMR</th><th>GFNMR</th><th>model</th><th>p_fm per comparison</th>${pops
    .map((n) => `<th>P(false duplicate), N=${n.toExponential(0).replace("e+", "e")}</th>`)
    .join("")}</tr>`;
  const rows: string[] = [];
  report.thresholds.forEach((t, i) => {
    const tt = tail?.thresholds[i];
    const span = tail ? models.length : 1;
    const lead = `<td rowspan="${span}">${esc(t.label)}<br>${(t.thresholdPer10k / 10_000).toFixed(4)}</td><td rowspan="${span}">${t.impostorPairsAtOrUnder} of ${t.impostorPairs}</td><td rowspan="${span}">${prob(t.fmr)}</td><td rowspan="${span}">${pct(t.fnmr)}</td><td rowspan="${span}">${pct(t.gfnmr)}</td>`;
    if (!tt) {
      rows.push(`<tr class="band">${lead}<td colspan="${2 + pops.length}">no tail fit</td></tr>`);
      return;
    }
    models.forEach(([key, label], m) => {
      const cells = `<td>${esc(label)}</td><td>${prob(tt.pFalseMatch[key])}</td>${tt.falseDuplicate
        .map((fd) => `<td>${prob(fd.probability[key])}</td>`)
        .join("")}`;
      rows.push(`<tr${m === 0 ? ' class="band"' : ""}>${m === 0 ? lead : ""}${cells}</tr>`);
    });
  });
  return `<table>${head}${rows.join("")}</table>`;
}

function tailNote(report: AccuracyGroupReport): string {
  const t = report.impostorTail;
  if (!t) return "<p>No impostor tail fit (no shift-0 impostor distances).</p>";
  const e = t.empiricalTail;
  return `<p class="note">Binomial (Daugman): fitted on ${report.impostor.count} shift-0 impostor distances, p = ${t.binomial.p.toFixed(4)}, N_eff = p(1−p)/σ² = ${t.binomial.degreesOfFreedom}; the matcher keeps the best of m = ${t.shifts} shifts, modelled as F_m = 1 − (1 − F_0)^m. Observed mean of the minima ${t.minimaMean.observed.toFixed(4)}; predicted with m = ${t.shifts}: ${t.minimaMean.predicted.toFixed(4)}, with m_eff = ${t.effectiveShifts.toFixed(2)}: ${t.minimaMean.predictedEffective.toFixed(4)} (neighbouring shifts are correlated, so m overstates independent tries and is the conservative bound). ${
    e
      ? `Empirical tail: the lowest ${e.points} minima (up to ${e.upTo.toFixed(4)}), already best of the shifts, fitted by ${e.gaussian ? `a Gaussian (mean ${e.gaussian.mean.toFixed(4)}, sd ${e.gaussian.std.toFixed(4)})` : "no Gaussian"} and ${e.logLinear ? `ln F = ${e.logLinear.intercept.toFixed(2)} + ${e.logLinear.slope.toFixed(2)}·x` : "no log-linear law"}.`
      : "Too few distinct minima for an empirical tail fit."
  }</p>`;
}

/**
 * A self-contained HTML report of a multi-set accuracy run: the summary table (FTE with
 * refusals by gate, genuine/impostor figures, d', EER, FNMR and generalised FNMR at each FMR or
 * "unresolved"), DET curves per degradation (every set and the pooled sets overlaid), and per
 * group the distance histograms (density and log count), the impostor tail with its fits and
 * the decision-threshold table (false matches counted, p_fm and false-duplicate probabilities).
 */
export function renderAccuracyRunHtml(view: AccuracyRunView): string {
  const kinds = [...new Set(view.groups.map((g) => g.report.degradation))];
  const sections: string[] = [];
  for (const kind of kinds) {
    const groups = view.groups.filter((g) => g.report.degradation === kind);
    sections.push(
      `<h2>degradation: ${esc(kind)}</h2>`,
      `<div class="det">${detSvg(`DET, degradation ${kind}`, groups)}</div>`,
    );
    for (const g of groups) {
      sections.push(
        `<h3>${esc(g.report.set)} — ${esc(kind)}: FTE ${pct(g.report.failureToEnrol)}, d' ${g.report.dPrime.toFixed(2)}, EER ${pct(g.report.eer)}</h3>`,
        `<div class="row">${histogramSvg(g.report, g.distances, false)}${histogramSvg(g.report, g.distances, true)}${tailSvg(g.report, g.distances)}</div>`,
        tailNote(g.report),
        thresholdTable(g.report),
      );
      sections.push(closeEyesTable(g.report));
      const d = g.report.deduplication;
      if (d)
        sections.push(
          `<p class="note">Deduplication on the normalised distance (${d.referenceBits} reference bits): genuine ${d.genuine.mean.toFixed(4)} ± ${d.genuine.std.toFixed(4)}, impostor ${d.impostor.mean.toFixed(4)} ± ${d.impostor.std.toFixed(4)}.</p>`,
          thresholdTable({ ...g.report, thresholds: d.thresholds, impostorTail: d.impostorTail }),
        );
    }
  }
  const unmeasured = (view.unmeasured ?? []).map(
    (u) => `<li>${esc(u.set)} — ${esc(u.degradation)}: ${esc(u.reason)}</li>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(view.title)}</title>
<style>
body { font-family: sans-serif; margin: 12px; color: #222; }
table { border-collapse: collapse; margin: 8px 0 20px; font-size: 12px; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: right; vertical-align: top; }
th { background: #f3f3f3; }
td.l { text-align: left; }
tr.pooled td { font-weight: bold; }
tr.band td { border-top: 2px solid #888; }
td.unresolved { color: #999; font-style: italic; }
.row { display: flex; flex-wrap: wrap; gap: 2px; }
.note { font-size: 12px; max-width: 1350px; color: #333; }
ul.meta { font-size: 12px; color: #444; }
</style></head>
<body>
<h1>${esc(view.title)}</h1>
<ul class="meta">${view.meta.map((m) => `<li>${esc(m)}</li>`).join("")}</ul>
<p class="note">FTE: images refused over images attempted. GFNMR = FTE + (1 − FTE)·FNMR (a refused image counts as a missed match). An FMR target is unresolved when there are fewer impostor pairs than 1/FMR. Pairs without enough jointly usable bits never match.</p>
${summaryTable(view.groups)}
${deduplicationTable(view.groups)}
${protocolTable(view.groups)}
${unmeasured.length ? `<p>Not measured:</p><ul>${unmeasured.join("")}</ul>` : ""}
${sections.join("\n")}
</body></html>
`;
}
