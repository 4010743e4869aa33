// Synthetic enrolled members for the registry and server benchmarks: random codes of the default
// geometry (about 1/8 of the bits masked) written straight through a repository, with the group's
// Merkle root, so a bench starts from N members without N real enrolments.
import { Group } from "@semaphore-protocol/group";
import type { DeviceKey } from "@zkiris/device";
import { DEFAULT_PROFILE, IrisCode, toBinary } from "@zkiris/iris-code";
import type { EnrolmentImport, Repository } from "@zkiris/registry";

const G = DEFAULT_PROFILE.geometry;
/** Bytes of a code's bits (and of its mask) in the default geometry. */
export const CODE_BYTES = (G.rows * G.cols * G.bitsPerCell) / 8;

/** A random code of the default geometry with about 1/8 of its bits masked. */
export function randomCode(): IrisCode {
  const bits = new Uint8Array(CODE_BYTES);
  const noise = new Uint8Array(3 * CODE_BYTES);
  globalThis.crypto.getRandomValues(bits);
  globalThis.crypto.getRandomValues(noise);
  const mask = new Uint8Array(CODE_BYTES);
  for (let i = 0; i < CODE_BYTES; i++)
    mask[i] = ~(noise[i]! & noise[CODE_BYTES + i]! & noise[2 * CODE_BYTES + i]!) & 0xff;
  return IrisCode.fromPacked(G, bits, mask);
}

/**
 * Migrates `repository`, registers `key` as a device, creates the plain group `citizens` and
 * imports `members` enrolments with identity commitments `(i + 1) * 1,000,003` and the codes
 * `code(i)` (default: a fresh random code each), then the group's root. `onProgress(done)` is
 * called every 25,000 members.
 */
export async function seedMembers(
  repository: Repository,
  key: DeviceKey,
  members: number,
  options: { code?: (i: number) => Uint8Array; onProgress?: (done: number) => void } = {},
): Promise<void> {
  const code = options.code ?? (() => toBinary(randomCode()));
  await repository.migrate();
  await repository.insertDevice({
    id: key.deviceId.toString(),
    publicKey: [key.publicKey[0].toString(), key.publicKey[1].toString()],
    registeredAt: 0,
    revokedAt: null,
  });
  await repository.insertGroup({ id: "citizens", kind: "plain", createdAt: 0 }, "0");
  const leaves: bigint[] = [];
  const entries: EnrolmentImport[] = [];
  for (let i = 0; i < members; i++) {
    const identity = BigInt(i + 1) * 1_000_003n;
    leaves.push(identity);
    entries.push({
      enrolment: {
        groupId: "citizens",
        memberIndex: i,
        identityCommitment: identity.toString(),
        templateCommitment: "0",
        deviceId: key.deviceId.toString(),
        code: code(i),
        createdAt: 0,
      },
      leaf: identity.toString(),
    });
    if ((i + 1) % 25_000 === 0) options.onProgress?.(i + 1);
  }
  const root = members === 0 ? 0n : new Group(leaves).root;
  await repository.importEnrolments("citizens", entries, root.toString(), 1);
}
