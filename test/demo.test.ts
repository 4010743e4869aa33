import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

describe("npm run demo", () => {
  it("walks the whole flow and prints its summary", () => {
    const run = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "--conditions=zkiris-source",
        join(root, "examples", "demo", "demo.ts"),
        "--people",
        "3",
      ],
      { cwd: root, encoding: "utf8", timeout: 300_000 },
    );
    expect(run.stderr).not.toContain("demo failed");
    expect(run.status).toBe(0);
    const out = run.stdout;
    expect(out).toContain("encoder backend        wasm");
    expect(out).toContain("enrolled               3 people");
    expect(out).toContain("duplicate enrolment    refused (DUPLICATE_ENROLLMENT)");
    expect(out).toContain("squint attack          refused (INSUFFICIENT_USABLE_BITS)");
    expect(out).toMatch(/failed to enrol {8}\d+ subjects/);
    expect(out).toContain("votes                  3 accepted, double vote refused (DUPLICATE_NULLIFIER)");
    expect(out).toContain("audit recount          agrees");
    expect(out).toMatch(/live match proof {7}valid/);
    expect(out).toContain("replay / impostor      refused (CHALLENGE_MISMATCH) / refused (NO_MATCH)");
    expect(out).toMatch(
      /liveness-bound vote {4}accepted \(prove \d+\.\d\d s\), again refused \(DUPLICATE_NULLIFIER\)/,
    );
  });
});
