import type { AccuracyReport, PairDistances } from "./accuracy.js";

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
