#!/usr/bin/env node
// The zkiris command line. Runs the built CLI (dist/) when present; in a source checkout it runs
// the TypeScript sources through tsx with the workspace's `zkiris-source` export condition.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const dist = new URL("../dist/main.js", import.meta.url);
if (existsSync(fileURLToPath(dist))) {
  const { main } = await import(dist.href);
  await main(process.argv.slice(2));
} else {
  const src = fileURLToPath(new URL("../src/main.ts", import.meta.url));
  const child = spawn(
    process.execPath,
    ["--conditions=zkiris-source", "--import", "tsx", src, ...process.argv.slice(2)],
    { stdio: "inherit" },
  );
  // The child does the work. SIGTERM sent to this process (a supervisor) is passed on; SIGINT from
  // a terminal reaches the child's process group directly, so here it is only kept from ending
  // this process first. `zkiris serve` then stops cleanly either way.
  process.on("SIGTERM", () => child.kill("SIGTERM"));
  process.on("SIGINT", () => {});
  child.on("exit", (code, signal) => {
    process.exitCode = code ?? (signal === null ? 1 : 128);
  });
}
