// What the browser benchmark's page runs: a liveness vote and a plain Semaphore depth-20 proof,
// proved and verified in the page from a fixture made in Node (bench/match-proof/liveness-vote-browser.ts).
import { Group } from "@semaphore-protocol/group";
import { Identity } from "@semaphore-protocol/identity";
import { generateProof, verifyProof } from "@semaphore-protocol/proof";
import { parseCapturePacket } from "@zkiris/device";
import { fromJson } from "@zkiris/iris-code";
import {
  livenessVoteArtifactsFromBytes,
  proveLivenessVote,
  releaseCurve,
  verifyLivenessVote,
} from "@zkiris/match-proof";

interface Fixture {
  privateKey: string;
  members: string[];
  template: unknown;
  salt: string;
  packet: string;
  deviceProof: { root: string; leaf: string; siblings: string[]; pathIndices: number[] };
  scope: string;
  challenge: string;
  runs: number;
}

interface Figures {
  witnessMs: number[];
  proveMs: number[];
  totalMs: number[];
  verifyMs: number[];
}

const bytes = async (path: string) => new Uint8Array(await (await fetch(path)).arrayBuffer());

async function liveness(f: Fixture, log: (line: string) => void): Promise<Figures> {
  const artifacts = await livenessVoteArtifactsFromBytes({
    manifest: await bytes("/liveness/manifest.json"),
    verificationKey: await bytes("/liveness/verification_key.json"),
    wasm: await bytes("/liveness/liveness_vote.wasm"),
    zkey: await bytes("/liveness/liveness_vote.zkey"),
  });
  const group = new Group(f.members.map(BigInt));
  const input = {
    identity: Identity.import(f.privateKey),
    group,
    template: fromJson(f.template as Parameters<typeof fromJson>[0]),
    salt: BigInt(f.salt),
    capture: parseCapturePacket(f.packet),
    deviceProof: {
      root: BigInt(f.deviceProof.root),
      leaf: BigInt(f.deviceProof.leaf),
      siblings: f.deviceProof.siblings.map(BigInt),
      pathIndices: f.deviceProof.pathIndices,
    },
    scope: f.scope,
    message: 1n,
    challenge: BigInt(f.challenge),
  };
  const expected = {
    merkleTreeRoots: [group.root],
    scope: f.scope,
    challenge: BigInt(f.challenge),
    deviceRoot: BigInt(f.deviceProof.root),
  };
  const figures: Figures = { witnessMs: [], proveMs: [], totalMs: [], verifyMs: [] };
  for (let i = 0; i <= f.runs; i++) {
    const started = performance.now();
    let timings = { witnessMs: 0, proveMs: 0 };
    const vote = await proveLivenessVote(input, { artifacts, onTimings: (t) => (timings = t) });
    const total = performance.now() - started;
    const v0 = performance.now();
    if (!(await verifyLivenessVote(vote, expected, { artifacts })))
      throw new Error("liveness vote did not verify");
    const verify = performance.now() - v0;
    log(
      `liveness run ${i}: witness ${timings.witnessMs.toFixed(0)} ms, prove ${timings.proveMs.toFixed(0)} ms, verify ${verify.toFixed(1)} ms`,
    );
    if (i === 0) continue;
    figures.witnessMs.push(timings.witnessMs);
    figures.proveMs.push(timings.proveMs);
    figures.totalMs.push(total);
    figures.verifyMs.push(verify);
  }
  await artifacts.close();
  return figures;
}

async function semaphore(f: Fixture, log: (line: string) => void): Promise<Figures> {
  const identity = new Identity("zkiris bench identity");
  const group = new Group([1n, 2n, identity.commitment, 4n]);
  const files = {
    wasm: `${location.origin}/semaphore/semaphore-20.wasm`,
    zkey: `${location.origin}/semaphore/semaphore-20.zkey`,
  };
  const figures: Figures = { witnessMs: [], proveMs: [], totalMs: [], verifyMs: [] };
  for (let i = 0; i <= f.runs; i++) {
    const started = performance.now();
    const proof = await generateProof(identity, group, 1n, "bench poll", 20, files);
    const total = performance.now() - started;
    const v0 = performance.now();
    if (!(await verifyProof(proof))) throw new Error("Semaphore proof did not verify");
    const verify = performance.now() - v0;
    log(`semaphore run ${i}: witness+prove ${total.toFixed(0)} ms, verify ${verify.toFixed(1)} ms`);
    if (i === 0) continue;
    figures.totalMs.push(total);
    figures.verifyMs.push(verify);
  }
  await releaseCurve();
  return figures;
}

(globalThis as Record<string, unknown>).zkirisBench = { liveness, semaphore };
