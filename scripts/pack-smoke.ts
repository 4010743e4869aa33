/**
 * Smoke test of the packages as a user installs them: `npm pack`s every publishable package
 * (after `turbo run build`), installs the tarballs into a scratch project outside the workspace
 * (third-party dependencies from the npm registry, install scripts off), and uses the public API
 * through `import` and through `require` (Node >= 20.19 loads the ESM-only packages with
 * `require`).
 *
 * Two phases: first a verifier's install, with neither database driver (it must not get
 * `better-sqlite3` or `pg`, and `Registry.open` must name the missing driver); then the SQLite
 * driver is added (linked from the workspace's compiled copy, because compiling it takes
 * minutes) and a registry enrols on it.
 *
 *   npx tsx scripts/pack-smoke.ts [--keep]
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { publishablePackages, ROOT } from "./publishable-packages.js";

const keep = process.argv.includes("--keep");
const work = mkdtempSync(join(tmpdir(), "zkiris-pack-smoke-"));
const tarballs = join(work, "tarballs");
const app = join(work, "app");
mkdirSync(tarballs);
mkdirSync(app);

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
}

const started = Date.now();
const packages = publishablePackages();
const deps: Record<string, string> = {};
for (const pkg of packages) {
  const [packed] = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", tarballs], pkg.dir)) as [
    { filename: string; files: Array<{ path: string }> },
  ];
  const files = new Set(packed.files.map((f) => f.path));
  for (const needed of ["LICENSE", "README.md", "package.json", "dist/index.js", "dist/index.d.ts"]) {
    if (!files.has(needed)) throw new Error(`${pkg.name}: the tarball has no ${needed}`);
  }
  deps[pkg.name] = `file:${join(tarballs, packed.filename)}`;
  console.log(`packed ${pkg.name}: ${packed.files.length} files`);
}

// Tarballs satisfy each other's "0.1.0" dependencies through overrides, so nothing named
// @zkiris/* comes from the registry.
writeFileSync(
  join(app, "package.json"),
  `${JSON.stringify({ name: "zkiris-smoke-app", private: true, type: "module", dependencies: deps, overrides: deps }, null, 2)}\n`,
);
const install = [
  "install",
  "--ignore-scripts",
  "--no-audit",
  "--no-fund",
  "--prefer-offline",
  "--loglevel=error",
];
run("npm", install, app);
for (const driver of ["better-sqlite3", "pg"]) {
  if (existsSync(join(app, "node_modules", driver)))
    throw new Error(`a verifier's install pulled in ${driver}`);
}
console.log("installed the tarballs; neither better-sqlite3 nor pg was installed");

// Everything a verifier touches, as ES module and as CommonJS.
const verifierCheck = (load: string) => `
${load}
const assert = (ok, what) => { if (!ok) throw new Error("smoke: " + what); };
const iris = await imp("@zkiris/iris-code");
const mock = await imp("@zkiris/mock-capture");
const encoderPkg = await imp("@zkiris/encoder");
const device = await imp("@zkiris/device");
const uniqueness = await imp("@zkiris/uniqueness");
const matchProof = await imp("@zkiris/match-proof");
const registryPkg = await imp("@zkiris/registry");
const cli = await imp("@zkiris/cli");
const serverPkg = await imp("@zkiris/server");
const sdk = await imp("@zkiris/sdk");
const sdkNode = await imp("@zkiris/sdk/node");
const { readFileSync } = await imp("node:fs");
const { createRequire } = await imp("node:module");
const resolve = createRequire(process.cwd() + "/").resolve;

// Published commitment vectors, read from the installed package, recomputed by the installed code.
const vectors = JSON.parse(readFileSync(resolve("@zkiris/iris-code/vectors/commitment.json"), "utf8"));
for (const c of vectors.cases) {
  const code = iris.fromJson(c.code);
  assert(iris.templateCommitment(code, BigInt(c.salt)).toString() === c.templateCommitment, "template commitment");
}

// A mock capture encoded by the shipped model, matched against a second capture of the same eye.
const { writeFileSync } = await imp("node:fs");
writeFileSync("capture.png", mock.renderCapture("smoke-subject", 1).toPng());
const encoder = await encoderPkg.IrisEncoder.create();
const a = await encoder.encode(mock.renderCapture("smoke-subject", 1).toPng());
const b = await encoder.encode(mock.renderCapture("smoke-subject", 2).toPng());
encoder.close();
assert(iris.matchCodes(a.code, b.code, iris.DEFAULT_PROFILE).match, "two captures of one eye match");

// A device-signed capture packet verified against the trusted-device tree.
const key = device.DeviceKey.fromSeed("smoke-device");
const tree = new device.DeviceRegistryTree();
tree.add(key.publicKey);
const challenge = iris.randomSalt();
const line = device.serializeCapturePacket(device.signCapture(key, a.code, challenge, { usableFraction: 0.9 }));
const capture = device.verifyCapture(line, { expectedChallenge: challenge, registry: tree, maxAgeMs: 60_000 });
assert(capture.probe.equals(a.code), "verified capture");

// 1:N search over worker threads started from the installed package.
const index = await uniqueness.UniquenessIndex.create({ profile: iris.DEFAULT_PROFILE, workers: 1 });
index.add("enrolled", a.code);
const found = await index.search(b.code);
await index.close();
assert(found.best?.id === "enrolled", "uniqueness search");

// Match-proof input checks and the circuit source it ships.
assert(matchProof.matchCircuitMain(iris.DEFAULT_PROFILE).includes("component main"), "circuit main");

// Semaphore artifacts resolved from the installed package and hash-checked.
const artifacts = await registryPkg.semaphoreArtifacts(1);
assert(readFileSync(artifacts.zkey).length > 0, "semaphore zkey");

// No database driver installed: a typed refusal naming it.
try {
  await registryPkg.Registry.open({ database: ":memory:", profile: iris.DEFAULT_PROFILE });
  assert(false, "Registry.open without better-sqlite3 must refuse");
} catch (error) {
  assert(error.code === "DATABASE_DRIVER_MISSING" && error.message.includes("better-sqlite3"), "driver refusal: " + error.message);
}
try {
  await registryPkg.Registry.open({ database: { postgres: "postgres://127.0.0.1:1/none" } });
  assert(false, "Registry.open without pg must refuse");
} catch (error) {
  assert(error.code === "DATABASE_DRIVER_MISSING" && error.message.includes("'pg'"), "pg refusal: " + error.message);
}
assert(typeof cli.main === "function" || Object.keys(cli).length > 0, "cli exports");
assert(typeof serverPkg.startServer === "function" && serverPkg.HTTP_STATUS.INVALID_PROOF === 422, "server exports");
// The dApp SDK: an identity exported and restored, artifacts resolved from the installed files and checked.
const identity = sdk.createIdentity();
assert(sdk.restoreIdentity(sdk.exportIdentity(identity)).commitment === identity.commitment, "sdk identity");
const sdkArtifacts = await sdkNode.nodeArtifacts()(1);
assert(sdkArtifacts.zkey === artifacts.zkey, "sdk artifacts");
console.log("verifier API ok");
`;
const registryCheck = (load: string) => `
${load}
const iris = await imp("@zkiris/iris-code");
const device = await imp("@zkiris/device");
const { Registry } = await imp("@zkiris/registry");
const registry = await Registry.open({ database: ":memory:", profile: iris.DEFAULT_PROFILE });
const key = device.DeviceKey.fromSeed("smoke-device");
await registry.registerDevice(key.publicKey);
await registry.createGroup({ id: "citizens", kind: "plain" });
const bits = new Uint8Array(448);
globalThis.crypto.getRandomValues(bits);
const eye = iris.IrisCode.fromPacked(iris.DEFAULT_PROFILE.geometry, bits, new Uint8Array(448).fill(0xff));
const { challenge } = await registry.issueChallenge();
const salt = iris.randomSalt();
const receipt = await registry.enrol({
  groupId: "citizens",
  capture: device.signCapture(key, eye, challenge, { focus: 0.93 }),
  identityCommitment: 42n,
  templateCommitment: iris.templateCommitment(eye, salt),
  salt,
});
// The HTTP service over the same registry: health, the OpenAPI document, the admin token, close twice.
const { startServer } = await imp("@zkiris/server");
const server = await startServer(registry, { adminToken: "smoke-admin-token-0123", log: false });
const health = await (await fetch(server.url + "/health")).json();
const doc = await (await fetch(server.url + "/openapi.json")).json();
const groups = await (await fetch(server.url + "/groups")).json();
const refused = await fetch(server.url + "/groups", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
const { ZkirisClient } = await imp("@zkiris/sdk");
const sdkClient = new ZkirisClient({ baseUrl: server.url });
const [sdkGroup] = await sdkClient.groups();
await sdkClient.close();
if (sdkGroup.size !== 1 || typeof sdkGroup.root !== "bigint") throw new Error("smoke: sdk client");
await server.close();
await server.close();
if (health.status !== "ok" || doc.openapi !== "3.1.0" || groups.groups[0].size !== 1 || refused.status !== 401)
  throw new Error("smoke: server");
await registry.close();
if (receipt.memberIndex !== 0) throw new Error("smoke: enrolment");
console.log("registry and server on SQLite ok");
`;
const esm = "const imp = (name) => import(name);";
const cjs = "const req = require; const imp = async (name) => req(name);";
function check(name: string, body: (load: string) => string): void {
  writeFileSync(join(app, `${name}.mjs`), body(esm));
  // require() of an ES module graph works on Node >= 20.19; a CommonJS file wraps it in an async main.
  writeFileSync(
    join(app, `${name}.cjs`),
    `(async () => {${body(cjs)}})().catch((e) => { console.error(e); process.exit(1); });\n`,
  );
  for (const file of [`${name}.mjs`, `${name}.cjs`]) {
    process.stdout.write(`${file}: `);
    run(process.execPath, [file], app);
    console.log("passed");
  }
}
check("verifier", verifierCheck);

// The installed command line encodes the capture the check above wrote.
const encoded = run(join(app, "node_modules", ".bin", "zkiris"), ["encode", "capture.png", "--json"], app);
JSON.parse(encoded);
console.log(`zkiris encode capture.png --json: ${encoded.length} bytes of JSON`);

const sqlite = join(ROOT, "node_modules", "better-sqlite3");
if (!existsSync(join(sqlite, "build", "Release", "better_sqlite3.node"))) {
  throw new Error(`${sqlite} is not built: run npm ci first`);
}
run("npm", [...install, sqlite], app);
check("registry", registryCheck);

console.log(`pack smoke test passed in ${((Date.now() - started) / 1000).toFixed(0)} s (${work})`);
if (!keep) rmSync(work, { recursive: true, force: true });
