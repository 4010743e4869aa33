export { type RecaptureOptions, randomCode, recapture } from "./codes.js";
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
