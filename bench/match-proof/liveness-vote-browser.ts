/**
 * Liveness-bound vote in the browser: prove and verify times of the committed default
 * liveness-vote circuit beside a plain Semaphore v4 depth-20 proof (@zk-kit/semaphore-artifacts,
 * served locally), both in one headless Chromium page (Debian's /usr/bin/chromium, or
 * ZKIRIS_CHROMIUM), in the same run. Peak memory is the highest summed RSS of Chromium's processes
 * (children of this one) during each side, sampled every 100 ms, minus the idle page before it.
 *
 *   npx tsx --conditions=zkiris-source bench/match-proof/liveness-vote-browser.ts [--runs 3]
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromiumPath } from "@zkiris/test-kit";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import { CIRCUITS_DIR, REPO_DIR } from "../../circuits/scripts/compile.js";
import { toJsonPacket } from "./liveness-vote-browser/fixture.js";

const runs = Number(process.argv[process.argv.indexOf("--runs") + 1] ?? 3) || 3;
const here = dirname(fileURLToPath(import.meta.url));

interface Figures {
  witnessMs: number[];
  proveMs: number[];
  totalMs: number[];
  verifyMs: number[];
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Summed RSS (MiB) of all descendants of a process (not itself), from ps. */
function treeRssMiB(root: number): number {
  const out = execFileSync("ps", ["-e", "-o", "pid=,ppid=,rss="], { encoding: "utf8" });
  const rows = out
    .trim()
    .split("\n")
    .map((l) => l.trim().split(/\s+/).map(Number) as [number, number, number]);
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of rows) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const rss = new Map(rows.map(([pid, , kib]) => [pid, kib]));
  let total = -(rss.get(root) ?? 0);
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    total += rss.get(pid) ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total / 1024;
}

async function main(): Promise<void> {
  const bundle = (
    await build({
      entryPoints: [join(here, "liveness-vote-browser", "entry.ts")],
      bundle: true,
      platform: "browser",
      format: "esm",
      conditions: ["zkiris-source"],
      write: false,
      logLevel: "silent",
    })
  ).outputFiles[0]!.text;
  const fixture = { ...(await toJsonPacket()), runs };
  const liveness = join(CIRCUITS_DIR, "artifacts", "liveness_vote");
  const semaphore = join(REPO_DIR, "node_modules", "@zk-kit", "semaphore-artifacts");
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const file = /^\/liveness\/([\w.]+)$/.exec(path)
      ? join(liveness, path.slice("/liveness/".length))
      : /^\/semaphore\/semaphore-20\.(wasm|zkey)$/.test(path)
        ? join(semaphore, path.slice("/semaphore/".length))
        : undefined;
    if (path === "/") {
      res.setHeader("content-type", "text/html");
      res.end('<!doctype html><meta charset="utf-8"><script type="module" src="/bundle.js"></script>');
    } else if (path === "/bundle.js") {
      res.setHeader("content-type", "text/javascript");
      res.end(bundle);
    } else if (file) {
      res.end(readFileSync(file));
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const launch = () =>
    chromium.launch({
      executablePath: chromiumPath(),
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
    });
  // Each side in a browser of its own, so its peak memory is its own.
  const side = async (name: "liveness" | "semaphore") => {
    const browser = await launch();
    try {
      const page = await browser.newPage();
      page.on("console", (m) => process.stderr.write(`  [page] ${m.text()}\n`));
      await page.goto(`${base}/`);
      await page.waitForFunction(() => "zkirisBench" in globalThis);
      // Chromium runs as child processes of this one: their summed RSS, without this process.
      const idle = treeRssMiB(process.pid);
      let peak = idle;
      const timer = setInterval(() => {
        peak = Math.max(peak, treeRssMiB(process.pid));
      }, 100);
      const figures = (await page.evaluate(
        async ([n, f]) => {
          // biome-ignore lint/suspicious/noExplicitAny: the bundle's global, typed by entry.ts
          const bench = (globalThis as any).zkirisBench;
          return bench[n as string](f, (line: string) => console.log(line));
        },
        [name, fixture] as const,
      )) as Figures;
      clearInterval(timer);
      return { figures, peakMiB: peak - idle, version: await browser.version() };
    } finally {
      await browser.close();
    }
  };
  try {
    const a = await side("liveness");
    const b = await side("semaphore");
    const version = a.version;
    const load = loadavg().map((l) => l.toFixed(2));
    console.log(
      `\nliveness-vote browser benchmark, ${runs} proofs each after a warm-up (Chromium ${version}, ${cpus().length} CPUs, load average ${load.join(" ")})`,
    );
    console.log(
      `${"".padEnd(28)}${"liveness".padStart(10)}${"semaphore".padStart(12)}${"ratio".padStart(8)}`,
    );
    const row = (label: string, x: number | undefined, y: number | undefined, digits = 0) => {
      const s = (v: number | undefined) => (v === undefined ? "-" : v.toFixed(digits));
      const ratio = x !== undefined && y !== undefined ? (x / y).toFixed(2) : "-";
      console.log(`${label.padEnd(28)}${s(x).padStart(10)}${s(y).padStart(12)}${ratio.padStart(8)}`);
    };
    row("witness (median ms)", median(a.figures.witnessMs), undefined);
    row("prove (median ms)", median(a.figures.proveMs), undefined);
    row("witness+prove (median ms)", median(a.figures.totalMs), median(b.figures.totalMs));
    row("verify (median ms)", median(a.figures.verifyMs), median(b.figures.verifyMs), 1);
    row("peak RSS over idle (MiB)", a.peakMiB, b.peakMiB);
  } finally {
    server.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
