import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = mkdtempSync(join(tmpdir(), "zkiris-demo-test-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("npm run demo (zkiris demo)", () => {
  it("walks the whole flow over HTTP through the server, the bridge and the SDK, and writes its report", async () => {
    // Asynchronously: a synchronous spawn would block this worker (and its reports to vitest) for the whole run.
    const run = await promisify(execFile)(
      process.execPath,
      [
        "--import",
        "tsx",
        "--conditions=zkiris-source",
        join(root, "examples", "demo", "demo.ts"),
        "--people",
        "3",
        "--out",
        out,
      ],
      { cwd: root, encoding: "utf8", timeout: 300_000, maxBuffer: 16 * 2 ** 20 },
    );
    // execFile rejects on a non-zero exit code (with the output in the error).
    expect(run.stderr).not.toContain("zkiris demo: FAILED");
    const text = run.stdout;
    expect(text).toMatch(
      /^zkiris demo: 3 synthetic people, profile zkiris-16x112x2 \(16x112x2\); output in /,
    );
    expect(text).toMatch(
      /\] service: @zkiris\/server on http:\/\/127\.0\.0\.1:\d+, SQLite .*, liveness polls on\n/,
    );
    expect(text).toMatch(
      /\] device bridge: device \d+… \(key .*device-key\.json, mode 0600\) registered in slot 0; bridge on http:\/\/127\.0\.0\.1:\d+/,
    );
    expect(text).toContain("encoder backend        wasm");
    expect(text).toContain("enrolled               3 people");
    expect(text).toMatch(/failed to enrol {8}\d+ subjects/);
    expect(text).toContain("duplicate enrolment    refused (DUPLICATE_ENROLLMENT 409)");
    expect(text).toContain("replayed capture       refused (CHALLENGE_REPLAYED 409)");
    expect(text).toContain("squint attack          refused (INSUFFICIENT_USABLE_BITS 422)");
    expect(text).toContain(
      "votes                  3 accepted, double vote refused (DUPLICATE_NULLIFIER 409)",
    );
    expect(text).toContain("backend check          valid once, again refused (NULLIFIER_USED)");
    expect(text).toContain("audit recount          agrees");
    expect(text).toMatch(
      /liveness-bound vote {4}accepted \(prove \d+\.\d\d s\), again refused \(DUPLICATE_NULLIFIER 409\)/,
    );
    expect(text).toContain("impostor liveness      refused (NO_MATCH)");
    expect(text).toContain(`report                 ${join(out, "report.html")}`);

    // The report: every stage timed, the distances behind the decisions, the accepted proofs.
    const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
    expect(report.stages.map((s: { name: string }) => s.name)).toEqual([
      "service",
      "device bridge",
      "enrolment",
      "duplicate enrolment",
      "replayed capture",
      "squinted copy",
      "votes",
      "backend check",
      "double vote",
      "tally",
      "audit",
      "biometric enrolment",
      "liveness-bound vote",
    ]);
    const votes = report.votes as { kind: string; signals: Record<string, string> }[];
    expect(votes.map((v) => v.kind)).toEqual([
      "Semaphore vote",
      "Semaphore vote",
      "Semaphore vote",
      "liveness-bound vote",
    ]);
    const tally = [0, 0, 0];
    for (const v of votes.slice(0, 3)) tally[Number(v.signals.message)]!++;
    expect(text).toContain(
      `tally                  parks: ${tally[0]}, libraries: ${tally[1]}, bike lanes: ${tally[2]}`,
    );
    const distances = report.distances as { kind: string; what: string; raw: number; outcome: string }[];
    const second = distances.find((d) => d.what === "person 1's second attempt vs their enrolled template")!;
    expect(second.outcome).toBe("refused: DUPLICATE_ENROLLMENT 409");
    expect(second.raw).toBeLessThanOrEqual(report.thresholds.deduplication);
    const live = distances.find((d) => d.what === "resident's live capture vs their enrolled template")!;
    expect(live.raw).toBeLessThanOrEqual(report.thresholds.verification);
    for (const impostor of distances.filter((d) => d.kind === "impostor"))
      expect(impostor.raw).toBeGreaterThan(report.thresholds.verification);
    const html = readFileSync(join(out, "report.html"), "utf8");
    for (const v of votes) expect(html).toContain(v.signals.nullifier!.slice(0, 10));
    expect(statSync(join(out, "device-key.json")).mode & 0o777).toBe(0o600);
    expect(existsSync(join(out, "registry.sqlite"))).toBe(true);
    expect(readFileSync(join(out, "server.log"), "utf8")).toContain('"route":"/enrolments/captures"');
  });
});
