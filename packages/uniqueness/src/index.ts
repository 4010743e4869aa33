export { type BruteForceOptions, bruteForceSearch } from "./brute-force-search.js";
export { UniquenessError, type UniquenessErrorCode } from "./errors.js";
export { scanJs } from "./js-kernel.js";
export {
  type CodeLayout,
  codeLayout,
  codeWords,
  prepareProbeWords,
  shiftOrder,
  writeCodeWords,
  writePackedHalves,
} from "./layout.js";
export {
  compareMatches,
  type EnrolmentId,
  type ResolvedSearchOptions,
  resolveSearchOptions,
  type SearchMatch,
  type SearchOptions,
  type SearchResult,
} from "./search-types.js";
export { UniquenessIndex, type UniquenessIndexOptions } from "./uniqueness-index.js";
export {
  defaultCheckpoints,
  defaultUnroll,
  emitKernelModule,
  MAX_KERNEL_WORDS,
  RECHECK,
  scanChunk,
  type WasmKernel,
} from "./wasm-kernel.js";
