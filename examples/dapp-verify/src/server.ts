import { ZkirisError } from "@zkiris/iris-code";
import {
  type LivenessVoteArtifacts,
  type LivenessVoteProof,
  livenessCaptureChallenge,
} from "@zkiris/match-proof";
import {
  type ArtifactResolver,
  DEFAULT_ROOT_EXPIRY_MS,
  type SemaphoreProofJson,
  verifyUniqueAction,
} from "@zkiris/sdk";
import { nodeArtifacts } from "@zkiris/sdk/node";
import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import { Type } from "typebox";
import { ACTION_PATTERN, actionScope } from "./action-scope.js";
import type { ActionStore } from "./action-store.js";
import type { UniqueActionChain } from "./chain.js";
import { DappError, type DappErrorCode, HTTP_STATUS } from "./errors.js";
import type { RegistrySource } from "./registry-source.js";
import { RootOracle } from "./root-oracle.js";
import { DEFAULT_DEVICE_ROOT_EXPIRY_MS, verifyLivenessAction } from "./verify-liveness-action.js";

/** Default lifetime of an action's liveness challenge: 10 minutes (a new one after half of it). */
export const DEFAULT_CHALLENGE_TTL_MS = 10 * 60_000;

export interface DappServerOptions {
  /** Nullifiers and challenges (SQLite). */
  readonly store: ActionStore;
  /** What the zkiris registry publishes: the biometric group's roots and the device tree's. */
  readonly registry: RegistrySource;
  /** UniqueAction and the verifier, where accepted proofs are submitted too. */
  readonly chain: UniqueActionChain;
  /** The liveness-vote verification key (`loadLivenessVoteArtifacts`). */
  readonly artifacts: Pick<LivenessVoteArtifacts, "verificationKey">;
  /**
   * Semaphore's proving keys, from which the on-chain verifier of a plain proof's depth is exported
   * the first time that depth is seen; default `nodeArtifacts()` of `@zkiris/sdk/node`.
   */
  readonly semaphoreArtifacts?: ArtifactResolver;
  readonly rootExpiryMs?: number;
  readonly deviceRootExpiryMs?: number;
  readonly challengeTtlMs?: number;
  /** Clock in Unix milliseconds (also `block.timestamp` of the chain's owner); default `Date.now`. */
  readonly now?: () => number;
  /** Fastify's request log; default off. */
  readonly log?: boolean;
}

const FieldElement = Type.String({ pattern: "^(0|[1-9][0-9]{0,77})$" });
const Coordinate = FieldElement;
const LivenessProofBody = Type.Object(
  {
    merkleTreeRoot: FieldElement,
    nullifier: FieldElement,
    message: FieldElement,
    scope: FieldElement,
    challenge: FieldElement,
    deviceRoot: FieldElement,
    proof: Type.Object(
      {
        pi_a: Type.Array(Coordinate, { minItems: 3, maxItems: 3 }),
        pi_b: Type.Array(Type.Array(Coordinate, { minItems: 2, maxItems: 2 }), { minItems: 3, maxItems: 3 }),
        pi_c: Type.Array(Coordinate, { minItems: 3, maxItems: 3 }),
        protocol: Type.Literal("groth16"),
        curve: Type.Literal("bn128"),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
const SemaphoreProofBody = Type.Object(
  {
    merkleTreeDepth: Type.Integer({ minimum: 1, maximum: 32 }),
    merkleTreeRoot: FieldElement,
    nullifier: FieldElement,
    message: FieldElement,
    scope: FieldElement,
    points: Type.Array(FieldElement, { minItems: 8, maxItems: 8 }),
  },
  { additionalProperties: false },
);
const ActionParams = Type.Object({ action: Type.String({ pattern: ACTION_PATTERN }) });
const ErrorBody = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), field: Type.Optional(Type.String()) }),
});
const Accepted = Type.Object({
  action: Type.String(),
  scope: FieldElement,
  nullifier: FieldElement,
  message: FieldElement,
  offChain: Type.Object({ verifyMs: Type.Number() }),
  onChain: Type.Object({ executionGas: Type.Integer(), transactionGas: Type.Integer() }),
});
const ActionChallenge = Type.Object({
  action: Type.String(),
  scope: FieldElement,
  challenge: FieldElement,
  captureChallenge: FieldElement,
  issuedAt: Type.Integer(),
  expiresAt: Type.Integer(),
});

function onChainRejected(method: string, revert: string): DappError {
  return new DappError(
    "ON_CHAIN_REJECTED",
    `UniqueAction.${method} reverted with ${revert} after the off-chain checks passed`,
    { field: "proof" },
  );
}

/**
 * The dApp backend (not listening yet: `app.listen`, or `app.inject` in tests):
 *
 * - `POST /actions/{action}/challenges`: the action's current liveness challenge, and the challenge
 *   the capture device signs (`livenessCaptureChallenge(scope, challenge)`); a newly issued one is
 *   published to UniqueAction by the owner.
 * - `POST /actions/{action}` with `{ proof }` (a `LivenessVoteProof` of `@zkiris/match-proof` made with
 *   the action's scope and challenge): verified off-chain ({@link verifyLivenessAction}, nullifier
 *   claimed in the store), then the roots are mirrored and the same proof is submitted to
 *   UniqueAction; 201 with the nullifier and the gas, or `{ error: { code, message, field } }`.
 * - `POST /actions/{action}/semaphore` with `{ proof }` (a plain Semaphore proof of the registry's plain
 *   group, `ZkirisClient.proveAction` with the action's scope): verified off-chain with
 *   `verifyUniqueAction` of `@zkiris/sdk` over the same nullifier store, then on-chain with
 *   `performPlainAction` and the Semaphore verifier of the proof's depth.
 */
export async function buildDappServer(options: DappServerOptions): Promise<FastifyInstance> {
  const now = options.now ?? Date.now;
  const rootExpiryMs = options.rootExpiryMs ?? DEFAULT_ROOT_EXPIRY_MS;
  const deviceRootExpiryMs = options.deviceRootExpiryMs ?? DEFAULT_DEVICE_ROOT_EXPIRY_MS;
  const challengeTtlMs = options.challengeTtlMs ?? DEFAULT_CHALLENGE_TTL_MS;
  const { store, registry, chain } = options;
  const semaphoreArtifacts = options.semaphoreArtifacts ?? nodeArtifacts();
  const oracle = new RootOracle(chain);
  // One chain transaction at a time: a root sync and the submission it precedes are not interleaved.
  let chainQueue: Promise<unknown> = Promise.resolve();
  const onChain = <T>(work: () => Promise<T>): Promise<T> => {
    const run = chainQueue.then(work, work);
    chainQueue = run.catch(() => undefined);
    return run;
  };

  const syncRoots = async () =>
    oracle.sync(
      {
        groupRoots: await registry.groupRoots(),
        deviceRoots: await registry.deviceRoots(),
        ...(registry.plainGroupRoots ? { plainGroupRoots: await registry.plainGroupRoots() } : {}),
      },
      { rootExpiryMs, deviceRootExpiryMs },
    );

  const app = Fastify({ logger: options.log ?? false, bodyLimit: 16 * 1024 });

  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error.validation !== undefined) {
      const first = error.validation[0];
      const path = (first?.instancePath ?? "").split("/").filter((s) => s !== "");
      const field = [error.validationContext ?? "body", ...path].join(".");
      return reply.status(400).send({
        error: {
          code: "MALFORMED_BODY",
          message: `Field '${field}' ${first?.message ?? "is invalid"}`,
          field,
        },
      });
    }
    if (error instanceof DappError) {
      return reply.status(error.status).send({
        error: { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) },
      });
    }
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      // Fastify's own refusals: a body that is not JSON, too large, or of another content type.
      return reply
        .status(400)
        .send({ error: { code: "MALFORMED_BODY", message: error.message, field: "body" } });
    }
    reply.log.error(error);
    return reply.status(500).send({ error: { code: "INTERNAL", message: "Internal error" } });
  });

  app.post<{ Params: { action: string } }>(
    "/actions/:action/challenges",
    { schema: { params: ActionParams, response: { 200: ActionChallenge, "4xx": ErrorBody } } },
    async (request) => {
      const { action } = request.params;
      const scope = actionScope(action);
      const current = store.currentChallenge(scope, challengeTtlMs, now());
      if (current.issued) {
        // Accepted on-chain through the last whole second before expiresAt, as off-chain.
        const until = BigInt(Math.floor((current.expiresAt - 1) / 1000));
        await onChain(() => chain.publishChallenge(scope, current.challenge, until));
      }
      return {
        action,
        scope: scope.toString(),
        challenge: current.challenge.toString(),
        captureChallenge: livenessCaptureChallenge(scope, current.challenge).toString(),
        issuedAt: current.issuedAt,
        expiresAt: current.expiresAt,
      };
    },
  );

  app.post<{ Params: { action: string }; Body: { proof: LivenessVoteProof } }>(
    "/actions/:action",
    {
      schema: {
        params: ActionParams,
        body: Type.Object({ proof: LivenessProofBody }, { additionalProperties: false }),
        response: { 201: Accepted, "4xx": ErrorBody, "5xx": ErrorBody },
      },
    },
    async (request, reply) => {
      const { action } = request.params;
      const { proof } = request.body;
      const scope = actionScope(action);
      const started = performance.now();
      const accepted = await verifyLivenessAction(proof, {
        scope,
        rootHistory: () => registry.groupRoots(),
        rootExpiryMs,
        deviceRootHistory: () => registry.deviceRoots(),
        deviceRootExpiryMs,
        issuedChallenge: (s, c) => store.challenge(s, c),
        nullifiers: store,
        artifacts: options.artifacts,
        now,
      });
      const verifyMs = performance.now() - started;
      const outcome = await onChain(async () => {
        await syncRoots();
        return chain.performAction(scope, proof);
      });
      if (!outcome.accepted) {
        // The nullifier stays claimed off-chain: a proof the contract refuses is not retried here.
        throw onChainRejected("performAction", outcome.revert.name);
      }
      return reply.status(201).send({
        action,
        scope: scope.toString(),
        nullifier: accepted.nullifier.toString(),
        message: accepted.message.toString(),
        offChain: { verifyMs },
        onChain: {
          executionGas: Number(outcome.executionGas),
          transactionGas: Number(outcome.transactionGas),
        },
      });
    },
  );

  app.post<{ Params: { action: string }; Body: { proof: SemaphoreProofJson } }>(
    "/actions/:action/semaphore",
    {
      schema: {
        params: ActionParams,
        body: Type.Object({ proof: SemaphoreProofBody }, { additionalProperties: false }),
        response: { 201: Accepted, "4xx": ErrorBody, "5xx": ErrorBody },
      },
    },
    async (request, reply) => {
      const plainGroupRoots = registry.plainGroupRoots?.bind(registry);
      if (plainGroupRoots === undefined) {
        throw new DappError(
          "UNSUPPORTED_PROOF",
          "This backend takes no plain Semaphore proofs (no plain group)",
          {
            field: "proof",
          },
        );
      }
      const { action } = request.params;
      const scope = actionScope(action);
      const started = performance.now();
      let accepted: Awaited<ReturnType<typeof verifyUniqueAction>>;
      try {
        accepted = await verifyUniqueAction(request.body.proof, {
          scope,
          rootHistory: plainGroupRoots,
          rootExpiryMs,
          nullifiers: store,
          now,
        });
      } catch (error) {
        // The SDK's refusals carry the codes of this backend (WRONG_SCOPE, STALE_ROOT, ...).
        if (ZkirisError.is(error) && error.code in HTTP_STATUS) {
          throw new DappError(error.code as DappErrorCode, error.message, {
            field: error.field,
            cause: error,
          });
        }
        throw error;
      }
      const verifyMs = performance.now() - started;
      const { proof } = request.body;
      const outcome = await onChain(async () => {
        await chain.ensureSemaphoreVerifier(proof.merkleTreeDepth, semaphoreArtifacts);
        await syncRoots();
        return chain.performPlainAction(scope, proof);
      });
      if (!outcome.accepted) throw onChainRejected("performPlainAction", outcome.revert.name);
      return reply.status(201).send({
        action,
        scope: scope.toString(),
        nullifier: accepted.nullifier.toString(),
        message: accepted.message.toString(),
        offChain: { verifyMs },
        onChain: {
          executionGas: Number(outcome.executionGas),
          transactionGas: Number(outcome.transactionGas),
        },
      });
    },
  );

  app.get("/health", async () => ({ status: "ok" }));
  return app;
}
