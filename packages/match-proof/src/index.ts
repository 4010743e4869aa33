export {
  type ArtifactFile,
  fetchMatchArtifacts,
  loadMatchArtifacts,
  type MatchArtifactBytes,
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
export { checkCircuitProfile, MATCH_PUBLIC_SIGNALS, matchCircuitMain } from "./circuit-source.js";
export { releaseCurve } from "./curve.js";
export { MatchProofError, type MatchProofErrorCode } from "./errors.js";
export { type MatchProof, type MatchProofTimings, proveMatch } from "./prove-match.js";
export { type ExpectedMatch, verifyMatch } from "./verify-match.js";
