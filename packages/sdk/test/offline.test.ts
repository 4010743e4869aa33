import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Identity } from "@semaphore-protocol/identity";
import { SEMAPHORE_ARTIFACT_SHA256 as REGISTRY_TABLE } from "@zkiris/registry";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkedArtifactBytes,
  createIdentity,
  exportIdentity,
  InMemoryNullifierStore,
  parseProof,
  restoreIdentity,
  SEMAPHORE_ARTIFACT_SHA256,
  verifyUniqueAction,
  ZkirisClient,
  ZkirisSdkError,
} from "../src/index.js";
import { nodeArtifacts, semaphoreArtifactsDirectory } from "../src/node.js";

function thrown(f: () => unknown): ZkirisSdkError {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(ZkirisSdkError);
    return error as ZkirisSdkError;
  }
  throw new Error("expected a refusal, the call succeeded");
}

async function refusal(promise: Promise<unknown>): Promise<ZkirisSdkError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ZkirisSdkError);
    return error as ZkirisSdkError;
  }
  throw new Error("expected a refusal, the call succeeded");
}

describe("identities", () => {
  it("exports an identity as Semaphore's base64 private key and restores the same identity", () => {
    const identity = createIdentity();
    const exported = exportIdentity(identity);
    expect(exported).toBe(identity.export());
    expect(exported).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    const restored = restoreIdentity(exported);
    expect(restored.commitment).toBe(identity.commitment);
    expect(restored.secretScalar).toBe(identity.secretScalar);
    expect(createIdentity().commitment).not.toBe(identity.commitment);
  });

  it("refuses a text that is not canonical base64 instead of building another identity from it", () => {
    for (const text of ["", "not base64!", "abc", "AAAA AAAA"]) {
      expect(thrown(() => restoreIdentity(text)).code, JSON.stringify(text)).toBe("INVALID_IDENTITY");
    }
    // Non-zero padding bits: base64 that decodes, but is not what any identity exports.
    expect(thrown(() => restoreIdentity("AB==")).message).toMatch(/non-zero padding bits/);
    expect(thrown(() => restoreIdentity(42 as never)).message).toMatch(/received type: number$/);
    expect(thrown(() => exportIdentity({} as Identity)).code).toBe("INVALID_PARAMETER");
    // Semaphore itself accepts any text and silently gives another identity.
    expect(Identity.import("not base64!").commitment).toEqual(expect.any(BigInt));
  });
});

describe("proving artifacts", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "zkiris-sdk-artifacts-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("pins the same SHA-256 table as the registry", () => {
    expect(SEMAPHORE_ARTIFACT_SHA256).toEqual(REGISTRY_TABLE);
    expect(Object.keys(SEMAPHORE_ARTIFACT_SHA256).map(Number)).toEqual(
      Array.from({ length: 32 }, (_, i) => i + 1),
    );
  });

  it("resolves the installed files for a depth, checked, and refuses a tampered or missing file", async () => {
    const installed = semaphoreArtifactsDirectory();
    expect(await nodeArtifacts()(2)).toEqual({
      wasm: join(installed, "semaphore-2.wasm"),
      zkey: join(installed, "semaphore-2.zkey"),
    });
    copyFileSync(join(installed, "semaphore-1.wasm"), join(dir, "semaphore-1.wasm"));
    const zkey = readFileSync(join(installed, "semaphore-1.zkey"));
    zkey[zkey.length - 1]! ^= 1;
    writeFileSync(join(dir, "semaphore-1.zkey"), zkey);
    const tampered = await refusal(Promise.resolve(nodeArtifacts(dir)(1)));
    expect([tampered.code, tampered.field]).toEqual(["ARTIFACT_HASH_MISMATCH", "zkey"]);
    expect(tampered.message).toContain(SEMAPHORE_ARTIFACT_SHA256[1]!.zkey);
    const missing = await refusal(Promise.resolve(nodeArtifacts(dir)(3)));
    expect([missing.code, missing.field]).toEqual(["ARTIFACTS_MISSING", "wasm"]);
    const depth = await refusal(Promise.resolve(nodeArtifacts(dir)(33)));
    expect([depth.code, depth.message]).toEqual([
      "INVALID_PARAMETER",
      "Parameter 'depth' must be an integer between 1 and 32, received 33",
    ]);
  });

  it("checks artifact bytes with Web Crypto for browsers", async () => {
    const installed = semaphoreArtifactsDirectory();
    const wasm = new Uint8Array(readFileSync(join(installed, "semaphore-1.wasm")));
    const zkey = new Uint8Array(readFileSync(join(installed, "semaphore-1.zkey")));
    const checked = await checkedArtifactBytes(1, { wasm, zkey });
    // The same arrays back (comparing 3 MB element by element would take the test's whole budget).
    expect(checked.wasm === wasm && checked.zkey === zkey).toBe(true);
    const wrongDepth = await refusal(checkedArtifactBytes(2, { wasm, zkey }));
    expect([wrongDepth.code, wrongDepth.field]).toEqual(["ARTIFACT_HASH_MISMATCH", "wasm"]);
  });
});

describe("the browser entry", () => {
  it("bundles for browsers with every dependency and no Node built-in", async () => {
    const entry = fileURLToPath(new URL("../src/index.ts", import.meta.url));
    // platform "browser" fails on any import of a Node built-in (fs, node:crypto, ...) anywhere in the graph.
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      metafile: true,
      platform: "browser",
      format: "esm",
      conditions: ["zkiris-source"],
      outdir: "out",
      logLevel: "silent",
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((file) => file.includes("@semaphore-protocol/proof"))).toBe(true);
    expect(inputs.some((file) => file.endsWith("src/node.ts"))).toBe(false);
    const external = Object.values(result.metafile.inputs).flatMap((input) =>
      input.imports.filter((i) => i.external).map((i) => i.path),
    );
    expect(external).toEqual([]);
  });
});

describe("transport failures", () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url === "/groups") {
        response.writeHead(200, { "content-type": "text/html" }).end("<html>a proxy page</html>");
      } else if (request.url === "/polls") {
        response.writeHead(200, { "content-type": "application/json" }).end('{"polls":[{"id":"p"}]}');
      } else if (request.url === "/polls/live") {
        // A liveness poll, as a server with liveness artifacts describes it.
        const poll = {
          id: "live",
          groupId: "eyes",
          scope: "5",
          options: ["a", "b"],
          opensAt: 0,
          closesAt: 1,
          createdAt: 0,
        };
        response
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ ...poll, requireLiveness: true }));
      } else if (request.url === "/groups/slow") {
        setTimeout(() => response.writeHead(200).end("{}"), 5_000).unref();
      } else {
        response.writeHead(502, { "content-type": "application/json" }).end('{"message":"bad gateway"}');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("refuses a body that is not JSON, not the documented shape, or an error without the error body", async () => {
    const client = new ZkirisClient({ baseUrl: url });
    const html = await refusal(client.groups());
    expect([html.code, html.status]).toEqual(["BAD_RESPONSE", 200]);
    expect(html.message).toBe("GET /groups answered 200 with a body that is not JSON (text/html)");
    const shape = await refusal(client.polls());
    expect([shape.code, shape.field]).toEqual(["BAD_RESPONSE", "groupId"]);
    const gateway = await refusal(client.tally("p"));
    expect([gateway.code, gateway.status]).toEqual(["BAD_RESPONSE", 502]);
  });

  it("sends every request through the fetch it was given", async () => {
    const seen: string[] = [];
    const client = new ZkirisClient({
      baseUrl: url,
      fetch: (input, init) => {
        seen.push(`${init?.method} ${String(input)} ${new Headers(init?.headers).get("accept")}`);
        return globalThis.fetch(input, init);
      },
    });
    expect((await refusal(client.groups())).code).toBe("BAD_RESPONSE");
    expect(seen).toEqual([`GET ${url}/groups application/json`]);
  });

  it("reads a liveness poll and refuses to make a plain vote proof for it", async () => {
    const client = new ZkirisClient({ baseUrl: url });
    expect((await client.poll("live")).requireLiveness).toBe(true);
    const error = await refusal(
      client.proveVote("live", createIdentity(), 0, { artifacts: nodeArtifacts() }),
    );
    expect([error.code, error.field]).toEqual(["UNSUPPORTED_GROUP", "pollId"]);
  });

  it("reports an unreachable server as NETWORK", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await refusal(new ZkirisClient({ baseUrl: `http://127.0.0.1:${port}` }).groups());
    expect(error.code).toBe("NETWORK");
    expect(error.message).toMatch(new RegExp(`^GET /groups to http://127.0.0.1:${port} failed`));
  });

  it("aborts requests in flight on close() and refuses later ones; close() twice is fine", async () => {
    const client = new ZkirisClient({ baseUrl: url });
    const pending = refusal(client.group("slow"));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await client.close();
    await client.close();
    expect((await pending).code).toBe("CLOSED");
    expect((await refusal(client.groups())).code).toBe("CLOSED");
  });

  it("refuses bad options and parameters before any request", async () => {
    expect(thrown(() => new ZkirisClient({ baseUrl: "127.0.0.1:8080" })).field).toBe("baseUrl");
    expect(thrown(() => new ZkirisClient({ baseUrl: "ftp://example.org" })).message).toBe(
      "Parameter 'baseUrl' must be an http or https URL, received ftp:",
    );
    expect(new ZkirisClient({ baseUrl: `${url}/api/` }).baseUrl).toBe(`${url}/api`);
    const client = new ZkirisClient({ baseUrl: url });
    expect((await refusal(client.group(""))).field).toBe("groupId");
    expect((await refusal(client.merkleProof("g", -1))).field).toBe("index");
    const scope = await refusal(
      client.proveAction("g", createIdentity(), { scope: -1n, message: 0n }, { artifacts: nodeArtifacts() }),
    );
    expect([scope.code, scope.field]).toEqual(["INVALID_PARAMETER", "scope"]);
  });
});

describe("proofs and the verifier's parameters", () => {
  const proof = {
    merkleTreeDepth: 1,
    merkleTreeRoot: "1",
    nullifier: "2",
    message: "3",
    scope: "4",
    points: ["1", "2", "3", "4", "5", "6", "7", "8"],
  };

  it("reads a proof with decimal strings into bigints and refuses a malformed one naming the field", () => {
    expect(parseProof(proof)).toEqual({
      merkleTreeDepth: 1,
      merkleTreeRoot: 1n,
      nullifier: 2n,
      message: 3n,
      scope: 4n,
      points: [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n],
    });
    expect(thrown(() => parseProof({ ...proof, merkleTreeDepth: 33 })).field).toBe("proof.merkleTreeDepth");
    expect(thrown(() => parseProof({ ...proof, scope: "my-poll" })).field).toBe("proof.scope");
    expect(thrown(() => parseProof({ ...proof, nullifier: "01" })).field).toBe("proof.nullifier");
    const order = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
    expect(thrown(() => parseProof({ ...proof, points: [...proof.points.slice(0, 7), order] })).field).toBe(
      "proof.points[7]",
    );
    expect(thrown(() => parseProof([])).message).toBe(
      "Parameter 'proof' is not a Semaphore proof object, received an array of 0",
    );
  });

  it("refuses verifier options that are missing or of the wrong type", async () => {
    const nullifiers = new InMemoryNullifierStore();
    const rootHistory = () => [];
    const cases: Array<[object, string]> = [
      [{ rootHistory, nullifiers }, "options.scope"],
      [{ scope: 4n, nullifiers }, "options.rootHistory"],
      [{ scope: 4n, rootHistory }, "options.nullifiers"],
      [{ scope: 4n, rootHistory, nullifiers, rootExpiryMs: -1 }, "options.rootExpiryMs"],
      [{ scope: 4n, rootHistory, nullifiers, message: "3" }, "options.message"],
    ];
    for (const [options, field] of cases) {
      const error = await refusal(verifyUniqueAction(proof, options as never));
      expect([error.code, error.field], field).toEqual(["INVALID_PARAMETER", field]);
    }
  });

  it("claims a nullifier once per scope in the in-memory store", () => {
    const store = new InMemoryNullifierStore();
    expect(store.claim(1n, 5n)).toBe(true);
    expect(store.claim(1n, 5n)).toBe(false);
    expect(store.claim(2n, 5n)).toBe(true);
    expect([store.has(1n, 5n), store.has(3n, 5n), store.size]).toEqual([true, false, 2]);
  });
});
