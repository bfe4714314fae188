// Types of the Tauri command contract (JSON snake_case, times RFC 3339 strings).
// Identifiers follow docs/glossary.md; record shapes follow docs/records.md.

export type Localized = { 'zh-CN': string; en: string }

export interface FieldError {
  code: string
  field: string
  message: Localized
}

export interface AppError {
  code: string
  field?: string | null
  message: Localized
  errors?: FieldError[]
}

// ---- enumerations -------------------------------------------------------

export const RECORD_KINDS = ['patrol_visit', 'legal_education', 'dispute'] as const
export type RecordKind = (typeof RECORD_KINDS)[number]

export const ROLES = ['grid_worker', 'legal_volunteer', 'dispatcher', 'admin'] as const
export type Role = (typeof ROLES)[number]

export const LEGAL_ROLES = ['judge', 'prosecutor', 'police_officer', 'lawyer'] as const
export type LegalRole = (typeof LEGAL_ROLES)[number]

export const SUBJECT_KINDS = ['person', 'place', 'thing', 'event', 'organization'] as const
export type SubjectKind = (typeof SUBJECT_KINDS)[number]

export const FORMATS = ['lecture', 'consultation', 'leaflets', 'case_explanation', 'online'] as const
export type EducationFormat = (typeof FORMATS)[number]

export const SOURCES = ['field', 'hotline_12345', 'walk_in', 'other'] as const
export type DisputeSource = (typeof SOURCES)[number]

export const DISPUTE_CATEGORIES = [
  'family',
  'neighbour',
  'labour',
  'property_management',
  'land',
  'consumer',
  'traffic',
  'medical',
  'other',
] as const
export type DisputeCategory = (typeof DISPUTE_CATEGORIES)[number]

export const RISK_LEVELS = ['low', 'medium', 'high', 'critical'] as const
export type RiskLevel = (typeof RISK_LEVELS)[number]

export const DISPUTE_STATUSES = [
  'reported',
  'accepted',
  'assigned',
  'in_progress',
  'resolved',
  'evaluated',
  'returned',
  'escalated',
] as const
export type DisputeStatus = (typeof DISPUTE_STATUSES)[number]

export const PARTY_ROLES = ['applicant', 'respondent', 'other'] as const
export type PartyRole = (typeof PARTY_ROLES)[number]

export const SYNC_STATES = ['local_only', 'pending', 'synced', 'rejected'] as const
export type SyncState = (typeof SYNC_STATES)[number]

// ---- session ------------------------------------------------------------

export interface Session {
  user: string
  display_name?: string | null
  role: Role
  legal_role?: LegalRole | null
  server: string
  scope: string[]
  device_id: string
}

export interface LoginRequest {
  server: string
  user: string
  password: string
  allow_insecure: boolean
}

// ---- records ------------------------------------------------------------

export interface Location {
  lat: number
  lon: number
  accuracy_m?: number | null
}

export interface LegalPerson {
  name: string
  legal_role: LegalRole
}

export interface Party {
  name?: string | null
  role: PartyRole
  phone?: string | null
  id_number?: string | null
}

interface DraftBase {
  grid_id: string
  location?: Location | null
  address?: string | null
}

export interface PatrolVisitDraft extends DraftBase {
  kind: 'patrol_visit'
  visited_at: string
  subject_kind: SubjectKind
  subject_name?: string | null
  findings: string
  hazards?: string[]
  follow_up_needed?: boolean
  follow_up_due_at?: string | null
  volunteers?: LegalPerson[]
  dispute_ids?: string[]
}

export interface LegalEducationDraft extends DraftBase {
  kind: 'legal_education'
  held_at: string
  topic: string
  format: EducationFormat
  audience_count?: number
  speakers?: LegalPerson[]
  materials?: string[]
  notes?: string | null
}

export interface DisputeDraft extends DraftBase {
  kind: 'dispute'
  reported_at: string
  source: DisputeSource
  dispute_category: DisputeCategory
  parties?: Party[]
  summary: string
  risk_level: RiskLevel
  status?: DisputeStatus
}

export type RecordDraft = PatrolVisitDraft | LegalEducationDraft | DisputeDraft
export type DraftOf<K extends RecordKind> = Extract<RecordDraft, { kind: K }>

/** App-set fields present on every stored record. */
export interface RecordMeta {
  id: string
  schema_version: number
  created_by: string
  created_at: string
  updated_at: string
  deleted_at?: string | null
}

export type RecordJson = RecordDraft & RecordMeta

/** A JSON merge patch (RFC 7386) of changed fields only; `null` removes an optional field. */
export type RecordPatch = Record<string, unknown>

export interface RecordSummary {
  id: string
  kind: RecordKind
  grid_id: string
  status?: DisputeStatus | null
  risk_level?: RiskLevel | null
  occurred_at: string
  updated_at: string
  title: string
  sync_state: SyncState
  deleted: boolean
  quarantined: boolean
}

export interface ListQuery {
  kind?: RecordKind
  grid_id?: string
  status?: DisputeStatus
  risk_level?: RiskLevel
  sync_state?: SyncState
  /** `YYYY-MM-DD` (China time) or RFC 3339 */
  from?: string
  to?: string
  limit?: number
  cursor?: string
}

export interface Page {
  items: RecordSummary[]
  next_cursor?: string | null
}

export interface SearchQuery {
  text: string
  kind?: RecordKind
  limit?: number
}

export interface Rejection {
  code: string
  field: string
  message_zh: string
  message_en: string
}

export interface ConflictValue {
  value: unknown
  by?: string | null
  at: string
}

export interface Conflict {
  field: string
  values: ConflictValue[]
}

export interface RecordView {
  record: RecordJson
  sync_state: SyncState
  rejection?: Rejection | null
  conflicts: Conflict[]
}

export type HistoryOp = 'create' | 'edit' | 'delete' | 'other'

export interface HistoryEntry {
  change: string
  at: string
  by?: string | null
  actor: string
  op: HistoryOp
  fields: string[]
}

export interface HomeSummary {
  visits_today: number
  open_disputes: number
  follow_ups_due: number
  pending: number
  rejected: number
  last_sync_at?: string | null
}

// ---- sync ---------------------------------------------------------------

export type SyncStatus =
  | { state: 'not_configured' }
  | { state: 'offline'; pending: number; last_success_ms?: number | null }
  | { state: 'syncing'; done: number; total: number; pulled: number }
  | { state: 'up_to_date'; at_ms: number; rejected: number }
  | { state: 'error'; code: string; message: string | Localized; pending: number; retry_in_ms?: number | null }

export interface SyncLogEntry {
  at: string
  ok: boolean
  pushed: number
  pulled: number
  rejected: number
  error?: string | null
}

// ---- events ---------------------------------------------------------------

export interface RecordsChangedPayload {
  ids: string[]
}

/**
 * What a form submits: a draft in the shape of docs/records.md, possibly incomplete (Rust's shared
 * rules report what is missing, so the UI never duplicates them).
 */
export type DraftInput = { kind: RecordKind; grid_id?: string } & Record<string, unknown>

/** A form's saved state (draft_save / draft_load value). */
export type DraftValue = Record<string, unknown>
