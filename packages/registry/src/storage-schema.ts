import type { Generated } from "kysely";
import type { GroupKind } from "./repository.js";

// The tables of the registry (schema version 6) as Kysely sees them, for both dialects. BIGINT
// columns are `number`: SQLite returns integers as numbers and the PostgreSQL pool parses int8 to
// a number (every stored value is a count, an index or milliseconds, far below 2^53).

export interface DevicesTable {
  id: string;
  slot: number;
  public_key_x: string;
  public_key_y: string;
  registered_at: number;
  revoked_at: number | null;
}

export interface ChallengesTable {
  value: string;
  issued_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface GroupsTable {
  id: string;
  kind: GroupKind;
  created_at: number;
  root_expiry_ms: number | null;
}

export interface EnrolmentsTable {
  id: Generated<number>;
  group_id: string;
  member_index: number;
  identity_commitment: string;
  template_commitment: string;
  device_id: string;
  /** BLOB on SQLite, BYTEA on PostgreSQL; both drivers return a Buffer. */
  code: Uint8Array;
  created_at: number;
  removed_at: number | null;
}

export interface MembersTable {
  group_id: string;
  member_index: number;
  leaf: string;
  identity_commitment: string;
  enrolment_id: number | null;
  removed_at: number | null;
}

export interface RootsTable {
  seq: Generated<number>;
  group_id: string;
  root: string;
  created_at: number;
  replaced_at: number | null;
}

export interface PollsTable {
  id: string;
  group_id: string;
  scope: string;
  /** JSON array of the option labels. */
  options: string;
  opens_at: number;
  closes_at: number;
  created_at: number;
  /** 1 for a poll that takes only liveness-bound votes, else 0. */
  require_liveness: Generated<number>;
}

export interface VotesTable {
  seq: Generated<number>;
  poll_id: string;
  nullifier: string;
  option_index: number;
  root: string;
  /** The proof as JSON. */
  proof: string;
  accepted_at: number;
}

export interface PollChallengesTable {
  poll_id: string;
  value: string;
  issued_at: number;
  expires_at: number;
}

export interface DeviceRootsTable {
  seq: Generated<number>;
  root: string;
  created_at: number;
  replaced_at: number | null;
}

export interface TreeSnapshotsTable {
  group_id: string;
  root: string;
  size: number;
  nodes: string;
  created_at: number;
}

/** Every table of the registry, keyed by table name. */
export interface RegistrySchema {
  devices: DevicesTable;
  challenges: ChallengesTable;
  groups: GroupsTable;
  enrolments: EnrolmentsTable;
  members: MembersTable;
  roots: RootsTable;
  polls: PollsTable;
  votes: VotesTable;
  poll_challenges: PollChallengesTable;
  device_roots: DeviceRootsTable;
  tree_snapshots: TreeSnapshotsTable;
}
