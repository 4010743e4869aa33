export {
  type CodeGeometry,
  type IrisProfile,
  DEFAULT_PROFILE,
  OPEN_IRIS_GEOMETRY,
  OPEN_IRIS_PROFILE,
  THRESHOLD_SCALE,
  assertSameGeometry,
  bitCount,
  checkGeometry,
  checkProfile,
  formatGeometry,
  packedByteLength,
  rowBitCount,
  sameGeometry,
} from "./geometry.js";
export { IrisCodeError, type IrisCodeErrorCode, ZkirisError, describeType } from "./errors.js";
export { IrisCode, POPCOUNT8, packBitValues, unpackBits } from "./iris-code.js";
export {
  type DistanceOptions,
  type DistanceResult,
  PreparedProbe,
  hammingDistance,
  isMatchResult,
  matchCodes,
  normaliseDistance,
  popcount32,
  referenceHammingDistance,
  rowWords,
  shiftColumns,
  wordsPerRow,
} from "./distance.js";
export {
  BITS_PER_FIELD_ELEMENT,
  POSEIDON_MAX_INPUTS,
  SNARK_FIELD_ORDER,
  captureMessage,
  checkSalt,
  elementsPerRow,
  hashFieldElements,
  packCode,
  packFieldElements,
  poseidon,
  probeCommitment,
  randomSalt,
  templateCommitment,
} from "./commitment.js";
export { crc32, fromBase64, fromHex, toBase64, toHex } from "./encoding.js";
export {
  IRIS_CODE_FORMAT_VERSION,
  type IrisCodeJson,
  type OpenIrisTemplateJson,
  fromBinary,
  fromJson,
  fromOpenIrisTemplate,
  toBinary,
  toJson,
} from "./serialization.js";
