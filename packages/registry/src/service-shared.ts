import { poseidon } from "@zkiris/iris-code";
import { RegistryError } from "./errors.js";
import type { GroupKind, Repository } from "./repository.js";

// What several services of the registry share: the clock, the write lock, whether the registry
// is still open, and the receipt and leaf rule of enrolment and recovery.

/** A clock in Unix milliseconds. */
export type Clock = () => number;

/**
 * Serialises async critical sections (search-then-insert, tree updates) in one process: every
 * service that changes the device tree or a group tree runs that change under the one write lock
 * of its registry.
 */
export class WriteLock {
  #tail: Promise<void> = Promise.resolve();

  /** Runs `fn` after every section queued before it has settled; its result or error is the caller's. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn);
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

/** Whether the registry is still open; the services refuse with `CLOSED` after `close()`. */
export class Lifecycle {
  #closed = false;

  get closed(): boolean {
    return this.#closed;
  }

  /** Marks the registry closed; true the first time (the caller then releases its resources). */
  close(): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    return true;
  }

  /** Throws `CLOSED` once the registry is closed. */
  assertOpen(): void {
    if (this.#closed) throw new RegistryError("CLOSED", "The registry is closed");
  }
}

/** What every service takes: the storage, the clock and the registry's open state. */
export interface ServiceDependencies {
  readonly repository: Repository;
  readonly now: Clock;
  readonly lifecycle: Lifecycle;
}

/** Longest root expiry window a registry or a group takes: 365 days, in milliseconds. */
export const MAX_ROOT_EXPIRY_MS = 365 * 86_400_000;

/** Result of an accepted enrolment (or recovery). */
export interface EnrolmentReceipt {
  readonly groupId: string;
  readonly memberIndex: number;
  /** The leaf inserted: the identity commitment (plain group) or `Poseidon2(identityCommitment, templateCommitment)`. */
  readonly leaf: bigint;
  /** The group root after the insertion. */
  readonly root: bigint;
}

/** A member's leaf: the identity commitment in a plain group, `Poseidon2(identity, template)` in a biometric one. */
export function leafFor(kind: GroupKind, identityCommitment: bigint, templateCommitment: bigint): bigint {
  return kind === "plain" ? identityCommitment : poseidon([identityCommitment, templateCommitment]);
}
