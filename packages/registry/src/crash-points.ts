import { writeSync } from "node:fs";

/** Points inside the enrolment transaction where a crash test can freeze the process. */
export type CrashPoint =
  | "enrol:after-challenge"
  | "enrol:after-enrolment"
  | "enrol:after-member"
  | "enrol:before-commit"
  | "enrol:after-commit"
  | "verifier:task"
  | "verifier:exit";

/** Environment variable naming the {@link CrashPoint} at which to freeze. Test use only. */
export const CRASH_POINT_ENV = "ZKIRIS_REGISTRY_CRASH_AT";

/**
 * When `ZKIRIS_REGISTRY_CRASH_AT` names this point, prints `CRASH_POINT <point>` on stdout and blocks
 * the thread for ever, so that a test can SIGKILL the process at exactly this point of a
 * transaction. Does nothing otherwise.
 */
export function crashPoint(point: CrashPoint): void {
  if (process.env[CRASH_POINT_ENV] !== point) return;
  writeSync(1, `CRASH_POINT ${point}\n`);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}
