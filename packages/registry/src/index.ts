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
export {
  MIGRATIONS,
  type Migration,
  type MigrationPrecondition,
  SCHEMA_VERSION,
} from "./migrations.js";
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
export type {
  ChallengeRecord,
  DeviceRecord,
  DeviceRootRecord,
  EnrolledCode,
  EnrolmentCommit,
  EnrolmentImport,
  EnrolmentRecord,
  GroupKind,
  GroupRecord,
  MemberRecord,
  MemberUpdate,
  PollChallengeRecord,
  PollRecord,
  Repository,
  RootRecord,
  TreeSnapshot,
  VoteRecord,
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
