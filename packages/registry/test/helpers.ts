import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CapturePacketJson, type DeviceKey, signCapture } from "@zkiris/device";
import { buildTemplate, DEFAULT_PROFILE, IrisCode, templateCommitment } from "@zkiris/iris-code";
import {
  randomCode as kitRandomCode,
  recapture as kitRecapture,
  needs,
  requirement,
  unit,
  xorshift32,
} from "@zkiris/test-kit";
import pg from "pg";
import type { CapturesEnrolmentRequest, DatabaseLocation, EnrolmentRequest, Registry } from "../src/index.js";

/** Deterministic xorshift32 stream in [0, 1). */
export function prng(seed: number): () => number {
  return unit(xorshift32(seed, 0x9e3779b9));
}

const G = DEFAULT_PROFILE.geometry;
const N = G.rows * G.cols * G.bitsPerCell;

/** A random code of the default geometry with about `maskedFraction` of its bits masked out. */
export function randomCode(seed: number, maskedFraction = 0.1): IrisCode {
  return kitRandomCode(prng(seed), G, 1 - maskedFraction);
}

/** The same code with a fraction of its bits flipped and its columns rotated by `shift`. */
export function recapture(code: IrisCode, seed: number, flipFraction: number, shift = 0): IrisCode {
  return kitRecapture(prng(seed), code, { flip: flipFraction, shift });
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

/** The test server (`ZKIRIS_TEST_DATABASE_URL`); without it the PostgreSQL suites skip and the skip report says why. */
export const POSTGRES = requirement("postgresql");

/** The PostgreSQL URL of the test server, or undefined (the PostgreSQL suites then skip). */
export const POSTGRES_URL = POSTGRES.available ? process.env.ZKIRIS_TEST_DATABASE_URL : undefined;

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

/** A storage backend the suites run on; `title` names a suite on it (tagged with what it needs). */
export interface Backend {
  readonly name: string;
  readonly create: () => TestDatabase;
  readonly skip: boolean;
  title(what: string): string;
}

/** Both backends; PostgreSQL only when the test server is configured. */
export const BACKENDS: readonly Backend[] = [
  { name: "SQLite", create: sqliteDatabase, skip: false, title: (what) => `${what} on SQLite` },
  {
    name: "PostgreSQL",
    create: postgresDatabase,
    skip: !POSTGRES.available,
    title: (what) => needs(POSTGRES, `${what} on PostgreSQL`),
  },
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
