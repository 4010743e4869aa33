// A biometric group, a device registry and a poll for liveness-vote tests: voters with a Semaphore
// identity and an enrolled template, leaves Poseidon2(identityCommitment, Ct) as the registry
// stores them, captures signed by @zkiris/device keys through the real capture-packet path.
import { Group } from "@semaphore-protocol/group";
import { Identity } from "@semaphore-protocol/identity";
import { DeviceKey, DeviceRegistryTree, parseCapturePacket, signCapture } from "@zkiris/device";
import { type IrisCode, templateCommitment, type VerificationProfile } from "@zkiris/iris-code";
import { poseidon2 } from "poseidon-lite";
import { type LivenessVoteInput, livenessCaptureChallenge, type SignedCapture } from "../src/index.js";
import { codePair } from "./fixtures.js";

export interface Voter {
  readonly identity: Identity;
  readonly template: IrisCode;
  readonly salt: bigint;
  /** A fresh capture of the same eye (matches the template). */
  readonly probe: IrisCode;
  readonly leaf: bigint;
}

export interface Poll {
  readonly voters: readonly Voter[];
  readonly group: Group;
  readonly deviceKey: DeviceKey;
  readonly devices: DeviceRegistryTree;
  readonly scope: string;
  readonly challenge: bigint;
}

/** Usable and differing bits of a matching capture, scaled to the profile (20 % differing). */
function matchingBits(profile: VerificationProfile): { usable: number; differing: number } {
  const n = profile.geometry.rows * profile.geometry.cols * profile.geometry.bitsPerCell;
  const usable = Math.max(profile.minUsableBits + 10, Math.floor(n * 0.7));
  return { usable, differing: Math.floor(usable * 0.2) };
}

export function makeVoter(profile: VerificationProfile, name: string, seed: number, shift = 1): Voter {
  const { template, probe } = codePair(profile, { shift, ...matchingBits(profile), seed });
  const identity = new Identity(`zkiris liveness voter ${name}`);
  const salt = 0x1000_0000_0000_0000_0000_0000_0000_0000_0000_0000n + BigInt(seed);
  return {
    identity,
    template,
    salt,
    probe,
    leaf: poseidon2([identity.commitment, templateCommitment(template, salt)]),
  };
}

/** Three enrolled voters in one biometric group, two trusted devices, a poll. */
export function makePoll(profile: VerificationProfile, scope = "poll-42"): Poll {
  const voters = [
    makeVoter(profile, "alice", 11),
    makeVoter(profile, "bob", 12, -1),
    makeVoter(profile, "carol", 13),
  ];
  const group = new Group(voters.map((v) => v.leaf));
  const deviceKey = DeviceKey.fromSeed("zkiris liveness test camera");
  const devices = new DeviceRegistryTree();
  devices.add(DeviceKey.fromSeed("zkiris liveness other camera"));
  devices.add(deviceKey);
  return { voters, group, deviceKey, devices, scope, challenge: 0x5eed_cafe_0000_0001n };
}

/** A capture packet of `probe` signed by `key` for `challenge`, parsed as a verifier receives it. */
export function capture(key: DeviceKey, probe: IrisCode, challenge: bigint): SignedCapture {
  return parseCapturePacket(
    JSON.stringify(signCapture(key, probe, challenge, { sharpness: 0.9 }, 1_760_000_000_000)),
  );
}

/** An honest vote of `voter` in `poll` for `message`, its capture signed for the poll's capture challenge. */
export function honestVote(poll: Poll, voter: Voter, message: bigint | string = 1n): LivenessVoteInput {
  const captureChallenge = livenessCaptureChallenge(poll.scope, poll.challenge);
  return {
    identity: voter.identity,
    group: poll.group,
    template: voter.template,
    salt: voter.salt,
    capture: capture(poll.deviceKey, voter.probe, captureChallenge),
    deviceProof: poll.devices.proof(poll.deviceKey.deviceId),
    scope: poll.scope,
    message,
    challenge: poll.challenge,
  };
}
