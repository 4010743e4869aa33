// How long the event loop waits while enrolments run: 20 concurrent enrolments (signed captures
// made beforehand, as devices do) into one registry, while a 5 ms timer measures its own lateness
// (`perf_hooks.monitorEventLoopDelay`) and a cheap read (`registry.group()`) is due every 5 ms:
// how late it is answered is what another request would wait. Baseline: the same with the verifier pool at 0 workers, which runs the
// capture signature checks on the calling thread as the registry did before the pool took them.
// Same process, same database kind (a fresh SQLite file each), same captures.
//
//   npx tsx --conditions=zkiris-source bench/registry/event-loop.ts [enrolments=20] [workers=2]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { DeviceKey, signCapture } from "@zkiris/device";
import { DEFAULT_PROFILE, IrisCode, templateCommitment } from "@zkiris/iris-code";
import { Registry } from "@zkiris/registry";

const ENROLMENTS = Number(process.argv[2] ?? 20);
const WORKERS = Number(process.argv[3] ?? 2);
const G = DEFAULT_PROFILE.geometry;
const BYTES = (G.rows * G.cols * G.bitsPerCell) / 8;
const key = DeviceKey.fromSeed("bench-event-loop-device");

function randomCode(): IrisCode {
  const bits = new Uint8Array(BYTES);
  globalThis.crypto.getRandomValues(bits);
  return IrisCode.fromPacked(G, bits, new Uint8Array(BYTES).fill(0xff));
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

interface Figures {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly timerP50: number;
  readonly timerP99: number;
  readonly timerMax: number;
  readonly readP50: number;
  readonly readP99: number;
  readonly reads: number;
}

async function run(verifierWorkers: number): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), "zkiris-bench-loop-"));
  const registry = await Registry.open({
    database: join(dir, "registry.sqlite"),
    searchWorkers: 1,
    verifierWorkers,
  });
  try {
    await registry.registerDevice(key.publicKey);
    await registry.createGroup({ id: "citizens", kind: "plain" });
    const requests = [];
    for (let i = 0; i < ENROLMENTS; i++) {
      const probe = randomCode();
      const { challenge } = await registry.issueChallenge();
      const salt = BigInt(i + 11);
      requests.push({
        groupId: "citizens",
        capture: signCapture(key, probe, challenge, {}),
        identityCommitment: BigInt(i + 1) * 9_999_991n,
        templateCommitment: templateCommitment(probe, salt),
        salt,
      });
    }
    // One warm-up enrolment per mode, so the workers have loaded their libraries.
    const probe = randomCode();
    const { challenge } = await registry.issueChallenge();
    await registry.enrol({
      groupId: "citizens",
      capture: signCapture(key, probe, challenge, {}),
      identityCommitment: 5n,
      templateCommitment: templateCommitment(probe, 3n),
      salt: 3n,
    });

    const histogram = monitorEventLoopDelay({ resolution: 5 });
    const reads: number[] = [];
    let running = true;
    const reader = (async () => {
      while (running) {
        // A read due 5 ms from now: how late it is answered is what another request waits.
        const due = performance.now() + 5;
        await new Promise((resolve) => setTimeout(resolve, 5));
        registry.group("citizens");
        reads.push(Math.max(0, performance.now() - due));
      }
    })();
    histogram.enable();
    const cpu = process.cpuUsage();
    const start = performance.now();
    await Promise.all(requests.map((request) => registry.enrol(request)));
    const wallMs = performance.now() - start;
    const used = process.cpuUsage(cpu);
    histogram.disable();
    running = false;
    await reader;
    if (registry.group("citizens").size !== ENROLMENTS + 1) throw new Error("enrolments missing");
    const sorted = reads.sort((a, b) => a - b);
    return {
      wallMs,
      cpuMs: (used.user + used.system) / 1000,
      timerP50: histogram.percentile(50) / 1e6,
      timerP99: histogram.percentile(99) / 1e6,
      timerMax: histogram.max / 1e6,
      readP50: percentile(sorted, 50),
      readP99: percentile(sorted, 99),
      reads: sorted.length,
    };
  } finally {
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function print(label: string, f: Figures): void {
  console.log(
    `${label}: ${ENROLMENTS} enrolments in ${f.wallMs.toFixed(0)} ms (process CPU, all threads, ${f.cpuMs.toFixed(0)} ms); ` +
      `timer delay p50 ${f.timerP50.toFixed(1)} ms, p99 ${f.timerP99.toFixed(1)} ms, max ${f.timerMax.toFixed(1)} ms; ` +
      `cheap read late by p50 ${f.readP50.toFixed(1)} ms, p99 ${f.readP99.toFixed(1)} ms (${f.reads} reads)`,
  );
}

const inline = await run(0);
print("baseline, checks on the main thread (verifierWorkers 0)", inline);
const pooled = await run(WORKERS);
print(`pool of ${WORKERS} verifier workers`, pooled);
console.log(
  `ratio pool / baseline: timer p50 ${(pooled.timerP50 / inline.timerP50).toFixed(3)}x, p99 ${(pooled.timerP99 / inline.timerP99).toFixed(3)}x; ` +
    `read p50 ${(pooled.readP50 / inline.readP50).toFixed(3)}x, p99 ${(pooled.readP99 / inline.readP99).toFixed(3)}x; ` +
    `wall ${(pooled.wallMs / inline.wallMs).toFixed(3)}x`,
);
