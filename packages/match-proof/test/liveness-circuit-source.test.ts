import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEVICE_TREE_DEPTH } from "@zkiris/device";
import { DEFAULT_PROFILE } from "@zkiris/iris-code";
import { describe, expect, it } from "vitest";
import { TEST_PROFILE } from "../../../circuits/scripts/compile.js";
import {
  LIVENESS_VOTE_MAX_DEPTH,
  LIVENESS_VOTE_PUBLIC_SIGNALS,
  livenessCaptureChallenge,
  livenessVoteCircuitMain,
  MatchProofError,
  semaphoreHash,
  semaphoreValue,
} from "../src/index.js";

const CIRCUITS = fileURLToPath(new URL("../../../circuits", import.meta.url));
const library = readFileSync(join(CIRCUITS, "src", "lib", "liveness_vote.circom"), "utf8");

function refusal(fn: () => unknown): { code: string; field: string | undefined } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MatchProofError);
    return { code: (e as MatchProofError).code, field: (e as MatchProofError).field };
  }
  throw new Error("expected a refusal");
}

describe("livenessVoteCircuitMain", () => {
  it("passes the profile, the group depth and the device depth by the template's parameter names", () => {
    const main = livenessVoteCircuitMain(DEFAULT_PROFILE);
    expect(main).toContain('include "lib/liveness_vote.circom";');
    const names = /template LivenessVote\(([^)]*)\)/
      .exec(library)![1]!
      .split(",")
      .map((p) => p.trim());
    const call = /component main \{public \[([^\]]*)\]\} = LivenessVote\(([^)]*)\);/.exec(main)!;
    const args = call[2]!.split(",").map((a) => Number(a.trim()));
    const { geometry: g, maxShift, thresholdPer10k, minUsableBits } = DEFAULT_PROFILE;
    expect(Object.fromEntries(names.map((n, i) => [n, args[i]]))).toEqual({
      MAX_DEPTH: LIVENESS_VOTE_MAX_DEPTH,
      ROWS: g.rows,
      COLS: g.cols,
      P: g.bitsPerCell,
      K: maxShift,
      THRESHOLD: thresholdPer10k,
      MIN_USABLE: minUsableBits,
      DEVICE_DEPTH: DEVICE_TREE_DEPTH,
    });
    // Public inputs are the template's inputs of those names; the outputs come first in the signal list.
    const publicInputs = call[1]!.split(",").map((p) => p.trim());
    expect(["merkleRoot", "nullifier", ...publicInputs]).toEqual([...LIVENESS_VOTE_PUBLIC_SIGNALS]);
    for (const signal of publicInputs)
      expect(library).toMatch(new RegExp(`signal input [^;]*\\b${signal}\\b`));
    expect(library).toMatch(/signal output merkleRoot, nullifier;/);
  });

  it("is the committed main file of each profile", () => {
    for (const [profile, file] of [
      [DEFAULT_PROFILE, "liveness_vote.circom"],
      [TEST_PROFILE, "liveness_vote_test.circom"],
    ] as const) {
      expect(readFileSync(join(CIRCUITS, "src", "main", file), "utf8")).toBe(
        livenessVoteCircuitMain(profile),
      );
    }
  });

  it("refuses a depth outside Semaphore's 1..32", () => {
    for (const depth of [0, 33, 1.5]) {
      expect(refusal(() => livenessVoteCircuitMain(DEFAULT_PROFILE, depth))).toEqual({
        code: "INVALID_PARAMETER",
        field: "maxDepth",
      });
    }
  });
});

describe("Semaphore message and scope", () => {
  it("hashes as @semaphore-protocol/proof does (keccak256 of 32 bytes, shifted right by 8)", () => {
    // keccak256(32 zero bytes) = 0x290decd9548b62a8d60345a988386fc84ba6bc95484008f6362f93160ef3e563
    expect(semaphoreHash(0n, "message")).toBe(
      0x290decd9548b62a8d60345a988386fc84ba6bc95484008f6362f93160ef3e5n,
    );
    expect(semaphoreValue("42", "scope")).toBe(42n);
    expect(semaphoreValue("0x2a", "scope")).toBe(42n);
    expect(semaphoreValue(new Uint8Array([1, 0]), "scope")).toBe(256n);
    // Text that is not a number is its bytes32 encoding, as Semaphore reads it.
    expect(semaphoreValue("poll-42", "scope")).toBe(
      BigInt(`0x${Buffer.from("poll-42").toString("hex").padEnd(64, "0")}`),
    );
  });

  it("refuses values Semaphore cannot read", () => {
    expect(refusal(() => semaphoreValue("x".repeat(32), "scope"))).toEqual({
      code: "INVALID_PARAMETER",
      field: "scope",
    });
    expect(refusal(() => semaphoreValue(-1n, "message"))).toEqual({
      code: "INVALID_PARAMETER",
      field: "message",
    });
    expect(refusal(() => semaphoreHash(1n << 256n, "message"))).toEqual({
      code: "INVALID_PARAMETER",
      field: "message",
    });
    expect(refusal(() => livenessCaptureChallenge("poll", -1n))).toEqual({
      code: "INVALID_PARAMETER",
      field: "challenge",
    });
  });
});
