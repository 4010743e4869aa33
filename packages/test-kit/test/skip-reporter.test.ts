import type { RunnerTask, RunnerTestFile } from "vitest";
import { afterEach, describe, expect, it, vi } from "vitest";
import { needs } from "../src/index.js";
import { SkipReporter } from "../src/skip-reporter.js";

/** A file with one suite holding the given tests, shaped as Vitest hands it to reporters. */
function file(
  suiteName: string,
  tests: Array<{ name: string; mode: "run" | "skip" | "todo" }>,
): RunnerTestFile {
  const f = { type: "suite", name: "test/x.test.ts", mode: "run", tasks: [] } as unknown as RunnerTestFile;
  const suite = {
    type: "suite",
    name: suiteName,
    mode: "run",
    tasks: [],
    suite: undefined,
  } as unknown as RunnerTask & {
    tasks: RunnerTask[];
  };
  for (const t of tests)
    suite.tasks.push({ type: "test", name: t.name, mode: t.mode, suite } as unknown as RunnerTask);
  f.tasks.push(suite);
  return f;
}

function setEnv(env: Record<string, string | undefined>): void {
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

function report(
  files: RunnerTestFile[],
  env: Record<string, string | undefined>,
): { exitCode: unknown; out: string } {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const savedExit = process.exitCode;
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  try {
    setEnv(env);
    process.exitCode = 0;
    new SkipReporter().onFinished(files);
    return { exitCode: process.exitCode, out: log.mock.calls.map((c) => String(c[0])).join("\n") };
  } finally {
    setEnv(saved);
    process.exitCode = savedExit;
    log.mockRestore();
  }
}

const missingData = { ZKIRIS_DATASETS: "/nonexistent/zkiris-datasets" };

describe("the skip report", () => {
  afterEach(() => vi.restoreAllMocks());

  it("says nothing when nothing is skipped", () => {
    expect(report([file("s", [{ name: "a", mode: "run" }])], { CI: "true" })).toEqual({
      exitCode: 0,
      out: "",
    });
  });

  it("names the missing requirement and how to provide it, and passes locally", () => {
    const r = report([file(needs("datasets", "real eyes"), [{ name: "a", mode: "skip" }])], {
      ...missingData,
      CI: undefined,
      ZKIRIS_ALLOWED_SKIPS: undefined,
    });
    expect(r.exitCode).toBe(0);
    expect(r.out).toContain("1 need datasets: no datasets at /nonexistent/zkiris-datasets");
    expect(r.out).toContain("[skipped]");
  });

  it("fails CI for a missing requirement that is not declared allowed", () => {
    const r = report([file(needs("datasets", "real eyes"), [{ name: "a", mode: "skip" }])], {
      ...missingData,
      CI: "true",
      ZKIRIS_ALLOWED_SKIPS: "chromium",
    });
    expect(r.exitCode).toBe(1);
    expect(r.out).toContain("[NOT ALLOWED in CI]");
  });

  it("lets CI pass a declared skip and prints it as allowed", () => {
    const r = report([file(needs("datasets", "real eyes"), [{ name: "a", mode: "skip" }])], {
      ...missingData,
      CI: "true",
      ZKIRIS_ALLOWED_SKIPS: "postgresql, datasets",
    });
    expect(r.exitCode).toBe(0);
    expect(r.out).toContain("[allowed by ZKIRIS_ALLOWED_SKIPS]");
  });

  it("fails CI for a skip no requirement explains, even when skips are allowed", () => {
    const r = report(
      [
        file("plain", [
          { name: "left out", mode: "skip" },
          { name: "later", mode: "todo" },
        ]),
      ],
      {
        CI: "true",
        ZKIRIS_ALLOWED_SKIPS: "datasets",
      },
    );
    expect(r.exitCode).toBe(1);
    expect(r.out).toContain("2 skipped without a missing requirement");
    expect(r.out).toContain("test/x.test.ts > left out");
  });
});
