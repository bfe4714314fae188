// The console API's JSON shapes (docs/console-api.md). Record, workflow and enum types are the
// mobile UI's generated bindings (`@shared`), so both speak the same Rust definitions.
import type {
  AreaLevel,
  Conflict,
  DeadlineTable,
  DisputeStatus,
  EventDetails,
  HistoryEntry,
  LegalRole,
  RecordJson,
  RecordKind,
  Verdict,
  WorkflowAction,
  WorkflowEvent,
} from '@shared'

export type ConsoleRole = 'dispatcher' | 'admin'

export interface ConsoleSession {
  user: string
  display_name?: string | null
  role: ConsoleRole
  scope: string[]
  unit?: string | null
  csrf: string
}

export interface AreaNode {
  id: string
  name: string
  level: AreaLevel
  children?: AreaNode[]
}

export interface AssignableUser {
  user: string
  display_name?: string | null
  role: string
  legal_role?: LegalRole | null
  unit?: string | null
}

export interface AreasAnswer {
  areas: AreaNode[]
  units: { id: string; name: string }[]
  users: AssignableUser[]
}

export interface ListAnswer<T> {
  items: T[]
  total: number
  page: number
  page_size: number
}

export interface CaseRow {
  id: string
  kind: RecordKind
  grid_id: string
  title: string
  status?: DisputeStatus | null
  category?: string | null
  risk?: string | null
  source?: string | null
  occurred_at: number
  updated_at: number
  due_at?: number | null
  overdue: boolean
  supervised: boolean
  assignee_user?: string | null
  assignee_unit?: string | null
  created_by: string
}

/** One workflow event of the detail's timeline, with its verdict (applied or flagged). */
export type TimelineItem = WorkflowEvent & { verdict?: Verdict | 'applied' | 'flagged'; code?: string | null }

export interface CaseDetail {
  record: RecordJson
  timeline: TimelineItem[] | { events: WorkflowEvent[]; verdicts: Verdict[] }
  log: WorkflowEvent[]
  actions: WorkflowAction[]
  history: HistoryEntry[]
  conflicts: Conflict[]
  due_at?: number | string | null
  overdue?: boolean
}

export interface ActionBody {
  action: WorkflowAction
  details: EventDetails
}

export type RevealField = 'name' | 'phone' | 'id_number'

export interface IntakeBody {
  request_id: string
  grid_id: string
  dispute_category: string
  risk_level: string
  summary: string
  address?: string
  parties: { name?: string; role: string; phone?: string; id_number?: string }[]
  accept: boolean
}

export interface SupervisionGroup {
  unit?: string | null
  assignee_user?: string | null
  overdue: number
  near_due: number
  items: CaseRow[]
}

export interface StatsChild {
  area: string
  name?: string
  disputes?: number
  overdue?: number
  visits?: number
  on_time_rate?: number | null
  mediation_success_rate?: number | null
  satisfaction_rate?: number | null
}

export interface StatsAnswer {
  visits_per_worker: { user: string; display_name?: string | null; visits: number }[]
  legal_education: { sessions: number; audience: number }
  disputes_by_category: { category: string; count: number }[]
  disputes_by_status: { status: string; count: number }[]
  on_time_rate?: number | null
  mediation_success_rate?: number | null
  satisfaction_rate?: number | null
  overdue: number
  children?: StatsChild[]
}

export interface GeoFeature {
  type: 'Feature'
  geometry: { type: string; coordinates: unknown } | null
  properties: Record<string, unknown> | null
}
export interface FeatureCollection {
  type: 'FeatureCollection'
  features: GeoFeature[]
}

export interface ConsoleConfig {
  tiles_url?: string | null
  tiles_attribution?: string | null
}

export interface AdminUser {
  user: string
  display_name?: string | null
  role: string
  legal_role?: string | null
  unit?: string | null
  scope: string[]
  disabled?: boolean
}
export interface AdminDevice {
  device_id: string
  user: string
  registered_at?: number | string | null
  last_seen_at?: number | string | null
  revoked?: boolean
}
export interface AdminArea {
  id: string
  name: string
  level: string
  has_boundary?: boolean
}
export type { DeadlineTable }
