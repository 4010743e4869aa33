import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { DEFAULT_PROFILE, IrisCode, type IrisProfile } from "@zkiris/iris-code";
import { renderCapture } from "@zkiris/mock-capture";
import { datasetsDirectory, needs, requirement } from "@zkiris/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  binomialCdf,
  binomialFalseMatch,
  binomialMinimumMean,
  computeAccuracy,
  decisionThresholds,
  EncoderError,
  evaluateThresholds,
  falseDuplicateProbability,
  fitBinomial,
  fitImpostorTail,
  generalisedFnmr,
  groupedPairDistances,
  IrisEncoder,
  MAX_DEGREES_OF_FREEDOM,
  measureAccuracyGroup,
  minimumOfDrawsCdf,
  normalCdf,
  normalQuantile,
  pairDistances,
  QualityGateError,
  renderAccuracyHtml,
  renderAccuracyRunHtml,
  renderAccuracySvg,
} from "../src/index.js";

describe("computeAccuracy", () => {
  const genuine = [0.1, 0.2, 0.3, 0.35];
  const impostor = [0.32, 0.4, 0.45, 0.5, 0.55];

  it("computes means, deviations, d', EER and operating points exactly", () => {
    const r = computeAccuracy({ genuine, impostor, attempted: 10, enrolled: 9 }, [0.2, 0.1]);
    expect(r.failureToEnrol).toBeCloseTo(0.1, 12);
    expect(r.genuine.count).toBe(4);
    expect(r.genuine.mean).toBeCloseTo(0.2375, 12);
    const gStd = Math.sqrt(genuine.reduce((a, v) => a + (v - 0.2375) ** 2, 0) / 4);
    const iMean = 2.22 / 5;
    const iStd = Math.sqrt(impostor.reduce((a, v) => a + (v - iMean) ** 2, 0) / 5);
    expect(r.genuine.std).toBeCloseTo(gStd, 12);
    expect(r.impostor.mean).toBeCloseTo(iMean, 12);
    expect(r.impostor.std).toBeCloseTo(iStd, 12);
    expect(r.dPrime).toBeCloseTo((iMean - 0.2375) / Math.sqrt((gStd ** 2 + iStd ** 2) / 2), 12);
    // At t = 0.32: one impostor of five matches (0.2), one genuine of four does not (0.25).
    expect(r.eer).toBeCloseTo(0.225, 12);
    expect(r.eerThreshold).toBe(0.32);
    expect(r.notComparable).toEqual({ genuine: 0, impostor: 0 });
    expect(r.operatingPoints).toEqual([
      { fmr: 0.2, measuredFmr: 0.2, fnmr: 0, gfnmr: 0.1, thresholdPer10k: 3999, resolved: true },
      {
        fmr: 0.1,
        measuredFmr: 0,
        fnmr: 0.25,
        gfnmr: 0.1 + 0.9 * 0.25,
        thresholdPer10k: 3199,
        resolved: false,
      },
    ]);
  });

  it("counts pairs that cannot be compared as non-matches without giving them a distance", () => {
    const r = computeAccuracy({
      genuine: [0.1],
      impostor: [0.5],
      genuineNotComparable: 1,
      impostorNotComparable: 1,
    });
    expect(r.notComparable).toEqual({ genuine: 1, impostor: 1 });
    expect(r.genuine.mean).toBe(0.1);
    expect(r.eer).toBe(0.5);
    expect(r.eerThreshold).toBe(0.5);
    expect(r.operatingPoints[0]).toEqual({
      fmr: 1e-3,
      measuredFmr: 0,
      fnmr: 0.5,
      gfnmr: 0.5,
      thresholdPer10k: 4999,
      resolved: false,
    });
  });

  it("refuses an empty distribution naming it", () => {
    expect(() => computeAccuracy({ genuine: [], impostor })).toThrowError(
      expect.objectContaining({ constructor: EncoderError, code: "INVALID_PARAMETER", field: "genuine" }),
    );
  });

  it("refuses a distance outside [0, 1] naming its index", () => {
    expect(() => computeAccuracy({ genuine, impostor: [0.4, 1.5] })).toThrowError(
      expect.objectContaining({
        field: "impostor[1]",
        message: "Parameter 'impostor[1]' is 1.5; distances lie in [0, 1]",
      }),
    );
    expect(() => computeAccuracy({ genuine: [Number.NaN], impostor })).toThrowError(
      expect.objectContaining({ field: "genuine[0]" }),
    );
  });

  it("renders a self-contained SVG and HTML picture", () => {
    const r = computeAccuracy({ genuine, impostor });
    const d = { genuine: Float64Array.from(genuine), impostor: Float64Array.from(impostor) };
    const svg = renderAccuracySvg(r, d, "t<1>");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("t&lt;1&gt;");
    expect(svg).toContain("EER = 22.50%");
    expect(renderAccuracyHtml(r, d)).toContain('"eer": 0.225');
  });
});

describe("accuracy end to end", () => {
  let encoder: IrisEncoder;
  let mockEncoder: IrisEncoder;
  beforeAll(async () => {
    encoder = await IrisEncoder.create({ backend: "wasm" });
    // Mock captures carry denser lashes than the real sample, so a third of their iris is often
    // masked; the occlusion gate is relaxed to the level those captures need.
    mockEncoder = await IrisEncoder.create({ backend: "wasm", quality: { minUsableFraction: 0.25 } });
  });
  afterAll(() => {
    encoder.close();
    mockEncoder.close();
  });

  it("separates a small mock set clearly", async () => {
    const codesByEye = new Map<string, IrisCode[]>();
    let attempted = 0;
    for (let s = 0; s < 6; s++) {
      const list: IrisCode[] = [];
      for (let c = 0; c < 4; c++) {
        attempted++;
        const cap = renderCapture(`e2e-subject-${s}`, `capture-${c}`);
        try {
          list.push(
            (await mockEncoder.encode({ width: cap.width, height: cap.height, data: cap.pixels })).code,
          );
        } catch (error) {
          if (!(error instanceof QualityGateError)) throw error;
        }
      }
      codesByEye.set(`eye-${s}`, list);
    }
    const report = computeAccuracy({ codesByEye, profile: DEFAULT_PROFILE, attempted });
    console.log(
      `mock set: FTE ${report.failureToEnrol.toFixed(3)}, genuine ${report.genuine.mean.toFixed(3)}±${report.genuine.std.toFixed(3)}, impostor ${report.impostor.mean.toFixed(3)}±${report.impostor.std.toFixed(3)}, d' ${report.dPrime.toFixed(2)}, EER ${report.eer.toFixed(4)}`,
    );
    expect(report.failureToEnrol).toBeLessThanOrEqual(0.15);
    expect(report.genuine.mean).toBeLessThan(0.3);
    expect(report.impostor.mean).toBeGreaterThan(0.4);
    expect(report.dPrime).toBeGreaterThan(3);
    expect(report.eer).toBeLessThanOrEqual(0.05);
  });

  // Research data that cannot be in the repository: ZKIRIS_DATASETS points at it (see CONTRIBUTING.md).
  const datasets = requirement("datasets");
  const real = path.join(datasetsDirectory(), "casia-iris-interval-sample");
  it.skipIf(!datasets.available)(needs(datasets, "separates five real eyes"), async () => {
    const codesByEye = new Map<string, IrisCode[]>();
    let attempted = 0;
    const eyes = readdirSync(real, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort()
      .slice(0, 5);
    for (const eye of eyes) {
      const list: IrisCode[] = [];
      for (const f of readdirSync(path.join(real, eye)).sort()) {
        attempted++;
        try {
          list.push((await encoder.encode(new Uint8Array(readFileSync(path.join(real, eye, f))))).code);
        } catch (error) {
          if (!(error instanceof QualityGateError)) throw error;
        }
      }
      codesByEye.set(eye, list);
    }
    const d = pairDistances(codesByEye, DEFAULT_PROFILE);
    const report = computeAccuracy({ ...d, attempted, enrolled: [...codesByEye.values()].flat().length });
    console.log(
      `real subset: FTE ${report.failureToEnrol.toFixed(3)}, genuine ${report.genuine.mean.toFixed(3)}, impostor ${report.impostor.mean.toFixed(3)}, d' ${report.dPrime.toFixed(2)}, EER ${report.eer.toFixed(4)}`,
    );
    expect(report.failureToEnrol).toBeLessThanOrEqual(0.04);
    expect(report.dPrime).toBeGreaterThan(4);
    expect(report.eer).toBeLessThanOrEqual(0.03);
  });
});

const refusal = (field: string, message: string) =>
  expect.objectContaining({ constructor: EncoderError, code: "INVALID_PARAMETER", field, message });

describe("accuracy: binomial impostor model", () => {
  it("fits p and the degrees of freedom p(1-p)/sd^2 by moments, rounded", () => {
    expect(fitBinomial(0.5, 0.05)).toEqual({ p: 0.5, degreesOfFreedom: 100 });
    expect(fitBinomial(0.4, 0.1)).toEqual({ p: 0.4, degreesOfFreedom: 24 });
    expect(fitBinomial(0.5, 10)).toEqual({ p: 0.5, degreesOfFreedom: 1 });
    expect(fitBinomial(0.5, 0.0005)).toEqual({ p: 0.5, degreesOfFreedom: MAX_DEGREES_OF_FREEDOM });
  });

  it("refuses a mean outside (0, 1) and a deviation that is not positive", () => {
    expect(() => fitBinomial(0, 0.1)).toThrowError(
      refusal("mean", "Parameter 'mean' is 0; it must lie strictly between 0 and 1"),
    );
    expect(() => fitBinomial(1, 0.1)).toThrowError(
      refusal("mean", "Parameter 'mean' is 1; it must lie strictly between 0 and 1"),
    );
    expect(() => fitBinomial(0.5, 0)).toThrowError(
      refusal("std", "Parameter 'std' is 0; it must be positive"),
    );
    expect(() => fitBinomial(0.5, Number.NaN)).toThrowError(
      refusal("std", "Parameter 'std' is NaN; it must be positive"),
    );
  });

  it("sums the binomial lower tail exactly", () => {
    expect(binomialCdf(2, 10, 0.5)).toBeCloseTo(56 / 1024, 15);
    expect(binomialCdf(1, 4, 0.25)).toBeCloseTo(0.75 ** 4 + 4 * 0.25 * 0.75 ** 3, 15);
    expect(binomialCdf(0, 10, 0.3) / 0.7 ** 10).toBeCloseTo(1, 13);
    expect(binomialCdf(2.7, 10, 0.5)).toBeCloseTo(56 / 1024, 15);
    expect(binomialCdf(-1, 10, 0.5)).toBe(0);
    expect(binomialCdf(10, 10, 0.5)).toBe(1);
    // Far tail keeps its relative precision: P(K = 0) = 2^-1000.
    expect(binomialCdf(0, 1000, 0.5) / 2 ** -1000).toBeCloseTo(1, 10);
  });

  it("takes the best of m draws as 1 - (1 - F)^m, precisely for tiny F", () => {
    expect(minimumOfDrawsCdf(0.25, 2)).toBeCloseTo(0.4375, 15);
    expect(minimumOfDrawsCdf(1, 3)).toBe(1);
    expect(minimumOfDrawsCdf(1e-20, 17) / 17e-20).toBeCloseTo(1, 14);
    expect(falseDuplicateProbability(1e-6, 1e6)).toBeCloseTo(1 - Math.exp(-(1 + 5e-7 + 1e-12 / 3)), 12);
    expect(falseDuplicateProbability(1e-15, 1e3) / 1e-12).toBeCloseTo(1, 9);
  });

  it("gives the false-match probability of the minimum over shifts at a distance threshold", () => {
    const fit = { p: 0.5, degreesOfFreedom: 10 };
    expect(binomialFalseMatch(0.2, fit, 1)).toBeCloseTo(56 / 1024, 15);
    expect(binomialFalseMatch(0.2, fit, 2)).toBeCloseTo(1 - (968 / 1024) ** 2, 15);
    // 0.3 * 10 is 2.9999999999999996 in doubles: the threshold still reaches k = 3.
    expect(binomialFalseMatch(0.3, fit, 1)).toBeCloseTo(176 / 1024, 15);
  });

  it("computes the mean of the minimum of m binomial draws", () => {
    const fit = { p: 0.5, degreesOfFreedom: 2 };
    expect(binomialMinimumMean(fit, 1)).toBeCloseTo(0.5, 15);
    expect(binomialMinimumMean(fit, 2)).toBeCloseTo((0.75 ** 2 + 0.25 ** 2) / 2, 15);
    expect(binomialMinimumMean(fit, 3)).toBeCloseTo(28 / 128, 15);
  });
});

describe("accuracy: normal distribution helpers", () => {
  it("evaluates Phi with relative precision far into the tail", () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(1)).toBeCloseTo(0.8413447460685429, 15);
    expect(normalCdf(-1.959963984540054)).toBeCloseTo(0.025, 15);
    expect(normalCdf(-2.5)).toBeCloseTo(0.006209665325776132, 15);
    expect(normalCdf(-5) / 2.866515718791939e-7).toBeCloseTo(1, 12);
    expect(normalCdf(-10) / 7.61985302416047e-24).toBeCloseTo(1, 12);
  });

  it("inverts Phi", () => {
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(0.025)).toBeCloseTo(-1.959963984540054, 13);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 13);
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.361340902404056, 11);
  });

  it("refuses a probability outside (0, 1)", () => {
    for (const q of [0, 1, -0.1, Number.NaN]) {
      expect(() => normalQuantile(q)).toThrowError(
        refusal("q", `Parameter 'q' is ${q}; it must lie strictly between 0 and 1`),
      );
    }
  });
});

describe("accuracy: impostor tail fit", () => {
  // Shift-0 distances with mean 1/2 and variance 1/8: a binomial with N = 0.25 / 0.125 = 2.
  const unshifted = [0, 0.5, 0.5, 1];
  // Minima with mean 0.3125 = ((3/4)^2 + (1/4)^2) / 2: the minimum of exactly two draws.
  const minima = [0, 0.5, 0.5, 0.25];

  it("fits the binomial on shift-0 distances and applies the nominal and effective best-of-m", () => {
    const fit = fitImpostorTail({
      minima,
      unshifted,
      shifts: 3,
      thresholdsPer10k: [0, 5000],
      populations: [2],
    });
    expect(fit.shiftCorrection).toBe("minimum-of-shifts");
    expect(fit.binomial).toEqual({ p: 0.5, degreesOfFreedom: 2 });
    expect(fit.shifts).toBe(3);
    expect(fit.effectiveShifts).toBeCloseTo(2, 12);
    expect(fit.minimaMean.observed).toBe(0.3125);
    expect(fit.minimaMean.predicted).toBeCloseTo(28 / 128, 15);
    expect(fit.minimaMean.predictedEffective).toBeCloseTo(0.3125, 12);
    const [t0, t5] = fit.thresholds;
    // t = 0: k = 0, F_0 = 1/4.
    expect(t0!.thresholdPer10k).toBe(0);
    expect(t0!.empiricalCount).toBe(1);
    expect(t0!.empiricalRate).toBe(0.25);
    expect(t0!.pFalseMatch.binomial).toBeCloseTo(37 / 64, 15);
    expect(t0!.pFalseMatch.binomialEffectiveShifts).toBeCloseTo(7 / 16, 11);
    expect(t0!.falseDuplicate).toHaveLength(1);
    expect(t0!.falseDuplicate[0]!.population).toBe(2);
    expect(t0!.falseDuplicate[0]!.probability.binomial).toBeCloseTo(1 - (27 / 64) ** 2, 15);
    // t = 0.5: k = 1, F_0 = 3/4.
    expect(t5!.empiricalCount).toBe(4);
    expect(t5!.pFalseMatch.binomial).toBeCloseTo(63 / 64, 15);
    expect(t5!.pFalseMatch.binomialEffectiveShifts).toBeCloseTo(15 / 16, 11);
  });

  it("fits the binomial on the minima without a shift correction when shift-0 distances are absent", () => {
    const fit = fitImpostorTail({ minima: unshifted, shifts: 17, thresholdsPer10k: [0] });
    expect(fit.shiftCorrection).toBe("none");
    expect(fit.shifts).toBe(1);
    expect(fit.effectiveShifts).toBe(1);
    expect(fit.populations).toEqual([1e3, 1e4, 1e5, 1e6]);
    expect(fit.thresholds[0]!.pFalseMatch.binomial).toBeCloseTo(0.25, 15);
    expect(fit.thresholds[0]!.falseDuplicate.map((f) => f.population)).toEqual([1e3, 1e4, 1e5, 1e6]);
    expect(fit.thresholds[0]!.falseDuplicate[0]!.probability.binomial).toBeCloseTo(1 - 0.75 ** 1000, 15);
  });

  it("recovers a Gaussian lower tail from the lowest 1 % by probit regression", () => {
    const n = 1000;
    const values = new Array<number>(n).fill(0.45);
    for (let i = 0; i < 10; i++) values[i] = 0.3 + 0.02 * normalQuantile((i + 0.5) / n);
    const fit = fitImpostorTail({ minima: values, shifts: 1, thresholdsPer10k: [2500] });
    expect(fit.empiricalTail!.points).toBe(10);
    expect(fit.empiricalTail!.upTo).toBeCloseTo(0.3 + 0.02 * normalQuantile(9.5 / n), 15);
    expect(fit.empiricalTail!.gaussian!.mean).toBeCloseTo(0.3, 12);
    expect(fit.empiricalTail!.gaussian!.std).toBeCloseTo(0.02, 12);
    // (0.25 - 0.3) / 0.02 = -2.5 standard deviations.
    expect(fit.thresholds[0]!.pFalseMatch.gaussianTail).toBeCloseTo(0.006209665325776132, 10);
  });

  it("recovers a log-linear lower tail", () => {
    const n = 1000;
    const values = new Array<number>(n).fill(0.45);
    // ln F = -20 + 50 x exactly at the plotting positions of the lowest ten.
    for (let i = 0; i < 10; i++) values[i] = (Math.log((i + 0.5) / n) + 20) / 50;
    const fit = fitImpostorTail({ minima: values, shifts: 1, thresholdsPer10k: [2000] });
    expect(fit.empiricalTail!.logLinear!.intercept).toBeCloseTo(-20, 10);
    expect(fit.empiricalTail!.logLinear!.slope).toBeCloseTo(50, 10);
    expect(fit.thresholds[0]!.pFalseMatch.logLinearTail! / Math.exp(-10)).toBeCloseTo(1, 9);
  });

  it("gives no empirical tail fit when the lowest minima are all equal", () => {
    const fit = fitImpostorTail({
      minima: [0.4, 0.4, 0.5, 0.6],
      shifts: 1,
      thresholdsPer10k: [3200],
      tailFraction: 0.25,
      minTailPoints: 2,
    });
    expect(fit.empiricalTail).toBeNull();
    expect(fit.thresholds[0]!.pFalseMatch.gaussianTail).toBeNull();
    expect(fit.thresholds[0]!.falseDuplicate[0]!.probability.logLinearTail).toBeNull();
  });

  it("refuses distances without spread instead of fitting an unbounded binomial", () => {
    expect(() =>
      fitImpostorTail({ minima: [0.4, 0.4, 0.4], shifts: 1, thresholdsPer10k: [3200] }),
    ).toThrowError(expect.objectContaining({ code: "INVALID_PARAMETER", field: "std" }));
    expect(() => fitBinomial(0.5, 1e-4)).toThrowError(
      refusal(
        "std",
        "Parameter 'std' is 0.0001; the distances have almost no spread (N_eff 25000000 > 1000000)",
      ),
    );
  });

  it("refuses every malformed input naming the field", () => {
    const ok = { minima, shifts: 3, thresholdsPer10k: [3200] };
    const cases: [Parameters<typeof fitImpostorTail>[0], string, string][] = [
      [{ ...ok, minima: [] }, "minima", "Parameter 'minima' has no distances"],
      [{ ...ok, minima: [0.2, 1.2] }, "minima[1]", "Parameter 'minima[1]' is 1.2; distances lie in [0, 1]"],
      [
        { ...ok, unshifted: [Number.NaN] },
        "unshifted[0]",
        "Parameter 'unshifted[0]' is NaN; distances lie in [0, 1]",
      ],
      [{ ...ok, shifts: 0 }, "shifts", "Parameter 'shifts' is 0; it must be an integer of at least 1"],
      [{ ...ok, shifts: 1.5 }, "shifts", "Parameter 'shifts' is 1.5; it must be an integer of at least 1"],
      [
        { ...ok, thresholdsPer10k: [3200, 10_001] },
        "thresholdsPer10k[1]",
        "Parameter 'thresholdsPer10k[1]' is 10001; it must be an integer in 0..10000",
      ],
      [
        { ...ok, populations: [10, 0] },
        "populations[1]",
        "Parameter 'populations[1]' is 0; it must be at least 1",
      ],
      [{ ...ok, tailFraction: 0 }, "tailFraction", "Parameter 'tailFraction' is 0; it must lie in (0, 1]"],
      [
        { ...ok, tailFraction: 1.5 },
        "tailFraction",
        "Parameter 'tailFraction' is 1.5; it must lie in (0, 1]",
      ],
    ];
    for (const [input, field, message] of cases)
      expect(() => fitImpostorTail(input)).toThrowError(refusal(field, message));
  });
});

describe("accuracy: decision thresholds", () => {
  const distances = {
    genuine: Float64Array.from([0.1, 8 / 25, 0.33]),
    impostor: Float64Array.from([0.31, 8 / 25, 0.5]),
    genuineNotComparable: 1,
    impostorNotComparable: 1,
  };

  it("counts impostor pairs at or under each threshold and measures FMR, FNMR and GFNMR", () => {
    expect(
      evaluateThresholds(
        distances,
        [
          { label: "a", thresholdPer10k: 3200 },
          { label: "b", thresholdPer10k: 3000 },
        ],
        0.2,
      ),
    ).toEqual([
      {
        label: "a",
        thresholdPer10k: 3200,
        impostorPairsAtOrUnder: 2,
        impostorPairs: 4,
        fmr: 0.5,
        fnmr: 0.5,
        gfnmr: 0.2 + 0.8 * 0.5,
      },
      {
        label: "b",
        thresholdPer10k: 3000,
        impostorPairsAtOrUnder: 0,
        impostorPairs: 4,
        fmr: 0,
        fnmr: 0.75,
        gfnmr: 0.2 + 0.8 * 0.75,
      },
    ]);
    expect(generalisedFnmr(0.1, 0.5)).toBe(0.55);
  });

  it("refuses a threshold that is not an integer in 0..10000 and a failure-to-enrol outside [0, 1]", () => {
    expect(() => evaluateThresholds(distances, [{ label: "x", thresholdPer10k: 3200.5 }])).toThrowError(
      refusal(
        "thresholds[0].thresholdPer10k",
        "Parameter 'thresholds[0].thresholdPer10k' is 3200.5; it must be an integer in 0..10000",
      ),
    );
    expect(() => evaluateThresholds(distances, [], 1.5)).toThrowError(
      refusal("failureToEnrol", "Parameter 'failureToEnrol' is 1.5; it must lie in [0, 1]"),
    );
  });

  it("lists the verification and deduplication thresholds of the profile, then the fixed ones, once each", () => {
    const withDedup = {
      ...DEFAULT_PROFILE,
      deduplication: { thresholdPer10k: 3400, minUsableBits: 720, enrolmentMinUsableBits: 2152 },
    } as IrisProfile;
    expect(decisionThresholds(withDedup)).toEqual([
      { label: "verification = 0.32", thresholdPer10k: 3200 },
      { label: "deduplication = 0.34", thresholdPer10k: 3400 },
      { label: "0.30", thresholdPer10k: 3000 },
      { label: "0.36", thresholdPer10k: 3600 },
    ]);
    const { deduplication: _omitted, ...rest } = withDedup as IrisProfile & { deduplication?: unknown };
    expect(decisionThresholds({ ...rest, thresholdPer10k: 3100 } as unknown as IrisProfile)).toEqual([
      { label: "verification", thresholdPer10k: 3100 },
      { label: "0.30", thresholdPer10k: 3000 },
      { label: "0.32", thresholdPer10k: 3200 },
      { label: "0.34", thresholdPer10k: 3400 },
      { label: "0.36", thresholdPer10k: 3600 },
    ]);
  });
});

describe("accuracy over several sets", () => {
  const geometry = { rows: 2, cols: 16, bitsPerCell: 1 };
  const profile = { ...DEFAULT_PROFILE, geometry, maxShift: 1, minUsableBits: 8 } as IrisProfile;
  const code = (bits: number[]) => IrisCode.fullyUsable(geometry, bits);
  const a = Array.from({ length: 32 }, (_, i) => (i % 3 === 0 ? 1 : 0));
  const flip = (bits: number[], idx: number[]) => bits.map((b, i) => (idx.includes(i) ? 1 - b : b));

  it("groups pairs by set, pools them across sets and keeps shift-0 impostor distances", () => {
    const b = Array.from({ length: 32 }, (_, i) => ((i * 7) % 5 < 2 ? 1 : 0));
    const c = Array.from({ length: 32 }, (_, i) => i % 2);
    const codesByEye = new Map<string, IrisCode[]>([
      ["s1/a", [code(a), code(flip(a, [0]))]],
      ["s1/b", [code(b)]],
      ["s2/c", [code(c), code(flip(c, [5, 9]))]],
    ]);
    const set = (eye: string) => eye.split("/")[0]!;
    const g = groupedPairDistances(codesByEye, profile, set);
    expect(g.pooled.genuine.length).toBe(2);
    expect(g.pooled.impostor.length).toBe(8);
    expect(g.pooled.impostorUnshifted!.length).toBe(8);
    expect(g.byGroup.get("s1")!.genuine).toEqual(Float64Array.from([1 / 32]));
    expect(g.byGroup.get("s1")!.impostor.length).toBe(2);
    expect(g.byGroup.get("s2")!.genuine.length).toBe(1);
    expect(g.byGroup.get("s2")!.impostor.length).toBe(0);
    // Each minimum over shifts is at most its shift-0 distance.
    const single = pairDistances(codesByEye, profile);
    expect(single.impostor).toEqual(g.pooled.impostor);
    for (let i = 0; i < 8; i++)
      expect(single.impostor[i]!).toBeLessThanOrEqual(single.impostorUnshifted![i]!);
  });

  it("lists the pairs of different eyes whose images the enrolment decision matches, most matches first", () => {
    const b = Array.from({ length: 32 }, (_, i) => ((i * 7) % 5 < 2 ? 1 : 0));
    const c = Array.from({ length: 32 }, (_, i) => i % 2);
    // s1/a and s2/a2 are one eye under two labels (its codes, a bit flipped); one code of s1/b is
    // a's with 8 of 32 bits flipped (0.25 from a, 0.28 from a2's codes); c matches nothing.
    const near = flip(a, [1, 2, 4, 5, 7, 8, 10, 11]);
    const codesByEye = new Map<string, IrisCode[]>([
      ["s1/a", [code(a), code(flip(a, [0]))]],
      ["s2/a2", [code(flip(a, [3])), code(flip(a, [6])), code(flip(a, [12]))]],
      ["s1/b", [code(b), code(near)]],
      ["s2/c", [code(c)]],
    ]);
    // Without a normalising deduplication decision the enrolment decision is the raw 0.32.
    const raw = { ...profile, deduplication: undefined } as unknown as IrisProfile;
    const g = groupedPairDistances(codesByEye, raw, (eye) => eye.split("/")[0]!);
    const listed = g.pooled.closeImpostorEyes!;
    expect(listed.map((e) => [e.eyes, e.matches, e.comparisons])).toEqual([
      [["s1/a", "s2/a2"], 6, 6],
      [["s2/a2", "s1/b"], 3, 6],
      [["s1/a", "s1/b"], 2, 4],
    ]);
    expect(listed.map((e) => e.closest)).toEqual([1 / 32, 9 / 32, 8 / 32]);
    // Within a set only its own eyes; the pooled listing has the cross-set pair.
    expect(g.byGroup.get("s1")!.closeImpostorEyes!.map((e) => e.eyes)).toEqual([["s1/a", "s1/b"]]);
    const report = measureAccuracyGroup({
      set: "pooled",
      degradation: "none",
      distances: g.pooled,
      attempted: 8,
      enrolled: 8,
      refusals: {},
      profile: raw,
    });
    expect(report.closeImpostorEyes.total).toBe(3);
    expect(report.closeImpostorEyes.listed).toEqual(listed);
    const html = renderAccuracyRunHtml({ title: "t", meta: [], groups: [{ report, distances: g.pooled }] });
    expect(html).toContain("3 pair(s) of different eyes with comparisons the enrolment decision matches");
    expect(html).toContain('<td class="l">s1/a</td><td class="l">s2/a2</td><td>6 of 6</td><td>0.0313</td>');
  });

  it("measures a group with thresholds, generalised FNMR and the tail fit, and renders the run", () => {
    const report = measureAccuracyGroup({
      set: "s<1>",
      degradation: "none",
      distances: {
        genuine: Float64Array.from([0.1, 0.2]),
        impostor: Float64Array.from([0.4, 0.45, 0.5]),
        impostorUnshifted: Float64Array.from([0.45, 0.5, 0.55]),
      },
      attempted: 5,
      enrolled: 4,
      refusals: { OCCLUSION: 1 },
      profile: DEFAULT_PROFILE,
    });
    expect(report.failureToEnrol).toBe(0.2);
    expect(report.operatingPoints.map((p) => [p.fmr, p.fnmr, p.gfnmr, p.resolved])).toEqual([
      [1e-3, 0, 0.2, false],
      [1e-4, 0, 0.2, false],
      [1e-5, 0, 0.2, false],
      [1e-6, 0, 0.2, false],
    ]);
    expect(report.thresholds.map((t) => t.thresholdPer10k)).toEqual(
      decisionThresholds(DEFAULT_PROFILE).map((t) => t.thresholdPer10k),
    );
    expect(report.impostorTail!.shifts).toBe(17);
    expect(report.impostorTail!.binomial.p).toBeCloseTo(0.5, 15);
    const html = renderAccuracyRunHtml({
      title: "run <x>",
      meta: ["m&m"],
      groups: [
        {
          report,
          distances: {
            genuine: Float64Array.from([0.1, 0.2]),
            impostor: Float64Array.from([0.4, 0.45, 0.5]),
          },
        },
      ],
      unmeasured: [{ set: "s2", degradation: "far", reason: "no codes" }],
    });
    expect(html).toContain("<title>run &lt;x&gt;</title>");
    expect(html).toContain("m&amp;m");
    expect(html).toContain("s&lt;1&gt;");
    expect(html).toContain("<h2>degradation: none</h2>");
    expect(html).toContain('<td class="unresolved">unresolved</td>');
    expect(html).toContain("OCCLUSION 1");
    expect(html).toContain("s2 — far: no codes");
    expect(html.match(/<svg /g)).toHaveLength(4);
  });
});

describe("accuracy under a normalising deduplication decision", () => {
  const geometry = { rows: 2, cols: 16, bitsPerCell: 1 };
  const decision = { thresholdPer10k: 3500, referenceBits: 24, minUsableBits: 8, enrolmentMinUsableBits: 20 };
  const profile = {
    ...DEFAULT_PROFILE,
    geometry,
    maxShift: 1,
    minUsableBits: 8,
    deduplication: decision,
  } as IrisProfile;
  const bitsOf = (seed: number) =>
    Array.from({ length: 32 }, (_, i) => ((i * seed + (seed >> 1)) % 7 < 3 ? 1 : 0));
  const maskOf = (seed: number) => Array.from({ length: 32 }, (_, i) => ((i + seed) % 5 === 0 ? 0 : 1));
  const coded = (seed: number, flips: number[] = []) =>
    IrisCode.fromBits(
      geometry,
      bitsOf(seed).map((b, i) => (flips.includes(i) ? 1 - b : b)),
      maskOf(seed),
    );

  /** Plain reference: the capped normalised distance at every shift (probe column c meets template column c - s), minimised. */
  function normalisedMinimum(
    template: IrisCode,
    probe: IrisCode,
    maxShift: number,
    referenceBits: number,
  ): number {
    const [pb, pm, tb, tm] = [
      probe.bitValues(),
      probe.maskValues(),
      template.bitValues(),
      template.maskValues(),
    ];
    let best = Number.POSITIVE_INFINITY;
    for (let s = -maxShift; s <= maxShift; s++) {
      let u = 0;
      let d = 0;
      for (let r = 0; r < geometry.rows; r++)
        for (let c = 0; c < geometry.cols; c++) {
          const i = r * geometry.cols + c;
          const j = r * geometry.cols + ((((c - s) % geometry.cols) + geometry.cols) % geometry.cols);
          if (pm[i] && tm[j]) {
            u++;
            if (pb[i] !== tb[j]) d++;
          }
        }
      if (u < 8) continue;
      const v = u >= referenceBits ? d / u : 0.5 - (0.5 - d / u) * Math.sqrt(u / referenceBits);
      if (v < best) best = v;
    }
    return best;
  }

  it("collects the normalised distances of every pair, equal to a plain normalised minimum over the shifts", () => {
    const codesByEye = new Map<string, IrisCode[]>([
      ["s1/a", [coded(3), coded(3, [1, 4])]],
      ["s1/b", [coded(5)]],
      ["s2/c", [coded(11), coded(11, [2, 7, 20])]],
    ]);
    const flat = [...codesByEye.entries()].flatMap(([eye, codes]) => codes.map((c) => ({ eye, c })));
    const genuine: number[] = [];
    const impostor: number[] = [];
    const unshifted: number[] = [];
    for (let i = 0; i < flat.length; i++) {
      for (let j = i + 1; j < flat.length; j++) {
        const v = Math.max(0, Math.min(1, normalisedMinimum(flat[j]!.c, flat[i]!.c, 1, 24)));
        if (flat[i]!.eye === flat[j]!.eye) genuine.push(v);
        else {
          impostor.push(v);
          unshifted.push(Math.max(0, Math.min(1, normalisedMinimum(flat[j]!.c, flat[i]!.c, 0, 24))));
        }
      }
    }
    const g = groupedPairDistances(codesByEye, profile, (eye) => eye.split("/")[0]!);
    const d = g.pooled.deduplication!;
    expect(d.decision).toBe(decision);
    expect(Array.from(d.genuine)).toEqual(genuine);
    expect(Array.from(d.impostor)).toEqual(impostor);
    expect(Array.from(d.impostorUnshifted)).toEqual(unshifted);
    expect([d.genuineNotComparable, d.impostorNotComparable]).toEqual([0, 0]);
    // A raw profile collects none.
    const raw = {
      ...profile,
      deduplication: { ...decision, referenceBits: undefined },
    } as unknown as IrisProfile;
    expect(groupedPairDistances(codesByEye, raw, () => "").pooled.deduplication).toBeUndefined();
  });

  it("reports the decision at its threshold and the fixed normalised ones, and leaves its raw row out", () => {
    expect(decisionThresholds(profile).map((t) => t.label)).toEqual([
      "verification = 0.32",
      "0.30",
      "0.34",
      "0.36",
    ]);
    const distances = {
      genuine: Float64Array.from([0.1, 0.2]),
      impostor: Float64Array.from([0.4, 0.45, 0.5]),
      impostorUnshifted: Float64Array.from([0.45, 0.5, 0.55]),
      deduplication: {
        decision,
        genuine: Float64Array.from([0.05, 0.36]),
        impostor: Float64Array.from([0.34, 0.45, 0.5, 0.52]),
        genuineNotComparable: 1,
        impostorNotComparable: 0,
        impostorUnshifted: Float64Array.from([0.44, 0.5, 0.55, 0.56]),
      },
    };
    const report = measureAccuracyGroup({
      set: "s",
      degradation: "none",
      distances,
      attempted: 4,
      enrolled: 4,
      refusals: {},
      profile,
    });
    const dd = report.deduplication!;
    expect([dd.referenceBits, dd.thresholdPer10k]).toEqual([24, 3500]);
    expect(dd.thresholds.map((t) => [t.label, t.impostorPairsAtOrUnder, t.fnmr])).toEqual([
      // FNMR = 1 - genuine matches / (comparable + not comparable genuine pairs).
      ["deduplication = 0.35", 1, 1 - 1 / 3],
      ["0.33", 0, 1 - 1 / 3],
      ["0.34", 1, 1 - 1 / 3],
      ["0.36", 1, 1 - 2 / 3],
    ]);
    expect(dd.notComparable).toEqual({ genuine: 1, impostor: 0 });
    expect(dd.impostorTail!.shifts).toBe(3);
    const html = renderAccuracyRunHtml({ title: "t", meta: [], groups: [{ report, distances }] });
    expect(html).toContain("<h2>deduplication: normalised distance 0.3500 at 24 reference bits</h2>");
    expect(html).toContain("<td>1 of 4</td><td>66.67% / 66.67%</td>");
  });
});
