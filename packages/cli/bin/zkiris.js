#!/usr/bin/env node
// The zkiris command line. Runs the built CLI (dist/) when present; in a source checkout it runs
// the TypeScript sources through tsx with the workspace's `zkiris-source` export condition.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const dist = new URL("../dist/main.js", import.meta.url);
if (existsSync(fileURLToPath(dist))) {
  const { main } = await import(dist.href);
  await main(process.argv.slice(2));
} else {
  const src = fileURLToPath(new URL("../src/main.ts", import.meta.url));
  const result = spawnSync(
    process.execPath,
    ["--conditions=zkiris-source", "--import", "tsx", src, ...process.argv.slice(2)],
    { stdio: "inherit" },
  );
  process.exitCode = result.status ?? 1;
}
