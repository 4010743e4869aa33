import { Group } from "@semaphore-protocol/group";
import { Identity } from "@semaphore-protocol/identity";
import { generateProof, type SemaphoreProof } from "@semaphore-protocol/proof";
import { DeviceKey, signCapture } from "@zkiris/device";
import { DEFAULT_PROFILE, hashFieldElements, packFieldElements, toBinary } from "@zkiris/iris-code";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CRASH_POINT_ENV, ProofVerifierPool, Registry, semaphoreArtifacts } from "../src/index.js";
import { enrolmentRequest, randomCode, sqliteDatabase, type TestDatabase } from "./helpers.js";

const key = DeviceKey.fromSeed("verifier-pool-device");
const alice = new Identity("verifier-pool-alice");
let proof: SemaphoreProof;

beforeAll(async () => {
  const group = new Group([alice.commitment]);
  proof = await generateProof(alice, group, 0, 77n, 1, await semaphoreArtifacts(1));
}, 60_000);

/**
 * Runs `what` with the verifier workers' test hook set (see crash-points.ts): workers started
 * meanwhile freeze or exit in their first task. Workers started later (piscina's replacements) run
 * normally.
 */
async function withWorkerHook<T>(
  point: "verifier:task" | "verifier:exit",
  what: () => T | Promise<T>,
): Promise<T> {
  process.env[CRASH_POINT_ENV] = point;
  try {
    return await what();
  } finally {
    delete process.env[CRASH_POINT_ENV];
  }
}

describe("the verifier pool", () => {
  const pools: ProofVerifierPool[] = [];
  afterEach(async () => {
    for (const pool of pools.splice(0)) await pool.close();
  });
  const track = (pool: ProofVerifierPool) => {
    pools.push(pool);
    return pool;
  };

  it("verifies Semaphore proofs and capture signatures in workers and on the calling thread alike", async () => {
    const capture = signCapture(key, randomCode(5), 4242n, { focus: 0.9 });
    const options = { expectedGeometry: DEFAULT_PROFILE.geometry, now: capture.timestamp, maxAgeMs: 60_000 };
    for (const workers of [0, 2]) {
      const pool = track(new ProofVerifierPool(workers));
      expect(pool.size).toBe(workers);
      expect(await pool.verify(proof)).toEqual({ valid: true });
      expect(await pool.verify({ ...proof, message: "1" })).toEqual({ valid: false });
      const checked = await pool.verifyCapture(capture, options);
      expect(checked.refusal).toBeUndefined();
      expect(checked.capture).toMatchObject({
        challenge: 4242n,
        deviceId: key.deviceId,
        quality: { focus: 0.9 },
      });
      expect(checked.capture!.probe).toEqual(toBinary(randomCode(5)));
      // The digest the template commitment is derived from: the probe's hashes, computed here afresh.
      expect(checked.capture!.digest).toEqual({
        bits: hashFieldElements(packFieldElements(randomCode(5).bits, DEFAULT_PROFILE.geometry)),
        mask: hashFieldElements(packFieldElements(randomCode(5).mask, DEFAULT_PROFILE.geometry)),
      });
      const forged = { ...capture, signature: { ...capture.signature, S: "1" } };
      expect((await pool.verifyCapture(forged, options)).refusal).toMatchObject({
        code: "INVALID_SIGNATURE",
      });
    }
  });

  it("refuses bad sizes and timeouts, and rejects after close", async () => {
    expect(() => new ProofVerifierPool(-1)).toThrow(expect.objectContaining({ field: "workers" }));
    expect(() => new ProofVerifierPool(65)).toThrow(expect.objectContaining({ field: "workers" }));
    expect(() => new ProofVerifierPool(1, { timeoutMs: 0 })).toThrow(
      expect.objectContaining({ field: "timeoutMs" }),
    );
    const pool = new ProofVerifierPool(1);
    const check = await pool.verify({ merkleTreeDepth: 40 } as never);
    expect(check.valid).toBe(false);
    expect(check.error).toMatch(/proof/);
    await pool.close();
    await pool.close();
    await expect(pool.verify(proof)).rejects.toMatchObject({ code: "CLOSED" });
  });

  it("refuses, never accepts, a check whose worker freezes past the timeout, and recovers", async () => {
    const pool = track(
      await withWorkerHook("verifier:task", () => new ProofVerifierPool(1, { timeoutMs: 8000 })),
    );
    await expect(pool.verify(proof)).rejects.toMatchObject({
      code: "VERIFIER_FAILED",
      message: "The semaphore check did not answer within 8000 ms; refused, not accepted",
    });
    // piscina replaced the frozen worker with one started without the hook.
    expect(await pool.verify(proof)).toEqual({ valid: true });
  });

  it("refuses, never accepts, a check whose worker dies, and recovers", async () => {
    const pool = track(await withWorkerHook("verifier:exit", () => new ProofVerifierPool(1)));
    const refusal = pool.verify(proof);
    await expect(refusal).rejects.toMatchObject({ code: "VERIFIER_FAILED" });
    await expect(refusal).rejects.toThrow(/The verifier worker failed during the semaphore check/);
    expect(await pool.verify(proof)).toEqual({ valid: true });
  });
});

describe("a registry whose verifier worker fails", () => {
  let db: TestDatabase;
  let registry: Registry;

  beforeAll(async () => {
    db = sqliteDatabase();
  });
  afterAll(async () => {
    await registry?.close();
    await db?.drop();
  });

  it("refuses the enrolment with VERIFIER_FAILED, storing nothing, and takes it once the worker is replaced", async () => {
    registry = await withWorkerHook("verifier:exit", () =>
      Registry.open({ database: db.location, searchWorkers: 0, verifierWorkers: 1 }),
    );
    await registry.registerDevice(key.publicKey);
    await registry.createGroup({ id: "g", kind: "plain" });
    const request = await enrolmentRequest(registry, key, randomCode(6), alice.commitment, { groupId: "g" });
    await expect(registry.enrol(request)).rejects.toMatchObject({ code: "VERIFIER_FAILED" });
    expect(registry.group("g").size).toBe(0);
    const challenge = await registry.repository.getChallenge(request.capture.challenge);
    expect(challenge?.usedAt).toBeNull();
    // The replacement worker runs without the hook: the same request now lands.
    expect((await registry.enrol(request)).memberIndex).toBe(0);
    await registry.createPoll({
      id: "p",
      groupId: "g",
      options: ["a", "b"],
      opensAt: 0,
      closesAt: 8e15,
      scope: 77n,
    });
    expect(await registry.vote("p", proof)).toMatchObject({ pollId: "p", option: 0 });
  });
});
