import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as snarkjs from "snarkjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CIRCUITS_DIR, runCircom } from "../circuits/scripts/compile.js";
import {
  DEV_PTAU_CONTRIBUTION_NAME,
  DevPtauError,
  devPtauFileName,
  MAX_DEV_PTAU_POWER,
  writeDevPtau,
} from "../circuits/scripts/dev-ptau-setup.js";

const POWER = 8;

/** The snarkjs 0.7.6 setup API this test calls (the workspace's snarkjs typings cover proving only). */
interface SnarkjsSetup {
  powersOfTau: {
    verify(file: string, logger: unknown): Promise<boolean>;
    preparePhase2(from: string, to: string, logger?: unknown): Promise<void>;
  };
  zKey: {
    newZKey(r1cs: string, ptau: string, zkey: string, logger?: unknown): Promise<unknown>;
    verifyFromR1cs(r1cs: string, ptau: string, zkey: string, logger: unknown): Promise<boolean>;
  };
}
const setup = snarkjs as unknown as SnarkjsSetup;
const ptauVerify = setup.powersOfTau.verify;
const preparePhase2 = setup.powersOfTau.preparePhase2;
const verifyZkey = setup.zKey.verifyFromR1cs;

interface LogLine {
  level: "info" | "warn" | "error";
  text: string;
}

function recordingLogger() {
  const lines: LogLine[] = [];
  return {
    lines,
    logger: {
      debug: () => {},
      info: (text: string) => lines.push({ level: "info", text }),
      warn: (text: string) => lines.push({ level: "warn", text }),
      error: (text: string) => lines.push({ level: "error", text }),
    },
  };
}

/** Sections of a snarkjs binary file: id -> byte range of its data (one of each here). */
function ptauSections(file: Uint8Array): Map<number, { start: number; size: number }> {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  expect(new TextDecoder().decode(file.subarray(0, 4))).toBe("ptau");
  const count = view.getUint32(8, true);
  const sections = new Map<number, { start: number; size: number }>();
  let pos = 12;
  for (let i = 0; i < count; i++) {
    const id = view.getUint32(pos, true);
    const size = Number(view.getBigUint64(pos + 4, true));
    sections.set(id, { start: pos + 12, size });
    pos += 12 + size;
  }
  expect(pos).toBe(file.byteLength);
  return sections;
}

function sectionBytes(file: Uint8Array, id: number): Uint8Array {
  const s = ptauSections(file).get(id);
  if (!s) throw new Error(`no section ${id}`);
  return file.subarray(s.start, s.start + s.size);
}

/** The same file with only the given sections (e.g. 1-7: the file before prepare phase2). */
function withSections(file: Uint8Array, ids: number[]): Uint8Array {
  const sections = ptauSections(file);
  const parts: Uint8Array[] = [];
  const head = new Uint8Array(12);
  head.set(file.subarray(0, 8));
  new DataView(head.buffer).setUint32(8, ids.length, true);
  parts.push(head);
  for (const id of ids) {
    const s = sections.get(id)!;
    parts.push(file.subarray(s.start - 12, s.start + s.size));
  }
  return Buffer.concat(parts);
}

/** The hash a snarkjs log line prints after `label:` (formatHash), as hex. */
function loggedHash(lines: LogLine[], label: string): string | undefined {
  const line = lines.find((l) => l.text.startsWith(label));
  return line?.text.slice(label.length).replace(/\s/g, "");
}

let dir: string;
let ptau: string;
let result: Awaited<ReturnType<typeof writeDevPtau>>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "zkiris-dev-ptau-"));
  ptau = join(dir, devPtauFileName(POWER));
  result = await writeDevPtau({ power: POWER, output: ptau, onProgress: () => {} });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  // snarkjs caches a multi-threaded curve; end its workers so the test process can exit.
  const holder = globalThis as { curve_bn128?: { terminate(): Promise<void> } | null };
  await holder.curve_bn128?.terminate();
});

describe("development powers of tau", () => {
  it("writes a prepared file with the snarkjs layout: 11 sections of the expected sizes", async () => {
    const file = await readFile(ptau);
    expect(file.byteLength).toBe(result.bytes);
    const sections = ptauSections(file);
    const n = 2 ** POWER;
    const sizes = Object.fromEntries([...sections].map(([id, s]) => [id, s.size]));
    expect(sizes).toEqual({
      1: 44,
      2: (2 * n - 1) * 64,
      3: n * 128,
      4: n * 64,
      5: n * 64,
      6: 128,
      7: sizes[7],
      12: (4 * n - 1) * 64,
      13: (2 * n - 1) * 128,
      14: (2 * n - 1) * 64,
      15: (2 * n - 1) * 64,
    });
    const header = new DataView(new Uint8Array(sectionBytes(file, 1)).buffer);
    expect([header.getUint32(0, true), header.getUint32(36, true), header.getUint32(40, true)]).toEqual([
      32,
      POWER,
      POWER,
    ]);
    expect(devPtauFileName(POWER)).toBe("pot8_development_single_party.ptau");
  });

  it("passes snarkjs powersoftau verify, which reports the tool's contribution and response hash", async () => {
    const { lines, logger } = recordingLogger();
    expect(await ptauVerify(ptau, logger)).toBe(true);
    expect(lines.filter((l) => l.level !== "info")).toEqual([]);
    expect(lines.map((l) => l.text)).toContain("Powers of Tau Ok!");
    expect(lines.map((l) => l.text)).toContain(`Contribution #1: ${DEV_PTAU_CONTRIBUTION_NAME}`);
    // snarkjs finishes the stored partial hash with the public key: the response hash must match.
    expect(loggedHash(lines, "Response Hash:")).toBe(result.responseHash);
    expect(loggedHash(lines, "Next Challenge:")).toBe(result.nextChallengeHash);
  });

  it.each([1, 5])(
    "writes at 2^%i Lagrange sections equal to what snarkjs prepare phase2 computes from its powers",
    async (power) => {
      // A separate small file: snarkjs's FFT over group elements is the slow path this tool avoids.
      const ours = join(dir, devPtauFileName(power));
      await writeDevPtau({ power, output: ours, threads: 1, onProgress: () => {} });
      const file = await readFile(ours);
      const unprepared = join(dir, `unprepared_${power}.ptau`);
      const prepared = join(dir, `prepared_by_snarkjs_${power}.ptau`);
      await writeFile(unprepared, withSections(file, [1, 2, 3, 4, 5, 6, 7]));
      await preparePhase2(unprepared, prepared);
      const bySnarkjs = await readFile(prepared);
      for (const id of [1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15]) {
        expect(Buffer.from(sectionBytes(file, id)).equals(sectionBytes(bySnarkjs, id)), `section ${id}`).toBe(
          true,
        );
      }
      const { lines, logger } = recordingLogger();
      expect(await ptauVerify(ours, logger)).toBe(true);
      expect(lines.map((l) => l.text)).toContain("Powers of Tau Ok!");
    },
  );

  it("gives a phase-2 key that passes zkey verify and proves a circuit filling the 2^8 domain", async () => {
    // 200 multiplications + 2 public values + 1: snarkjs uses the 2^8 domain, and for the H
    // query the 2^9 Lagrange section (the one built without the missing top power).
    const work = join(CIRCUITS_DIR, "build", "dev-ptau-test");
    await mkdir(work, { recursive: true });
    const source = join(work, "power_chain.circom");
    await writeFile(
      source,
      `pragma circom 2.1.6;
template PowerChain(n) {
  signal input x;
  signal input y;
  signal output out;
  signal p[n];
  p[0] <== x * x;
  for (var i = 1; i < n; i++) p[i] <== p[i - 1] * x;
  out <== p[n - 1] + y;
}
component main { public [y] } = PowerChain(200);
`,
    );
    runCircom(source, work);
    const r1cs = join(work, "power_chain.r1cs");
    const wasm = join(work, "power_chain_js", "power_chain.wasm");
    const zkey = join(dir, "power_chain.zkey");
    await setup.zKey.newZKey(r1cs, ptau, zkey);
    const { lines, logger } = recordingLogger();
    expect(await verifyZkey(r1cs, ptau, zkey, logger)).toBe(true);
    expect(lines.filter((l) => l.level === "error")).toEqual([]);
    const vkey = await snarkjs.zKey.exportVerificationKey(zkey);
    const { proof, publicSignals } = await snarkjs.groth16.fullProve({ x: 3, y: 5 }, wasm, zkey);
    const r = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
    let expected = 1n;
    for (let i = 0; i < 201; i++) expected = (expected * 3n) % r;
    expect(publicSignals).toEqual([((expected + 5n) % r).toString(), "5"]);
    expect(await snarkjs.groth16.verify(vkey, publicSignals, proof)).toBe(true);
    expect(await snarkjs.groth16.verify(vkey, [publicSignals[0]!, "6"], proof)).toBe(false);
  });

  it("fails powersoftau verify when one tau*G1 point is replaced by another curve point", async () => {
    const file = Buffer.from(await readFile(ptau));
    const s = ptauSections(file).get(2)!;
    // tau^5·G1 in place of tau^4·G1: a valid point, just not the right power.
    file.copy(file, s.start + 4 * 64, s.start + 5 * 64, s.start + 6 * 64);
    const tampered = join(dir, "tampered-tau.ptau");
    await writeFile(tampered, file);
    const { lines, logger } = recordingLogger();
    expect(await ptauVerify(tampered, logger)).toBe(false);
    expect(lines.filter((l) => l.level === "error").map((l) => l.text)).toEqual([
      "tauG1 section. Powers do not match",
    ]);
  });

  it("fails powersoftau verify when one Lagrange point is replaced by another", async () => {
    const file = Buffer.from(await readFile(ptau));
    const s = ptauSections(file).get(14)!;
    // Domain 2^3 of alpha·L_i(tau)·G1 starts after 1 + 2 + 4 points: swap its first two.
    const a = s.start + 7 * 64;
    const first = Buffer.from(file.subarray(a, a + 64));
    file.copy(file, a, a + 64, a + 128);
    first.copy(file, a + 64);
    const tampered = join(dir, "tampered-lagrange.ptau");
    await writeFile(tampered, file);
    const { lines, logger } = recordingLogger();
    expect(await ptauVerify(tampered, logger)).toBe(false);
    expect(lines.filter((l) => l.level === "error").map((l) => l.text)).toEqual([
      "Phase2 caclutation does not match with powers of tau",
    ]);
  });

  it.each([
    [{ power: 0 }, "INVALID_POWER", "power", "Parameter 'power' must be in 1..20, received 0"],
    [
      { power: MAX_DEV_PTAU_POWER + 1 },
      "INVALID_POWER",
      "power",
      "Parameter 'power' must be in 1..20, received 21",
    ],
    [{ power: 2.5 }, "INVALID_POWER", "power", "Parameter 'power' is not an integer, received 2.5"],
    [{ power: "8" }, "INVALID_POWER", "power", "Parameter 'power' is not a number, received type: string"],
    [
      { power: 12, maxPower: 10 },
      "INVALID_POWER",
      "power",
      "Parameter 'power' must be in 1..10, received 12",
    ],
    [
      { power: 8, maxPower: 21 },
      "INVALID_POWER",
      "maxPower",
      "Parameter 'maxPower' must be in 1..20, received 21",
    ],
    [
      { power: 8, threads: 0 },
      "INVALID_THREADS",
      "threads",
      "Parameter 'threads' must be in 1..64, received 0",
    ],
    [
      { power: 8, window: 17 },
      "INVALID_WINDOW",
      "window",
      "Parameter 'window' must be in 1..16, received 17",
    ],
  ])("refuses %o with %s", async (options, code, field, message) => {
    const output = join(dir, "refused.ptau");
    const run = writeDevPtau({ output, onProgress: () => {}, ...(options as { power: number }) });
    await expect(run).rejects.toThrow(DevPtauError);
    await expect(run).rejects.toMatchObject({ code, field, message });
    await expect(stat(output)).rejects.toMatchObject({ code: "ENOENT" });
    await expect(stat(`${output}.partial`)).rejects.toMatchObject({ code: "ENOENT" });
  });
});
