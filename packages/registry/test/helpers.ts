import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CapturePacketJson, type DeviceKey, signCapture } from "@zkiris/device";
import { buildTemplate, DEFAULT_PROFILE, IrisCode, templateCommitment } from "@zkiris/iris-code";
import pg from "pg";
import type { CapturesEnrolmentRequest, DatabaseLocation, EnrolmentRequest, Registry } from "../src/index.js";

/** Deterministic xorshift32 stream in [0, 1). */
export function prng(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

const G = DEFAULT_PROFILE.geometry;
const N = G.rows * G.cols * G.bitsPerCell;

/** A random code of the default geometry with about `maskedFraction` of its bits masked out. */
export function randomCode(seed: number, maskedFraction = 0.1): IrisCode {
  const next = prng(seed);
  const bits = new Uint8Array(N);
  const mask = new Uint8Array(N);
  for (let i = 0; i < N; i++) {
    bits[i] = next() < 0.5 ? 1 : 0;
    mask[i] = next() < maskedFraction ? 0 : 1;
  }
  return IrisCode.fromBits(G, bits, mask);
}

/** The same code with a fraction of its bits flipped and its columns rotated by `shift`. */
export function recapture(code: IrisCode, seed: number, flipFraction: number, shift = 0): IrisCode {
  const next = prng(seed);
  const bits = code.bitValues();
  const mask = code.maskValues();
  const outBits = new Uint8Array(N);
  const outMask = new Uint8Array(N);
  const p = G.bitsPerCell;
  for (let r = 0; r < G.rows; r++) {
    for (let c = 0; c < G.cols; c++) {
      const src = (((c + shift) % G.cols) + G.cols) % G.cols;
      for (let b = 0; b < p; b++) {
        const i = (r * G.cols + c) * p + b;
        const j = (r * G.cols + src) * p + b;
        outBits[i] = next() < flipFraction ? 1 - bits[j]! : bits[j]!;
        outMask[i] = mask[j]!;
      }
    }
  }
  return IrisCode.fromBits(G, outBits, outMask);
}

/** A code whose mask keeps only `usable` bits. */
export function sparseCode(seed: number, usable: number): IrisCode {
  const next = prng(seed);
  const bits = new Uint8Array(N);
  const mask = new Uint8Array(N);
  for (let i = 0; i < N; i++) {
    bits[i] = next() < 0.5 ? 1 : 0;
    mask[i] = i < usable ? 1 : 0;
  }
  return IrisCode.fromBits(G, bits, mask);
}

/** A database under test: where it lives and how to drop it. */
export interface TestDatabase {
  readonly location: DatabaseLocation;
  drop(): Promise<void>;
}

/** The PostgreSQL URL of the test server, or undefined (the PostgreSQL suites then skip). */
export const POSTGRES_URL = process.env.ZKIRIS_TEST_DATABASE_URL;

if (POSTGRES_URL === undefined) {
  console.warn(
    "[registry] ZKIRIS_TEST_DATABASE_URL is not set: PostgreSQL suites are skipped (run .ci/start-postgres.sh and export it)",
  );
}

let counter = 0;

/** A fresh SQLite file in a temporary directory. */
export function sqliteDatabase(): TestDatabase {
  const dir = mkdtempSync(join(tmpdir(), "zkiris-registry-"));
  return {
    location: join(dir, "registry.sqlite"),
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A fresh PostgreSQL schema on the test server. */
export function postgresDatabase(): TestDatabase {
  const url = POSTGRES_URL!;
  const schema = `t_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  return {
    location: { postgres: url, schema },
    drop: async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}

/** Both backends; PostgreSQL only when the test server is configured. */
export const BACKENDS: ReadonlyArray<{ name: string; create: () => TestDatabase; skip: boolean }> = [
  { name: "SQLite", create: sqliteDatabase, skip: false },
  { name: "PostgreSQL", create: postgresDatabase, skip: POSTGRES_URL === undefined },
];

/** Good quality figures for a capture packet. */
export const GOOD_QUALITY = { focus: 0.9, usableFraction: 0.9 };

/** Builds an enrolment request: a fresh challenge from the registry, signed by `key`. */
export async function enrolmentRequest(
  registry: Registry,
  key: DeviceKey,
  probe: IrisCode,
  identityCommitment: bigint,
  options: { groupId?: string; salt?: bigint; quality?: Record<string, number>; timestamp?: number } = {},
): Promise<
  Omit<EnrolmentRequest, "capture"> & { salt: bigint; templateCommitment: bigint; capture: CapturePacketJson }
> {
  const { challenge } = await registry.issueChallenge();
  const salt = options.salt ?? 1234567890123456789n + identityCommitment;
  const capture = signCapture(key, probe, challenge, options.quality ?? GOOD_QUALITY, options.timestamp);
  return {
    groupId: options.groupId ?? "citizens",
    capture,
    identityCommitment,
    templateCommitment: templateCommitment(probe, salt),
    salt,
  };
}

/**
 * Builds a multi-capture enrolment request: one fresh challenge per probe, each signed by `key`,
 * and the commitment of the template iris-code's `buildTemplate` makes of the probes.
 */
export async function capturesRequest(
  registry: Registry,
  key: DeviceKey,
  probes: readonly IrisCode[],
  identityCommitment: bigint,
  options: { groupId?: string; salt?: bigint; timestamp?: number } = {},
): Promise<
  Omit<CapturesEnrolmentRequest, "captures"> & {
    salt: bigint;
    templateCommitment: bigint;
    captures: CapturePacketJson[];
    template: IrisCode;
  }
> {
  const captures: CapturePacketJson[] = [];
  for (const probe of probes) {
    const { challenge } = await registry.issueChallenge();
    captures.push(signCapture(key, probe, challenge, GOOD_QUALITY, options.timestamp));
  }
  const salt = options.salt ?? 9876543210n + identityCommitment;
  const { template } = buildTemplate(probes, registry.profile);
  return {
    groupId: options.groupId ?? "citizens",
    captures,
    identityCommitment,
    templateCommitment: templateCommitment(template, salt),
    salt,
    template,
  };
}
