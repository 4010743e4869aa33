import { DeviceKey, deviceIdOf, signCapture } from "@zkiris/device";
import { DEFAULT_PROFILE, type IrisCode, templateCommitment } from "@zkiris/iris-code";
import { UniquenessIndex } from "@zkiris/uniqueness";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChallengeService } from "../src/challenges.js";
import { EnrolmentService } from "../src/enrolment.js";
import { GroupTrees } from "../src/group-trees.js";
import { ProofVerifierPool } from "../src/verifier-pool.js";
import { GOOD_QUALITY, randomCode, recapture } from "./helpers.js";
import { type ServiceFixture, serviceFixture } from "./service-fixture.js";

const T0 = 1_760_000_000_000;

describe("EnrolmentService, alone on a SQLite repository", () => {
  let f: ServiceFixture;
  let trees: GroupTrees;
  let challenges: ChallengeService;
  let verifier: ProofVerifierPool;
  let indexes: UniquenessIndex[];
  const key = DeviceKey.fromSeed("enrolment-service-device");

  async function service(): Promise<EnrolmentService> {
    const index = await UniquenessIndex.create({ profile: DEFAULT_PROFILE, workers: 0 });
    indexes.push(index);
    return new EnrolmentService({
      ...f.base,
      writeLock: f.writeLock,
      trees,
      index,
      verifier,
      challenges,
      profile: DEFAULT_PROFILE,
      qualityGates: [],
    });
  }

  async function request(probe: IrisCode, identity: bigint, groupId = "g") {
    const { challenge } = await challenges.issueChallenge();
    const salt = 424242n + identity;
    return {
      groupId,
      capture: signCapture(key, probe, challenge, GOOD_QUALITY, T0),
      identityCommitment: identity,
      templateCommitment: templateCommitment(probe, salt),
      salt,
    };
  }

  beforeEach(async () => {
    f = await serviceFixture(T0);
    indexes = [];
    trees = new GroupTrees(f.repository, f.base.now, 60_000);
    challenges = new ChallengeService({ ...f.base, challengeTtlMs: 60_000 });
    verifier = new ProofVerifierPool(0);
    await f.repository.insertDevice({
      id: deviceIdOf(key.publicKey).toString(),
      publicKey: [key.publicKey[0].toString(), key.publicKey[1].toString()],
      registeredAt: T0,
      revokedAt: null,
    });
    await trees.create("g", "plain", 60_000, T0);
  });
  afterEach(async () => {
    await verifier.close();
    for (const index of indexes) await index.close();
    await f.close();
  });

  it("enrols a capture and refuses the same eye under another identity, with the tree as it was", async () => {
    const enrolment = await service();
    const eye = randomCode(101);
    const receipt = await enrolment.enrol(await request(eye, 1001n));
    expect(receipt).toEqual({ groupId: "g", memberIndex: 0, leaf: 1001n, root: trees.shape("g").root });
    const shape = trees.shape("g");
    const again = await request(recapture(eye, 5, 0.05, 2), 1002n);
    await expect(enrolment.enrol(again)).rejects.toMatchObject({
      code: "DUPLICATE_ENROLLMENT",
      field: "capture",
    });
    expect(trees.shape("g")).toEqual(shape);
    expect(trees.hasIdentity("g", "1002")).toBe(false);
    expect((await f.repository.getChallenge(again.capture.challenge))?.usedAt).toBeNull();
  });

  it("refuses a second enrolment of one identity with DUPLICATE_MEMBER, and an unknown group first", async () => {
    const enrolment = await service();
    await enrolment.enrol(await request(randomCode(102), 2001n));
    await expect(enrolment.enrol(await request(randomCode(103), 2001n))).rejects.toMatchObject({
      code: "DUPLICATE_MEMBER",
      message: "Field 'identityCommitment' is already a member of this group",
    });
    const elsewhere = { ...(await request(randomCode(104), 2002n, "nowhere")), capture: "not a packet" };
    await expect(enrolment.enrol(elsewhere)).rejects.toMatchObject({
      code: "UNKNOWN_GROUP",
      message: "Group 'nowhere' does not exist",
    });
  });

  it("takes a removed member's enrolment out of the index, so the eye may enrol again", async () => {
    const enrolment = await service();
    const eye = randomCode(105);
    await enrolment.enrol(await request(eye, 3001n));
    await enrolment.enrol(await request(randomCode(106), 3002n));
    const root = await enrolment.removeMember("g", 0);
    expect(root).toBe(trees.shape("g").root);
    expect(trees.leaf("g", 0)).toBe(0n);
    await expect(enrolment.removeMember("g", 0)).rejects.toMatchObject({
      code: "UNKNOWN_MEMBER",
      message: "Group 'g' has no member at index 0",
    });
    const back = await enrolment.enrol(await request(recapture(eye, 6, 0.05), 3003n));
    expect(back.memberIndex).toBe(2);
  });

  it("loads every active enrolment into a new index, which then finds the duplicate", async () => {
    const eye = randomCode(107);
    await (await service()).enrol(await request(eye, 4001n));
    const reopened = await service();
    await reopened.loadIndex();
    await expect(reopened.enrol(await request(recapture(eye, 7, 0.05, -1), 4002n))).rejects.toMatchObject({
      code: "DUPLICATE_ENROLLMENT",
    });
  });
});
