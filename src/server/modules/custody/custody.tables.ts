import type { ColumnType, Generated } from 'kysely';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Ts = ColumnType<Date, Date | string, Date | string>;
type NullableTs = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string, string>;
type Uuids = ColumnType<string[], string[], string[]>;
/** numeric and bigint come back as strings from pg; accept numbers on write. */
type Numeric = ColumnType<string, number | string, number | string>;
type NullableBig = ColumnType<string | null, number | string | null, number | string | null>;

export interface CustodyLocationsTable {
  id: Generated<string>;
  district_org_id: string;
  operator_org_id: string;
  parent_id: string | null;
  centre_id: string | null;
  kind: 'centre' | 'room' | 'cabinet' | 'shelf' | 'bin';
  code: string;
  name: string;
  capacity: number | null;
  path: string;
  lng: number | null;
  lat: number | null;
  address_text: string | null;
  active: Generated<boolean>;
  created_at: CreatedAt;
}

export interface CustodyCasesTable {
  id: Generated<string>;
  code: string;
  agency_org_id: string;
  case_number: string;
  title: string;
  kind: 'criminal' | 'administrative';
  opened_at: Ts;
  officer_id: string;
  centre_id: string;
  status: Generated<'open' | 'concluded'>;
  concluded_at: NullableTs;
  conclusion: string | null;
  seen_by: Uuids;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface CustodyItemsTable {
  id: Generated<string>;
  case_id: string;
  item_no: number;
  code: string;
  type: string;
  name: string;
  description: string;
  quantity: Numeric;
  unit: string;
  value_cents: NullableBig;
  owner_kind: string;
  owner_name: string | null;
  owner_phone: string | null;
  seizure_doc: string;
  seized_at: Ts;
  seized_by: string;
  centre_id: string;
  status: string;
  holder_org_id: string;
  location_id: string | null;
  pending: 'borrow' | 'transfer' | 'disposal' | null;
  pending_org_id: string | null;
  loan_due_at: NullableTs;
  unrelated_at: NullableTs;
  disposition: string | null;
  disposed_at: NullableTs;
  state: Json<unknown>;
  seen_by: Uuids;
  last_seq: number;
  head_hash: string;
  checkpointed_seq: Generated<number>;
  registered_at: Ts;
  updated_at: Ts;
}

export interface CustodyEventsTable {
  item_id: string;
  seq: number;
  type: string;
  at: Ts;
  recorded_at: Ts;
  actor_id: string;
  actor_name: string;
  actor_org_id: string;
  witness_id: string | null;
  witness_name: string | null;
  corrects_seq: number | null;
  data: Json<Record<string, unknown>>;
  prev_hash: string;
  hash: string;
}

export interface CustodyCheckpointsTable {
  no: number;
  at: Ts;
  prev_digest: string;
  digest: string;
  head_count: number;
  key_id: string;
  signature: string;
}

export interface CustodyCheckpointHeadsTable {
  checkpoint_no: number;
  item_id: string;
  seq: number;
  hash: string;
}

export interface CustodyWarningsTable {
  id: Generated<string>;
  item_id: string;
  case_id: string;
  kind: 'late_registration' | 'loan_overdue' | 'unrelated_not_released' | 'undisposed' | 'transfer_unaccepted';
  episode: string;
  holder_org_id: string;
  raised_at: CreatedAt;
  due_at: NullableTs;
  detail: ColumnType<Record<string, unknown>, string | undefined, string>;
  resolved_at: NullableTs;
}

export interface CustodyEvidenceTable {
  id: Generated<string>;
  item_id: string;
  seq: number;
  filename: string;
  mime: string;
  size: ColumnType<string, number | string, number | string>;
  sha256: string;
  storage_path: string;
  uploaded_by: string;
  created_at: CreatedAt;
}

export interface CustodyEvidenceSharesTable {
  id: Generated<string>;
  evidence_id: string;
  org_id: string;
  expires_at: Ts;
  created_by: string;
  created_at: CreatedAt;
  revoked_at: NullableTs;
}

export interface CustodyDisplaysTable {
  id: Generated<string>;
  token_hash: string;
  title: string;
  viewer_name: string;
  item_ids: Uuids;
  created_by: string;
  org_id: string;
  created_at: CreatedAt;
  expires_at: Ts;
  revoked_at: NullableTs;
}

export interface CustodyTables {
  custody_locations: CustodyLocationsTable;
  custody_cases: CustodyCasesTable;
  custody_items: CustodyItemsTable;
  custody_events: CustodyEventsTable;
  custody_checkpoints: CustodyCheckpointsTable;
  custody_checkpoint_heads: CustodyCheckpointHeadsTable;
  custody_warnings: CustodyWarningsTable;
  custody_evidence: CustodyEvidenceTable;
  custody_evidence_shares: CustodyEvidenceSharesTable;
  custody_displays: CustodyDisplaysTable;
}
