// The browser benchmark's vote, made in Node and sent to the page as JSON: the voter's exported
// identity, the group's leaves, the template, the capture packet signed for the poll's capture
// challenge and the device's registry proof.
import { signCapture } from "@zkiris/device";
import { DEFAULT_PROFILE, toJson } from "@zkiris/iris-code";
import { livenessCaptureChallenge } from "../../../packages/match-proof/src/index.js";
import { makePoll } from "../../../packages/match-proof/test/liveness-fixtures.js";

export async function toJsonPacket() {
  const poll = makePoll(DEFAULT_PROFILE, "bench poll");
  const voter = poll.voters[0]!;
  const packet = signCapture(
    poll.deviceKey,
    voter.probe,
    livenessCaptureChallenge(poll.scope, poll.challenge),
    {
      sharpness: 0.9,
    },
  );
  const proof = poll.devices.proof(poll.deviceKey.deviceId);
  return {
    privateKey: voter.identity.export(),
    members: poll.group.members.map(String),
    template: toJson(voter.template),
    salt: String(voter.salt),
    packet: JSON.stringify(packet),
    deviceProof: {
      root: String(proof.root),
      leaf: String(proof.leaf),
      siblings: proof.siblings.map(String),
      pathIndices: proof.pathIndices,
    },
    scope: poll.scope,
    challenge: String(poll.challenge),
  };
}
