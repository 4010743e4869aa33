import { DEVICE_TREE_DEPTH } from "@zkiris/device";
import { MAX_ENROLMENT_CAPTURES, MIN_ENROLMENT_CAPTURES } from "@zkiris/registry";
import { type Static, Type } from "typebox";

// One TypeBox schema per request and response: Fastify validates requests with them, serialises
// responses through them and @fastify/swagger publishes them in the OpenAPI document. Response
// objects are closed (additionalProperties: false), so the document states exactly what is sent.

/** Canonical decimal digits of a field element (at most 78). */
export const FIELD_ELEMENT_PATTERN = "^(0|[1-9][0-9]{0,77})$";

/** A BN254 field element as a canonical decimal string (the registry checks the upper bound). */
const fieldElement = (
  description = "Field element, canonical decimal string (digits only, below the BN254 field order)",
) => Type.String({ pattern: FIELD_ELEMENT_PATTERN, description });

export const FieldElement = fieldElement();

/** A group or poll id. */
export const Identifier = Type.String({
  pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
  description: "1-64 characters of [A-Za-z0-9._-], starting with a letter or digit",
});

const UnixMs = (description = "Unix milliseconds") => Type.Integer({ description });
const NullableUnixMs = Type.Union([Type.Integer(), Type.Null()], {
  description: "Unix milliseconds or null",
});

/** The body of every refusal and fault. */
export const ErrorBody = Type.Object(
  {
    error: Type.Object(
      {
        code: Type.String({ description: "Stable code a program can branch on" }),
        message: Type.String({ description: "What was wrong, for a person" }),
        field: Type.Optional(Type.String({ description: "The offending request field, when there is one" })),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false, $id: "Error", title: "Error" },
);
export type ErrorBody = Static<typeof ErrorBody>;

export const Device = Type.Object(
  {
    id: FieldElement,
    slot: Type.Integer({ description: "Slot in the device registry tree, in registration order" }),
    publicKey: Type.Array(FieldElement, { minItems: 2, maxItems: 2 }),
    registeredAt: UnixMs(),
    revokedAt: NullableUnixMs,
  },
  { additionalProperties: false },
);

export const DeviceProof = Type.Object(
  {
    root: FieldElement,
    leaf: FieldElement,
    leafIndex: Type.Integer(),
    siblings: Type.Array(FieldElement, { minItems: DEVICE_TREE_DEPTH, maxItems: DEVICE_TREE_DEPTH }),
    pathIndices: Type.Array(Type.Union([Type.Literal(0), Type.Literal(1)]), {
      minItems: DEVICE_TREE_DEPTH,
      maxItems: DEVICE_TREE_DEPTH,
    }),
  },
  { additionalProperties: false },
);

export const DeviceRegistry = Type.Object(
  { root: FieldElement, slots: Type.Integer(), trusted: Type.Integer() },
  { additionalProperties: false },
);

/** One root of the device registry tree's history. */
export const DeviceRootRecord = Type.Object(
  { root: FieldElement, createdAt: UnixMs(), replacedAt: NullableUnixMs },
  { additionalProperties: false },
);

export const DeviceRootHistory = Type.Object(
  {
    deviceRootExpiryMs: Type.Integer({
      description: "How long a replaced device root still accepts liveness-bound votes, in milliseconds",
    }),
    roots: Type.Array(DeviceRootRecord, {
      description:
        "Every root of the device registry tree, oldest first; the current one has replacedAt null",
    }),
  },
  { additionalProperties: false },
);

export const Challenge = Type.Object(
  { challenge: FieldElement, expiresAt: UnixMs() },
  { additionalProperties: false },
);

export const GroupKind = Type.Union([Type.Literal("plain"), Type.Literal("biometric")]);

export const Group = Type.Object(
  {
    id: Identifier,
    kind: GroupKind,
    root: FieldElement,
    depth: Type.Integer(),
    size: Type.Integer({ description: "Leaves, removed members included" }),
    rootExpiryMs: Type.Integer({
      minimum: 0,
      description:
        "How long a replaced root of this group still verifies, in milliseconds (a proof against a root replaced at t is accepted while now - t <= rootExpiryMs)",
    }),
  },
  { additionalProperties: false },
);

export const GroupList = Type.Object({ groups: Type.Array(Group) }, { additionalProperties: false });

export const RootRecord = Type.Object(
  { groupId: Identifier, root: FieldElement, createdAt: UnixMs(), replacedAt: NullableUnixMs },
  { additionalProperties: false },
);

const PollOptions = Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 2, maxItems: 64 });

export const Poll = Type.Object(
  {
    id: Identifier,
    groupId: Identifier,
    scope: FieldElement,
    options: PollOptions,
    opensAt: UnixMs(),
    closesAt: UnixMs("Unix milliseconds (exclusive)"),
    createdAt: UnixMs(),
    requireLiveness: Type.Optional(
      Type.Literal(true, {
        description:
          "Present for a poll that takes only liveness-bound votes (POST /polls/{pollId}/liveness-votes)",
      }),
    ),
  },
  { additionalProperties: false },
);

export const PollList = Type.Object({ polls: Type.Array(Poll) }, { additionalProperties: false });

export const EnrolmentReceipt = Type.Object(
  { groupId: Identifier, memberIndex: Type.Integer(), leaf: FieldElement, root: FieldElement },
  { additionalProperties: false },
);

export const SemaphoreProof = Type.Object(
  {
    merkleTreeDepth: Type.Integer({ minimum: 1, maximum: 32 }),
    merkleTreeRoot: FieldElement,
    nullifier: FieldElement,
    message: fieldElement("The option index, decimal"),
    scope: FieldElement,
    points: Type.Array(FieldElement, { minItems: 8, maxItems: 8 }),
  },
  { additionalProperties: false },
);

/** Decimal digits of a Groth16 proof coordinate (a BN254 base-field element). */
const Coordinate = Type.String({ pattern: FIELD_ELEMENT_PATTERN });

/** A snarkjs Groth16 proof on BN254. */
const Groth16Proof = Type.Object(
  {
    pi_a: Type.Array(Coordinate, { minItems: 3, maxItems: 3 }),
    pi_b: Type.Array(Type.Array(Coordinate, { minItems: 2, maxItems: 2 }), { minItems: 3, maxItems: 3 }),
    pi_c: Type.Array(Coordinate, { minItems: 3, maxItems: 3 }),
    protocol: Type.Literal("groth16"),
    curve: Type.Literal("bn128"),
  },
  { additionalProperties: false, description: "Groth16 proof (snarkjs JSON)" },
);

/** `LivenessVoteProof` of `@zkiris/match-proof`. */
export const LivenessVoteProof = Type.Object(
  {
    merkleTreeRoot: FieldElement,
    nullifier: FieldElement,
    message: fieldElement("The option index, decimal"),
    scope: FieldElement,
    challenge: fieldElement("The poll's liveness challenge (POST /polls/{pollId}/challenges)"),
    deviceRoot: fieldElement("Root of the device registry tree the capture device is in"),
    proof: Groth16Proof,
  },
  { additionalProperties: false },
);

export const PollChallenge = Type.Object(
  {
    pollId: Identifier,
    challenge: fieldElement("The poll's current public liveness challenge"),
    captureChallenge: fieldElement(
      "livenessCaptureChallenge(scope, challenge): what the capture device signs for this poll",
    ),
    issuedAt: UnixMs(),
    expiresAt: UnixMs("Unix milliseconds; votes with this challenge are accepted before it"),
  },
  { additionalProperties: false },
);

/** A liveness challenge a poll issued, with its lifetime. */
export const IssuedPollChallenge = Type.Object(
  { pollId: Identifier, value: FieldElement, issuedAt: UnixMs(), expiresAt: UnixMs() },
  { additionalProperties: false },
);

export const IssuedPollChallenges = Type.Object(
  {
    challenges: Type.Array(IssuedPollChallenge, {
      description:
        "Every challenge the poll issued, oldest first (each was the same for every voter of its window)",
    }),
  },
  { additionalProperties: false },
);

const voteFields = {
  seq: Type.Integer(),
  pollId: Identifier,
  nullifier: FieldElement,
  option: Type.Integer(),
  root: FieldElement,
  acceptedAt: UnixMs(),
};

export const Vote = Type.Object(voteFields, { additionalProperties: false });

export const Tally = Type.Object(
  {
    pollId: Identifier,
    options: Type.Array(Type.String()),
    counts: Type.Array(Type.Integer()),
    total: Type.Integer(),
  },
  { additionalProperties: false },
);

export const AuditLog = Type.Object(
  {
    version: Type.Union([Type.Literal(1), Type.Literal(2)], {
      description: "1: plain poll (Semaphore proofs); 2: liveness poll (liveness-bound votes, `liveness`)",
    }),
    poll: Poll,
    rootExpiryMs: Type.Integer(),
    roots: Type.Array(RootRecord),
    votes: Type.Array(
      Type.Object(
        { ...voteFields, proof: Type.Union([SemaphoreProof, LivenessVoteProof]) },
        { additionalProperties: false },
      ),
    ),
    liveness: Type.Optional(
      Type.Object(
        {
          challenges: Type.Array(IssuedPollChallenge),
          deviceRootExpiryMs: Type.Integer(),
          deviceRoots: Type.Array(DeviceRootRecord),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** A signed capture packet of `@zkiris/device` (version 1); the registry checks its fields. */
const CapturePacket = Type.Object(
  {},
  { description: "Signed capture packet of @zkiris/device (version 1)", additionalProperties: true },
);

export const RegisterDeviceBody = Type.Object(
  { publicKey: Type.Array(FieldElement, { minItems: 2, maxItems: 2 }) },
  { additionalProperties: false },
);

export const EnrolBody = Type.Object(
  {
    groupId: Identifier,
    capture: CapturePacket,
    identityCommitment: FieldElement,
    templateCommitment: FieldElement,
    salt: FieldElement,
  },
  { additionalProperties: false },
);

export const EnrolFromCapturesBody = Type.Object(
  {
    groupId: Identifier,
    captures: Type.Array(CapturePacket, {
      minItems: MIN_ENROLMENT_CAPTURES,
      maxItems: MAX_ENROLMENT_CAPTURES,
    }),
    identityCommitment: FieldElement,
    templateCommitment: fieldElement(
      "templateCommitment(buildTemplate(probes, profile).template, salt) of @zkiris/iris-code",
    ),
    salt: FieldElement,
  },
  { additionalProperties: false },
);

export const CreateGroupBody = Type.Object(
  {
    id: Identifier,
    kind: GroupKind,
    rootExpiryMs: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 365 * 86_400_000,
        description:
          "The group's root expiry window in milliseconds; default the registry's (zkiris serve: 1 hour)",
      }),
    ),
  },
  { additionalProperties: false },
);

export const CreatePollBody = Type.Object(
  {
    id: Identifier,
    groupId: Identifier,
    options: PollOptions,
    opensAt: UnixMs(),
    closesAt: UnixMs("Unix milliseconds (exclusive)"),
    scope: Type.Optional(
      fieldElement(
        "Semaphore scope, a field element as a decimal string; default SHA-256 of 'zkiris.poll:<id>' reduced into the field",
      ),
    ),
    requireLiveness: Type.Optional(
      Type.Boolean({
        description:
          "Take only liveness-bound votes (biometric group; the server's registry needs liveness-vote artifacts). Default false",
      }),
    ),
  },
  { additionalProperties: false },
);

export const VoteBody = Type.Object({ proof: SemaphoreProof }, { additionalProperties: false });

export const LivenessVoteBody = Type.Object({ proof: LivenessVoteProof }, { additionalProperties: false });

export const RecoverBody = Type.Object(
  {
    newIdentityCommitment: FieldElement,
    matchProof: Type.Object(
      {
        proof: Type.Object({}, { description: "Groth16 proof (snarkjs JSON)", additionalProperties: true }),
        publicSignals: Type.Array(FieldElement, { minItems: 3, maxItems: 3 }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const MemberList = Type.Object(
  {
    members: Type.Array(FieldElement, { description: "Leaves in index order; 0 for removed members" }),
    removed: Type.Array(Type.Integer({ minimum: 0 }), {
      description:
        "Indices of removed members, ascending. Stock new Group(members) refuses their 0: build the group with a non-zero placeholder at each, then removeMember(index) for each (groupFromMembers of @zkiris/registry), which gives the registry's root",
    }),
  },
  { additionalProperties: false },
);

export const MerkleProof = Type.Object(
  { root: FieldElement, leaf: FieldElement, index: Type.Integer(), siblings: Type.Array(FieldElement) },
  { additionalProperties: false },
);

export const RootAfterRemoval = Type.Object({ root: FieldElement }, { additionalProperties: false });

export const RootList = Type.Object({ roots: Type.Array(RootRecord) }, { additionalProperties: false });

export const Health = Type.Object({ status: Type.Literal("ok") }, { additionalProperties: false });

export const Ready = Type.Object(
  { status: Type.Literal("ready"), database: Type.Union([Type.Literal("sqlite"), Type.Literal("postgres")]) },
  { additionalProperties: false },
);

// Path parameters. Member indices are checked here; ids are checked by the registry with the
// message its library callers get.
export const DeviceParams = Type.Object({ deviceId: Type.String() });
export const GroupParams = Type.Object({ groupId: Type.String() });
export const PollParams = Type.Object({ pollId: Type.String() });
export const MemberParams = Type.Object({
  groupId: Type.String(),
  index: Type.String({
    pattern: "^(0|[1-9][0-9]{0,14})$",
    description: "a non-negative integer (member index)",
  }),
});
