export type { ChallengeService } from "./challenges.js";
export { CRASH_POINT_ENV, type CrashPoint } from "./crash-points.js";
export type { DeviceService } from "./devices.js";
export type { EnrolmentService } from "./enrolment.js";
export {
  ArtifactIntegrityError,
  CaptureError,
  ConflictError,
  DeviceStateError,
  DuplicateEnrollmentError,
  InconsistentCapturesError,
  InsufficientUsableBitsError,
  InvalidParameterError,
  NotFoundError,
  RecoveryError,
  RegistryError,
  type RegistryErrorCode,
  StorageError,
  UndecidableComparisonError,
  VoteError,
} from "./errors.js";
export type { GroupService } from "./groups.js";
export { checkLivenessVote } from "./liveness-vote-shape.js";
export type { PollService } from "./polls.js";
export { type PostgresOptions, PostgresRepository } from "./postgres-repository.js";
export { releaseProverThreads } from "./prover-threads.js";
export { type RecountRejection, type RecountResult, recount } from "./recount.js";
export type { RecoveryService } from "./recovery.js";
export {
  type AuditLog,
  type CapturesEnrolmentRequest,
  type DatabaseLocation,
  defaultPollScope,
  type EnrolmentReceipt,
  type EnrolmentRequest,
  type GroupInfo,
  type GroupMembers,
  type GroupRequest,
  groupFromMembers,
  type LivenessAuditRecords,
  MAX_ENROLMENT_CAPTURES,
  MAX_ROOT_EXPIRY_MS,
  MIN_ENROLMENT_CAPTURES,
  type OpenTimings,
  type PollChallenge,
  type PollInfo,
  type PollRequest,
  type RecoveryRequest,
  Registry,
  type RegistryOptions,
  type RegistryServices,
  randomFieldElement,
  type Tally,
  TREE_SNAPSHOT_INTERVAL,
  type TreeSource,
  type VoteReceipt,
} from "./registry.js";
export {
  type ChallengeRecord,
  type DeviceRecord,
  type DeviceRootRecord,
  type EnrolledCode,
  type EnrolmentCommit,
  type EnrolmentImport,
  type EnrolmentRecord,
  type GroupKind,
  type GroupRecord,
  type MemberRecord,
  type MemberUpdate,
  MIGRATIONS,
  type Migration,
  type PollChallengeRecord,
  type PollRecord,
  type Repository,
  type RootRecord,
  SCHEMA_VERSION,
  type TreeSnapshot,
  type VoteRecord,
} from "./repository.js";
export {
  SEMAPHORE_ARTIFACT_SHA256,
  SEMAPHORE_ARTIFACTS_VERSION,
  type SemaphoreArtifacts,
  semaphoreArtifacts,
  semaphoreArtifactsDirectory,
} from "./semaphore-artifacts.js";
export { checkSemaphoreProof } from "./semaphore-proof-shape.js";
export { SqliteRepository } from "./sqlite-repository.js";
export {
  type CaptureCheck,
  type CheckRefusal,
  type LivenessCheck,
  type ProofCheck,
  ProofVerifierPool,
  type VerifierPoolOptions,
} from "./verifier-pool.js";
