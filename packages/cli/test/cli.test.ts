import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fromJson } from "@zkiris/iris-code";
import { encodeGreyPng, renderCapture } from "@zkiris/mock-capture";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMMANDS, runCli } from "../src/index.js";

function collect() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) }, out, err };
}

/** The parts of the accuracy report these tests read. */
interface GroupJson {
  set: string;
  degradation: string;
  attempted: number;
  enrolled: number;
  failureToEnrol: number;
  eer: number;
  refusals: Record<string, number>;
  genuine: { count: number };
  impostor: { count: number };
  notComparable: { genuine: number; impostor: number };
  operatingPoints: { fmr: number; fnmr: number; gfnmr: number; resolved: boolean }[];
  thresholds: {
    label: string;
    thresholdPer10k: number;
    impostorPairs: number;
    impostorPairsAtOrUnder: number;
  }[];
  impostorTail: {
    shiftCorrection: string;
    shifts: number;
    populations: number[];
    thresholds: { falseDuplicate: unknown[] }[];
  };
  deduplication: {
    referenceBits: number;
    thresholds: { label: string; thresholdPer10k: number; impostorPairs: number }[];
  };
  enrolmentProtocol: unknown;
}
interface ReportJson {
  datasets: { name: string; dir: string; eyes: number; images: number }[];
  degradations: string[];
  profile: unknown;
  backend: string;
  workers: number;
  results: GroupJson[];
  refused: { file: string; set: string; degradation: string; error: string; reason: string }[];
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "zkiris-cli-"));
  const good = renderCapture("cli-subject", "cli-capture");
  writeFileSync(path.join(dir, "good.png"), good.toPng());
  writeFileSync(path.join(dir, "notes.txt"), "not an image");
  const png = good.toPng();
  writeFileSync(path.join(dir, "cut.png"), png.subarray(0, png.length >> 1));
  writeFileSync(path.join(dir, "blank.png"), encodeGreyPng(new Uint8Array(320 * 280).fill(128), 320, 280));
  // A second dataset whose eye folders have the same names as the first's but other subjects:
  // namespacing must keep them apart.
  for (let s = 0; s < 2; s++) {
    mkdirSync(path.join(dir, "other", `eye-${s}`), { recursive: true });
    for (let c = 0; c < 2; c++) {
      writeFileSync(
        path.join(dir, "other", `eye-${s}`, `${c}.png`),
        renderCapture(`cli-other-${s + 2}`, `c${c}`).toPng(),
      );
    }
  }
  // Two eyes of four captures each: what the enrolment protocol needs (3 to enrol, 1 fresh).
  for (let s = 0; s < 2; s++) {
    mkdirSync(path.join(dir, "protocol", `eye-${s}`), { recursive: true });
    for (let c = 0; c < 4; c++) {
      writeFileSync(
        path.join(dir, "protocol", `eye-${s}`, `${c}.png`),
        renderCapture(`cli-protocol-${s}`, `c${c}`).toPng(),
      );
    }
  }
  for (let s = 0; s < 3; s++) {
    mkdirSync(path.join(dir, "set", `eye-${s}`), { recursive: true });
    for (let c = 0; c < 3; c++) {
      writeFileSync(
        path.join(dir, "set", `eye-${s}`, `${c}.png`),
        // Two captures of eye-1 with the lids 70 % shut, refused by the encoder.
        renderCapture(`cli-set-${s}`, `c${c}`, {
          variation: s === 1 && c > 0 ? { eyelidClosure: 0.7 } : {},
        }).toPng(),
      );
    }
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("zkiris encode", () => {
  it("prints one JSON line per image and exits 1 when any image fails", async () => {
    const { io, out } = collect();
    const files = ["good.png", "notes.txt", "cut.png", "blank.png", "missing.png"].map((f) =>
      path.join(dir, f),
    );
    const code = await runCli(["encode", ...files, "--json", "--backend", "wasm"], io);
    expect(code).toBe(1);
    const lines = out
      .join("")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.file)).toEqual(files);
    expect(Object.keys(lines[0])).toEqual(["file", "version", "geometry", "bits", "mask", "quality"]);
    expect(lines[0].geometry).toEqual({ rows: 16, cols: 112, bitsPerCell: 2 });
    expect(
      fromJson({
        version: lines[0].version,
        geometry: lines[0].geometry,
        bits: lines[0].bits,
        mask: lines[0].mask,
      }).size,
    ).toBe(3584);
    expect(lines.slice(1).map((l) => l.error)).toEqual([
      "UNSUPPORTED_FORMAT",
      "TRUNCATED_IMAGE",
      "QUALITY_GATE",
      "UNREADABLE_FILE",
    ]);
    expect(lines[3].gate).toBe("SEGMENTATION_FAILED");
    expect(lines[1].reason).toBe(
      "Parameter 'image' is not a PNG, JPEG or BMP file (first bytes 6e 6f 74 20)",
    );
  });

  it("exits 0 when every image encodes", async () => {
    const { io, out } = collect();
    expect(await runCli(["encode", path.join(dir, "good.png"), "--backend", "wasm"], io)).toBe(0);
    expect(out.join("").trim().split("\n")).toHaveLength(1);
  });

  it("refuses bad arguments with exit code 2 and the usage", async () => {
    for (const args of [
      ["encode"],
      ["frobnicate"],
      ["encode", "x.png", "--backend", "gpu"],
      ["encode", "--nope"],
      [],
    ]) {
      const { io, err, out } = collect();
      expect(await runCli(args, io)).toBe(2);
      expect(err.join("") + out.join("")).toContain("Usage:");
    }
  });
});

describe("zkiris accuracy", () => {
  const profileFields = {
    name: "zkiris-16x112x2",
    geometry: "16x112x2",
    maxShift: 8,
    thresholdPer10k: 3200,
    deduplicationThresholdPer10k: 3500,
    deduplicationReferenceBits: 2000,
    minUsableBits: 720,
  };
  let single: ReportJson;

  it("encodes a dataset, prints the JSON report and writes the report and pictures", async () => {
    const { io, out, err } = collect();
    const outDir = path.join(dir, "report");
    const code = await runCli(
      ["accuracy", path.join(dir, "set"), "--out", outDir, "--backend", "wasm", "--workers", "1"],
      io,
    );
    expect(code).toBe(0);
    const report = JSON.parse(out.join("")) as ReportJson;
    single = report;
    expect(report.datasets).toEqual([{ name: "set", dir: path.join(dir, "set"), eyes: 3, images: 9 }]);
    expect(report.degradations).toEqual(["none"]);
    expect(report.profile).toEqual(profileFields);
    expect(report.backend).toBe("wasm");
    expect(report.workers).toBe(1);
    expect(report.results.map((r) => [r.set, r.degradation])).toEqual([["set", "none"]]);
    const r = report.results[0]!;
    expect(r.attempted).toBe(9);
    // The two captures of eye-1 with the lids 70 % shut are refused: the upper lid covers the top
    // of the pupil. With more than half of it hidden, one traces off the iris centre (OFF_GAZE); in
    // the other no pupil is left to trace and a gap in the lashes is taken for one, far too small
    // for its iris (PUPIL_IRIS_RATIO).
    // Eye-1's open capture, whose lids hang low, is enrolled alone: no genuine pair of eye-1.
    expect(r.enrolled).toBe(7);
    expect(r.failureToEnrol).toBe(2 / 9);
    expect(r.refusals).toEqual({ OFF_GAZE: 1, PUPIL_IRIS_RATIO: 1 });
    expect(report.refused.map((f) => [path.basename(path.dirname(f.file)), f.error, f.degradation])).toEqual([
      ["eye-1", "OFF_GAZE", "none"],
      ["eye-1", "PUPIL_IRIS_RATIO", "none"],
    ]);
    expect(r.genuine.count + r.notComparable.genuine).toBe(6);
    expect(r.impostor.count + r.notComparable.impostor).toBe(15);
    expect(r.operatingPoints.map((p) => [p.fmr, p.resolved])).toEqual([
      [1e-3, false],
      [1e-4, false],
      [1e-5, false],
      [1e-6, false],
    ]);
    for (const p of r.operatingPoints) expect(p.gfnmr).toBeCloseTo(2 / 9 + (7 / 9) * p.fnmr, 15);
    expect(r.thresholds.map((t) => [t.label, t.thresholdPer10k, t.impostorPairs])).toEqual([
      ["verification = 0.32", 3200, 15],
      ["0.30", 3000, 15],
      ["0.34", 3400, 15],
      ["0.36", 3600, 15],
    ]);
    expect(r.thresholds.map((t) => t.impostorPairsAtOrUnder)).toEqual([0, 0, 0, 0]);
    // The deduplication decision normalises the distance: reported in its own section.
    expect(r.deduplication.referenceBits).toBe(2000);
    expect(r.deduplication.thresholds.map((t) => [t.label, t.thresholdPer10k, t.impostorPairs])).toEqual([
      ["deduplication = 0.35", 3500, 15],
      ["0.33", 3300, 15],
      ["0.34", 3400, 15],
      ["0.36", 3600, 15],
    ]);
    expect(r.impostorTail.shiftCorrection).toBe("minimum-of-shifts");
    expect(r.impostorTail.shifts).toBe(17);
    expect(r.impostorTail.populations).toEqual([1e3, 1e4, 1e5, 1e6]);
    expect(r.impostorTail.thresholds[0]!.falseDuplicate).toHaveLength(4);
    // The enrolment protocol needs 4 codes of an eye (3 to enrol, 1 fresh); eye-1 has 1, the others
    // 3. Eye-1's open capture has fewer usable bits than an enrolment takes.
    expect(r.enrolmentProtocol).toEqual({
      capturesPerEnrolment: 3,
      eyes: 0,
      eyesWithTooFewCodes: 3,
      codesUnderFloor: 1,
      enrolments: {
        formed: 0,
        accepted: 0,
        refused: { captureUsableBits: 0, inconsistentCaptures: 0, templateUsableBits: 0 },
        failureToEnrol: null,
      },
      secondEnrolment: {
        attempts: 0,
        withTemplate: 0,
        capturesOnly: 0,
        refusedBeforeSearch: { inconsistentCaptures: 0, templateUsableBits: 0 },
        noFreshCaptures: 0,
        misses: 0,
        fnmr: null,
        gfnmr: null,
        perCapture: { comparisons: 0, misses: 0, fnmr: null },
      },
      templateImpostors: {
        templates: 0,
        comparisons: 0,
        matches: 0,
        undecidable: 0,
        fmr: null,
        closest: null,
        closeEyes: { total: 0, listed: [] },
      },
    });
    expect(err.join("")).toContain("enrolment protocol set (none): 0 of 0 enrolments of 0 eyes accepted");
    expect(err.join("")).toContain("encoding  [##############################] 9/9");
    for (const f of ["report.json", "accuracy.svg", "accuracy.html"])
      expect(existsSync(path.join(outDir, f))).toBe(true);
    expect(JSON.parse(readFileSync(path.join(outDir, "report.json"), "utf8")).results[0].eer).toBe(r.eer);
    const html = readFileSync(path.join(outDir, "accuracy.html"), "utf8");
    expect(html).toContain("<h2>degradation: none</h2>");
    expect(html).toContain('<td class="unresolved">unresolved</td>');
    expect(html).toContain("<h2>deduplication: normalised distance 0.3500 at 2000 reference bits</h2>");
    expect(html).toContain("<h2>enrolment protocol</h2>");
  });

  it("reports every dataset and the pooled datasets, keeping eyes of different datasets apart", async () => {
    const { io, out } = collect();
    const code = await runCli(
      [
        "accuracy",
        path.join(dir, "set"),
        path.join(dir, "other"),
        "--out",
        path.join(dir, "report-multi"),
        "--backend",
        "wasm",
        "--workers",
        "1",
      ],
      io,
    );
    const report = JSON.parse(out.join("")) as ReportJson;
    expect(report.datasets.map((d) => [d.name, d.eyes, d.images])).toEqual([
      ["set", 3, 9],
      ["other", 2, 4],
    ]);
    expect(report.results.map((r) => [r.set, r.degradation, r.attempted])).toEqual([
      ["set", "none", 9],
      ["other", "none", 4],
      ["pooled", "none", 13],
    ]);
    const [set, other, pooled] = report.results as [GroupJson, GroupJson, GroupJson];
    expect(code).toBe(0);
    expect(set).toEqual(single.results[0]);
    const pairs = (r: GroupJson, kind: "genuine" | "impostor") => r[kind].count + r.notComparable[kind];
    // 7 codes of 3 eyes (6 genuine pairs) and 4 of 2 eyes (2): 8 genuine pairs of the 55, since
    // eye-0 of one set and eye-0 of the other are different eyes.
    expect(pairs(other, "genuine")).toBe(2);
    expect(pairs(other, "impostor")).toBe(4);
    expect(pairs(pooled, "genuine")).toBe(8);
    expect(pairs(pooled, "impostor")).toBe(47);
    expect(pooled.thresholds[0]!.impostorPairs).toBe(47);
    expect(pooled.enrolled).toBe(11);
    expect(pooled.refusals).toEqual({ OFF_GAZE: 1, PUPIL_IRIS_RATIO: 1 });
  });

  it("replays the enrolment protocol on every eye with four codes", async () => {
    const { io, out, err } = collect();
    const code = await runCli(
      [
        "accuracy",
        path.join(dir, "protocol"),
        "--out",
        path.join(dir, "report-protocol"),
        "--backend",
        "wasm",
        "--workers",
        "1",
      ],
      io,
    );
    expect(code).toBe(0);
    const r = (JSON.parse(out.join("")) as ReportJson).results[0]!;
    expect(r.enrolled).toBe(8);
    // Two captures of one eye are under the enrolment floor, so each of its 4 enrolments is
    // refused; the other eye's 4 are accepted, each with one fresh capture left (searched alone),
    // which it matches. Its templates meet the other eye's 2 codes over the floor.
    expect(r.enrolmentProtocol).toEqual({
      capturesPerEnrolment: 3,
      eyes: 2,
      eyesWithTooFewCodes: 0,
      codesUnderFloor: 2,
      enrolments: {
        formed: 8,
        accepted: 4,
        refused: { captureUsableBits: 4, inconsistentCaptures: 0, templateUsableBits: 0 },
        failureToEnrol: 0.5,
      },
      secondEnrolment: {
        attempts: 4,
        withTemplate: 0,
        capturesOnly: 4,
        refusedBeforeSearch: { inconsistentCaptures: 0, templateUsableBits: 0 },
        noFreshCaptures: 0,
        misses: 0,
        fnmr: 0,
        gfnmr: 0.5,
        perCapture: { comparisons: 4, misses: 0, fnmr: 0 },
      },
      templateImpostors: {
        templates: 4,
        comparisons: 8,
        matches: 0,
        undecidable: 0,
        fmr: 0,
        closest: 0.4382697220001394,
        closeEyes: { total: 0, listed: [] },
      },
    });
    expect(err.join("")).toContain(
      "enrolment protocol protocol (none): 4 of 8 enrolments of 2 eyes accepted (refused: 4 capture floor, 0 inconsistent, 0 template floor); second enrolment missed 0 of 4 (FNMR 0.00%, GFNMR 50.00%; 4 with 1-2 captures), per capture 0 of 4 (0.00%); template impostors 0 of 8, closest 0.4383",
    );
    const html = readFileSync(path.join(dir, "report-protocol", "accuracy.html"), "utf8");
    expect(html).toContain(
      "<td>4 of 8</td><td>4 / 0 / 0</td><td>50.00%</td><td>0 of 4 (4 with 1–2 captures)</td>",
    );
  });

  it("measures degraded copies as sets of their own, the same on worker threads", async () => {
    const { io, out, err } = collect();
    const code = await runCli(
      [
        "accuracy",
        path.join(dir, "set"),
        "--degrade",
        "none,dark",
        "--out",
        path.join(dir, "report-degrade"),
        "--backend",
        "wasm",
        "--workers",
        "2",
      ],
      io,
    );
    const report = JSON.parse(out.join("")) as ReportJson;
    expect(report.degradations).toEqual(["none", "dark"]);
    expect(report.workers).toBe(2);
    expect(report.results.map((r) => [r.set, r.degradation, r.attempted])).toEqual([
      ["set", "none", 9],
      ["set", "dark", 9],
    ]);
    expect(report.results[0]).toEqual(single.results[0]);
    const dark = report.results[1]!;
    expect(dark.enrolled + Object.values(dark.refusals).reduce((a, n) => a + n, 0)).toBe(9);
    expect(report.refused.filter((r) => r.degradation === "none")).toEqual(single.refused);
    expect(code).toBe(0);
    expect(err.join("")).toContain("encoding  [##############################] 18/18");
    expect(readFileSync(path.join(dir, "report-degrade", "accuracy.html"), "utf8")).toContain(
      "<h2>degradation: dark</h2>",
    );
  });

  it("refuses a directory without eye folders", async () => {
    const { io, err } = collect();
    expect(await runCli(["accuracy", path.join(dir, "nowhere")], io)).toBe(2);
    expect(err.join("")).toContain("cannot be read");
  });

  it("refuses an unknown degradation, a bad worker count and a missing directory with the usage", async () => {
    const cases: [string[], string][] = [
      [
        ["accuracy", path.join(dir, "set"), "--degrade", "dark,blur"],
        "zkiris: Option '--degrade' takes a comma-separated list of none, far, offcentre, dark, defocus, eyelid or all, received blur",
      ],
      [
        ["accuracy", path.join(dir, "set"), "--degrade", ","],
        "zkiris: Option '--degrade' needs at least one kind",
      ],
      [
        ["accuracy", path.join(dir, "set"), "--workers", "0"],
        "zkiris: Option '--workers' must be an integer from 1 to 64, received 0",
      ],
      [["accuracy"], "zkiris: accuracy needs at least one dataset directory"],
    ];
    for (const [args, message] of cases) {
      const { io, err } = collect();
      expect(await runCli(args, io)).toBe(2);
      expect(err.join("")).toContain(`${message}\nUsage:`);
    }
  });
});

describe("zkiris overlays", () => {
  it("draws a seeded sample of a dataset as numbered contact sheets with an index", async () => {
    const out = path.join(dir, "overlays");
    const { io } = collect();
    expect(
      await runCli(["overlays", path.join(dir, "set"), "--out", out, "--sample", "5", "--seed", "3"], io),
    ).toBe(0);
    const sheet = readFileSync(path.join(out, "set-1.png"));
    expect([...sheet.subarray(1, 4)].map((b) => String.fromCharCode(b)).join("")).toBe("PNG");
    const rows = readFileSync(path.join(out, "set.tsv"), "utf8").trim().split("\n");
    expect(rows[0]).toBe("tile\tfile\toutcome");
    expect(rows.slice(1).map((r) => r.split("\t")[0])).toEqual(["1", "2", "3", "4", "5"]);
    for (const r of rows.slice(1)) expect(r.split("\t")[1]).toMatch(/^eye-[0-2]\/[0-2]\.png$/);
    // The same seed gives the same sample; another seed another order.
    const again = path.join(dir, "overlays-again");
    expect(
      await runCli(["overlays", path.join(dir, "set"), "--out", again, "--sample", "5", "--seed", "3"], io),
    ).toBe(0);
    expect(readFileSync(path.join(again, "set.tsv"), "utf8")).toBe(`${rows.join("\n")}\n`);
  });

  it("refuses a missing --out, a bad sample size and an unknown degradation with the usage", async () => {
    const cases: [string[], string][] = [
      [["overlays", path.join(dir, "set")], "zkiris: overlays needs --out DIR"],
      [["overlays"], "zkiris: overlays needs at least one dataset directory"],
      [
        ["overlays", path.join(dir, "set"), "--out", path.join(dir, "o"), "--sample", "0"],
        "zkiris: Option '--sample' must be an integer from 1 to 100000, received 0",
      ],
      [
        ["overlays", path.join(dir, "set"), "--out", path.join(dir, "o"), "--degrade", "blur"],
        "zkiris: Option '--degrade' must be one of far, offcentre, dark, defocus, eyelid, received blur",
      ],
    ];
    for (const [args, message] of cases) {
      const { io, err } = collect();
      expect(await runCli(args, io)).toBe(2);
      expect(err.join("")).toContain(`${message}\nUsage:`);
    }
  });
});

describe("zkiris --help and errors", () => {
  it("lists every command with its synopsis and the exit codes", async () => {
    const { io, out } = collect();
    expect(await runCli(["--help"], io)).toBe(0);
    const text = out.join("");
    expect(COMMANDS.map((c) => c.name)).toEqual(expect.arrayContaining(["encode", "accuracy", "overlays"]));
    for (const c of COMMANDS) expect(text).toContain(`  ${c.synopsis}\n      ${c.summary}\n`);
    expect(text).toContain("Exit codes: 0 ok, 1 a result failed");
  });

  it("prints each command's usage for --help and -h, exit code 0", async () => {
    for (const c of COMMANDS) {
      for (const flag of ["--help", "-h"]) {
        const { io, out, err } = collect();
        expect(await runCli([c.name, flag], io)).toBe(0);
        expect(out.join("")).toBe(c.usage);
        expect(c.usage.startsWith(`Usage:\n  zkiris ${c.name}`)).toBe(true);
        expect(err).toEqual([]);
      }
    }
  });

  it("refuses a usage error with the command's own usage, exit code 2", async () => {
    const { io, err } = collect();
    expect(await runCli(["encode", "--backend"], io)).toBe(2);
    const encode = COMMANDS.find((c) => c.name === "encode")!;
    expect(err.join("")).toBe(`zkiris: Option '--backend' needs a value\n${encode.usage}`);
    const unknown = collect();
    expect(await runCli(["encode", "--nope"], unknown.io)).toBe(2);
    expect(unknown.err.join("")).toBe(`zkiris: Unknown option '--nope'\n${encode.usage}`);
  });

  it("prints an internal error as one line with its code, the stack only with ZKIRIS_DEBUG=1, exit code 3", async () => {
    // --out names an existing file, so creating the output directory fails.
    const file = path.join(dir, "notes.txt");
    const args = ["overlays", path.join(dir, "set"), "--out", file];
    const { io, err } = collect();
    expect(await runCli(args, io)).toBe(3);
    expect(err.join("")).toBe(`zkiris: EEXIST: EEXIST: file already exists, mkdir '${file}'\n`);
    const saved = process.env.ZKIRIS_DEBUG;
    process.env.ZKIRIS_DEBUG = "1";
    try {
      const debug = collect();
      expect(await runCli(args, debug.io)).toBe(3);
      const lines = debug.err.join("").split("\n");
      expect(lines[0]).toBe(`zkiris: EEXIST: EEXIST: file already exists, mkdir '${file}'`);
      expect(lines[1]).toBe(`Error: EEXIST: file already exists, mkdir '${file}'`);
      expect(lines.length).toBeGreaterThan(3);
    } finally {
      if (saved === undefined) delete process.env.ZKIRIS_DEBUG;
      else process.env.ZKIRIS_DEBUG = saved;
    }
  });

  it("the process prints one line and exits 3 on an internal error", () => {
    const main = path.resolve(__dirname, "../src/main.ts");
    const file = path.join(dir, "notes.txt");
    const r = spawnSync(
      process.execPath,
      [
        "--conditions=zkiris-source",
        "--import",
        "tsx",
        main,
        "overlays",
        path.join(dir, "set"),
        "--out",
        file,
      ],
      { encoding: "utf8", env: { ...process.env, ZKIRIS_DEBUG: "" } },
    );
    expect(r.stderr).toBe(`zkiris: EEXIST: EEXIST: file already exists, mkdir '${file}'\n`);
    expect(r.status).toBe(3);
  });
});

describe("the zkiris binary", () => {
  it("prints a rejection nobody handled as one line and exits 3, ahead of the WebAssembly glue's handlers", () => {
    const fixture = path.resolve(__dirname, "fixtures/late-rejection.ts");
    const r = spawnSync(
      process.execPath,
      ["--conditions=zkiris-source", "--import", "tsx", fixture, path.join(dir, "good.png")],
      { encoding: "utf8", env: { ...process.env, ZKIRIS_DEBUG: "" } },
    );
    expect(JSON.parse(r.stdout).file).toBe(path.join(dir, "good.png"));
    expect(r.stderr).toBe("zkiris: INTERNAL: late failure\n");
    expect(r.status).toBe(3);
  });

  it("runs from the source checkout through tsx", () => {
    const bin = path.resolve(__dirname, "../bin/zkiris.js");
    const r = spawnSync(process.execPath, [bin, "--help"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("zkiris encode <images...>");
  });
});
