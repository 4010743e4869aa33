// The HTTP service under load (SQLite): sustained accepted votes/s and enrolments/s over HTTP with
// p50/p99 latencies, p99 of reads while enrolments run, the restart time of a registry with
// `--members` enrolled, and RSS over a soak. Baselines in the same process and run: the same votes
// and enrolments as in-process registry calls (no HTTP), and the same reads on an idle server.
//
// Votes: real Semaphore proofs made beforehand (cached under the OS temp directory: they depend only
// on the voters and the scope), each round on a fresh database with the same voters and scope.
// Enrolments: `--members` synthetic codes bulk-loaded into the database, then real enrolments (fresh
// challenge from the server, capture signed by the device before the clock starts, quality gates,
// exact 1:N search at every shift, transaction). The server runs in this process, so CPU time and
// RSS include the load generator's; it is small next to proof verification and the search.
//
//   npx tsx --conditions=zkiris-source bench/server/load.ts [--members 100000] [--voters 64]
//     [--rounds 3] [--enrolments 60] [--soak 180] [--concurrency 16]
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Group } from "@semaphore-protocol/group";
import { Identity } from "@semaphore-protocol/identity";
import { generateProof, type SemaphoreProof } from "@semaphore-protocol/proof";
import { DeviceKey, signCapture } from "@zkiris/device";
import { templateCommitment } from "@zkiris/iris-code";
import { Registry, releaseProverThreads, SqliteRepository, semaphoreArtifacts } from "@zkiris/registry";
import { startServer } from "@zkiris/server";
import { CODE_BYTES, randomCode, seedMembers } from "../registry/synthetic-members.js";

const { values: args } = parseArgs({
  options: {
    members: { type: "string", default: "100000" },
    voters: { type: "string", default: "64" },
    rounds: { type: "string", default: "3" },
    enrolments: { type: "string", default: "60" },
    soak: { type: "string", default: "180" },
    concurrency: { type: "string", default: "16" },
  },
});
const MEMBERS = Number(args.members);
const VOTERS = Number(args.voters);
const ROUNDS = Number(args.rounds);
const ENROLMENTS = Number(args.enrolments);
const SOAK_SECONDS = Number(args.soak);
const CONCURRENCY = Number(args.concurrency);
const ENROL_CONCURRENCY = 4;
const TOKEN = "bench-server-admin-token-0123456789";
const SCOPE = 4_242_424_242n;
const key = DeviceKey.fromSeed("bench-server-device");
const cores = availableParallelism();

/** Random bits, about 1/8 of them masked out, like a real capture. */
const percentile = (xs: readonly number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
const ms = (x: number) => `${x.toFixed(1)} ms`;
const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1e6;
};

/** Runs `tasks` with at most `concurrency` at a time; returns each task's latency in ms and the wall time. */
async function timed(
  tasks: (() => Promise<void>)[],
  concurrency: number,
): Promise<{ latencies: number[]; wallMs: number }> {
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, tasks.length) }, async () => {
      while (next < tasks.length) {
        const task = tasks[next++]!;
        const t0 = performance.now();
        await task();
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { latencies, wallMs: performance.now() - start };
}

async function post(url: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: "POST",
    ...(body === undefined
      ? {}
      : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

// ---------------------------------------------------------------------------------------------
// Votes

const voters = Array.from({ length: VOTERS }, (_, i) => new Identity(`bench-server-voter-${i}`));
const voterGroup = new Group(voters.map((v) => v.commitment));
const depth = Math.max(1, voterGroup.depth);
const cacheFile = join(tmpdir(), `zkiris-bench-server-proofs-${VOTERS}-${SCOPE}-${voterGroup.root}.json`);

async function voteProofs(): Promise<SemaphoreProof[]> {
  if (existsSync(cacheFile)) {
    console.log(`votes: ${VOTERS} proofs from the cache ${cacheFile}`);
    return JSON.parse(readFileSync(cacheFile, "utf8"));
  }
  const artifacts = await semaphoreArtifacts(depth);
  const proofs: SemaphoreProof[] = [];
  const start = performance.now();
  for (const [i, voter] of voters.entries()) {
    proofs.push(await generateProof(voter, voterGroup, i % 3, SCOPE, depth, artifacts));
    if ((i + 1) % 16 === 0)
      console.log(
        `  ${i + 1}/${VOTERS} proofs, ${((performance.now() - start) / (i + 1)).toFixed(0)} ms each`,
      );
  }
  await releaseProverThreads();
  writeFileSync(cacheFile, JSON.stringify(proofs));
  return proofs;
}

/** A fresh registry with the voters enrolled and one poll of the bench's scope. */
async function votersRegistry(dir: string): Promise<Registry> {
  const registry = await Registry.open({
    database: join(dir, "votes.sqlite"),
    searchWorkers: 1,
    verifierWorkers: cores,
  });
  await registry.registerDevice(key.publicKey);
  await registry.createGroup({ id: "voters", kind: "plain" });
  for (const voter of voters) {
    const code = randomCode();
    const { challenge } = await registry.issueChallenge();
    await registry.enrol({
      groupId: "voters",
      capture: signCapture(key, code, challenge, {}),
      identityCommitment: voter.commitment,
      templateCommitment: templateCommitment(code, 1n),
      salt: 1n,
    });
  }
  await registry.createPoll({
    id: "bench",
    groupId: "voters",
    options: ["a", "b", "c"],
    opensAt: 0,
    closesAt: Date.now() + 3_600_000,
    scope: SCOPE,
  });
  // Warm the verifier workers (module load, curve) with proofs that reach verification and fail it.
  const broken = { ...proofs[0]!, points: [...proofs[0]!.points].reverse() as SemaphoreProof["points"] };
  await Promise.all(Array.from({ length: 2 * cores }, () => registry.vote("bench", broken).catch(() => {})));
  return registry;
}

async function voteRound(
  mode: "http" | "in-process",
): Promise<{ perSecond: number; latencies: number[]; cpu: number }> {
  const dir = mkdtempSync(join(tmpdir(), "zkiris-bench-server-votes-"));
  const registry = await votersRegistry(dir);
  const server =
    mode === "http"
      ? await startServer(registry, { adminToken: TOKEN, rateLimit: false, log: false })
      : undefined;
  try {
    const url = `${server?.url}/polls/bench/votes`;
    const cpu0 = process.cpuUsage();
    const tasks = proofs.map((proof) => async () => {
      if (server === undefined) {
        await registry.vote("bench", proof);
        return;
      }
      const { status, json } = await post(url, { proof });
      if (status !== 201) throw new Error(`vote answered ${status}: ${JSON.stringify(json)}`);
    });
    const { latencies, wallMs } = await timed(tasks, CONCURRENCY);
    const cpu = cpuSeconds(cpu0);
    if ((await registry.tally("bench")).total !== VOTERS) throw new Error("votes missing from the tally");
    return { perSecond: (VOTERS * 1000) / wallMs, latencies, cpu };
  } finally {
    await server?.close();
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Enrolments at MEMBERS members, reads while they run, restart, soak

async function bulkLoad(database: string, members: number): Promise<void> {
  const repository = new SqliteRepository(database);
  await seedMembers(repository, key, members);
  await repository.close();
}

let identitySeq = 1n;
/** An enrolment body for a challenge: a fresh random eye signed by the device (device-side work). */
function enrolmentBody(challenge: bigint) {
  const probe = randomCode();
  const salt = 7n + identitySeq;
  const identityCommitment = 9_999_999_967n * identitySeq++ + 3n;
  return {
    groupId: "citizens",
    capture: signCapture(key, probe, challenge, {}),
    identityCommitment,
    templateCommitment: templateCommitment(probe, salt),
    salt,
  };
}
const asJson = (body: ReturnType<typeof enrolmentBody>) => ({
  ...body,
  identityCommitment: body.identityCommitment.toString(),
  templateCommitment: body.templateCommitment.toString(),
  salt: body.salt.toString(),
});

/** Reads back to back (GET /groups/citizens, GET /polls) until `stop`; their latencies. */
async function readLoop(base: string, stop: { done: boolean }, latencies: number[]): Promise<void> {
  const paths = ["/groups/citizens", "/polls", "/groups/citizens/roots"];
  for (let i = 0; !stop.done; i++) {
    const t0 = performance.now();
    const response = await fetch(`${base}${paths[i % paths.length]}`);
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`read answered ${response.status}`);
    latencies.push(performance.now() - t0);
  }
}

/** Least-squares slope of (t seconds, y) in y units per minute. */
function slopePerMinute(samples: readonly { t: number; y: number }[]): number {
  const n = samples.length;
  const mt = samples.reduce((s, p) => s + p.t, 0) / n;
  const my = samples.reduce((s, p) => s + p.y, 0) / n;
  const num = samples.reduce((s, p) => s + (p.t - mt) * (p.y - my), 0);
  const den = samples.reduce((s, p) => s + (p.t - mt) ** 2, 0);
  return (num / den) * 60;
}

// ---------------------------------------------------------------------------------------------

console.log(
  `bench/server: ${cores} cores, ${VOTERS} voters x ${ROUNDS} rounds at concurrency ${CONCURRENCY}, ${ENROLMENTS} enrolments at ${MEMBERS} members, soak ${SOAK_SECONDS} s`,
);
const proofs = await voteProofs();

console.log(
  `votes: ${ROUNDS} rounds of ${VOTERS} accepted votes each, HTTP and in-process alternating (fresh database each)`,
);
const votes = {
  http: [] as number[],
  inProcess: [] as number[],
  httpLatencies: [] as number[],
  inLatencies: [] as number[],
  httpCpu: 0,
  inCpu: 0,
};
for (let r = 1; r <= ROUNDS; r++) {
  const h = await voteRound("http");
  const p = await voteRound("in-process");
  votes.http.push(h.perSecond);
  votes.inProcess.push(p.perSecond);
  votes.httpLatencies.push(...h.latencies);
  votes.inLatencies.push(...p.latencies);
  votes.httpCpu += h.cpu;
  votes.inCpu += p.cpu;
  console.log(
    `  round ${r}: HTTP ${h.perSecond.toFixed(1)} votes/s, in-process ${p.perSecond.toFixed(1)} votes/s`,
  );
}
const median = (xs: number[]) => percentile(xs, 50);
console.log(
  `votes over HTTP: median ${median(votes.http).toFixed(1)} accepted votes/s, latency p50 ${ms(percentile(votes.httpLatencies, 50))} p99 ${ms(percentile(votes.httpLatencies, 99))}, ${((votes.httpCpu * 1000) / (ROUNDS * VOTERS)).toFixed(1)} ms CPU per vote`,
);
console.log(
  `votes in-process (baseline): median ${median(votes.inProcess).toFixed(1)} votes/s, latency p50 ${ms(percentile(votes.inLatencies, 50))} p99 ${ms(percentile(votes.inLatencies, 99))}, ${((votes.inCpu * 1000) / (ROUNDS * VOTERS)).toFixed(1)} ms CPU per vote`,
);
console.log(
  `  ratio HTTP / in-process: ${(median(votes.http) / median(votes.inProcess)).toFixed(2)}x (target >= 150 verified votes/s over HTTP)`,
);

const dir = mkdtempSync(join(tmpdir(), "zkiris-bench-server-enrol-"));
const database = join(dir, "registry.sqlite");
try {
  const loadStart = performance.now();
  await bulkLoad(database, MEMBERS);
  console.log(
    `enrolments: bulk load of ${MEMBERS} synthetic members in ${((performance.now() - loadStart) / 1000).toFixed(1)} s`,
  );
  const openStart = performance.now();
  let registry = await Registry.open({ database, searchWorkers: cores, verifierWorkers: 1 });
  let server = await startServer(registry, { adminToken: TOKEN, rateLimit: false, log: false });
  const ready = await fetch(`${server.url}/ready`);
  if (ready.status !== 200) throw new Error("not ready");
  console.log(
    `  start with ${MEMBERS} members (open: tree, index; server; /ready answers): ${((performance.now() - openStart) / 1000).toFixed(2)} s (target <= 2 s)`,
  );
  await registry.createPoll({
    id: "reads",
    groupId: "citizens",
    options: ["a", "b"],
    opensAt: 0,
    closesAt: Date.now() + 3_600_000,
  });

  // Reads on the idle server (baseline).
  const idle: number[] = [];
  {
    const stop = { done: false };
    const loop = readLoop(server.url, stop, idle);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    stop.done = true;
    await loop;
  }

  // Enrolments over HTTP, with a reader running beside them.
  const challenges: bigint[] = [];
  for (let i = 0; i < ENROLMENTS; i++)
    challenges.push(BigInt((await post(`${server.url}/challenges`)).json.challenge as string));
  const bodies = challenges.map((c) => asJson(enrolmentBody(c)));
  const busy: number[] = [];
  const stop = { done: false };
  const reader = readLoop(server.url, stop, busy);
  const cpu0 = process.cpuUsage();
  const http = await timed(
    bodies.map((body) => async () => {
      const { status, json } = await post(`${server.url}/enrolments`, body);
      if (status !== 201) throw new Error(`enrolment answered ${status}: ${JSON.stringify(json)}`);
    }),
    ENROL_CONCURRENCY,
  );
  const httpCpu = cpuSeconds(cpu0);
  stop.done = true;
  await reader;
  console.log(
    `enrolments over HTTP at ${MEMBERS} members: ${((ENROLMENTS * 1000) / http.wallMs).toFixed(1)} enrolments/s (concurrency ${ENROL_CONCURRENCY}), latency p50 ${ms(percentile(http.latencies, 50))} p99 ${ms(percentile(http.latencies, 99))}, ${((httpCpu * 1000) / ENROLMENTS).toFixed(0)} ms CPU each (target >= 20/s)`,
  );
  console.log(
    `reads while enrolments run: ${busy.length} reads, p50 ${ms(percentile(busy, 50))} p99 ${ms(percentile(busy, 99))}; idle server (baseline): p50 ${ms(percentile(idle, 50))} p99 ${ms(percentile(idle, 99))} (target p99 < 100 ms)`,
  );

  // The same enrolments as in-process calls (baseline).
  const direct = [];
  for (let i = 0; i < ENROLMENTS; i++)
    direct.push(enrolmentBody((await registry.issueChallenge()).challenge));
  const cpu1 = process.cpuUsage();
  const inProcess = await timed(
    direct.map((request) => async () => {
      await registry.enrol(request);
    }),
    ENROL_CONCURRENCY,
  );
  const inCpu = cpuSeconds(cpu1);
  console.log(
    `enrolments in-process (baseline): ${((ENROLMENTS * 1000) / inProcess.wallMs).toFixed(1)} enrolments/s, latency p50 ${ms(percentile(inProcess.latencies, 50))} p99 ${ms(percentile(inProcess.latencies, 99))}, ${((inCpu * 1000) / ENROLMENTS).toFixed(0)} ms CPU each; ratio HTTP / in-process ${(inProcess.wallMs / http.wallMs).toFixed(2)}x`,
  );

  // Restart with the database as it is now.
  await server.close();
  await registry.close();
  const restartStart = performance.now();
  registry = await Registry.open({ database, searchWorkers: cores, verifierWorkers: 1 });
  server = await startServer(registry, { adminToken: TOKEN, rateLimit: false, log: false });
  if ((await fetch(`${server.url}/ready`)).status !== 200) throw new Error("not ready after the restart");
  const size = (await (await fetch(`${server.url}/groups/citizens`)).json()) as { size: number };
  console.log(
    `restart with ${size.size} members serving again: ${((performance.now() - restartStart) / 1000).toFixed(2)} s (target <= 2 s)`,
  );

  // Soak: enrolments (challenge, sign, enrol) and reads for SOAK_SECONDS, RSS sampled every 2 s.
  if (SOAK_SECONDS > 0) {
    const samples: { t: number; y: number }[] = [];
    const soakStop = { done: false };
    const soakReads: number[] = [];
    let soaked = 0;
    const soakStart = performance.now();
    const sampler = setInterval(() => {
      samples.push({ t: (performance.now() - soakStart) / 1000, y: process.memoryUsage().rss / 2 ** 20 });
    }, 2000);
    const enroller = async () => {
      while (!soakStop.done) {
        const { json } = await post(`${server.url}/challenges`);
        const { status, json: answer } = await post(
          `${server.url}/enrolments`,
          asJson(enrolmentBody(BigInt(json.challenge as string))),
        );
        if (status !== 201) throw new Error(`soak enrolment answered ${status}: ${JSON.stringify(answer)}`);
        soaked++;
      }
    };
    const soakReader = readLoop(server.url, soakStop, soakReads);
    const enrollers = [enroller(), enroller()];
    await new Promise((resolve) => setTimeout(resolve, SOAK_SECONDS * 1000));
    soakStop.done = true;
    await Promise.all([...enrollers, soakReader]);
    clearInterval(sampler);
    const steady = samples.filter((s) => s.t >= SOAK_SECONDS * 0.2);
    const slope = slopePerMinute(steady);
    // What the added members themselves take: the code and mask bits in the index, at least.
    const expected = ((soaked * 2 * CODE_BYTES) / 2 ** 20 / SOAK_SECONDS) * 60;
    console.log(
      `soak ${SOAK_SECONDS} s: ${soaked} enrolments (${(soaked / SOAK_SECONDS).toFixed(1)}/s) and ${soakReads.length} reads (p99 ${ms(percentile(soakReads, 99))}); RSS ${steady[0]?.y.toFixed(0)} -> ${steady.at(-1)?.y.toFixed(0)} MiB, min ${Math.min(...steady.map((s) => s.y)).toFixed(0)}, max ${Math.max(...steady.map((s) => s.y)).toFixed(0)}; slope over the last 80 % ${slope.toFixed(2)} MiB/min (the added members' codes and masks alone: ${expected.toFixed(2)} MiB/min)`,
    );
  }
  await server.close();
  await registry.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
