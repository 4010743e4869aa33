export {
  type ArtifactFile,
  type CircuitSourceFile,
  type CircuitSourceHashes,
  fetchMatchArtifacts,
  loadMatchArtifacts,
  MATCH_ARTIFACT_PINS,
  MATCH_VERIFICATION_KEY,
  type MatchArtifactBytes,
  type MatchArtifactOptions,
  type MatchArtifactPins,
  type MatchArtifacts,
  type MatchManifest,
  matchArtifactsFromBytes,
  sha256Hex,
} from "./artifacts.js";
export {
  type DeviceMembershipProof,
  deviceTreeRoot,
  type MatchCircuitInputs,
  type MatchWitnessInput,
  matchCircuitInputsAtShift,
  type PreparedMatchWitness,
  prepareMatchWitness,
  rotationQuotient,
  shiftFieldElement,
} from "./circuit-inputs.js";
export {
  canonicalProfileJson,
  checkCircuitProfile,
  MATCH_PUBLIC_SIGNALS,
  matchCircuitMain,
} from "./circuit-source.js";
export { releaseCurve } from "./curve.js";
export { MatchProofError, type MatchProofErrorCode } from "./errors.js";
export {
  type LivenessVoteArtifacts,
  type LivenessVoteManifest,
  livenessVoteArtifactsFromBytes,
  loadLivenessVoteArtifacts,
} from "./liveness-artifacts.js";
export {
  LIVENESS_VOTE_MAX_DEPTH,
  LIVENESS_VOTE_PUBLIC_SIGNALS,
  livenessVoteCircuitMain,
} from "./liveness-circuit-source.js";
export {
  BABYJUBJUB_SUBGROUP_ORDER,
  type GroupLike,
  type GroupMerkleProof,
  type LivenessVoteInput,
  leanIMTRoot,
  livenessCaptureChallenge,
  livenessVoteCircuitInputs,
  type PreparedLivenessVoteWitness,
  prepareLivenessVoteWitness,
  type SemaphoreIdentityLike,
  type SignedCapture,
} from "./liveness-inputs.js";
export {
  type LivenessVoteProof,
  type LivenessVoteTimings,
  proveLivenessVote,
  witnessOutputs,
} from "./prove-liveness-vote.js";
export { type MatchProof, type MatchProofTimings, proveMatch } from "./prove-match.js";
export { SEMAPHORE_ARTIFACT_SHA256, SEMAPHORE_ARTIFACTS_VERSION } from "./semaphore-artifact-pins.js";
export { type SemaphoreValue, semaphoreHash, semaphoreValue } from "./semaphore-hash.js";
export { type ExpectedLivenessVote, verifyLivenessVote } from "./verify-liveness-vote.js";
export { type ExpectedMatch, verifyMatch } from "./verify-match.js";
