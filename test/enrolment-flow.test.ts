import { Identity } from "@semaphore-protocol/identity";
import { DeviceKey, signCapture } from "@zkiris/device";
import { IrisEncoder } from "@zkiris/encoder";
import {
  buildTemplate,
  DEFAULT_PROFILE,
  fromJson,
  type IrisCode,
  matchCodes,
  randomSalt,
  templateCommitment,
  toJson,
} from "@zkiris/iris-code";
import { renderCapture } from "@zkiris/mock-capture";
import { DuplicateEnrollmentError, Registry } from "@zkiris/registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The packages together: mock device images -> TensorFlow.js encoder -> signed capture packets ->
 * the registry's enrolment protocol (three captures, consistency, majority-vote template, exact
 * fail-closed 1:N deduplication), on the embedded database.
 */
describe("capture to enrolment across packages", () => {
  let encoder: IrisEncoder;
  let registry: Registry;
  const device = DeviceKey.fromSeed("cross-package-device");

  const encode = async (subject: string, capture: string): Promise<IrisCode> => {
    const image = renderCapture(subject, capture);
    const { code } = await encoder.encode({ width: image.width, height: image.height, data: image.pixels });
    return code;
  };

  /** Three captures of a subject whose codes reach the enrolment floor (frames below it are retaken). */
  const enrolmentCodes = async (subject: string, session: string): Promise<IrisCode[]> => {
    const codes: IrisCode[] = [];
    for (let frame = 0; frame < 8 && codes.length < 3; frame++) {
      const code = await encode(subject, `${session}-${frame}`);
      if (code.usableBitCount() >= DEFAULT_PROFILE.deduplication.enrolmentMinUsableBits) codes.push(code);
    }
    expect(codes.length).toBe(3);
    return codes;
  };

  const enrol = async (codes: IrisCode[]) => {
    const captures = [];
    for (const code of codes) {
      const { challenge } = await registry.issueChallenge();
      captures.push(signCapture(device, code, challenge, { sharpness: 1 }));
    }
    const salt = randomSalt();
    return registry.enrolFromCaptures({
      groupId: "people",
      captures,
      identityCommitment: new Identity().commitment,
      templateCommitment: templateCommitment(buildTemplate(codes, DEFAULT_PROFILE).template, salt),
      salt,
    });
  };

  beforeAll(async () => {
    encoder = await IrisEncoder.create();
    registry = await Registry.open({
      database: ":memory:",
      profile: DEFAULT_PROFILE,
      searchWorkers: 1,
      verifierWorkers: 1,
    });
    await registry.registerDevice(device.publicKey);
    await registry.createGroup({ id: "people", kind: "plain" });
  });

  afterAll(async () => {
    await registry?.close();
    encoder?.close();
  });

  it("encodes the default profile's geometry and survives the public JSON form", async () => {
    const code = await encode("subject-a", "1");
    expect(code.geometry).toEqual(DEFAULT_PROFILE.geometry);
    expect(fromJson(JSON.parse(JSON.stringify(toJson(code)))).equals(code)).toBe(true);
  });

  it("matches two captures of one eye and not two different eyes", async () => {
    const a1 = await encode("subject-a", "1");
    const a2 = await encode("subject-a", "2");
    const b1 = await encode("subject-b", "1");
    expect(matchCodes(a1, a2, DEFAULT_PROFILE).match).toBe(true);
    expect(matchCodes(a1, b1, DEFAULT_PROFILE).match).toBe(false);
  });

  it("enrols distinct eyes from three captures each and refuses the same eye from fresh captures", async () => {
    const first = await enrol(await enrolmentCodes("demo-person-1", "enrol"));
    const second = await enrol(await enrolmentCodes("demo-person-2", "enrol"));
    expect([first.memberIndex, second.memberIndex]).toEqual([0, 1]);
    const again = enrol(await enrolmentCodes("demo-person-1", "another-day"));
    await expect(again).rejects.toBeInstanceOf(DuplicateEnrollmentError);
    await expect(again).rejects.toMatchObject({ code: "DUPLICATE_ENROLLMENT" });
    expect((await registry.group("people")).size).toBe(2);
  });

  it("refuses captures of two different eyes as inconsistent", async () => {
    const [a1, a2] = await enrolmentCodes("demo-person-3", "enrol");
    const [b1] = await enrolmentCodes("demo-person-4", "enrol");
    await expect(enrol([a1!, a2!, b1!])).rejects.toMatchObject({ code: "INCONSISTENT_CAPTURES" });
    expect((await registry.group("people")).size).toBe(2);
  });
});
