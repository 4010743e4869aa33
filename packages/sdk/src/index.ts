export {
  type ArtifactResolver,
  checkedArtifactBytes,
  SEMAPHORE_ARTIFACT_SHA256,
  SEMAPHORE_ARTIFACTS_VERSION,
  type SemaphoreArtifacts,
} from "./artifacts.js";
export {
  type CaptureInput,
  type Member,
  type PollRequest,
  type ProveOptions,
  ZkirisClient,
  type ZkirisClientOptions,
} from "./client.js";
export { ZkirisSdkError, type ZkirisSdkErrorCode } from "./errors.js";
export { FIELD_ORDER } from "./field.js";
export { createIdentity, exportIdentity, restoreIdentity } from "./identity.js";
export { InMemoryNullifierStore, type NullifierStore } from "./nullifier-store.js";
export { parseProof, proofToJson, type SemaphoreProofJson, type UniqueActionProof } from "./proof.js";
export type {
  Challenge,
  Device,
  Enrolment,
  EnrolmentReceipt,
  GroupInfo,
  GroupKind,
  MerkleProof,
  Poll,
  RootRecord,
  Tally,
  VoteReceipt,
} from "./types.js";
export {
  DEFAULT_ROOT_EXPIRY_MS,
  type UniqueAction,
  type VerifyUniqueActionOptions,
  verifyUniqueAction,
} from "./verify-unique-action.js";
