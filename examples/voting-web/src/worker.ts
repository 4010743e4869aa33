// The proving worker: every proof of the page is made here (Semaphore votes, liveness-bound votes)
// and every proof of an audit log is re-verified here, so the page stays responsive. Artifacts come
// from the zkiris service that served the page, and are checked against the pinned SHA-256.
import { fromJson } from "@zkiris/iris-code";
import { sha256Hex } from "@zkiris/match-proof";
import {
  checkedArtifactBytes,
  fetchLivenessArtifacts,
  LIVENESS_VOTE_ARTIFACT_SHA256,
  restoreIdentity,
  ZkirisClient,
  ZkirisSdkError,
} from "@zkiris/sdk";
import { type AuditLogJson, judgeVote, recount } from "./audit.js";
import type { Job, Stage, Timings, WorkerEvent } from "./protocol.js";

const scope = self as unknown as {
  postMessage(event: WorkerEvent): void;
  onmessage: ((event: MessageEvent<{ job: Job; origin: string; webBase: string }>) => void) | null;
};
const post = (event: WorkerEvent) => scope.postMessage(event);

/** Fetches one artifact from the service; refuses anything but a 200. */
async function artifact(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok)
    throw new ZkirisSdkError("ARTIFACTS_MISSING", `GET ${url} answered HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  post({ type: "artifact", file: url.slice(url.lastIndexOf("/") + 1), bytes: bytes.length });
  return bytes;
}

class StageClock {
  readonly timings: Timings = {};
  #stage: Stage | undefined;
  #since = 0;
  enter(stage: Stage, detail?: string): void {
    const now = performance.now();
    if (this.#stage !== undefined) this.timings[this.#stage] = now - this.#since;
    this.#stage = stage;
    this.#since = now;
    post({ type: "stage", stage, at: Date.now(), ...(detail === undefined ? {} : { detail }) });
  }
  done(): Timings {
    if (this.#stage !== undefined) this.timings[this.#stage] = performance.now() - this.#since;
    this.#stage = undefined;
    return this.timings;
  }
}

async function run(job: Job, origin: string, webBase: string): Promise<void> {
  const client = new ZkirisClient({ baseUrl: origin });
  const artifactsBase = new URL("artifacts/", webBase).href;
  try {
    if (job.kind === "audit") {
      const started = performance.now();
      const log = (await (
        await fetch(`${origin}/polls/${encodeURIComponent(job.pollId)}/audit-log`)
      ).json()) as AuditLogJson;
      let key: Record<string, unknown> | undefined;
      if (log.liveness !== undefined) {
        const bytes = await artifact(`${artifactsBase}liveness_vote/verification_key.json`);
        const actual = await sha256Hex(bytes);
        if (actual !== LIVENESS_VOTE_ARTIFACT_SHA256.verificationKey) {
          throw new ZkirisSdkError(
            "ARTIFACT_HASH_MISMATCH",
            `The liveness verification key has SHA-256 ${actual}, expected ${LIVENESS_VOTE_ARTIFACT_SHA256.verificationKey}`,
          );
        }
        key = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
      }
      const verdicts: string[] = [];
      for (const vote of log.votes) {
        verdicts.push(await judgeVote(log, vote, key));
        post({ type: "audit-progress", checked: verdicts.length, total: log.votes.length });
      }
      const { votes, counts } = recount(log, verdicts);
      const tally = await client.tally(job.pollId);
      post({
        type: "audited",
        ms: performance.now() - started,
        result: {
          pollId: job.pollId,
          liveness: log.liveness !== undefined,
          options: log.poll.options,
          votes,
          counts,
          serverCounts: tally.counts,
        },
      });
      return;
    }

    const identity = restoreIdentity(job.identity);
    const clock = new StageClock();
    clock.enter("artifacts");
    if (job.kind === "vote") {
      const proof = await client.proveVote(job.pollId, identity, job.option, {
        artifacts: async (depth) => {
          const [wasm, zkey] = await Promise.all([
            artifact(`${artifactsBase}semaphore/semaphore-${depth}.wasm`),
            artifact(`${artifactsBase}semaphore/semaphore-${depth}.zkey`),
          ]);
          const checked = await checkedArtifactBytes(depth, { wasm, zkey });
          // snarkjs computes the witness and the proof in one call (fullProve).
          clock.enter("witness", "witness and proof in one snarkjs call");
          return checked;
        },
      });
      clock.enter("submitting");
      const receipt = await client.submitVote(job.pollId, proof);
      const { witness, ...rest } = clock.done();
      post({
        type: "voted",
        receipt: { ...receipt, nullifier: String(receipt.nullifier) },
        timings: { ...rest, "witness+proving": witness },
      });
      return;
    }
    const vote = await client.proveLivenessVote(
      job.pollId,
      { identity, template: fromJson(job.template as never), salt: BigInt(job.salt), capture: job.capture },
      job.option,
      {
        livenessArtifacts: () =>
          fetchLivenessArtifacts(
            {
              manifest: `${artifactsBase}liveness_vote/manifest.json`,
              wasm: `${artifactsBase}liveness_vote/liveness_vote.wasm`,
              zkey: `${artifactsBase}liveness_vote/liveness_vote.zkey`,
              verificationKey: `${artifactsBase}liveness_vote/verification_key.json`,
            },
            { onProgress: (file) => post({ type: "artifact", file, bytes: 0 }) },
          ),
        onStage: (stage) => {
          if (stage !== "artifacts") clock.enter(stage);
        },
      },
    );
    clock.enter("submitting");
    const receipt = await client.submitLivenessVote(job.pollId, vote);
    post({
      type: "voted",
      receipt: { ...receipt, nullifier: String(receipt.nullifier) },
      timings: clock.done(),
    });
  } catch (error) {
    const e = error as { code?: unknown; message?: unknown };
    post({
      type: "failed",
      code: typeof e?.code === "string" ? e.code : "ERROR",
      message: typeof e?.message === "string" ? e.message : String(error),
    });
  } finally {
    await client.close();
  }
}

scope.onmessage = (event) => {
  void run(event.data.job, event.data.origin, event.data.webBase);
};
