/** One timed stage of `zkiris demo`. */
export interface DemoStage {
  readonly name: string;
  /** Wall time, milliseconds. */
  readonly ms: number;
  /** CPU time of the demo's process (user + system), milliseconds; the server, bridge and provers share it. */
  readonly cpuMs: number;
  readonly detail: string;
}

/** One comparison behind a match or a refusal. */
export interface DistanceRow {
  readonly kind: "genuine" | "impostor";
  readonly what: string;
  /** Fractional Hamming distance at the best rotation. */
  readonly raw: number;
  /** The deduplication decision's distance (normalised for the usable bits when the profile says so). */
  readonly deduplication: number;
  readonly usableBits: number;
  readonly shift: number;
  readonly outcome: string;
}

/** One accepted proof and its public signals. */
export interface DemoVote {
  readonly who: string;
  readonly kind: string;
  readonly signals: Readonly<Record<string, string>>;
  readonly receipt: string;
}

/** What `zkiris demo` measured and decided; `report.json` holds it as is. */
export interface DemoReport {
  people: number;
  profile: string;
  thresholds: { verification: number; deduplication: number; deduplicationNormalised: boolean };
  stages: DemoStage[];
  distances: DistanceRow[];
  votes: DemoVote[];
  outcomes: Record<string, string>;
  backend: string;
  serviceUrl: string;
  bridgeUrl: string;
  totalSeconds: number;
  cpuSeconds: number;
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );

/** A field element shortened for a table cell, the whole value in its title. */
const short = (value: string) =>
  value.length > 22
    ? `<span title="${escapeHtml(value)}">${escapeHtml(value.slice(0, 10))}…${escapeHtml(value.slice(-8))}</span>`
    : escapeHtml(value);

/** The distances on one axis from 0 to 0.6, with the two thresholds drawn across. */
function distanceChart(report: DemoReport): string {
  const width = 1100;
  const rowHeight = 22;
  const left = 430;
  const plot = width - left - 20;
  const x = (d: number) => left + (Math.min(d, 0.6) / 0.6) * plot;
  const height = report.distances.length * rowHeight + 40;
  const rows = report.distances
    .map((r, i) => {
      const y = 20 + i * rowHeight + rowHeight / 2;
      const colour = r.kind === "genuine" ? "#1a7f37" : "#b35900";
      const label = r.what.length > 64 ? `${r.what.slice(0, 63)}…` : r.what;
      return `<text x="${left - 8}" y="${y + 4}" text-anchor="end">${escapeHtml(label)}</text><circle cx="${x(r.raw).toFixed(1)}" cy="${y}" r="6" fill="${colour}"><title>${escapeHtml(`${r.what}: ${r.raw.toFixed(4)}`)}</title></circle>`;
    })
    .join("");
  const ticks = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    .map(
      (t) =>
        `<line x1="${x(t)}" x2="${x(t)}" y1="14" y2="${height - 22}" stroke="#ddd"/><text x="${x(t)}" y="${height - 6}" text-anchor="middle">${t.toFixed(1)}</text>`,
    )
    .join("");
  const threshold = (value: number, label: string, colour: string, dy: number) =>
    `<line x1="${x(value)}" x2="${x(value)}" y1="10" y2="${height - 22}" stroke="${colour}" stroke-width="2" stroke-dasharray="5 3"/><text x="${x(value) + 4}" y="${10 + dy}" fill="${colour}">${escapeHtml(label)} ${value}</text>`;
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="distances">${ticks}${threshold(report.thresholds.verification, "verification", "#0550ae", 0)}${threshold(report.thresholds.deduplication, "deduplication", "#8250df", 12)}${rows}</svg>`;
}

/** The HTML report of one `zkiris demo` run: stages with timings, distances, proofs, outcomes. */
export function renderDemoReport(report: DemoReport): string {
  const longest = Math.max(...report.stages.map((s) => s.ms), 1);
  const stages = report.stages
    .map(
      (s) =>
        `<tr><td>${escapeHtml(s.name)}</td><td class="num">${(s.ms / 1000).toFixed(2)} s</td><td class="num">${(s.cpuMs / 1000).toFixed(2)} s</td><td><div class="bar" style="width:${((s.ms / longest) * 100).toFixed(1)}%"></div></td><td>${escapeHtml(s.detail)}</td></tr>`,
    )
    .join("\n");
  const distances = report.distances
    .map(
      (d) =>
        `<tr class="${d.kind}"><td>${escapeHtml(d.kind)}</td><td>${escapeHtml(d.what)}</td><td class="num">${d.raw.toFixed(4)}</td><td class="num">${d.deduplication.toFixed(4)}</td><td class="num">${d.usableBits}</td><td class="num">${d.shift}</td><td>${escapeHtml(d.outcome)}</td></tr>`,
    )
    .join("\n");
  const signalNames = [...new Set(report.votes.flatMap((v) => Object.keys(v.signals)))];
  const votes = report.votes
    .map(
      (v) =>
        `<tr><td>${escapeHtml(v.who)}</td><td>${escapeHtml(v.kind)}</td>${signalNames.map((n) => `<td class="mono">${v.signals[n] === undefined ? "" : short(v.signals[n]!)}</td>`).join("")}<td>${escapeHtml(v.receipt)}</td></tr>`,
    )
    .join("\n");
  const outcomes = Object.entries(report.outcomes)
    .map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`)
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>zkiris demo report</title>
<style>
  body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1180px; color: #1f2328; padding: 0 16px; }
  h1 { font-size: 22px; margin-bottom: 4px; }
  h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
  p.lead { color: #57606a; margin-top: 0; }
  table { border-collapse: collapse; width: 100%; margin: 8px 0; }
  th, td { border-bottom: 1px solid #eaeef2; padding: 4px 8px; text-align: left; vertical-align: top; }
  th { background: #f6f8fa; font-weight: 600; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
  td.mono { font-family: ui-monospace, monospace; font-size: 11px; white-space: nowrap; }
  table.proofs td, table.proofs th { padding: 4px 5px; }
  .bar { background: #54aeff; height: 12px; min-width: 2px; border-radius: 2px; }
  tr.genuine td:first-child { color: #1a7f37; font-weight: 600; }
  tr.impostor td:first-child { color: #b35900; font-weight: 600; }
  svg.chart { font: 12px system-ui, sans-serif; display: block; margin: 8px 0; max-width: 100%; height: auto; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; }
  dt { color: #57606a; }
</style>
</head>
<body>
<h1>zkiris demo</h1>
<p class="lead">The whole flow over HTTP: the service (<code>@zkiris/server</code>), the device bridge and the SDK,
${report.people} synthetic people, profile ${escapeHtml(report.profile)}. Total ${report.totalSeconds.toFixed(1)} s
(${report.cpuSeconds.toFixed(1)} s CPU in the demo's process).</p>
<dl>
  <dt>service</dt><dd>${escapeHtml(report.serviceUrl)}</dd>
  <dt>device bridge</dt><dd>${escapeHtml(report.bridgeUrl)}</dd>
  <dt>encoder backend</dt><dd>${escapeHtml(report.backend)}</dd>
  <dt>thresholds</dt><dd>verification (match circuit, raw distance) ${report.thresholds.verification}; deduplication ${report.thresholds.deduplication}${report.thresholds.deduplicationNormalised ? " (normalised for the usable bits)" : ""}</dd>
</dl>
<h2>Outcomes</h2>
<table><thead><tr><th>what</th><th>outcome</th></tr></thead><tbody>
${outcomes}
</tbody></table>
<h2>Stages</h2>
<table><thead><tr><th>stage</th><th>wall</th><th>CPU</th><th style="width:160px">share</th><th>what happened</th></tr></thead><tbody>
${stages}
</tbody></table>
<h2>Distances behind the decisions</h2>
<p>Fractional Hamming distance at the best rotation (green: the same eye, orange: different eyes). The
deduplication refuses an enrolment at or under its threshold; the match circuit proves a capture at or under the verification threshold.</p>
${distanceChart(report)}
<table><thead><tr><th>kind</th><th>comparison</th><th>raw</th><th>deduplication</th><th>usable bits</th><th>shift</th><th>outcome</th></tr></thead><tbody>
${distances}
</tbody></table>
<h2>Accepted proofs and their public signals</h2>
<table class="proofs"><thead><tr><th>voter</th><th>proof</th>${signalNames.map((n) => `<th>${escapeHtml(n)}</th>`).join("")}<th>server</th></tr></thead><tbody>
${votes}
</tbody></table>
</body>
</html>
`;
}
