export { type RecaptureOptions, randomCode, recapture } from "./codes.js";
export {
  type CompiledContract,
  calldataGas,
  compileSolidity,
  type EvmCallOptions,
  type EvmCallResult,
  evmAddress,
  InProcessEvm,
  solcVersion,
} from "./evm.js";
export { mulberry32, unit, xorshift32 } from "./random.js";
export {
  chromiumPath,
  datasetsDirectory,
  neededBy,
  needs,
  REPO_ROOT,
  type Requirement,
  type RequirementId,
  requirement,
} from "./requirements.js";
