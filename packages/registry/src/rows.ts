import type {
  ChallengeRecord,
  DeviceRecord,
  DeviceRootRecord,
  EnrolmentRecord,
  GroupKind,
  GroupRecord,
  MemberRecord,
  PollChallengeRecord,
  PollRecord,
  RootRecord,
  TreeSnapshot,
  VoteRecord,
} from "./repository.js";

// Rows as both drivers return them (snake_case columns; BIGINT as number or bigint) mapped to the
// repository's records: one mapping for both adapters.

/** A row of either driver. */
export type Row = Record<string, unknown>;

export function num(value: unknown): number {
  return typeof value === "bigint" ? Number(value) : (value as number);
}

export function numOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : num(value);
}

export function deviceFromRow(r: Row): DeviceRecord {
  return {
    id: r.id as string,
    slot: num(r.slot),
    publicKey: [r.public_key_x as string, r.public_key_y as string],
    registeredAt: num(r.registered_at),
    revokedAt: numOrNull(r.revoked_at),
  };
}

export function challengeFromRow(r: Row): ChallengeRecord {
  return {
    value: r.value as string,
    issuedAt: num(r.issued_at),
    expiresAt: num(r.expires_at),
    usedAt: numOrNull(r.used_at),
  };
}

export function groupFromRow(r: Row): GroupRecord {
  const rootExpiryMs = numOrNull(r.root_expiry_ms);
  return {
    id: r.id as string,
    kind: r.kind as GroupKind,
    createdAt: num(r.created_at),
    ...(rootExpiryMs === null ? {} : { rootExpiryMs }),
  };
}

export function memberFromRow(r: Row): MemberRecord {
  return {
    groupId: r.group_id as string,
    index: num(r.member_index),
    leaf: r.leaf as string,
    identityCommitment: r.identity_commitment as string,
    enrolmentId: numOrNull(r.enrolment_id),
    removedAt: numOrNull(r.removed_at),
  };
}

export function rootFromRow(r: Row): RootRecord {
  return {
    groupId: r.group_id as string,
    root: r.root as string,
    createdAt: num(r.created_at),
    replacedAt: numOrNull(r.replaced_at),
  };
}

export function enrolmentFromRow(r: Row): EnrolmentRecord {
  const code = r.code as Uint8Array;
  return {
    id: num(r.id),
    groupId: r.group_id as string,
    memberIndex: num(r.member_index),
    identityCommitment: r.identity_commitment as string,
    templateCommitment: r.template_commitment as string,
    deviceId: r.device_id as string,
    code: new Uint8Array(code.buffer, code.byteOffset, code.byteLength),
    createdAt: num(r.created_at),
    removedAt: numOrNull(r.removed_at),
  };
}

export function pollFromRow(r: Row): PollRecord {
  return {
    id: r.id as string,
    groupId: r.group_id as string,
    scope: r.scope as string,
    options: JSON.parse(r.options as string) as string[],
    opensAt: num(r.opens_at),
    closesAt: num(r.closes_at),
    createdAt: num(r.created_at),
    ...(num(r.require_liveness ?? 0) === 1 ? { requireLiveness: true as const } : {}),
  };
}

export function pollChallengeFromRow(r: Row): PollChallengeRecord {
  return {
    pollId: r.poll_id as string,
    value: r.value as string,
    issuedAt: num(r.issued_at),
    expiresAt: num(r.expires_at),
  };
}

export function deviceRootFromRow(r: Row): DeviceRootRecord {
  return { root: r.root as string, createdAt: num(r.created_at), replacedAt: numOrNull(r.replaced_at) };
}

export function treeSnapshotFromRow(r: Row): TreeSnapshot {
  return {
    groupId: r.group_id as string,
    root: r.root as string,
    size: num(r.size),
    nodes: r.nodes as string,
    createdAt: num(r.created_at),
  };
}

export function voteFromRow(r: Row): VoteRecord {
  return {
    seq: num(r.seq),
    pollId: r.poll_id as string,
    nullifier: r.nullifier as string,
    option: num(r.option_index),
    root: r.root as string,
    proof: JSON.parse(r.proof as string),
    acceptedAt: num(r.accepted_at),
  };
}
