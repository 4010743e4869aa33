export {
  type ArtifactResolver,
  checkedArtifactBytes,
  SEMAPHORE_ARTIFACT_SHA256,
  SEMAPHORE_ARTIFACTS_VERSION,
  type SemaphoreArtifacts,
} from "./artifacts.js";
export {
  type CaptureInput,
  type LivenessProveOptions,
  type LivenessVoter,
  type Member,
  type PollRequest,
  type ProveOptions,
  ZkirisClient,
  type ZkirisClientOptions,
} from "./client.js";
export { ZkirisSdkError, type ZkirisSdkErrorCode } from "./errors.js";
export { FIELD_ORDER } from "./field.js";
export { createIdentity, exportIdentity, restoreIdentity } from "./identity.js";
export {
  checkedLivenessArtifacts,
  fetchLivenessArtifacts,
  LIVENESS_VOTE_ARTIFACT_SHA256,
  type LivenessArtifactBytes,
  type LivenessArtifactResolver,
  type LivenessArtifactUrls,
} from "./liveness-artifacts.js";
export {
  type LivenessVote,
  type LivenessVoteJson,
  livenessVoteToJson,
  parseLivenessVote,
} from "./liveness-proof.js";
export { InMemoryNullifierStore, type NullifierStore } from "./nullifier-store.js";
export { parseProof, proofToJson, type SemaphoreProofJson, type UniqueActionProof } from "./proof.js";
export type {
  AuditedVote,
  AuditLog,
  Challenge,
  Device,
  DeviceProof,
  DeviceRootRecord,
  Enrolment,
  EnrolmentReceipt,
  GroupInfo,
  GroupKind,
  IssuedPollChallenge,
  LivenessAuditRecords,
  MerkleProof,
  Poll,
  PollChallenge,
  RootRecord,
  Tally,
  VoteReceipt,
} from "./types.js";
export {
  DEFAULT_DEVICE_ROOT_EXPIRY_MS,
  LIVENESS_VOTE_VERIFICATION_KEY,
  type LivenessVoteAction,
  type VerifyLivenessVoteOptions,
  verifyLivenessVote,
} from "./verify-liveness-vote.js";
export {
  DEFAULT_ROOT_EXPIRY_MS,
  type UniqueAction,
  type VerifyUniqueActionOptions,
  verifyUniqueAction,
} from "./verify-unique-action.js";
