/**
 * Writes a prepared single-party DEVELOPMENT powers of tau (BN254) for Groth16 phase-2 setups:
 *
 *   npx tsx --conditions=zkiris-source circuits/scripts/dev-ptau.ts --power 17 \
 *     [--out circuits/build/ptau/pot17_development_single_party.ptau] [--max-power 20] [--threads 2] [--window 16]
 *
 * Progress goes to stderr; stdout gets the file, its SHA-256 and the contribution hash. The file
 * lands in circuits/build/ (git-ignored) by default: it is regenerated in minutes, not committed.
 * Whoever runs it could know the toxic waste: it is NOT for production (see circuits/README.md).
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { CIRCUITS_DIR, REPO_DIR } from "./compile.js";
import { DEV_PTAU_LABEL, DevPtauError, devPtauFileName, writeDevPtau } from "./dev-ptau-setup.js";

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

function integer(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) {
    throw new DevPtauError(
      name === "threads" ? "INVALID_THREADS" : name === "window" ? "INVALID_WINDOW" : "INVALID_POWER",
      `Option '--${name}' is not a whole number, received ${JSON.stringify(value)}`,
      { field: name },
    );
  }
  return Number(value);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      power: { type: "string" },
      out: { type: "string" },
      "max-power": { type: "string" },
      threads: { type: "string" },
      window: { type: "string" },
    },
  });
  if (values.power === undefined) {
    throw new DevPtauError(
      "INVALID_POWER",
      "Option '--power' is required (log2 of the largest circuit, 1..20)",
      {
        field: "power",
      },
    );
  }
  const power = integer(values.power, "power")!;
  const output = values.out ?? join(CIRCUITS_DIR, "build", "ptau", devPtauFileName(power));
  const result = await writeDevPtau({
    power,
    output,
    maxPower: integer(values["max-power"], "max-power"),
    threads: integer(values.threads, "threads"),
    window: integer(values.window, "window"),
  });
  const sha256 = await sha256File(result.path);
  const lines = [
    `DEVELOPMENT powers of tau: ${DEV_PTAU_LABEL}`,
    `  file:    ${relative(REPO_DIR, result.path)}`,
    `  power:   ${result.power} (circuits up to ${(2 ** result.power).toLocaleString("en-US")} constraints)`,
    `  size:    ${result.bytes} bytes`,
    `  sha256:  ${sha256}`,
    `  contribution response hash: ${result.responseHash}`,
    `  time:    ${result.seconds.toFixed(1)} s (${result.threads} threads, windows G1 ${result.window.G1} / G2 ${result.window.G2} bits)`,
    "Whoever ran this could know the toxic waste: never use the file for production keys.",
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

main().catch((error: unknown) => {
  if (error instanceof DevPtauError) {
    process.stderr.write(`dev-ptau: ${error.message} (${error.code})\n`);
  } else {
    console.error(error);
  }
  process.exit(1);
});
