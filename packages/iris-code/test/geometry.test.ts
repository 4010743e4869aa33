import { describe, expect, it } from "vitest";
import {
  bitCount,
  checkProfile,
  DEFAULT_PROFILE,
  type IrisProfile,
  OPEN_IRIS_PROFILE,
} from "../src/index.js";

const G = { rows: 1, cols: 10, bitsPerCell: 1 };
const SMALL: IrisProfile = {
  name: "t",
  geometry: G,
  maxShift: 2,
  thresholdPer10k: 3000,
  minUsableBits: 4,
  deduplication: { thresholdPer10k: 3500, minUsableBits: 4, enrolmentMinUsableBits: 7 },
};

function refusal(profile: unknown): { code: string; field: string | undefined; message: string } {
  try {
    checkProfile(profile as IrisProfile);
  } catch (error) {
    const e = error as { code: string; field: string | undefined; message: string };
    return { code: e.code, field: e.field, message: e.message };
  }
  throw new Error("checkProfile accepted the profile");
}

describe("checkProfile", () => {
  it("returns a frozen copy with both decisions", () => {
    const checked = checkProfile(SMALL);
    expect(checked).toEqual(SMALL);
    expect(checked).not.toBe(SMALL);
    expect(Object.isFrozen(checked)).toBe(true);
    expect(Object.isFrozen(checked.deduplication)).toBe(true);
  });

  it("accepts the shipped profiles, whose enrolment floor is the least that keeps comparisons decidable", () => {
    for (const profile of [DEFAULT_PROFILE, OPEN_IRIS_PROFILE]) {
      expect(checkProfile(profile)).toEqual(profile);
      const n = bitCount(profile.geometry);
      const d = profile.deduplication;
      expect(d.enrolmentMinUsableBits).toBe(Math.ceil((n + d.minUsableBits) / 2));
    }
    expect(DEFAULT_PROFILE.deduplication).toEqual({
      thresholdPer10k: 3500,
      referenceBits: 2000,
      minUsableBits: 720,
      enrolmentMinUsableBits: 2152,
    });
    expect(OPEN_IRIS_PROFILE.deduplication).toEqual({
      thresholdPer10k: 3500,
      minUsableBits: 4000,
      enrolmentMinUsableBits: 10192,
    });
  });

  it("keeps the verification decision the match circuit was built with", () => {
    expect([DEFAULT_PROFILE.thresholdPer10k, DEFAULT_PROFILE.minUsableBits]).toEqual([3200, 720]);
  });

  it("accepts an enrolment floor at exactly (n + minUsableBits) / 2", () => {
    // 2 * 7 - 10 = 4 = minUsableBits
    expect(checkProfile(SMALL).deduplication.enrolmentMinUsableBits).toBe(7);
  });

  it("refuses an enrolment floor one below, naming the field and the least valid value", () => {
    const profile = { ...SMALL, deduplication: { ...SMALL.deduplication, enrolmentMinUsableBits: 6 } };
    expect(refusal(profile)).toEqual({
      code: "INVALID_PARAMETER",
      field: "profile.deduplication.enrolmentMinUsableBits",
      message:
        "Parameter 'profile.deduplication.enrolmentMinUsableBits' must be at least 7 (two templates of 10 bits with 6 usable bits each may share only 2, below profile.deduplication.minUsableBits 4), received 6",
    });
  });

  it("accepts a normalised decision and refuses bad reference bits or a threshold at or above 0.5 with it", () => {
    const norm = { ...SMALL, deduplication: { ...SMALL.deduplication, referenceBits: 8 } };
    expect(checkProfile(norm).deduplication).toEqual({
      thresholdPer10k: 3500,
      referenceBits: 8,
      minUsableBits: 4,
      enrolmentMinUsableBits: 7,
    });
    for (const [value, message] of [
      [0, "must be between 1 and 10, received 0"],
      [11, "must be between 1 and 10, received 11"],
      [2.5, "is not an integer, received number 2.5"],
      ["8", "is not an integer, received string 8"],
    ] as const) {
      expect(refusal({ ...SMALL, deduplication: { ...SMALL.deduplication, referenceBits: value } })).toEqual({
        code: "INVALID_PARAMETER",
        field: "profile.deduplication.referenceBits",
        message: `Parameter 'profile.deduplication.referenceBits' ${message}`,
      });
    }
    expect(
      refusal({
        ...SMALL,
        deduplication: { ...SMALL.deduplication, thresholdPer10k: 5000, referenceBits: 8 },
      }),
    ).toEqual({
      code: "INVALID_PARAMETER",
      field: "profile.deduplication.thresholdPer10k",
      message:
        "Parameter 'profile.deduplication.thresholdPer10k' must be below 5000 with a normalised distance (referenceBits), received 5000",
    });
  });

  it("refuses a profile without a deduplication decision", () => {
    const { deduplication: _, ...rest } = SMALL;
    expect(refusal(rest)).toEqual({
      code: "INVALID_PARAMETER",
      field: "profile.deduplication",
      message: "Parameter 'profile.deduplication' is not an object, received undefined",
    });
  });

  it("refuses out-of-range and non-integer deduplication fields, naming each", () => {
    const cases: Array<[string, unknown, string]> = [
      ["thresholdPer10k", -1, "must be between 0 and 10000, received -1"],
      ["thresholdPer10k", 10_001, "must be between 0 and 10000, received 10001"],
      ["thresholdPer10k", 0.5, "is not an integer, received number 0.5"],
      ["minUsableBits", 0, "must be between 1 and 10, received 0"],
      ["minUsableBits", 11, "must be between 1 and 10, received 11"],
      ["enrolmentMinUsableBits", 11, "must be between 1 and 10, received 11"],
      ["enrolmentMinUsableBits", "7", "is not an integer, received string 7"],
    ];
    for (const [name, value, tail] of cases) {
      const profile = { ...SMALL, deduplication: { ...SMALL.deduplication, [name]: value } };
      expect(refusal(profile)).toEqual({
        code: "INVALID_PARAMETER",
        field: `profile.deduplication.${name}`,
        message: `Parameter 'profile.deduplication.${name}' ${tail}`,
      });
    }
  });

  it("refuses bad verification fields and a non-object profile", () => {
    expect(refusal({ ...SMALL, thresholdPer10k: 10_001 }).field).toBe("profile.thresholdPer10k");
    expect(refusal({ ...SMALL, minUsableBits: 0 }).field).toBe("profile.minUsableBits");
    expect(refusal({ ...SMALL, maxShift: 5 }).field).toBe("profile.maxShift");
    expect(refusal({ ...SMALL, name: "" }).field).toBe("profile.name");
    expect(refusal({ ...SMALL, geometry: { rows: 0, cols: 10, bitsPerCell: 1 } })).toMatchObject({
      code: "INVALID_GEOMETRY",
      field: "profile.geometry.rows",
    });
    expect(refusal(null)).toEqual({
      code: "INVALID_PARAMETER",
      field: "profile",
      message: "Parameter 'profile' is not an object, received null",
    });
  });
});
