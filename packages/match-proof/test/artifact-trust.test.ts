// What @zkiris/match-proof trusts: the verification key and the hashes it ships, not a server's
// manifest; and artifacts built from the circuit source it knows, not stale ones.
import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_PROFILE } from "@zkiris/iris-code";
import { afterAll, describe, expect, it } from "vitest";
import { CIRCUITS_DIR } from "../../../circuits/scripts/compile.js";
import {
  canonicalProfileJson,
  fetchMatchArtifacts,
  loadMatchArtifacts,
  MATCH_ARTIFACT_PINS,
  MATCH_VERIFICATION_KEY,
  MatchProofError,
  matchArtifactsFromBytes,
  matchCircuitMain,
  releaseCurve,
} from "../src/index.js";

const DIR = join(CIRCUITS_DIR, "artifacts", "iris_match");
const PACKAGE = fileURLToPath(new URL("..", import.meta.url));
const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");
const read = (name: string) => new Uint8Array(readFileSync(join(DIR, name)));
const manifestJson = () => JSON.parse(readFileSync(join(DIR, "manifest.json"), "utf8"));

async function refusal(promise: Promise<unknown>): Promise<{ code: string; field: string | undefined }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MatchProofError);
  const e = error as MatchProofError;
  return { code: e.code, field: e.field };
}

/** A real HTTP server on a free local port serving the given files (404 for anything else). */
async function serve(files: Record<string, Uint8Array | string>): Promise<{ base: string; server: Server }> {
  const server = createServer((req, res) => {
    const body = files[(req.url ?? "/").slice(1)];
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/octet-stream" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

const honestFiles = (): Record<string, Uint8Array | string> => ({
  "manifest.json": read("manifest.json"),
  "verification_key.json": read("verification_key.json"),
  "iris_match.wasm": read("iris_match.wasm"),
  "iris_match.zkey": read("iris_match.zkey"),
});

/** Serves `files` and returns the refusal of fetching from it (or throws if it was accepted). */
async function fetchRefusal(files: Record<string, Uint8Array | string>, verifyOnly = false) {
  const { base, server } = await serve(files);
  try {
    return await refusal(fetchMatchArtifacts(base, { verifyOnly }));
  } finally {
    server.close();
  }
}

/** A verification key of another setup: the committed one with other delta values. */
function otherVerificationKey(): Uint8Array {
  const vkey = JSON.parse(readFileSync(join(DIR, "verification_key.json"), "utf8"));
  vkey.vk_delta_2 = vkey.vk_gamma_2;
  return new TextEncoder().encode(JSON.stringify(vkey, null, 1));
}

/** The honest manifest, re-listing one file with the hash and size of substituted bytes. */
function manifestListing(key: "verificationKey" | "zkey" | "wasm", bytes: Uint8Array): string {
  const manifest = manifestJson();
  manifest.files[key].sha256 = sha256(bytes);
  manifest.files[key].bytes = bytes.length;
  return JSON.stringify(manifest, null, 2);
}

afterAll(async () => {
  await releaseCurve();
});

describe("the verification key and hashes shipped in the package", () => {
  it("ships the committed verification key, byte for byte, with its SHA-256 pinned in code", () => {
    const shipped = readFileSync(join(PACKAGE, "src", "iris-match-verification-key.json"));
    expect(sha256(shipped)).toBe(MATCH_ARTIFACT_PINS.files.verificationKey.sha256);
    expect(sha256(read("verification_key.json"))).toBe(MATCH_ARTIFACT_PINS.files.verificationKey.sha256);
    expect(MATCH_VERIFICATION_KEY).toEqual(JSON.parse(shipped.toString("utf8")));
    // The JSON is in the published files (src/), and dist bundles it.
    const pkg = JSON.parse(readFileSync(join(PACKAGE, "package.json"), "utf8")) as { files: string[] };
    expect(pkg.files).toContain("src");
  });

  it("pins the committed artifacts' hashes and the circuit source they were built from", () => {
    const manifest = manifestJson();
    for (const key of ["wasm", "zkey", "verificationKey"] as const) {
      expect(MATCH_ARTIFACT_PINS.files[key]).toEqual(manifest.files[key]);
    }
    expect(sha256(read("iris_match.wasm"))).toBe(MATCH_ARTIFACT_PINS.files.wasm.sha256);
    expect(sha256(read("iris_match.zkey"))).toBe(MATCH_ARTIFACT_PINS.files.zkey.sha256);
    expect(MATCH_ARTIFACT_PINS.circuitSource).toEqual(manifest.circuitSource);
  });

  it("the pinned circuit source is the repository's: a changed circuit fails here until the artifacts are rebuilt", () => {
    const source = MATCH_ARTIFACT_PINS.circuitSource;
    expect(source.library.path).toBe("circuits/src/lib/iris_match.circom");
    expect(sha256(readFileSync(join(CIRCUITS_DIR, "src", "lib", "iris_match.circom")))).toBe(
      source.library.sha256,
    );
    expect(source.main.path).toBe("circuits/src/main/iris_match.circom");
    expect(sha256(readFileSync(join(CIRCUITS_DIR, "src", "main", "iris_match.circom")))).toBe(
      source.main.sha256,
    );
    expect(sha256(matchCircuitMain(DEFAULT_PROFILE))).toBe(source.main.sha256);
    expect(MATCH_ARTIFACT_PINS.profile).toBe(DEFAULT_PROFILE.name);
    expect(sha256(canonicalProfileJson(DEFAULT_PROFILE))).toBe(source.profile);
  });

  it("writes the canonical profile JSON in a fixed field order whatever the input's order", () => {
    const { name, geometry, maxShift, thresholdPer10k, minUsableBits } = DEFAULT_PROFILE;
    const reordered = {
      minUsableBits,
      thresholdPer10k,
      maxShift,
      geometry: { bitsPerCell: geometry.bitsPerCell, cols: geometry.cols, rows: geometry.rows },
      name,
    };
    expect(canonicalProfileJson(reordered)).toBe(
      `{"name":"${name}","geometry":{"rows":${geometry.rows},"cols":${geometry.cols},"bitsPerCell":${geometry.bitsPerCell}},"maxShift":${maxShift},"thresholdPer10k":${thresholdPer10k},"minUsableBits":${minUsableBits}}`,
    );
  });
});

describe("fetchMatchArtifacts from a server", () => {
  it("accepts the honest server's artifacts, which carry the shipped key", async () => {
    const { base, server } = await serve(honestFiles());
    try {
      const fetched = await fetchMatchArtifacts(base);
      expect(fetched.verificationKey).toEqual(MATCH_VERIFICATION_KEY);
      expect(sha256(fetched.zkey!)).toBe(MATCH_ARTIFACT_PINS.files.zkey.sha256);
      expect(sha256(fetched.wasm!)).toBe(MATCH_ARTIFACT_PINS.files.wasm.sha256);
      expect(fetched.profile.name).toBe(DEFAULT_PROFILE.name);
    } finally {
      server.close();
    }
  });

  it("refuses another verification key, listed in the server's manifest or not", async () => {
    const vkey = otherVerificationKey();
    expect(
      await fetchRefusal(
        {
          ...honestFiles(),
          "verification_key.json": vkey,
          "manifest.json": manifestListing("verificationKey", vkey),
        },
        true,
      ),
    ).toEqual({ code: "ARTIFACT_HASH_MISMATCH", field: "manifest.files.verificationKey" });
    expect(await fetchRefusal({ ...honestFiles(), "verification_key.json": vkey }, true)).toEqual({
      code: "ARTIFACT_HASH_MISMATCH",
      field: "verificationKey",
    });
  });

  it("refuses a substituted proving key or witness generator, listed in the server's manifest or not", async () => {
    const zkey = read("iris_match.zkey");
    zkey[zkey.length - 1]! ^= 1;
    expect(
      await fetchRefusal({
        ...honestFiles(),
        "iris_match.zkey": zkey,
        "manifest.json": manifestListing("zkey", zkey),
      }),
    ).toEqual({ code: "ARTIFACT_HASH_MISMATCH", field: "manifest.files.zkey" });
    expect(await fetchRefusal({ ...honestFiles(), "iris_match.zkey": zkey })).toEqual({
      code: "ARTIFACT_HASH_MISMATCH",
      field: "zkey",
    });
    const wasm = read("iris_match.wasm");
    wasm[100]! ^= 1;
    expect(
      await fetchRefusal({
        ...honestFiles(),
        "iris_match.wasm": wasm,
        "manifest.json": manifestListing("wasm", wasm),
      }),
    ).toEqual({ code: "ARTIFACT_HASH_MISMATCH", field: "manifest.files.wasm" });
    expect(await fetchRefusal({ ...honestFiles(), "iris_match.wasm": wasm })).toEqual({
      code: "ARTIFACT_HASH_MISMATCH",
      field: "wasm",
    });
  });

  it("refuses a manifest of another circuit source, even with the pinned files", async () => {
    const manifest = manifestJson();
    manifest.circuitSource.library.sha256 = sha256("another circuit");
    expect(await fetchRefusal({ ...honestFiles(), "manifest.json": JSON.stringify(manifest) })).toEqual({
      code: "STALE_ARTIFACTS",
      field: "circuitSource.library",
    });
  });

  it("refuses artifacts of another build of the same circuit source unless given their pins", async () => {
    // Another setup of the same circuit: consistent manifest, same source, other zkey and key.
    const vkey = otherVerificationKey();
    const zkey = read("iris_match.zkey");
    zkey[0]! ^= 1;
    const manifest = manifestJson();
    manifest.files.verificationKey = {
      ...manifest.files.verificationKey,
      sha256: sha256(vkey),
      bytes: vkey.length,
    };
    manifest.files.zkey = { ...manifest.files.zkey, sha256: sha256(zkey), bytes: zkey.length };
    const files = {
      ...honestFiles(),
      "manifest.json": JSON.stringify(manifest),
      "verification_key.json": vkey,
      "iris_match.zkey": zkey,
    };
    expect(await fetchRefusal(files)).toEqual({
      code: "ARTIFACT_HASH_MISMATCH",
      field: "manifest.files.zkey",
    });
    const { base, server } = await serve(files);
    try {
      const pins = {
        ...MATCH_ARTIFACT_PINS,
        files: {
          ...MATCH_ARTIFACT_PINS.files,
          zkey: manifest.files.zkey,
          verificationKey: manifest.files.verificationKey,
        },
      };
      const fetched = await fetchMatchArtifacts(base, { pins });
      expect(sha256(fetched.zkey!)).toBe(sha256(zkey));
    } finally {
      server.close();
    }
  });
});

describe("stale artifacts", () => {
  /** Loads the committed artifacts (verify-only) with a manifest changed by `edit`. */
  async function loadWith(edit: (manifest: ReturnType<typeof manifestJson>) => void) {
    const dir = mkdtempSync(join(tmpdir(), "zkiris-stale-"));
    try {
      copyFileSync(join(DIR, "verification_key.json"), join(dir, "verification_key.json"));
      const manifest = manifestJson();
      edit(manifest);
      writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
      return await refusal(loadMatchArtifacts(dir, { verifyOnly: true }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it("refuses a manifest built from another circuit library, main component or profile", async () => {
    expect(
      await loadWith((m) => {
        m.circuitSource.library.sha256 = sha256("circuit library before the last change");
      }),
    ).toEqual({ code: "STALE_ARTIFACTS", field: "circuitSource.library" });
    expect(
      await loadWith((m) => {
        m.circuitSource.main.sha256 = sha256(`${matchCircuitMain(DEFAULT_PROFILE)}\n`);
      }),
    ).toEqual({ code: "STALE_ARTIFACTS", field: "circuitSource.main" });
    expect(
      await loadWith((m) => {
        m.circuitSource.profile = sha256(canonicalProfileJson({ ...DEFAULT_PROFILE, thresholdPer10k: 3300 }));
      }),
    ).toEqual({ code: "STALE_ARTIFACTS", field: "circuitSource.profile" });
    // A manifest whose profile was edited no longer matches its main component.
    expect(
      await loadWith((m) => {
        m.profile.thresholdPer10k = 3300;
      }),
    ).toEqual({ code: "STALE_ARTIFACTS", field: "circuitSource.main" });
  });

  it("refuses a manifest that records no circuit source as malformed", async () => {
    expect(
      await loadWith((m) => {
        delete m.circuitSource;
      }),
    ).toEqual({ code: "MALFORMED_MANIFEST", field: "circuitSource" });
    expect(
      await loadWith((m) => {
        m.circuitSource.main.sha256 = "not a hash";
      }),
    ).toEqual({ code: "MALFORMED_MANIFEST", field: "circuitSource.main" });
  });

  it("accepts the committed artifacts with and without the pins", async () => {
    const plain = await loadMatchArtifacts(DIR, { verifyOnly: true });
    expect(plain.verificationKey).toEqual(MATCH_VERIFICATION_KEY);
    const pinned = await matchArtifactsFromBytes(
      { manifest: read("manifest.json"), verificationKey: read("verification_key.json") },
      { pins: MATCH_ARTIFACT_PINS },
    );
    expect(pinned.manifest.circuitSource).toEqual(MATCH_ARTIFACT_PINS.circuitSource);
  });
});
