import type { RunnerTask, RunnerTestFile } from "vitest";
import type { Reporter } from "vitest/reporters";
import { neededBy, type RequirementId, requirement } from "./requirements.js";

/** True when running in CI (`CI` set to anything but "" or "false"). */
function inCi(): boolean {
  const ci = process.env.CI ?? "";
  return ci !== "" && ci !== "false" && ci !== "0";
}

/** Requirements whose absence CI accepts: `ZKIRIS_ALLOWED_SKIPS`, comma-separated ids. */
function allowedSkips(): Set<string> {
  return new Set(
    (process.env.ZKIRIS_ALLOWED_SKIPS ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== ""),
  );
}

function isSkipped(task: RunnerTask): boolean {
  return task.mode === "skip" || task.mode === "todo" || task.result?.state === "skip";
}

/** The requirement named by the task's title or the nearest enclosing suite's. */
function requirementOf(task: RunnerTask): RequirementId | undefined {
  for (let t: RunnerTask | undefined = task; t !== undefined; t = t.suite) {
    const id = neededBy(t.name);
    if (id !== undefined) return id;
  }
  return undefined;
}

function leaves(task: RunnerTask, out: RunnerTask[]): RunnerTask[] {
  if (task.type === "suite") for (const child of task.tasks) leaves(child, out);
  else out.push(task);
  return out;
}

/**
 * Reports every skipped test after a run: grouped by the requirement that was missing (see
 * `needs` in requirements.ts) with how to provide it, and a list of skips no requirement
 * explains. In CI an unexplained skip, or a skip for a missing requirement not listed in
 * `ZKIRIS_ALLOWED_SKIPS`, fails the run (exit code 1).
 */
export class SkipReporter implements Reporter {
  onFinished(files: RunnerTestFile[] = []): void {
    const byRequirement = new Map<RequirementId, string[]>();
    const unexplained: string[] = [];
    for (const file of files) {
      for (const test of leaves(file, [])) {
        if (!isSkipped(test)) continue;
        const where = `${file.name} > ${test.name}`;
        const id = requirementOf(test);
        if (id === undefined || requirement(id).available) unexplained.push(where);
        else byRequirement.set(id, [...(byRequirement.get(id) ?? []), where]);
      }
    }
    if (byRequirement.size === 0 && unexplained.length === 0) return;
    const ci = inCi();
    const allowed = allowedSkips();
    const lines = ["", "Skipped tests:"];
    let unexpected = unexplained.length;
    for (const [id, tests] of byRequirement) {
      const ok = allowed.has(id);
      if (!ok) unexpected += tests.length;
      const verdict = ok ? "allowed by ZKIRIS_ALLOWED_SKIPS" : ci ? "NOT ALLOWED in CI" : "skipped";
      lines.push(`  ${tests.length} need ${id}: ${requirement(id).howToProvide} [${verdict}]`);
    }
    if (unexplained.length > 0) {
      lines.push(
        `  ${unexplained.length} skipped without a missing requirement (.skip, .todo or a false condition):`,
      );
      for (const where of unexplained) lines.push(`    ${where}`);
    }
    if (ci && unexpected > 0) {
      lines.push(`  CI: ${unexpected} unexpected skip(s) fail this run.`);
      process.exitCode = 1;
    }
    console.log(`${lines.join("\n")}\n`);
  }
}
