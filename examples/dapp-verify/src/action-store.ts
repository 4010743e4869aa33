import { randomBytes } from "node:crypto";
import { SNARK_FIELD_ORDER } from "@zkiris/iris-code";
import type { NullifierStore } from "@zkiris/sdk";
import Database from "better-sqlite3";

/** A liveness challenge the backend issued for an action. */
export interface IssuedChallenge {
  readonly scope: bigint;
  readonly challenge: bigint;
  /** Unix milliseconds. */
  readonly issuedAt: number;
  /** Unix milliseconds; proofs with this challenge are accepted until then. */
  readonly expiresAt: number;
}

/**
 * The backend's state in one SQLite file (`:memory:` for a throwaway one): the nullifiers it
 * accepted, one per `(scope, nullifier)` under the table's primary key, so a claim is atomic even
 * across processes sharing the file; and the liveness challenges it issued per action.
 */
export class ActionStore implements NullifierStore {
  readonly #db: Database.Database;
  readonly #has: Database.Statement<[string, string]>;
  readonly #claim: Database.Statement<[string, string, number]>;
  readonly #latest: Database.Statement<[string]>;
  readonly #find: Database.Statement<[string, string]>;
  readonly #insertChallenge: Database.Statement<[string, string, number, number]>;
  readonly #now: () => number;

  /** Opens (or creates) the store at `file`; `now` is the clock of claims (Unix ms, default `Date.now`). */
  constructor(file: string, options: { now?: () => number } = {}) {
    this.#db = new Database(file);
    this.#db.pragma("journal_mode = WAL");
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS nullifiers (
        scope TEXT NOT NULL,
        nullifier TEXT NOT NULL,
        accepted_at INTEGER NOT NULL,
        PRIMARY KEY (scope, nullifier)
      );
      CREATE TABLE IF NOT EXISTS challenges (
        scope TEXT NOT NULL,
        challenge TEXT NOT NULL,
        issued_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (scope, challenge)
      );`);
    this.#has = this.#db.prepare("SELECT 1 FROM nullifiers WHERE scope = ? AND nullifier = ?");
    this.#claim = this.#db.prepare(
      "INSERT INTO nullifiers (scope, nullifier, accepted_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    );
    this.#latest = this.#db.prepare(
      "SELECT challenge, issued_at, expires_at FROM challenges WHERE scope = ? ORDER BY issued_at DESC, rowid DESC LIMIT 1",
    );
    this.#find = this.#db.prepare(
      "SELECT challenge, issued_at, expires_at FROM challenges WHERE scope = ? AND challenge = ?",
    );
    this.#insertChallenge = this.#db.prepare(
      "INSERT INTO challenges (scope, challenge, issued_at, expires_at) VALUES (?, ?, ?, ?)",
    );
    this.#now = options.now ?? Date.now;
  }

  has(scope: bigint, nullifier: bigint): boolean {
    return this.#has.get(scope.toString(), nullifier.toString()) !== undefined;
  }

  claim(scope: bigint, nullifier: bigint): boolean {
    return this.#claim.run(scope.toString(), nullifier.toString(), this.#now()).changes === 1;
  }

  /**
   * The action's current challenge: the latest one while less than half of `ttlMs` has passed since
   * it was issued (every user of the action gets the same), otherwise a new random field element.
   * `issued` is true when this call issued it.
   */
  currentChallenge(scope: bigint, ttlMs: number, now: number): IssuedChallenge & { issued: boolean } {
    const latest = this.#latest.get(scope.toString()) as ChallengeRow | undefined;
    if (latest !== undefined && now - latest.issued_at < ttlMs / 2) {
      return { ...fromRow(scope, latest), issued: false };
    }
    const challenge = BigInt(`0x${randomBytes(32).toString("hex")}`) % SNARK_FIELD_ORDER;
    this.#insertChallenge.run(scope.toString(), challenge.toString(), now, now + ttlMs);
    return { scope, challenge, issuedAt: now, expiresAt: now + ttlMs, issued: true };
  }

  /** A challenge issued for the action, or undefined. */
  challenge(scope: bigint, challenge: bigint): IssuedChallenge | undefined {
    const row = this.#find.get(scope.toString(), challenge.toString()) as ChallengeRow | undefined;
    return row === undefined ? undefined : fromRow(scope, row);
  }

  close(): void {
    this.#db.close();
  }
}

interface ChallengeRow {
  challenge: string;
  issued_at: number;
  expires_at: number;
}

function fromRow(scope: bigint, row: ChallengeRow): IssuedChallenge {
  return {
    scope,
    challenge: BigInt(row.challenge),
    issuedAt: row.issued_at,
    expiresAt: row.expires_at,
  };
}
