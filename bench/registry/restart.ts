// Time to open a registry with 100,000 members, before and after the tree snapshot, in one process
// on one SQLite file: synthetic enrolments (random codes, leaves, final root) are written straight
// through the repository, not through real enrolments; then
//   1. the first open finds no snapshot: it rebuilds the tree from the leaves (what every open did
//      before snapshots; the baseline) and writes a snapshot;
//   2. after a clean close, the open loads the snapshot (the figure the target is about);
//   3. real enrolments at 100,000 members (enrolments/s); then a child process enrols 20 more and is
//      killed with SIGKILL (no snapshot written for them), and the next open loads the stale
//      snapshot and appends the missing leaves.
// Each open prints wall time and main-thread CPU time, with the load of the uniqueness index and
// of the tree apart.
//
//   npx tsx --conditions=zkiris-source bench/registry/restart.ts [members=100000] [enrolments=20]
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeviceKey, signCapture } from "@zkiris/device";
import { templateCommitment, toBinary } from "@zkiris/iris-code";
import { Registry, SqliteRepository } from "@zkiris/registry";
import { randomCode, seedMembers } from "./synthetic-members.js";

const CHILD = process.argv[2] === "--crash-child";
const MEMBERS = CHILD ? 0 : Number(process.argv[2] ?? 100_000);
const ENROLMENTS = CHILD ? 20 : Number(process.argv[3] ?? 20);
const key = DeviceKey.fromSeed("bench-restart-device");

/** Random bits with about 1/8 of them masked out (usable ~87.5%), like a real capture. */
function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

async function bulkLoad(file: string): Promise<void> {
  const start = performance.now();
  const repository = new SqliteRepository(file);
  // Distinct codes matter only to the search, not to opening: every 100th is fresh, the rest
  // copies, so generating them does not dominate the set-up.
  const shared = toBinary(randomCode());
  await seedMembers(repository, key, MEMBERS, {
    code: (i) => (i % 100 === 0 ? toBinary(randomCode()) : shared),
  });
  await repository.close();
  console.log(
    `set-up: ${MEMBERS} synthetic enrolments written through the repository in ${seconds(performance.now() - start)}`,
  );
}

async function timedOpen(label: string, file: string): Promise<Registry> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const registry = await Registry.open({ database: file, searchWorkers: 2, verifierWorkers: 2 });
  const wall = performance.now() - start;
  const used = process.cpuUsage(cpu);
  const t = registry.openTimings;
  console.log(
    `${label}: open ${seconds(wall)} (main-thread CPU ${seconds((used.user + used.system) / 1000)}); ` +
      `uniqueness index ${seconds(t.indexMs)}, trees ${seconds(t.treesMs)} (${t.trees.map((g) => `${g.groupId}: ${g.source}`).join(", ")})`,
  );
  if (registry.group("citizens").size < MEMBERS) throw new Error("members missing");
  return registry;
}

if (CHILD) {
  const registry = await Registry.open({ database: process.argv[3]!, searchWorkers: 1, verifierWorkers: 1 });
  for (let i = 0; i < ENROLMENTS; i++) {
    const probe = randomCode();
    const { challenge } = await registry.issueChallenge();
    await registry.enrol({
      groupId: "citizens",
      capture: signCapture(key, probe, challenge, {}),
      identityCommitment: BigInt(i + 1) * 5_555_555n + 1n,
      templateCommitment: templateCommitment(probe, 9n),
      salt: 9n,
    });
  }
  process.kill(process.pid, "SIGKILL");
}

const dir = mkdtempSync(join(tmpdir(), "zkiris-bench-restart-"));
const file = join(dir, "registry.sqlite");
try {
  await bulkLoad(file);
  const first = await timedOpen("1. no snapshot (baseline: rebuild from the leaves)", file);
  const baseline = first.openTimings.totalMs;
  await first.close();
  const second = await timedOpen("2. after a clean close (snapshot)", file);
  const fast = second.openTimings.totalMs;
  const requests = [];
  for (let i = 0; i < ENROLMENTS; i++) {
    const probe = randomCode();
    const { challenge } = await second.issueChallenge();
    const salt = BigInt(i + 5);
    requests.push({
      groupId: "citizens",
      capture: signCapture(key, probe, challenge, {}),
      identityCommitment: BigInt(i + 1) * 7_777_777n + 3n,
      templateCommitment: templateCommitment(probe, salt),
      salt,
    });
  }
  const start = performance.now();
  for (const request of requests) await second.enrol(request);
  const ms = performance.now() - start;
  console.log(
    `enrolments at ${MEMBERS} members: ${((ENROLMENTS * 1000) / ms).toFixed(2)}/s (${(ms / ENROLMENTS).toFixed(1)} ms each, one after the other)`,
  );
  await second.close();
  // A crash: a child process opens the registry, enrols, and is killed with SIGKILL, so the
  // snapshot on disk lacks its leaves.
  const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, "--crash-child", file], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (child.signal !== "SIGKILL")
    throw new Error(`the crash child ended with ${child.status ?? child.signal}`);
  const third = await timedOpen(`3. after a SIGKILL ${ENROLMENTS} enrolments past the snapshot`, file);
  await third.close();
  console.log(
    `ratio snapshot / rebuild: ${(fast / baseline).toFixed(3)}x (${seconds(fast)} against ${seconds(baseline)})`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
