// Generated from the Rust definitions by src-tauri/src/bindings.rs: do not edit.
// GRIDMATE_UPDATE_BINDINGS=1 cargo test -p gridmate-app bindings rewrites it; the
// project's test command fails while it is stale.

// ---- errors ----

export type Localized = { "zh-CN": string, en: string, };

export type ErrorCode = "required" | "too_long" | "too_many" | "out_of_range" | "invalid_value" | "invalid_type" | "invalid_json" | "unknown_field" | "immutable_field" | "invalid_grid_id" | "invalid_phone" | "invalid_id_number" | "invalid_coordinate" | "invalid_characters" | "date_in_future" | "date_too_old" | "date_order" | "invalid_status" | "unsupported_schema_version" | "forbidden_action" | "duplicate_event" | "history_too_large";

export type FieldError = { code: ErrorCode, field: string, message: Localized, };

export type AppError = { code: string, field?: string, message: Localized, errors?: Array<FieldError>, };

// ---- enumerations (values and their i18n label keys' last part) ----

export type RecordKind = "patrol_visit" | "legal_education" | "dispute";

export const RECORD_KINDS = ["patrol_visit","legal_education","dispute"] as const satisfies readonly RecordKind[]

export type Role = "grid_worker" | "legal_volunteer" | "dispatcher" | "admin";

export const ROLES = ["grid_worker","legal_volunteer","dispatcher","admin"] as const satisfies readonly Role[]

export type LegalRole = "judge" | "prosecutor" | "police_officer" | "lawyer";

export const LEGAL_ROLES = ["judge","prosecutor","police_officer","lawyer"] as const satisfies readonly LegalRole[]

export type SubjectKind = "person" | "place" | "thing" | "event" | "organization";

export const SUBJECT_KINDS = ["person","place","thing","event","organization"] as const satisfies readonly SubjectKind[]

export type EducationFormat = "lecture" | "consultation" | "leaflets" | "case_explanation" | "online";

export const FORMATS = ["lecture","consultation","leaflets","case_explanation","online"] as const satisfies readonly EducationFormat[]

export type DisputeSource = "field" | "hotline_12345" | "walk_in" | "other";

export const SOURCES = ["field","hotline_12345","walk_in","other"] as const satisfies readonly DisputeSource[]

export type DisputeCategory = "family" | "neighbour" | "labour" | "property_management" | "land" | "consumer" | "traffic" | "medical" | "other";

export const DISPUTE_CATEGORIES = ["family","neighbour","labour","property_management","land","consumer","traffic","medical","other"] as const satisfies readonly DisputeCategory[]

export type RiskLevel = "low" | "medium" | "high" | "critical";

export const RISK_LEVELS = ["low","medium","high","critical"] as const satisfies readonly RiskLevel[]

export type DisputeStatus = "reported" | "accepted" | "assigned" | "in_progress" | "resolved" | "evaluated" | "returned" | "escalated" | "not_accepted" | "follow_up" | "closed";

export const DISPUTE_STATUSES = ["reported","accepted","assigned","in_progress","resolved","evaluated","returned","escalated","not_accepted","follow_up","closed"] as const satisfies readonly DisputeStatus[]

export type PartyRole = "applicant" | "respondent" | "other";

export const PARTY_ROLES = ["applicant","respondent","other"] as const satisfies readonly PartyRole[]

export type WorkflowAction = "accept" | "not_accept" | "assign" | "start" | "log" | "resolve" | "return" | "escalate" | "supervise" | "follow_up" | "evaluate" | "close";

export const WORKFLOW_ACTIONS = ["accept","not_accept","assign","start","log","resolve","return","escalate","supervise","follow_up","evaluate","close"] as const satisfies readonly WorkflowAction[]

export type NotAcceptedReason = "not_a_dispute" | "duplicate" | "outside_jurisdiction";

export const NOT_ACCEPTED_REASONS = ["not_a_dispute","duplicate","outside_jurisdiction"] as const satisfies readonly NotAcceptedReason[]

export type ReturnReason = "not_ours" | "cannot_reach_parties" | "other";

export const RETURN_REASONS = ["not_ours","cannot_reach_parties","other"] as const satisfies readonly ReturnReason[]

export type ResolutionMethod = "mediation" | "persuasion" | "legal_advice" | "administrative_action" | "other";

export const RESOLUTION_METHODS = ["mediation","persuasion","legal_advice","administrative_action","other"] as const satisfies readonly ResolutionMethod[]

export type ResolutionOutcome = "agreement" | "no_agreement" | "withdrawn";

export const RESOLUTION_OUTCOMES = ["agreement","no_agreement","withdrawn"] as const satisfies readonly ResolutionOutcome[]

export type Referral = "litigation" | "arbitration" | "petition" | "administrative";

export const REFERRALS = ["litigation","arbitration","petition","administrative"] as const satisfies readonly Referral[]

export type EscalationLevel = "grid" | "township" | "county";

export const ESCALATION_LEVELS = ["grid","township","county"] as const satisfies readonly EscalationLevel[]

export type Satisfaction = "satisfied" | "basically_satisfied" | "dissatisfied";

export const SATISFACTIONS = ["satisfied","basically_satisfied","dissatisfied"] as const satisfies readonly Satisfaction[]

export type LogKind = "visit" | "call" | "session" | "agreement_draft";

export const LOG_KINDS = ["visit","call","session","agreement_draft"] as const satisfies readonly LogKind[]

export type FlagCode = "not_allowed_in_state" | "not_assignee" | "role_not_allowed" | "invalid_details";

export const FLAG_CODES = ["not_allowed_in_state","not_assignee","role_not_allowed","invalid_details"] as const satisfies readonly FlagCode[]

export type AreaLevel = "county" | "township" | "community" | "grid";

export const AREA_LEVELS = ["county","township","community","grid"] as const satisfies readonly AreaLevel[]

/** One language's labels of every enumeration, by i18n namespace. */
export type EnumLabelSet = {
  kind: Record<RecordKind, string>
  role: Record<Role, string>
  legal_role: Record<LegalRole, string>
  subject_kind: Record<SubjectKind, string>
  format: Record<EducationFormat, string>
  source: Record<DisputeSource, string>
  dispute_category: Record<DisputeCategory, string>
  risk_level: Record<RiskLevel, string>
  status: Record<DisputeStatus, string>
  party_role: Record<PartyRole, string>
  workflow_action: Record<WorkflowAction, string>
  not_accepted_reason: Record<NotAcceptedReason, string>
  return_reason: Record<ReturnReason, string>
  resolution_method: Record<ResolutionMethod, string>
  outcome: Record<ResolutionOutcome, string>
  referral: Record<Referral, string>
  level: Record<EscalationLevel, string>
  satisfaction: Record<Satisfaction, string>
  log_kind: Record<LogKind, string>
  flag: Record<FlagCode, string>
  area_level: Record<AreaLevel, string>
}

/** Every enumeration's labels (`status.reported`), in both languages. */
export const ENUM_LABELS: { 'zh-CN': EnumLabelSet; en: EnumLabelSet } = {
  "en": {
    "area_level": {
      "community": "Community",
      "county": "County",
      "grid": "Grid",
      "township": "Township"
    },
    "dispute_category": {
      "consumer": "Consumer",
      "family": "Marriage and family",
      "labour": "Labour",
      "land": "Land",
      "medical": "Medical",
      "neighbour": "Neighbours",
      "other": "Other",
      "property_management": "Property management",
      "traffic": "Traffic accident"
    },
    "flag": {
      "invalid_details": "Incomplete or invalid details",
      "not_allowed_in_state": "Conflicts with an earlier action: not allowed in that state",
      "not_assignee": "Conflicts with an earlier action: no longer the assignee",
      "role_not_allowed": "This role may not take this action"
    },
    "format": {
      "case_explanation": "Case explanation",
      "consultation": "Consultation",
      "leaflets": "Leaflets",
      "lecture": "Lecture",
      "online": "Online"
    },
    "kind": {
      "dispute": "Dispute",
      "legal_education": "Legal education",
      "patrol_visit": "Patrol visit"
    },
    "legal_role": {
      "judge": "Judge",
      "lawyer": "Lawyer",
      "police_officer": "Police officer",
      "prosecutor": "Prosecutor"
    },
    "level": {
      "county": "County",
      "grid": "Grid (community)",
      "township": "Township"
    },
    "log_kind": {
      "agreement_draft": "Agreement draft",
      "call": "Phone call",
      "session": "Mediation session",
      "visit": "Visit"
    },
    "not_accepted_reason": {
      "duplicate": "Duplicate of another record",
      "not_a_dispute": "Not a dispute",
      "outside_jurisdiction": "Outside our jurisdiction"
    },
    "outcome": {
      "agreement": "Agreement reached",
      "no_agreement": "No agreement",
      "withdrawn": "Withdrawn"
    },
    "party_role": {
      "applicant": "Applicant",
      "other": "Other",
      "respondent": "Respondent"
    },
    "referral": {
      "administrative": "Administrative channel",
      "arbitration": "Arbitration",
      "litigation": "Litigation",
      "petition": "Petition (xinfang)"
    },
    "resolution_method": {
      "administrative_action": "Administrative action",
      "legal_advice": "Legal advice",
      "mediation": "Mediation",
      "other": "Other",
      "persuasion": "Persuasion"
    },
    "return_reason": {
      "cannot_reach_parties": "Cannot reach the parties",
      "not_ours": "Not our duty",
      "other": "Other"
    },
    "risk_level": {
      "critical": "Critical",
      "high": "High",
      "low": "Low",
      "medium": "Medium"
    },
    "role": {
      "admin": "Administrator",
      "dispatcher": "Dispatcher",
      "grid_worker": "Grid worker",
      "legal_volunteer": "Legal volunteer"
    },
    "satisfaction": {
      "basically_satisfied": "Basically satisfied",
      "dissatisfied": "Dissatisfied",
      "satisfied": "Satisfied"
    },
    "source": {
      "field": "Found in the field",
      "hotline_12345": "12345 hotline",
      "other": "Other",
      "walk_in": "Walk-in"
    },
    "status": {
      "accepted": "Accepted",
      "assigned": "Assigned",
      "closed": "Closed",
      "escalated": "Escalated",
      "evaluated": "Evaluated",
      "follow_up": "Following up",
      "in_progress": "In progress",
      "not_accepted": "Not accepted",
      "reported": "Reported",
      "resolved": "Resolved",
      "returned": "Returned"
    },
    "subject_kind": {
      "event": "Event",
      "organization": "Organization",
      "person": "Person",
      "place": "Place",
      "thing": "Thing"
    },
    "workflow_action": {
      "accept": "Accept",
      "assign": "Assign",
      "close": "Close",
      "escalate": "Escalate",
      "evaluate": "Evaluate",
      "follow_up": "Follow up",
      "log": "Mediation log",
      "not_accept": "Decline",
      "resolve": "Resolve",
      "return": "Return",
      "start": "Start handling",
      "supervise": "Supervise"
    }
  },
  "zh-CN": {
    "area_level": {
      "community": "社区（村）",
      "county": "县（区）",
      "grid": "网格",
      "township": "街道（乡镇）"
    },
    "dispute_category": {
      "consumer": "消费",
      "family": "婚姻家庭",
      "labour": "劳动",
      "land": "土地",
      "medical": "医疗",
      "neighbour": "邻里",
      "other": "其他",
      "property_management": "物业",
      "traffic": "交通事故"
    },
    "flag": {
      "invalid_details": "操作内容不完整或无效",
      "not_allowed_in_state": "与先到的操作冲突：当时状态已不允许",
      "not_assignee": "与先到的操作冲突：已改派他人",
      "role_not_allowed": "该角色无权执行此操作"
    },
    "format": {
      "case_explanation": "以案释法",
      "consultation": "咨询",
      "leaflets": "发放资料",
      "lecture": "讲座",
      "online": "线上"
    },
    "kind": {
      "dispute": "矛盾纠纷",
      "legal_education": "普法宣传",
      "patrol_visit": "巡查走访"
    },
    "legal_role": {
      "judge": "法官",
      "lawyer": "律师",
      "police_officer": "警官",
      "prosecutor": "检察官"
    },
    "level": {
      "county": "县（区）",
      "grid": "网格（社区）",
      "township": "街道（乡镇）"
    },
    "log_kind": {
      "agreement_draft": "协议草稿",
      "call": "电话联系",
      "session": "调解会",
      "visit": "走访"
    },
    "not_accepted_reason": {
      "duplicate": "重复上报",
      "not_a_dispute": "不属于矛盾纠纷",
      "outside_jurisdiction": "不属本辖区"
    },
    "outcome": {
      "agreement": "达成协议",
      "no_agreement": "未达成协议",
      "withdrawn": "当事人撤回"
    },
    "party_role": {
      "applicant": "申请人",
      "other": "其他",
      "respondent": "被申请人"
    },
    "referral": {
      "administrative": "行政途径",
      "arbitration": "仲裁",
      "litigation": "诉讼",
      "petition": "信访"
    },
    "resolution_method": {
      "administrative_action": "行政处理",
      "legal_advice": "法律咨询",
      "mediation": "人民调解",
      "other": "其他",
      "persuasion": "说服教育"
    },
    "return_reason": {
      "cannot_reach_parties": "无法联系当事人",
      "not_ours": "不属本单位职责",
      "other": "其他"
    },
    "risk_level": {
      "critical": "重大",
      "high": "高",
      "low": "低",
      "medium": "中"
    },
    "role": {
      "admin": "管理员",
      "dispatcher": "调度员",
      "grid_worker": "网格员",
      "legal_volunteer": "三官一律"
    },
    "satisfaction": {
      "basically_satisfied": "基本满意",
      "dissatisfied": "不满意",
      "satisfied": "满意"
    },
    "source": {
      "field": "现场发现",
      "hotline_12345": "12345 热线",
      "other": "其他",
      "walk_in": "群众来访"
    },
    "status": {
      "accepted": "受理",
      "assigned": "分流交办",
      "closed": "已结案",
      "escalated": "升级上报",
      "evaluated": "已评价",
      "follow_up": "回访中",
      "in_progress": "处置中",
      "not_accepted": "不予受理",
      "reported": "上报",
      "resolved": "办结",
      "returned": "退回"
    },
    "subject_kind": {
      "event": "事",
      "organization": "组织",
      "person": "人",
      "place": "地",
      "thing": "物"
    },
    "workflow_action": {
      "accept": "受理",
      "assign": "分流交办",
      "close": "结案",
      "escalate": "升级上报",
      "evaluate": "满意度评价",
      "follow_up": "回访",
      "log": "调解记录",
      "not_accept": "不予受理",
      "resolve": "办结",
      "return": "退回",
      "start": "签收处置",
      "supervise": "督办"
    }
  }
}

export type SyncState = "local_only" | "pending" | "synced" | "rejected";

export const SYNC_STATES = ["local_only","pending","synced","rejected"] as const satisfies readonly SyncState[]

// ---- records (docs/records.md) ----

export type Location = { lat: number, lon: number, accuracy_m?: number | null, };

export type LegalVolunteer = { name: string, legal_role: LegalRole, };

export type LegalPerson = LegalVolunteer

export type Party = { name?: string | null, role: PartyRole, phone?: string | null, id_number?: string | null, };

export type PatrolVisit = { visited_at: string, location?: Location | null, address?: string | null, subject_kind: SubjectKind, subject_name?: string | null, 
/**
 * Free text (Automerge text: concurrent typing merges).
 */
findings: string, hazards: Array<string>, follow_up_needed: boolean, follow_up_due_at?: string | null, volunteers: Array<LegalVolunteer>, 
/**
 * Disputes this visit raised.
 */
dispute_ids: Array<string>, };

export type LegalEducation = { held_at: string, topic: string, format: EducationFormat, location?: Location | null, address?: string | null, audience_count: number, speakers: Array<LegalVolunteer>, materials: Array<string>, 
/**
 * Free text (Automerge text).
 */
notes: string, };

export type EventDetails = { 
/**
 * Free text: why, what was found, what was said.
 */
note?: string | null, not_accepted_reason?: NotAcceptedReason | null, 
/**
 * The record this one duplicates (with `not_accepted_reason = duplicate`).
 */
duplicate_of?: string | null, 
/**
 * The user a dispute is assigned to (user name).
 */
assignee_user?: string | null, 
/**
 * The unit a dispute is assigned to (a unit id of the reference data).
 */
assignee_unit?: string | null, 
/**
 * The handling deadline the dispatcher set when assigning.
 */
due_at?: string | null, return_reason?: ReturnReason | null, resolution_method?: ResolutionMethod | null, outcome?: ResolutionOutcome | null, 
/**
 * The agreement's terms (with `outcome = agreement`).
 */
terms?: string | null, 
/**
 * Where the parties were pointed (with `outcome = no_agreement`).
 */
referral?: Referral | null, 
/**
 * The level a dispute is escalated to.
 */
level?: EscalationLevel | null, satisfaction?: Satisfaction | null, log_kind?: LogKind | null, 
/**
 * Who attended a mediation session or visit (free text; no ID numbers).
 */
attendees?: string | null, 
/**
 * When a logged visit, call or session took place.
 */
occurred_at?: string | null, };

export type WorkflowEvent = { 
/**
 * A UUIDv7 made by the author's device: identifies the event across replicas.
 */
id: string, action: WorkflowAction, 
/**
 * The author's user name. The server accepts a new event only from that very user.
 */
by: string, 
/**
 * The author's role when acting (checked by the server against the account).
 */
role: Role, 
/**
 * The unit (司法所, 派出所, ...) the author acts for, when the account belongs to one.
 */
by_unit?: string | null, 
/**
 * When the author acted (the device's clock).
 */
at: string, details: EventDetails, };

export type Dispute = { reported_at: string, source: DisputeSource, dispute_category: DisputeCategory, location?: Location | null, address?: string | null, parties: Array<Party>, 
/**
 * Free text (Automerge text).
 */
summary: string, risk_level: RiskLevel, 
/**
 * The status derived from `initial_status` and `workflow` ([`crate::workflow::derive`]):
 * nobody writes it. Whoever builds a `Dispute` calls [`Dispute::refresh_status`].
 */
status: DisputeStatus, 
/**
 * The status the document started in: `reported` for every dispute this build creates; a
 * dispute recorded before the workflow existed starts from the status it then held. Fixed.
 */
initial_status: DisputeStatus, 
/**
 * The closed loop's events and the mediation log, append-only, in document order.
 */
workflow: Array<WorkflowEvent>, };

export type RecordMeta = { id: string, schema_version: number, grid_id: string, created_by: string, created_at: string, updated_at: string, 
/**
 * Soft-delete marker: a deleted record stays (so the delete can sync) but leaves lists.
 */
deleted_at?: string | null, };

export type PatrolVisitDraft = { kind: 'patrol_visit'; grid_id: string } & PatrolVisit
export type LegalEducationDraft = { kind: 'legal_education'; grid_id: string } & LegalEducation
export type DisputeDraft = { kind: 'dispute'; grid_id: string } & Dispute
export type RecordDraft = PatrolVisitDraft | LegalEducationDraft | DisputeDraft
export type DraftOf<K extends RecordKind> = Extract<RecordDraft, { kind: K }>
export type RecordJson = RecordDraft & RecordMeta
/** What a form submits: possibly incomplete; Rust's rules report what is missing. */
export type DraftInput = { kind: RecordKind; grid_id?: string } & Record<string, unknown>
/** A JSON merge patch (RFC 7386) of changed fields only; `null` removes an optional field. */
export type RecordPatch = Record<string, unknown>
/** A form's saved state (draft_save / draft_load). */
export type DraftValue = Record<string, unknown>

// ---- the dispute workflow (crates/domain/src/workflow) ----

export type ActionRequest = { action: WorkflowAction, details: EventDetails, };

export type DisputeState = { status: DisputeStatus, 
/**
 * The level of the command platform now responsible.
 */
level: EscalationLevel, assignee_user?: string | null, assignee_unit?: string | null, 
/**
 * The handling deadline set by the last assignment.
 */
due_at?: string | null, 
/**
 * When the current status began (the time of the event that set it); `None` for the status
 * the document started with.
 */
status_since?: string | null, 
/**
 * Everyone who has been assigned the dispute, in order of first assignment.
 */
handlers: Array<string>, 
/**
 * A dispatcher has raised supervision (督办) since the last assignment.
 */
supervised: boolean, outcome?: ResolutionOutcome | null, satisfaction?: Satisfaction | null, 
/**
 * The id of the last applied event that moved the status or the assignee.
 */
last_move?: string | null, };

export type Verdict = { "verdict": "applied" } | { "verdict": "flagged", code: FlagCode, conflicts_with?: string | null, };

export type WorkflowView = { state: DisputeState, verdicts: Array<Verdict>, };

export type DisputeWorkflow = { 
/**
 * Every event, in document order (the order the fold reads them in).
 */
events: Array<WorkflowEvent>, 
/**
 * One verdict per event, same order: applied, or kept and flagged.
 */
verdicts: Array<Verdict>, state: DisputeState, 
/**
 * What the signed-in user may do now (empty when signed out or the record is deleted).
 */
available: Array<WorkflowAction>, 
/**
 * When the current step is due, by the store's deadline table.
 */
due_at?: string | null, overdue: boolean, };

export type TaskItem = { id: string, 
/**
 * The list title (masked: no personal data).
 */
title: string, grid_id: string, status: DisputeStatus, risk_level: RiskLevel, 
/**
 * The action the task asks for: for the assignee, start or resolve; else the first
 * available one that moves the dispute on (accept, assign, start, resolve, follow up,
 * evaluate, close); else the first available one.
 */
next_action?: WorkflowAction | null, 
/**
 * When the current step is due.
 */
due_at?: string | null, overdue: boolean, };

export type Area = { id: string, name: string, level: AreaLevel, };

export type Unit = { 
/**
 * A slug such as `jingkou-zhengdonglu-sfs`.
 */
id: string, name: string, };

export type Colleague = { 
/**
 * The user name (what events and assignments store).
 */
name: string, display_name: string, role: Role, legal_role?: LegalRole | null, 
/**
 * The unit the user acts for, if any.
 */
unit?: string | null, };

export type Limit = { "working_days": number } | { "hours": number };

export type StepLimit = { status: DisputeStatus, category?: DisputeCategory | null, risk?: RiskLevel | null, limit: Limit, };

export type DeadlineTable = { steps: Array<StepLimit>, 
/**
 * Public holidays (days off that fall on weekdays).
 */
holidays: Array<string>, 
/**
 * Make-up working days (weekend days worked).
 */
workdays: Array<string>, };

export type ReferenceData = { areas: Array<Area>, units: Array<Unit>, colleagues: Array<Colleague>, deadlines: DeadlineTable, };

// ---- store, sync and session ----

export type ListFilters = { kind?: string, grid_id?: string, status?: string, risk_level?: string, sync_state?: string, 
/**
 * From this date, inclusive.
 */
from?: string, 
/**
 * Up to this date, exclusive.
 */
to?: string, 
/**
 * Page size (default 50, at most 500).
 */
limit?: number, 
/**
 * Continue from a previous page's `next_cursor`.
 */
cursor?: string, include_deleted?: boolean, 
/**
 * Only disputes the signed-in user (or their unit) holds now: assigned or in progress.
 */
assigned_to_me?: boolean, 
/**
 * Only records whose step is past due now: a dispute's current step, a visit's follow-up.
 */
overdue?: boolean, };

export type SearchQuery = { text: string, kind?: string, limit?: number, };

export type RecordSummary = { id: string, kind: RecordKind, grid_id: string, status?: DisputeStatus | null, risk_level?: RiskLevel | null, occurred_at: string, updated_at: string, title: string, sync_state: SyncState, deleted: boolean, 
/**
 * Set when the stored document cannot be read (the reason is in `quarantined`).
 */
quarantined: boolean, };

export type Page = { items: Array<RecordSummary>, 
/**
 * Present when more rows may follow.
 */
next_cursor?: string | null, };

export type Rejection = { id: string, code: string, field: string, message_zh: string, message_en: string, };

export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]: JsonValue } | null;

export type ConflictValue = { value: JsonValue, 
/**
 * Who wrote it, as the history names authors (`history.rs`): never a change message's claim.
 */
by?: string | null, at: string, };

export type Conflict = { 
/**
 * Field path, e.g. `risk_level`, `parties[1].phone`.
 */
field: string, values: Array<ConflictValue>, };

export type RecordView = { record: RecordJson, sync_state: SyncState, rejection?: Rejection | null, conflicts: Array<Conflict>, };

export type HistoryOp = "create" | "edit" | "delete" | "act" | "other";

export type HistoryEntry = { 
/**
 * The change hash, hex.
 */
change: string, at: string, 
/**
 * The user the server authenticated the change as; this store's user for its own changes
 * the server has not named yet; `None` when unknown (e.g. pulled before the server named
 * authors). Never the name a change message claims.
 */
by?: string | null, 
/**
 * The writing actor (hex), which tells two devices of one user apart.
 */
actor: string, op: HistoryOp, 
/**
 * Field paths touched, e.g. `summary`, `parties[1].phone`; sorted, unique.
 */
fields: Array<string>, };

export type HomeSummary = { visits_today: number, 
/**
 * Disputes not yet resolved (nor closed, evaluated or not accepted).
 */
open_disputes: number, 
/**
 * Follow-ups due by the end of today (overdue ones included).
 */
follow_ups_due: number, pending: number, rejected: number, last_sync_at?: string | null, };

export type SyncLogError = { code: string, message: Localized, };

export type SyncLogEntry = { at: string, ok: boolean, pushed: number, pulled: number, rejected: number, error?: SyncLogError | null, };

export type SyncStatus = { "state": "not_configured" } | { "state": "offline", pending: number, last_success_ms: number | null, } | { "state": "syncing", done: number, total: number, pulled: number, } | { "state": "up_to_date", at_ms: number, rejected: number, } | { "state": "error", code: string, message: Localized, pending: number, retry_in_ms: number | null, };

export type SessionInfo = { user: string, display_name?: string | null, role: string, legal_role?: string | null, server: string, scope: Array<string>, device_id: string, };

export type LoginRequest = { server: string, user: string, password: string, allow_insecure: boolean, 
/**
 * The operator's own CA certificate (PEM text) for a server a private CA certified; blank or
 * absent for none.
 */
ca_cert?: string, };

export type AppDefaults = { 
/**
 * The server address the sign-in form starts with (`GRIDMATE_DEFAULT_SERVER`, which the demo
 * run sets), if any.
 */
server_url?: string | null, };

export type TextRule = { required: boolean, max_chars: number, 
/**
 * Long free text may hold line breaks and tabs; short fields may not.
 */
multiline: boolean, };

export type TextField = { path: string, rule: TextRule, };

// ---- form rules (crates/domain/src/rules.rs) ----

export const TEXT_RULES = {"dispute":{"address":{"max_chars":200,"multiline":false,"required":false},"parties[].name":{"max_chars":50,"multiline":false,"required":false},"summary":{"max_chars":5000,"multiline":true,"required":true}},"legal_education":{"address":{"max_chars":200,"multiline":false,"required":false},"materials[]":{"max_chars":100,"multiline":false,"required":true},"notes":{"max_chars":5000,"multiline":true,"required":false},"speakers[].name":{"max_chars":50,"multiline":false,"required":true},"topic":{"max_chars":200,"multiline":false,"required":true}},"patrol_visit":{"address":{"max_chars":200,"multiline":false,"required":false},"findings":{"max_chars":5000,"multiline":true,"required":true},"hazards[]":{"max_chars":100,"multiline":false,"required":true},"subject_name":{"max_chars":100,"multiline":false,"required":false},"volunteers[].name":{"max_chars":50,"multiline":false,"required":true}}} as const satisfies Record<RecordKind, Record<string, TextRule>>

export const ACTION_TEXT_RULES = {"attendees":{"max_chars":200,"multiline":false,"required":false},"note":{"max_chars":2000,"multiline":true,"required":false},"terms":{"max_chars":2000,"multiline":true,"required":true}} as const satisfies Record<'note' | 'terms' | 'attendees', TextRule>

export const ACTION_FIELDS = {"accept":["note"],"assign":["assignee_user","assignee_unit","due_at","note"],"close":["note"],"escalate":["level","note"],"evaluate":["satisfaction","note"],"follow_up":["note"],"log":["log_kind","occurred_at","attendees","note"],"not_accept":["not_accepted_reason","duplicate_of","note"],"resolve":["resolution_method","outcome","terms","referral","note"],"return":["return_reason","note"],"start":["note"],"supervise":["note"]} as const satisfies Record<WorkflowAction, readonly (keyof EventDetails)[]>

export const ACTION_REQUIRED = {"accept":[],"assign":[],"close":[],"escalate":["level","note"],"evaluate":["satisfaction"],"follow_up":["note"],"log":["log_kind","occurred_at","note"],"not_accept":["not_accepted_reason","duplicate_of"],"resolve":["resolution_method","outcome","terms","referral"],"return":["return_reason"],"start":[],"supervise":["note"]} as const satisfies Record<WorkflowAction, readonly (keyof EventDetails)[]>

export const RETURN_REASON_NEEDING_NOTE = "other" as const satisfies ReturnReason

export const MAX_LIST = 50 as const satisfies number

export const MAX_AUDIENCE = 100000 as const satisfies number

export const MAX_ACCURACY_M = 100000.0 as const satisfies number

export const PHONE_INPUT_MAX_CHARS = 20 as const satisfies number

export const ID_NUMBER_INPUT_MAX_CHARS = 24 as const satisfies number

export const IMMUTABLE_FIELDS = ["id","kind","created_by","created_at","grid_id"] as const satisfies readonly string[]

// ---- commands (src-tauri/src/command_table.rs) ----

export const COMMANDS = ["session_get","app_defaults","login","logout","home_summary","records_list","records_search","record_get","record_create","record_update","record_delete","record_history","record_validate","draft_save","draft_load","draft_clear","grids_list","sync_now","sync_status","sync_log","dispute_act","dispute_workflow","tasks","task_count","reference_data"] as const

/** Invokes one command; rejects with the command's AppError. */
export type Call = <T>(command: string, args?: Record<string, unknown>) => Promise<T>

/** A typed wrapper per command, over `call`. */
export function makeCommands(call: Call) {
  return {
    sessionGet: () => call<SessionInfo | null>('session_get'),
    appDefaults: () => call<AppDefaults>('app_defaults'),
    login: (req: LoginRequest) => call<SessionInfo>('login', { req }),
    logout: (force: boolean) => call<null>('logout', { force }),
    homeSummary: () => call<HomeSummary>('home_summary'),
    recordsList: (query: ListFilters) => call<Page>('records_list', { query }),
    recordsSearch: (query: SearchQuery) => call<Array<RecordSummary>>('records_search', { query }),
    recordGet: (id: string) => call<RecordView>('record_get', { id }),
    recordCreate: (draft: DraftInput) => call<RecordJson>('record_create', { draft }),
    recordUpdate: (id: string, patch: RecordPatch) => call<RecordJson>('record_update', { id, patch }),
    recordDelete: (id: string) => call<null>('record_delete', { id }),
    recordHistory: (id: string) => call<Array<HistoryEntry>>('record_history', { id }),
    recordValidate: (draft: DraftInput) => call<Array<FieldError>>('record_validate', { draft }),
    draftSave: (key: string, value: DraftValue) => call<null>('draft_save', { key, value }),
    draftLoad: (key: string) => call<DraftValue | null>('draft_load', { key }),
    draftClear: (key: string) => call<null>('draft_clear', { key }),
    gridsList: () => call<Array<string>>('grids_list'),
    syncNow: () => call<null>('sync_now'),
    syncStatus: () => call<SyncStatus>('sync_status'),
    syncLog: () => call<Array<SyncLogEntry>>('sync_log'),
    disputeAct: (id: string, request: ActionRequest) => call<RecordView>('dispute_act', { id, request }),
    disputeWorkflow: (id: string) => call<DisputeWorkflow>('dispute_workflow', { id }),
    tasks: () => call<Array<TaskItem>>('tasks'),
    taskCount: () => call<number>('task_count'),
    referenceData: () => call<ReferenceData | null>('reference_data'),
  }
}
