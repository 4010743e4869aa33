/**
 * Where a dApp backend remembers the nullifiers it accepted, per scope. `claim` must be atomic
 * (for a database: an insert under a unique constraint on `(scope, nullifier)`), so that two
 * concurrent submissions of one proof cannot both be accepted.
 */
export interface NullifierStore {
  /** Whether the nullifier was already claimed in this scope (a cheap check before the SNARK). */
  has(scope: bigint, nullifier: bigint): boolean | Promise<boolean>;
  /** Records the nullifier in this scope; true if it was new, false if it was already there. */
  claim(scope: bigint, nullifier: bigint): boolean | Promise<boolean>;
}

/** A {@link NullifierStore} in this process's memory: for tests and single-process services. */
export class InMemoryNullifierStore implements NullifierStore {
  readonly #used = new Set<string>();

  has(scope: bigint, nullifier: bigint): boolean {
    return this.#used.has(`${scope}:${nullifier}`);
  }

  claim(scope: bigint, nullifier: bigint): boolean {
    const key = `${scope}:${nullifier}`;
    if (this.#used.has(key)) return false;
    this.#used.add(key);
    return true;
  }

  /** Number of nullifiers claimed, over every scope. */
  get size(): number {
    return this.#used.size;
  }
}
