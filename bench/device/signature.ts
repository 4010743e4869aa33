/**
 * EdDSA-Poseidon verification and the public key's subgroup check of @zkiris/device (its own
 * BabyJubJub arithmetic in extended coordinates) against the `@zk-kit/eddsa-poseidon` /
 * `@zk-kit/baby-jubjub` path they replaced, frozen here as the baseline, in the same process; and a
 * whole `verifyCapture` against the same packet checked through the frozen path. Per call: wall
 * time, CPU time (`process.cpuUsage`, this thread) and calls per second of CPU. Rounds of each
 * pair alternate so that a change of machine load hits both sides.
 *
 *   npx tsx --conditions=zkiris-source bench/device/signature.ts [--ms 2000] [--rounds 3]
 */

import { createRequire } from "node:module";
import { inCurve, mulPointEscalar, type Point, subOrder } from "@zk-kit/baby-jubjub";
import {
  captureSigningMessage,
  checkPublicKey,
  DeviceKey,
  type DevicePublicKey,
  type EdDSASignature,
  envelopeSigningMessage,
  parseCapturePacket,
  serializeCapturePacket,
  signCapture,
  verifyCapture,
  verifyEdDSAPoseidon,
} from "@zkiris/device";
import { DEFAULT_PROFILE, IrisCode } from "@zkiris/iris-code";
import { xorshift32 } from "@zkiris/test-kit";

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const minMs = option("--ms", 2000);
const rounds = option("--rounds", 3);

// ---- The frozen baseline: the library path as @zkiris/device had it. ----

// @zk-kit/eddsa-poseidon 1.0.4 is installed for @zkiris/device only: load it the way that package resolves it.
const { verifySignature } = createRequire(new URL("../../packages/device/package.json", import.meta.url))(
  "@zk-kit/eddsa-poseidon",
) as {
  verifySignature(
    message: bigint,
    signature: { R8: Point<bigint>; S: bigint },
    publicKey: Point<bigint>,
  ): boolean;
};

function libraryVerify(message: bigint, signature: EdDSASignature, publicKey: DevicePublicKey): boolean {
  const R8: Point<bigint> = [signature.R8[0], signature.R8[1]];
  if (!inCurve(R8)) return false;
  return verifySignature(message, { R8, S: signature.S }, [publicKey[0], publicKey[1]]);
}

function librarySubgroupCheck(publicKey: DevicePublicKey): boolean {
  const lA = mulPointEscalar([publicKey[0], publicKey[1]], subOrder);
  return lA[0] === 0n && lA[1] === 1n;
}

/**
 * `verifyCapture` (no trust list, challenge, or age options) through the library path: the packet's
 * form, then the library's subgroup check and both signatures with the library. The form check,
 * `parseCapturePacket`, now also runs the new subgroup check (about 1% of this baseline).
 */
function libraryVerifyCapture(text: string): void {
  const p = parseCapturePacket(text);
  if (!librarySubgroupCheck(p.publicKey)) throw new Error("baseline refuses the key");
  const message = captureSigningMessage(p.probe, p.challenge);
  if (p.signature.S >= subOrder || !libraryVerify(message, p.signature, p.publicKey)) {
    throw new Error("baseline refuses the signature");
  }
  const envelope = envelopeSigningMessage(message, p.timestamp);
  if (p.envelopeSignature.S >= subOrder || !libraryVerify(envelope, p.envelopeSignature, p.publicKey)) {
    throw new Error("baseline refuses the envelope signature");
  }
}

// ---- Measurement. ----

interface Figure {
  wallMs: number;
  cpuMs: number;
  calls: number;
}

function measure(fn: () => void): Figure {
  fn(); // warm-up (and the lazy table of B8 on the first call of the new path)
  let calls = 0;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  while (performance.now() - start < minMs) {
    fn();
    calls++;
  }
  const wall = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  return { wallMs: wall / calls, cpuMs: (cpu.user + cpu.system) / 1000 / calls, calls };
}

function compare(label: string, baseline: () => void, candidate: () => void): void {
  const base: Figure[] = [];
  const next: Figure[] = [];
  for (let r = 0; r < rounds; r++) {
    base.push(measure(baseline));
    next.push(measure(candidate));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const line = (name: string, fs: Figure[]) => {
    const cpu = median(fs.map((f) => f.cpuMs));
    const wall = median(fs.map((f) => f.wallMs));
    const calls = fs.reduce((s, f) => s + f.calls, 0);
    console.log(
      `  ${name.padEnd(10)} ${cpu.toFixed(3).padStart(9)} ms CPU ${wall.toFixed(3).padStart(9)} ms wall ${(1000 / cpu).toFixed(1).padStart(8)} /s CPU  (${calls} calls)`,
    );
    return cpu;
  };
  console.log(`${label}:`);
  const b = line("baseline", base);
  const c = line("new", next);
  console.log(`  ratio      ${(b / c).toFixed(1)}x less CPU per call`);
}

// ---- Inputs: one device, a default-profile capture. ----

const key = DeviceKey.fromSeed("bench-signature-device");
const g = DEFAULT_PROFILE.geometry;
const n = g.rows * g.cols * g.bitsPerCell;
const rand = xorshift32(4242);
const probe = IrisCode.fromBits(
  g,
  Array.from({ length: n }, () => rand() & 1),
  Array.from({ length: n }, () => (rand() % 10 === 0 ? 0 : 1)),
);
const text = serializeCapturePacket(signCapture(key, probe, 987654321n, { usableFraction: 0.9 }, Date.now()));
const message = 1234567890123456789n;
const signature = key.sign(message);
const forged = { R8: signature.R8, S: signature.S + 1n };

console.log(
  `EdDSA-Poseidon on BabyJubJub, one thread; median of ${rounds} alternating rounds of ${minMs} ms each`,
);
compare(
  "verifyEdDSAPoseidon, a valid signature",
  () => {
    if (!libraryVerify(message, signature, key.publicKey)) throw new Error("baseline refuses");
  },
  () => {
    if (!verifyEdDSAPoseidon(message, signature, key.publicKey)) throw new Error("new path refuses");
  },
);
compare(
  "verifyEdDSAPoseidon, a forged signature (S + 1)",
  () => {
    if (libraryVerify(message, forged, key.publicKey)) throw new Error("baseline accepts");
  },
  () => {
    if (verifyEdDSAPoseidon(message, forged, key.publicKey)) throw new Error("new path accepts");
  },
);
compare(
  "subgroup check of the key (l·A = O)",
  () => {
    if (!librarySubgroupCheck(key.publicKey)) throw new Error("baseline refuses");
  },
  () => {
    checkPublicKey(key.publicKey);
  },
);
compare(
  `verifyCapture, one ${text.length}-byte packet (form, subgroup check, 2 signatures)`,
  () => libraryVerifyCapture(text),
  () => {
    verifyCapture(text);
  },
);
