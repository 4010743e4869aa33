import { CaptureError, type RegistryError, VoteError } from "./errors.js";
import type { ChallengeRecord } from "./repository.js";

// Rules of the domain that the storage adapters apply inside their transactions, defined once.

/** Reasons a challenge cannot be consumed at `now`, or undefined if it can. */
export function challengeRefusal(
  challenge: ChallengeRecord | undefined,
  now: number,
): RegistryError | undefined {
  if (challenge === undefined) {
    return new CaptureError(
      "UNKNOWN_CHALLENGE",
      "Field 'capture.challenge' was not issued by this registry",
      {
        field: "capture.challenge",
      },
    );
  }
  if (challenge.usedAt !== null) {
    return new CaptureError(
      "CHALLENGE_REPLAYED",
      "Field 'capture.challenge' was already used by an enrolment",
      {
        field: "capture.challenge",
      },
    );
  }
  if (now >= challenge.expiresAt) {
    return new CaptureError(
      "CHALLENGE_EXPIRED",
      `Field 'capture.challenge' expired at ${new Date(challenge.expiresAt).toISOString()}`,
      { field: "capture.challenge" },
    );
  }
  return undefined;
}

/** The refusal of a second vote with the same nullifier in a poll. */
export function duplicateNullifier(): RegistryError {
  return new VoteError("DUPLICATE_NULLIFIER", "Field 'proof.nullifier' has already voted in this poll", {
    field: "proof.nullifier",
  });
}
