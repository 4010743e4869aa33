/**
 * Messages between the development powers-of-tau tool (`dev-ptau-setup.ts`) and its worker
 * threads (`dev-ptau-worker.ts`). Only `init` carries the secret; jobs carry indices.
 */

/** Which secret multiplies a section's scalars. */
export type ScalarFactor = "one" | "alpha" | "beta";

/** A BN254 group as ffjavascript names it. */
export type GroupName = "G1" | "G2";

/** Largest chunk of points a job may ask for (bounds the wasm scratch space it needs). */
export const MAX_CHUNK_POINTS = 1 << 15;

/** Widest fixed-base window a worker accepts (a 2^16-entry row per window). */
export const MAX_WINDOW_BITS = 16;

/** A job without its id: a chunk of a section, or points to convert for hashing. */
export type WorkerJob =
  | {
      /** Points factor·tau^(start + j)·G, j < count. */
      type: "powers";
      group: GroupName;
      factor: ScalarFactor;
      start: number;
      count: number;
      /** Also return the compressed points (the response hash covers sections 2-6 compressed). */
      compressed: boolean;
    }
  | {
      /** Points factor·L_i(tau)·G for i = start..start+count-1 over the domain of size 2^log2Size. */
      type: "lagrange";
      group: GroupName;
      factor: ScalarFactor;
      log2Size: number;
      start: number;
      count: number;
      /**
       * The section-12 domain of size 2^(power+1): snarkjs interpolates the 2^(power+1) - 1 powers
       * with a zero in place of the missing tau^(2^(power+1) - 1), so that term is left out.
       */
      withoutTopPower: boolean;
    }
  | {
      /** Affine Montgomery points (as written) to uncompressed form, for the next-challenge hash. */
      type: "uncompress";
      group: GroupName;
      points: Uint8Array;
    };

export type WorkerRequest =
  | { type: "init"; tau: Uint8Array; alpha: Uint8Array; beta: Uint8Array }
  | { type: "table"; group: GroupName; window: number }
  | (WorkerJob & { id: number })
  | { type: "close" };

export type WorkerResponse =
  | { type: "ready" }
  | { type: "result"; id: number; points: Uint8Array; compressed?: Uint8Array }
  | { type: "failed"; message: string };
