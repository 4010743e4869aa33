/**
 * Lints what every publishable package would ship (run after `turbo run build`): publint in
 * strict mode (warnings fail) and arethetypeswrong on the packed tarball with the ESM-only
 * profile (the packages are ESM only; Node >= 20.19 can `require` them). Exits non-zero on any
 * finding.
 *
 *   npx tsx scripts/lint-packages.ts
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { publishablePackages, ROOT } from "./publishable-packages.js";

const bin = (name: string) => join(ROOT, "node_modules", ".bin", name);
let failed = 0;
for (const pkg of publishablePackages()) {
  const checks: Array<[string, string[]]> = [
    ["publint", ["--strict"]],
    ["attw", ["--pack", ".", "--profile", "esm-only", "--format", "table-flipped"]],
  ];
  for (const [tool, args] of checks) {
    const run = spawnSync(bin(tool), args, { cwd: pkg.dir, encoding: "utf8" });
    const ok = run.status === 0;
    console.log(`${ok ? "ok  " : "FAIL"} ${tool} ${pkg.name}`);
    if (!ok) {
      failed++;
      process.stdout.write(run.stdout);
      process.stderr.write(run.stderr);
    }
  }
}
if (failed > 0) {
  console.error(`${failed} package check(s) failed`);
  process.exit(1);
}
