// A frozen copy of packages/uniqueness/src as of commit 2fb341c (row-padded arena, a kernel that
// computes every shift of every code in full, one `add(id, fromBinary(blob))` per code): the
// baseline that bench/uniqueness/fast-path.ts measures the current package against, in the same
// process. Not a library; do not import it elsewhere.

export {
  codeLayout as baselineCodeLayout,
  codeWords as baselineCodeWords,
  prepareProbeWords as baselinePrepareProbeWords,
} from "./layout.js";
export { UniquenessIndex as BaselineUniquenessIndex } from "./uniqueness-index.js";
export {
  emitKernelModule as baselineEmitKernelModule,
  type WasmKernel as BaselineWasmKernel,
} from "./wasm-kernel.js";
