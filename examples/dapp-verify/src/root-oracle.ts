import { NO_END, type UniqueActionChain } from "./chain.js";
import type { PublishedRoot } from "./verify-liveness-action.js";

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

  /** Publishes what changed in `groupRoots` and `deviceRoots` since the last call. */
  async sync(
    groupRoots: readonly PublishedRoot[],
    rootExpiryMs: number,
    deviceRoots: readonly PublishedRoot[],
    deviceRootExpiryMs: number,
  ): Promise<void> {
    for (const r of groupRoots) {
      const until = validUntil(r, rootExpiryMs);
      if (this.#published.get(`group:${r.root}`) === until) continue;
      await this.#chain.publishGroupRoot(r.root, until);
      this.#published.set(`group:${r.root}`, until);
    }
    for (const r of deviceRoots) {
      const until = validUntil(r, deviceRootExpiryMs);
      if (this.#published.get(`device:${r.root}`) === until) continue;
      await this.#chain.publishDeviceRoot(r.root, until);
      this.#published.set(`device:${r.root}`, until);
    }
  }
}

/** Unix seconds until which a root is accepted on-chain. */
export function validUntil(record: PublishedRoot, expiryMs: number): bigint {
  return record.replacedAt === null ? NO_END : BigInt(Math.floor((record.replacedAt + expiryMs) / 1000));
}
