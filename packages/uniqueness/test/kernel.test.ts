import {
  DEFAULT_PROFILE,
  IrisCode,
  OPEN_IRIS_GEOMETRY,
  PreparedProbe,
  shiftColumns,
} from "@zkiris/iris-code";
import { describe, expect, it } from "vitest";
import {
  codeLayout,
  codeWords,
  defaultUnroll,
  emitKernelModule,
  MAX_KERNEL_WORDS,
  prepareProbeWords,
  RECHECK,
  scanChunk,
  scanJs,
  UniquenessError,
  type WasmKernel,
} from "../src/index.js";
import { allMasked, plantedCode, randomCode, rng } from "./helpers.js";

function instantiate(
  halfWords: number,
  pages: number,
  unroll?: number,
): { kernel: WasmKernel; memory: WebAssembly.Memory } {
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  const module = new WebAssembly.Module(emitKernelModule(halfWords, pages, pages, unroll));
  const kernel = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as WasmKernel;
  return { kernel, memory };
}

const CASES = [
  { name: "default 16x112x2", g: DEFAULT_PROFILE.geometry, maxShift: 8, minUsable: 1200 },
  { name: "open-iris 16x256x4", g: OPEN_IRIS_GEOMETRY, maxShift: 15, minUsable: 4000 },
  { name: "odd 3x9x3", g: { rows: 3, cols: 9, bitsPerCell: 3 }, maxShift: 4, minUsable: 5 },
];

describe("WebAssembly kernel", () => {
  it("emits a valid module deterministically", () => {
    const a = emitKernelModule(64, 2, 10);
    expect(WebAssembly.validate(a)).toBe(true);
    expect(emitKernelModule(64, 2, 10)).toEqual(a);
    expect(WebAssembly.validate(emitKernelModule(1, 1, 1))).toBe(true);
  });

  it("refuses a word count outside 1..MAX_KERNEL_WORDS", () => {
    for (const bad of [0, -1, 1.5, MAX_KERNEL_WORDS + 1]) {
      expect(() => emitKernelModule(bad, 1, 1)).toThrowError(
        expect.objectContaining({ code: "INVALID_PARAMETER", field: "halfWords" }),
      );
      expect(() => emitKernelModule(bad, 1, 1)).toThrow(UniquenessError);
    }
  });

  it("refuses an unroll factor that does not divide the word count", () => {
    for (const bad of [0, 3, 1.5, 128]) {
      expect(() => emitKernelModule(64, 1, 1, bad)).toThrowError(
        expect.objectContaining({ code: "INVALID_PARAMETER", field: "unroll" }),
      );
    }
    expect(defaultUnroll(64)).toBe(64);
    expect(defaultUnroll(256)).toBe(32);
    expect(defaultUnroll(3 * 67)).toBe(3);
    expect(defaultUnroll(131)).toBe(1);
  });

  for (const c of CASES) {
    const half = codeLayout(c.g).halfWords;
    for (const unroll of [...new Set([defaultUnroll(half), 1, half])]) {
      it(`agrees with iris-code and the JS kernel on ${c.name} codes, unrolled ${unroll}x, every threshold`, () => {
        const random = rng(c.g.cols * 31 + c.g.rows);
        const layout = codeLayout(c.g);
        const probe = randomCode(random, c.g, 0.9);
        const codes: IrisCode[] = [];
        for (let i = 0; i < 60; i++) codes.push(randomCode(random, c.g, 0.3 + 0.6 * random()));
        codes.push(allMasked(random, c.g));
        codes.push(plantedCode(random, probe, c.minUsable + 3, 1, c.maxShift));
        codes.push(plantedCode(random, probe, c.minUsable, 0, -c.maxShift));
        codes.push(plantedCode(random, probe, c.minUsable - 1, 0, 1));
        const nShifts = 2 * c.maxShift + 1;
        const probeWords = prepareProbeWords(layout, probe, c.maxShift);
        const codesPtr = probeWords.length * 4;
        const outPtr = codesPtr + codes.length * layout.codeBytes;
        const pages = Math.ceil((outPtr + codes.length * 16) / 65536);
        const { kernel, memory } = instantiate(layout.halfWords, pages, unroll);
        const words = new Uint32Array(memory.buffer);
        words.set(probeWords, 0);
        for (const [i, code] of codes.entries())
          words.set(codeWords(layout, code), codesPtr / 4 + i * layout.codeWords32);
        const prepared = new PreparedProbe(probe, c.maxShift);
        const expected = codes.map((code) => prepared.compare(code, { minUsableBits: c.minUsable }));
        for (const thr of [0, 1, 2500, 3600, 4800, 5000, 5200, 10000]) {
          const exact = kernel.scanExact(0, nShifts, codesPtr, codes.length, c.minUsable, thr, outPtr);
          const exactRecords = [...new Int32Array(memory.buffer, outPtr, exact * 4)];
          const found = scanChunk(
            kernel,
            memory,
            0,
            nShifts,
            codesPtr,
            layout.codeBytes,
            codes.length,
            c.minUsable,
            thr,
            outPtr,
          );
          const records = [...new Int32Array(memory.buffer, outPtr, found * 4)];
          const want: number[] = [];
          expected.forEach((r, i) => {
            if (!r.comparable) want.push(i, -1, 0, 0);
            else if (r.differingBits * 10000 <= thr * r.usableBits) {
              want.push(i, prepared.shifts.indexOf(r.shift), r.differingBits, r.usableBits);
            }
          });
          expect(records).toEqual(want);
          expect(exactRecords).toEqual(want);
          const js: number[] = [];
          expect(scanJs(layout, words, 0, nShifts, codesPtr / 4, codes.length, c.minUsable, thr, js)).toBe(
            found,
          );
          expect(js).toEqual(want);
        }
        // The planted codes: shift +K at one differing bit, -K at zero, and one with too few usable
        // bits (in the 81-bit geometry other shifts can tie by chance, so only the large ones).
        if (c.g.cols < 100) return;
        const all = scanChunk(
          kernel,
          memory,
          0,
          nShifts,
          codesPtr,
          layout.codeBytes,
          codes.length,
          c.minUsable,
          10000,
          outPtr,
        );
        const rec = [...new Int32Array(memory.buffer, outPtr, all * 4)];
        const slot = (i: number) => {
          for (let j = 0; j < rec.length; j += 4) if (rec[j] === i) return rec.slice(j, j + 4);
          return undefined;
        };
        // All-masked and one usable bit short of the floor: undecidable, reported with shift index -1.
        expect(slot(60)).toEqual([60, -1, 0, 0]);
        expect(slot(61)).toEqual([61, prepared.shifts.indexOf(c.maxShift), 1, c.minUsable + 3]);
        expect(slot(62)).toEqual([62, prepared.shifts.indexOf(-c.maxShift), 0, c.minUsable]);
        expect(slot(63)).toEqual([63, -1, 0, 0]);
      });
    }
  }

  it("reads memory sequentially in readSweep", () => {
    const { kernel, memory } = instantiate(1, 1);
    const words = new Uint32Array(memory.buffer);
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 256; i++) {
      words[i] = Math.imul(i + 1, 0x9e3779b1) >>> 0;
      if (i % 2 === 0) lo ^= words[i]!;
      else hi ^= words[i]!;
    }
    expect(kernel.readSweep(0, 1024) >>> 0).toBe((lo ^ hi) >>> 0);
    expect(kernel.readSweep(0, 0)).toBe(0);
  });
});

describe("exact pruning", () => {
  const g = DEFAULT_PROFILE.geometry; // 56 words per half, one checkpoint at word 44
  const layout = codeLayout(g);
  const before = layout.checkpoints[0]! * 64; // usable bits a mask can have in words 0..43
  const bitsOfCode = g.rows * g.cols * g.bitsPerCell;

  /** The kernel over `codes` with `probe` pre-shifted by -8..8. */
  function scanner(probe: IrisCode, codes: IrisCode[]) {
    const probeWords = prepareProbeWords(layout, probe, 8);
    const codesPtr = probeWords.length * 4;
    const outPtr = codesPtr + codes.length * layout.codeBytes;
    const pages = Math.ceil((outPtr + codes.length * 16) / 65536);
    const { kernel, memory } = instantiate(layout.halfWords, pages);
    const words = new Uint32Array(memory.buffer);
    words.set(probeWords, 0);
    for (const [i, code] of codes.entries())
      words.set(codeWords(layout, code), codesPtr / 4 + i * layout.codeWords32);
    return (fn: "scan" | "scanExact" | "chunk", minUsable: number, thr: number): number[] => {
      const found =
        fn === "chunk"
          ? scanChunk(kernel, memory, 0, 17, codesPtr, layout.codeBytes, codes.length, minUsable, thr, outPtr)
          : kernel[fn](0, 17, codesPtr, codes.length, minUsable, thr, outPtr);
      return [...new Int32Array(memory.buffer, outPtr, found * 4)];
    };
  }

  /** `bits` with the mask set on bit positions `from..to-1` only. */
  function masked(bits: Uint8Array, from: number, to: number): IrisCode {
    const mask = new Uint8Array(bitsOfCode);
    mask.fill(1, from, to);
    return IrisCode.fromBits(g, bits, mask);
  }

  /** The probe's bits with `differing` of the first `usable` flipped, usable there only. */
  function prefixCode(probe: IrisCode, usable: number, differing: number): IrisCode {
    const bits = probe.bitValues();
    for (let i = 0; i < differing; i++) bits[Math.floor((i * usable) / differing)]! ^= 1;
    return masked(bits, 0, usable);
  }

  it("tests the bound at 0.79 of the words", () => {
    expect(layout.checkpoints).toEqual([44]);
  });

  it("keeps a shift whose bound is met with equality, and refutes one bit more", () => {
    // 2,816 usable bits, all before the checkpoint: the bound there is the exact final count. At
    // threshold 3125, 880 differing bits is exactly 0.3125 (a match); 881 is over it (under 3129).
    const probe = randomCode(rng(5), g, 1);
    const codes = [prefixCode(probe, before, 880), prefixCode(probe, before, 881)];
    const prepared = new PreparedProbe(probe, 8);
    expect(
      codes
        .map((c) => prepared.compare(c, { minUsableBits: 1200 }))
        .map((r) => [r.shift, r.differingBits, r.usableBits]),
    ).toEqual([
      [0, 880, before],
      [0, 881, before],
    ]);
    const scan = scanner(probe, codes);
    for (const fn of ["scan", "scanExact", "chunk"] as const) {
      expect(scan(fn, 1200, 3125)).toEqual([0, 0, 880, before]);
      expect(scan(fn, 1200, 3129)).toEqual([0, 0, 880, before, 1, 0, 881, before]);
    }
  });

  it("leaves a code to scanExact when pruning refuted every shift before proving the usable-bit floor", () => {
    const random = rng(6);
    const probe = randomCode(random, g, 1);
    // Random bits usable on the first 2,816 bits: every shift is refuted at the checkpoint with
    // fewer usable bits than a floor of 3,000, so its decidability is left open.
    const early = masked(randomCode(random, g, 1).bitValues(), 0, before);
    // Usable bits only after the checkpoint: nothing to refute there, so computed in full.
    const late = masked(randomCode(random, g, 1).bitValues(), before, bitsOfCode);
    const scan = scanner(probe, [early, late]);
    expect(scan("scan", 3000, 3500)).toEqual([0, RECHECK, 0, 0, 1, -1, 0, 0]);
    expect(scan("scanExact", 3000, 3500)).toEqual([0, -1, 0, 0, 1, -1, 0, 0]);
    expect(scan("chunk", 3000, 3500)).toEqual([0, -1, 0, 0, 1, -1, 0, 0]);
    // With the floor at 2,816 the refuted shifts prove it: decidable, no match, nothing to recheck.
    expect(scan("scan", before, 3500)).toEqual([1, -1, 0, 0]);
    expect(scan("chunk", before, 3500)).toEqual([1, -1, 0, 0]);
  });

  it("never changes a record on masks cut before, across and after the checkpoint, at any threshold or floor", () => {
    const random = rng(7);
    const probe = randomCode(random, g, 0.9);
    const codes: IrisCode[] = [];
    for (let i = 0; i < 150; i++) {
      const from = Math.floor(random() * bitsOfCode);
      const to = from + Math.floor(random() * (bitsOfCode - from));
      const density = random();
      const mask = new Uint8Array(bitsOfCode);
      for (let b = from; b < to; b++) mask[b] = random() < density ? 1 : 0;
      // Near the probe (up to half of the bits flipped), at a random shift.
      const flip = random() * 0.5;
      const bits = probe.bitValues().map((v) => (random() < flip ? v ^ 1 : v));
      codes.push(shiftColumns(IrisCode.fromBits(g, bits, mask), Math.floor(random() * 17) - 8));
    }
    const scan = scanner(probe, codes);
    const prepared = new PreparedProbe(probe, 8);
    let rechecked = 0;
    let matched = 0;
    for (const thr of [0, 1000, 2500, 3125, 3500, 4000, 5000, 10000]) {
      for (const minUsable of [1, 200, 720, 1500, 2816, 3000]) {
        const want: number[] = [];
        codes.forEach((code, i) => {
          const r = prepared.compare(code, { minUsableBits: minUsable });
          if (!r.comparable) want.push(i, -1, 0, 0);
          else if (r.differingBits * 10000 <= thr * r.usableBits) {
            want.push(i, prepared.shifts.indexOf(r.shift), r.differingBits, r.usableBits);
          }
        });
        expect(scan("scanExact", minUsable, thr)).toEqual(want);
        expect(scan("chunk", minUsable, thr)).toEqual(want);
        const pruned = scan("scan", minUsable, thr);
        for (let j = 1; j < pruned.length; j += 4) if (pruned[j] === RECHECK) rechecked++;
        matched += want.filter((_, j) => j % 4 === 1 && want[j]! >= 0).length;
      }
    }
    // The cases include matches and codes left to scanExact.
    expect(matched).toBeGreaterThan(100);
    expect(rechecked).toBeGreaterThan(0);
  });
});
