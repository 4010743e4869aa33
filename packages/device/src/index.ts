export {
  CAPTURE_ENVELOPE_TAG,
  CAPTURE_PACKET_TYPE,
  CAPTURE_PACKET_VERSION,
  type CapturePacket,
  type CapturePacketJson,
  captureSigningMessage,
  checkQualityFigures,
  checkTimestamp,
  envelopeSigningMessage,
  MAX_CAPTURE_PACKET_BYTES,
  MAX_QUALITY_ENTRIES,
  parseCapturePacket,
  type SignatureJson,
  serializeCapturePacket,
  toCapturePacketJson,
} from "./capture-packet.js";
export { DeviceKey, PRIVATE_KEY_BYTES } from "./device-key.js";
export {
  DEVICE_TREE_CAPACITY,
  DEVICE_TREE_DEPTH,
  type DeviceMerkleProof,
  DeviceRegistryTree,
} from "./device-registry-tree.js";
export { DeviceError, type DeviceErrorCode } from "./errors.js";
export { BABYJUBJUB_SUBGROUP_ORDER, checkPublicKey, type DevicePublicKey, deviceIdOf } from "./public-key.js";
export { signCapture } from "./sign-capture.js";
export { type EdDSASignature, verifyEdDSAPoseidon } from "./signature.js";
export {
  DEFAULT_MAX_CLOCK_SKEW_MS,
  type TrustedDeviceSet,
  type VerifiedCapture,
  type VerifyCaptureOptions,
  verifyCapture,
} from "./verify-capture.js";
