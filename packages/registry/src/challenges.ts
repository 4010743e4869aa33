import { randomBytes } from "node:crypto";
import { SNARK_FIELD_ORDER } from "@zkiris/iris-code";
import type { RegistryError } from "./errors.js";
import { challengeRefusal } from "./rules.js";
import type { ServiceDependencies } from "./service-shared.js";

/** A uniformly random non-zero field element from the platform CSPRNG (rejection sampling). */
export function randomFieldElement(): bigint {
  for (;;) {
    const bytes = randomBytes(32);
    bytes[0]! &= 0x3f;
    const value = BigInt(`0x${bytes.toString("hex")}`);
    if (value !== 0n && value < SNARK_FIELD_ORDER) return value;
  }
}

/** Collaborators of {@link ChallengeService}. */
export interface ChallengeServiceDependencies extends ServiceDependencies {
  /** Lifetime of an issued challenge, in milliseconds. */
  readonly challengeTtlMs: number;
}

/**
 * The one-time challenges a capture device signs for enrolment and recovery: issued here, consumed
 * in the transaction of the enrolment or recovery that uses them (by the repository), pruned once
 * expired.
 */
export class ChallengeService {
  readonly #deps: ChallengeServiceDependencies;

  constructor(deps: ChallengeServiceDependencies) {
    this.#deps = deps;
  }

  /** Lifetime of an issued challenge, in milliseconds (also the longest a capture may be old). */
  get challengeTtlMs(): number {
    return this.#deps.challengeTtlMs;
  }

  /** Issues a fresh random challenge for one capture, valid for `challengeTtlMs` and usable once. */
  async issueChallenge(): Promise<{ challenge: bigint; expiresAt: number }> {
    const { repository, lifecycle, now: clock } = this.#deps;
    lifecycle.assertOpen();
    const now = clock();
    const challenge = randomFieldElement();
    const expiresAt = now + this.#deps.challengeTtlMs;
    await repository.insertChallenge({
      value: challenge.toString(),
      issuedAt: now,
      expiresAt,
      usedAt: null,
    });
    return { challenge, expiresAt };
  }

  /**
   * Deletes every challenge that expired before now (issued ones are unauthenticated, so a deployment
   * calls this periodically). An expired challenge is refused either way; after pruning, a replay of it
   * gets `UNKNOWN_CHALLENGE` instead of `CHALLENGE_EXPIRED` or `CHALLENGE_REPLAYED`. Returns how many.
   */
  async pruneChallenges(): Promise<number> {
    this.#deps.lifecycle.assertOpen();
    return this.#deps.repository.deleteExpiredChallenges(this.#deps.now());
  }

  /**
   * Why the decimal challenge cannot be consumed at `now` (default: the clock once it is read) (`UNKNOWN_CHALLENGE`,
   * `CHALLENGE_REPLAYED`, `CHALLENGE_EXPIRED`, naming `capture.challenge`), or undefined if it can.
   * The early check before the work of an enrolment or recovery; the repository decides again in
   * the transaction that consumes it.
   */
  async refusal(challenge: string, now?: number): Promise<RegistryError | undefined> {
    const record = await this.#deps.repository.getChallenge(challenge);
    return challengeRefusal(record, now ?? this.#deps.now());
  }
}
