/**
 * The end-to-end zkiris demo on embedded defaults (`npm run demo`): `zkiris demo` of `@zkiris/cli`.
 *
 * It starts the service (`@zkiris/server` on a fresh SQLite file, a random local port) and the
 * device bridge (local HTTP, a new device key), and then, through `@zkiris/sdk` as a dApp and its
 * users would: mock captures encoded and signed by the bridge for the server's challenges, unique
 * enrolment of synthetic people, the refusals (the same eye again, a replayed capture, a squinted
 * copy), a poll with vote proofs made locally, a refused double vote, the tally, the recount of the
 * public audit log, and a liveness-bound vote. It prints a line per stage and a summary, and writes
 * an HTML report (timings, distances, the proofs' public signals) to `--out` (default a temporary
 * directory, printed).
 *
 * Options: `--people N` (default 12), `--out DIR`, `--liveness-artifacts DIR`, `--backend B`
 * (`zkiris demo --help`).
 */
import { runCli } from "@zkiris/cli";

const code = await runCli(["demo", ...process.argv.slice(2)], {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  interactive: process.stderr.isTTY === true,
});
// Worker threads of a failed run (provers, search and verifier pools) must not keep the process alive.
process.exit(code);
