import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { listDataset } from "../src/index.js";

const root = mkdtempSync(path.join(tmpdir(), "zkiris-dataset-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("listDataset", () => {
  it("lists eye folders and linked eye folders in order, and their PNG, JPEG and BMP files in order", () => {
    const set = path.join(root, "set");
    const elsewhere = path.join(root, "elsewhere");
    for (const d of [path.join(set, "b"), path.join(set, "a"), elsewhere]) mkdirSync(d, { recursive: true });
    for (const f of ["2.PNG", "1.jpg", "notes.txt"]) writeFileSync(path.join(set, "b", f), "");
    writeFileSync(path.join(set, "a", "x.bmp"), "");
    writeFileSync(path.join(set, "README.md"), "");
    writeFileSync(path.join(elsewhere, "y.jpeg"), "");
    symlinkSync(elsewhere, path.join(set, "c"));
    expect(listDataset(set)).toEqual({
      eyes: ["a", "b", "c"],
      images: [
        { eye: "a", file: path.join(set, "a", "x.bmp") },
        { eye: "b", file: path.join(set, "b", "1.jpg") },
        { eye: "b", file: path.join(set, "b", "2.PNG") },
        { eye: "c", file: path.join(set, "c", "y.jpeg") },
      ],
    });
  });

  it("throws the file-system error for a directory that does not exist", () => {
    expect(() => listDataset(path.join(root, "missing"))).toThrow(/ENOENT/);
  });
});
