import { type RootRecord, ZkirisClient } from "@zkiris/sdk";
import type { PublishedRoot } from "./verify-liveness-action.js";

/** Where the backend reads what the zkiris registry publishes. */
export interface RegistrySource {
  /** The biometric group's root history, oldest first. */
  groupRoots(): Promise<readonly PublishedRoot[]>;
  /** The device-registry tree's roots seen so far, oldest first, the current one last. */
  deviceRoots(): Promise<readonly PublishedRoot[]>;
  /** The plain group's root history, when the backend also takes plain Semaphore proofs. */
  plainGroupRoots?(): Promise<readonly RootRecord[]>;
  close(): Promise<void>;
}

/**
 * A {@link RegistrySource} over the zkiris service's HTTP API: the biometric group's roots (and the
 * plain group's, when `plainGroupId` is given) through the SDK's `ZkirisClient.roots`, the device tree's root from `GET /device-registry`. The service publishes no
 * history of device roots, so this source keeps one: a root it reads is current from the moment it
 * first saw it, and the previous one counts as replaced then.
 */
export class HttpRegistrySource implements RegistrySource {
  readonly #client: ZkirisClient;
  readonly #baseUrl: string;
  readonly #groupId: string;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  readonly #deviceRoots: { root: bigint; createdAt: number; replacedAt: number | null }[] = [];

  constructor(options: {
    baseUrl: string;
    groupId: string;
    plainGroupId?: string;
    fetch?: typeof fetch;
    now?: () => number;
  }) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.#groupId = options.groupId;
    const plainGroupId = options.plainGroupId;
    if (plainGroupId !== undefined) {
      this.plainGroupRoots = () => this.#client.roots(plainGroupId);
    }
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#now = options.now ?? Date.now;
    this.#client = new ZkirisClient({ baseUrl: this.#baseUrl, fetch: this.#fetch });
  }

  readonly plainGroupRoots?: () => Promise<readonly RootRecord[]>;

  groupRoots(): Promise<readonly PublishedRoot[]> {
    return this.#client.roots(this.#groupId);
  }

  async deviceRoots(): Promise<readonly PublishedRoot[]> {
    const response = await this.#fetch(`${this.#baseUrl}/device-registry`);
    const body = (await response.json()) as { root?: unknown };
    if (!response.ok || typeof body.root !== "string" || !/^(0|[1-9][0-9]{0,77})$/.test(body.root)) {
      throw new Error(`GET /device-registry answered ${response.status} without a root`);
    }
    const root = BigInt(body.root);
    const latest = this.#deviceRoots.at(-1);
    if (latest?.root !== root) {
      const now = this.#now();
      if (latest !== undefined) latest.replacedAt = now;
      this.#deviceRoots.push({ root, createdAt: now, replacedAt: null });
    }
    return this.#deviceRoots.map((r) => ({ ...r }));
  }

  close(): Promise<void> {
    return this.#client.close();
  }
}
