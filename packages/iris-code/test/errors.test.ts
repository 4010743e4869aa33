import { readFileSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";
import { COMMON_ERROR_CODES, IrisCodeError, ZkirisError } from "../src/index.js";

type ErrorsModule = typeof import("../src/errors.js");

/** A second, separately evaluated copy of the errors module: its classes are other objects. */
async function secondCopy(): Promise<ErrorsModule> {
  vi.resetModules();
  return (await import("../src/errors.js")) as ErrorsModule;
}

describe("ZkirisError.is", () => {
  it("recognises an error from another copy of the package, where instanceof fails", async () => {
    const other = await secondCopy();
    expect(other.ZkirisError).not.toBe(ZkirisError);
    const here = new IrisCodeError("WRONG_LENGTH", "here", { field: "bits" });
    const there = new other.IrisCodeError("WRONG_LENGTH", "there", { field: "bits" });
    expect([there instanceof ZkirisError, here instanceof other.ZkirisError]).toEqual([false, false]);
    expect([ZkirisError.is(here), ZkirisError.is(there)]).toEqual([true, true]);
    expect([other.ZkirisError.is(here), other.ZkirisError.is(there)]).toEqual([true, true]);
  });

  it("recognises every subclass and the base class", () => {
    class PackageError extends ZkirisError {}
    expect(ZkirisError.is(new PackageError("X", "x"))).toBe(true);
    expect(ZkirisError.is(new ZkirisError("X", "x"))).toBe(true);
  });

  it("refuses what zkiris did not throw, even when it has a code", () => {
    const lookalike = Object.assign(new Error("x"), { code: "INVALID_PARAMETER", field: "a" });
    const falseBrand = { [Symbol.for("zkiris.error")]: "yes" };
    for (const value of [lookalike, falseBrand, {}, null, undefined, "INVALID_PARAMETER", 1]) {
      expect(ZkirisError.is(value)).toBe(false);
    }
  });

  it("keeps the brand out of the error's enumerable properties and JSON", () => {
    const e = new IrisCodeError("WRONG_LENGTH", "m", { field: "bits" });
    expect(Object.keys(e)).toEqual(["code", "field", "name"]);
    expect(JSON.stringify(e)).toBe('{"code":"WRONG_LENGTH","field":"bits","name":"IrisCodeError"}');
    expect(Object.getOwnPropertySymbols(e)).toEqual([Symbol.for("zkiris.error")]);
  });
});

describe("COMMON_ERROR_CODES", () => {
  it("is the table of shared codes in CONTRIBUTING.md: codes and meanings, in its order", () => {
    const text = readFileSync(new URL("../../../CONTRIBUTING.md", import.meta.url), "utf8");
    const section = text.slice(text.indexOf("### Shared error codes"));
    const rows = [...section.matchAll(/^\| `([A-Z_]+)` +\| (.+?) +\|/gm)].map((m) => [m[1], m[2]]);
    expect(rows).toEqual(Object.entries(COMMON_ERROR_CODES));
  });
});
