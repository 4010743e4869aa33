export { type CliCommand, type CliIo, COMMANDS, EXIT, runCli, UsageError } from "./cli.js";
export {
  BRIDGE_METHODS,
  BRIDGE_PROTOCOL_VERSION,
  BridgeError,
  type BridgeErrorCode,
  type BridgeMethod,
  type BridgeResponse,
  DeviceBridge,
  type DeviceBridgeOptions,
  HTTP_STATUS_OF,
  MAX_REQUEST_BYTES,
  type WireError,
} from "./device/bridge.js";
export {
  KeyFileError,
  type KeyFileErrorCode,
  type KeyFileJson,
  readKeyFile,
  writeKeyFile,
} from "./device/key-file.js";
export { type BridgeHttpServer, serveJsonLines, startBridgeHttp } from "./device/transports.js";
