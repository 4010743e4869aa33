/**
 * Cost of signing and verifying capture packets, against the bare EdDSA-Poseidon primitive
 * (`DeviceKey.sign`, a thin wrapper of `@zk-kit/eddsa-poseidon`, and `verifyEdDSAPoseidon`, the
 * package's own arithmetic, each over one field element) in the same run; the new verification
 * against the library is bench/device/signature.ts;
 * and of restoring a full device registry tree in bulk, against inserting leaf by leaf.
 *
 *   npx tsx --conditions=zkiris-source bench/device/capture.ts [--ms 1500]
 */

import { IMT } from "@zk-kit/imt";
import {
  DEVICE_TREE_CAPACITY,
  DeviceKey,
  DeviceRegistryTree,
  parseCapturePacket,
  serializeCapturePacket,
  signCapture,
  verifyCapture,
  verifyEdDSAPoseidon,
} from "@zkiris/device";
import { DEFAULT_PROFILE, IrisCode, probeCommitment } from "@zkiris/iris-code";
import { xorshift32 } from "@zkiris/test-kit";
import { poseidon2 } from "poseidon-lite";

const msArg = process.argv.indexOf("--ms");
const minMs = msArg > 0 ? Number(process.argv[msArg + 1]) : 1500;

function timeIt(label: string, fn: () => void): number {
  fn(); // warm-up
  let ops = 0;
  const start = performance.now();
  while (performance.now() - start < minMs) {
    fn();
    ops++;
  }
  const ms = (performance.now() - start) / ops;
  console.log(`  ${label.padEnd(52)} ${ms.toFixed(3).padStart(10)} ms/op  (${ops} ops)`);
  return ms;
}

const g = DEFAULT_PROFILE.geometry;
const n = g.rows * g.cols * g.bitsPerCell;
const rand = xorshift32(12345);
const probe = IrisCode.fromBits(
  g,
  Array.from({ length: n }, () => rand() & 1),
  Array.from({ length: n }, () => (rand() % 10 === 0 ? 0 : 1)),
);
const key = DeviceKey.fromSeed("bench-device");
const challenge = 1234567890123456789n;
const packet = signCapture(key, probe, challenge, { usableFraction: 0.9 }, Date.now());
const text = serializeCapturePacket(packet);
const message = probeCommitment(probe);
const rawSignature = key.sign(message);

console.log(
  `capture packets: profile ${DEFAULT_PROFILE.name} (${n} bits), packet ${text.length} bytes, one core`,
);
console.log("baseline (one EdDSA-Poseidon signature over one field element):");
const baseSign = timeIt("DeviceKey.sign", () => {
  key.sign(message);
});
const baseVerify = timeIt("verifyEdDSAPoseidon", () => {
  if (!verifyEdDSAPoseidon(message, rawSignature, key.publicKey)) throw new Error("baseline does not verify");
});
console.log("this package:");
const commit = timeIt("probeCommitment (pack + Poseidon hashes)", () => {
  probeCommitment(probe);
});
const sign = timeIt("signCapture (commitment + 2 signatures)", () => {
  signCapture(key, probe, challenge, { usableFraction: 0.9 }, 1_764_000_000_000);
});
const parse = timeIt("parseCapturePacket (form + subgroup check)", () => {
  parseCapturePacket(text);
});
const verify = timeIt("verifyCapture (parse + 2 signature checks)", () => {
  verifyCapture(text, { expectedChallenge: challenge, trustedDevices: [key.deviceId] });
});
console.log(
  `ratios: signCapture / sign = ${(sign / baseSign).toFixed(2)}x, verifyCapture / verifyEdDSAPoseidon = ${(verify / baseVerify).toFixed(2)}x`,
);
console.log(
  `        (commitment ${commit.toFixed(2)} ms, parse ${parse.toFixed(2)} ms of the ${verify.toFixed(2)} ms verify)`,
);

console.log(`registry tree: ${DEVICE_TREE_CAPACITY} leaves`);
const leaves = Array.from({ length: DEVICE_TREE_CAPACITY }, (_, i) => BigInt(i + 1));
const oneByOne = timeIt("baseline: @zk-kit/imt insert leaf by leaf", () => {
  const t = new IMT((v) => poseidon2(v as bigint[]), 10, 0n, 2);
  for (const leaf of leaves) t.insert(leaf);
});
const bulk = timeIt("fromLeaves (bulk build)", () => {
  DeviceRegistryTree.fromLeaves(leaves);
});
const full = DeviceRegistryTree.fromLeaves(leaves);
timeIt("proof(deviceId) in a full tree", () => {
  full.proof(512n);
});
timeIt("DeviceRegistryTree.verifyProof", () => {
  DeviceRegistryTree.verifyProof(full.proof(512n));
});
console.log(`ratio: leaf-by-leaf / fromLeaves = ${(oneByOne / bulk).toFixed(1)}x`);
