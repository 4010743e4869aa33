/**
 * Source of a search worker, run with `new Worker(source, { eval: true })` so it needs no file on
 * disk and works the same from TypeScript sources, tests and the published build.
 *
 * Protocol: `{ type: "init", module, memory, probePtr, outPtr, chunk }` instantiates the kernel on
 * the shared arena and answers `{ type: "ready" }`. `{ type: "scan", id, probe, nShifts,
 * codesPtr, codeBytes, start, end, minUsable, thresholdPer10k }` copies the pre-shifted probe to
 * the worker's own scratch area, scans slots `start..end` in chunks of `chunk` codes (so the
 * output area cannot overflow) and answers `{ type: "result", id, records }`, where `records` is
 * an Int32Array of (slot, shift index, differing, usable) quadruples (shift index -1 and usable 0
 * for an undecidable code). Errors answer
 * `{ type: "error", id, message }`.
 */
export const WORKER_SOURCE = `
let kernel = null;
let memory = null;
let probePtr = 0;
let outPtr = 0;
let chunk = 0;
// import() works whether the eval'd source is run as CommonJS or as an ES module.
import("node:worker_threads").then(({ parentPort }) => parentPort.on("message", (msg) => {
  if (msg.type === "init") {
    memory = msg.memory;
    kernel = new WebAssembly.Instance(msg.module, { env: { memory } }).exports;
    probePtr = msg.probePtr;
    outPtr = msg.outPtr;
    chunk = msg.chunk;
    parentPort.postMessage({ type: "ready" });
    return;
  }
  if (msg.type === "scan") {
    try {
      new Uint32Array(memory.buffer, probePtr, msg.probe.length).set(msg.probe);
      let records = new Int32Array(64);
      let n = 0;
      for (let first = msg.start; first < msg.end; first += chunk) {
        const count = Math.min(chunk, msg.end - first);
        const found = kernel.scan(probePtr, msg.nShifts, msg.codesPtr + first * msg.codeBytes, count,
          msg.minUsable, msg.thresholdPer10k, outPtr);
        if (found === 0) continue;
        if ((n + found) * 4 > records.length) {
          const grown = new Int32Array(Math.max(records.length * 2, (n + found) * 4));
          grown.set(records.subarray(0, n * 4));
          records = grown;
        }
        const out = new Int32Array(memory.buffer, outPtr, found * 4);
        for (let j = 0; j < found; j++) {
          records[(n + j) * 4] = out[j * 4] + first;
          records[(n + j) * 4 + 1] = out[j * 4 + 1];
          records[(n + j) * 4 + 2] = out[j * 4 + 2];
          records[(n + j) * 4 + 3] = out[j * 4 + 3];
        }
        n += found;
      }
      const result = records.slice(0, n * 4);
      parentPort.postMessage({ type: "result", id: msg.id, records: result }, [result.buffer]);
    } catch (error) {
      parentPort.postMessage({ type: "error", id: msg.id, message: String(error && error.stack || error) });
    }
  }
}));
`;
