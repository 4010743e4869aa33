import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const TSX = join(packageDir, "..", "..", "node_modules", "tsx", "dist", "loader.mjs");

describe("README", () => {
  it("runs its usage example to completion, and the example exits by itself", () => {
    const readme = readFileSync(join(packageDir, "README.md"), "utf8");
    const block = /<!-- example:begin[^>]*-->\n```ts\n([\s\S]*?)\n```\n<!-- example:end -->/.exec(readme);
    expect(block).not.toBeNull();
    const file = join(packageDir, `.readme-example-${process.pid}.ts`);
    writeFileSync(file, block![1]!);
    try {
      const run = spawnSync(process.execPath, ["--import", TSX, "--conditions=zkiris-source", file], {
        encoding: "utf8",
        timeout: 90_000,
      });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^member 0, root \d+$/m);
      expect(run.stdout).toContain("counts: [ 0, 1 ]");
      expect(run.stdout).toContain("rejected: []");
    } finally {
      rmSync(file, { force: true });
    }
  });
});
