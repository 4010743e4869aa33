import { NO_END, type UniqueActionChain } from "./chain.js";
import type { PublishedRoot } from "./verify-liveness-action.js";

/** What the registry publishes, as the oracle mirrors it. */
export interface PublishedRoots {
  /** The biometric group's root history. */
  readonly groupRoots: readonly PublishedRoot[];
  /** The device-registry tree's roots. */
  readonly deviceRoots: readonly PublishedRoot[];
  /** The plain group's root history, when plain Semaphore proofs are taken. */
  readonly plainGroupRoots?: readonly PublishedRoot[];
}

/**
 * The root oracle: mirrors the registry's group and device roots into UniqueAction as its owner, each
 * with the last second it is accepted (a current root: no end; a replaced one: its replacement time
 * plus the expiry window, the window the off-chain check applies). Only changes are sent.
 */
export class RootOracle {
  readonly #chain: UniqueActionChain;
  readonly #published = new Map<string, bigint>();

  constructor(chain: UniqueActionChain) {
    this.#chain = chain;
  }

  /** Publishes what changed since the last call; group roots (both kinds) expire after `rootExpiryMs`. */
  async sync(
    roots: PublishedRoots,
    windows: { rootExpiryMs: number; deviceRootExpiryMs: number },
  ): Promise<void> {
    const kinds = [
      [
        "group",
        roots.groupRoots,
        windows.rootExpiryMs,
        (r: bigint, u: bigint) => this.#chain.publishGroupRoot(r, u),
      ],
      [
        "device",
        roots.deviceRoots,
        windows.deviceRootExpiryMs,
        (r: bigint, u: bigint) => this.#chain.publishDeviceRoot(r, u),
      ],
      [
        "plain",
        roots.plainGroupRoots ?? [],
        windows.rootExpiryMs,
        (r: bigint, u: bigint) => this.#chain.publishPlainGroupRoot(r, u),
      ],
    ] as const;
    for (const [kind, records, expiryMs, publish] of kinds) {
      for (const r of records) {
        const until = validUntil(r, expiryMs);
        const key = `${kind}:${r.root}`;
        if (this.#published.get(key) === until) continue;
        await publish(r.root, until);
        this.#published.set(key, until);
      }
    }
  }
}

/** Unix seconds until which a root is accepted on-chain. */
export function validUntil(record: PublishedRoot, expiryMs: number): bigint {
  return record.replacedAt === null ? NO_END : BigInt(Math.floor((record.replacedAt + expiryMs) / 1000));
}
