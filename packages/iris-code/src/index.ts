export type { Circle } from "./circle.js";
export {
  BITS_PER_FIELD_ELEMENT,
  type CodeDigest,
  captureMessage,
  checkSalt,
  codeDigest,
  elementsPerRow,
  hashFieldElements,
  POSEIDON_MAX_INPUTS,
  packCode,
  packFieldElements,
  poseidon,
  probeCommitment,
  randomSalt,
  SNARK_FIELD_ORDER,
  templateCommitment,
  templateCommitmentOfDigest,
} from "./commitment.js";
export {
  compareForDeduplication,
  type DeduplicationComparison,
  deduplicationDistance,
  deduplicationMatches,
  normalisedMatch,
} from "./deduplication.js";
export {
  type DistanceOptions,
  type DistanceResult,
  hammingDistance,
  isMatchResult,
  matchCodes,
  normaliseDistance,
  PreparedProbe,
  popcount32,
  referenceHammingDistance,
  rowWords,
  shiftColumns,
  wordsPerRow,
} from "./distance.js";
export { crc32, fromBase64, fromHex, toBase64, toHex } from "./encoding.js";
export {
  COMMON_ERROR_CODES,
  type CommonErrorCode,
  describeType,
  IrisCodeError,
  type IrisCodeErrorCode,
  type SharedErrorCode,
  ZkirisError,
} from "./errors.js";
export {
  assertSameGeometry,
  bitCount,
  type CodeGeometry,
  checkGeometry,
  checkProfile,
  checkVerificationProfile,
  DEFAULT_PROFILE,
  type DeduplicationDecision,
  formatGeometry,
  type IrisProfile,
  OPEN_IRIS_GEOMETRY,
  OPEN_IRIS_PROFILE,
  packedByteLength,
  rowBitCount,
  sameGeometry,
  THRESHOLD_SCALE,
  type VerificationProfile,
} from "./geometry.js";
export { IrisCode, POPCOUNT8, packBitValues, unpackBits } from "./iris-code.js";
export {
  fromBinary,
  fromJson,
  fromOpenIrisTemplate,
  IRIS_CODE_FORMAT_VERSION,
  type IrisCodeJson,
  type OpenIrisTemplateJson,
  toBinary,
  toJson,
} from "./serialization.js";
export { type BuiltTemplate, buildTemplate } from "./template.js";
