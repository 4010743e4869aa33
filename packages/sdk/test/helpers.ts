import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DeviceKey, signCapture } from "@zkiris/device";
import { DEFAULT_PROFILE, type IrisCode } from "@zkiris/iris-code";
import { Registry } from "@zkiris/registry";
import { startServer, type ZkirisServer } from "@zkiris/server";
import { randomCode as kitRandomCode, recapture as kitRecapture, unit, xorshift32 } from "@zkiris/test-kit";
import type { ZkirisClient } from "../src/index.js";

export const ADMIN_TOKEN = "sdk-test-admin-token-0123456789";

/** A random code of the default geometry with about 10 % of its bits masked out: one synthetic eye. */
export function randomCode(seed: number): IrisCode {
  return kitRandomCode(unit(xorshift32(seed, 0x9e3779b9)), DEFAULT_PROFILE.geometry, 0.9);
}

/** The same code with a fraction of its bits flipped and its columns rotated by `shift`: another capture of the eye. */
export function recapture(code: IrisCode, seed: number, flip: number, shift = 0): IrisCode {
  return kitRecapture(unit(xorshift32(seed, 0x9e3779b9)), code, { flip, shift });
}

/** A real server on an ephemeral port over a registry on a fresh SQLite file, and its teardown. */
export interface TestService {
  readonly server: ZkirisServer;
  readonly registry: Registry;
  readonly dir: string;
  close(): Promise<void>;
}

export async function startTestService(): Promise<TestService> {
  const dir = mkdtempSync(join(tmpdir(), "zkiris-sdk-"));
  const registry = await Registry.open({
    database: join(dir, "registry.sqlite"),
    searchWorkers: 1,
    verifierWorkers: 1,
  });
  const server = await startServer(registry, { adminToken: ADMIN_TOKEN, rateLimit: false, log: false });
  return {
    server,
    registry,
    dir,
    close: async () => {
      await server.close();
      await registry.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A capture device that signs a synthetic eye for a challenge the client fetched from the server. */
export async function signedCapture(client: ZkirisClient, key: DeviceKey, eye: IrisCode) {
  const { challenge } = await client.requestChallenge();
  return signCapture(key, eye, challenge, { focus: 1 });
}
