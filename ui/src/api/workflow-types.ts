// TEMPORARY: the dispute workflow's part of the contract, written by hand from the Rust types
// (crates/domain/src/workflow/, reference.rs, enums.rs; commands of src-tauri/src/command_table.rs)
// until the generated bindings.ts carries them. Delete this file, its `export *` in types.ts and
// the `makeWorkflowCommands` spread in index.ts once bindings.ts exports these names (the build
// then reports every duplicate name, so nothing can be left half-done).
import type { Call, DisputeStatus, LegalRole, RecordView, RiskLevel, Role, TextRule } from './bindings'

export type WorkflowAction =
  | 'accept'
  | 'not_accept'
  | 'assign'
  | 'start'
  | 'log'
  | 'resolve'
  | 'return'
  | 'escalate'
  | 'supervise'
  | 'follow_up'
  | 'evaluate'
  | 'close'

export const WORKFLOW_ACTIONS = [
  'accept',
  'not_accept',
  'assign',
  'start',
  'log',
  'resolve',
  'return',
  'escalate',
  'supervise',
  'follow_up',
  'evaluate',
  'close',
] as const satisfies readonly WorkflowAction[]

export type NotAcceptedReason = 'not_a_dispute' | 'duplicate' | 'outside_jurisdiction'
export const NOT_ACCEPTED_REASONS = ['not_a_dispute', 'duplicate', 'outside_jurisdiction'] as const satisfies readonly NotAcceptedReason[]

export type ReturnReason = 'not_ours' | 'cannot_reach_parties' | 'other'
export const RETURN_REASONS = ['not_ours', 'cannot_reach_parties', 'other'] as const satisfies readonly ReturnReason[]

export type ResolutionMethod = 'mediation' | 'persuasion' | 'legal_advice' | 'administrative_action' | 'other'
export const RESOLUTION_METHODS = ['mediation', 'persuasion', 'legal_advice', 'administrative_action', 'other'] as const satisfies readonly ResolutionMethod[]

export type ResolutionOutcome = 'agreement' | 'no_agreement' | 'withdrawn'
export const RESOLUTION_OUTCOMES = ['agreement', 'no_agreement', 'withdrawn'] as const satisfies readonly ResolutionOutcome[]

export type Referral = 'litigation' | 'arbitration' | 'petition' | 'administrative'
export const REFERRALS = ['litigation', 'arbitration', 'petition', 'administrative'] as const satisfies readonly Referral[]

export type EscalationLevel = 'grid' | 'township' | 'county'
export const ESCALATION_LEVELS = ['grid', 'township', 'county'] as const satisfies readonly EscalationLevel[]

export type Satisfaction = 'satisfied' | 'basically_satisfied' | 'dissatisfied'
export const SATISFACTIONS = ['satisfied', 'basically_satisfied', 'dissatisfied'] as const satisfies readonly Satisfaction[]

export type LogKind = 'visit' | 'call' | 'session' | 'agreement_draft'
export const LOG_KINDS = ['visit', 'call', 'session', 'agreement_draft'] as const satisfies readonly LogKind[]

export type FlagCode = 'not_allowed_in_state' | 'not_assignee' | 'role_not_allowed' | 'invalid_details'
export const FLAG_CODES = ['not_allowed_in_state', 'not_assignee', 'role_not_allowed', 'invalid_details'] as const satisfies readonly FlagCode[]

export type AreaLevel = 'county' | 'township' | 'community' | 'grid'
export const AREA_LEVELS = ['county', 'township', 'community', 'grid'] as const satisfies readonly AreaLevel[]

/** DisputeStatus with the statuses the workflow added (bindings.ts's DisputeStatus will have them). */
export type WorkflowStatus = DisputeStatus | 'not_accepted' | 'follow_up' | 'closed'

export type EventDetails = {
  note?: string | null
  not_accepted_reason?: NotAcceptedReason | null
  duplicate_of?: string | null
  assignee_user?: string | null
  assignee_unit?: string | null
  due_at?: string | null
  return_reason?: ReturnReason | null
  resolution_method?: ResolutionMethod | null
  outcome?: ResolutionOutcome | null
  terms?: string | null
  referral?: Referral | null
  level?: EscalationLevel | null
  satisfaction?: Satisfaction | null
  log_kind?: LogKind | null
  attendees?: string | null
  occurred_at?: string | null
}

export type WorkflowEvent = {
  id: string
  action: WorkflowAction
  by: string
  role: Role
  by_unit?: string | null
  at: string
  details: EventDetails
}

export type ActionRequest = { action: WorkflowAction; details: EventDetails }

export type Verdict = { verdict: 'applied' } | { verdict: 'flagged'; code: FlagCode; conflicts_with: string | null }

export type DisputeState = {
  status: WorkflowStatus
  level: EscalationLevel
  assignee_user: string | null
  assignee_unit: string | null
  due_at: string | null
  status_since: string | null
  handlers: Array<string>
  supervised: boolean
  outcome: ResolutionOutcome | null
  satisfaction: Satisfaction | null
  last_move: string | null
}

export type DisputeWorkflow = {
  events: Array<WorkflowEvent>
  verdicts: Array<Verdict>
  state: DisputeState
  available: Array<WorkflowAction>
  due_at: string | null
  overdue: boolean
}

export type TaskItem = {
  id: string
  title: string
  grid_id: string
  status: WorkflowStatus
  risk_level: RiskLevel
  next_action: WorkflowAction | null
  due_at: string | null
  overdue: boolean
}

export type Area = { id: string; name: string; level: AreaLevel }
export type Unit = { id: string; name: string }
export type Colleague = { name: string; display_name: string; role: Role; legal_role: LegalRole | null; unit: string | null }
export type ReferenceData = { areas: Array<Area>; units: Array<Unit>; colleagues: Array<Colleague>; deadlines: unknown }

/** The text rules of an action's free text (workflow/details.rs). */
export const ACTION_NOTE = { required: false, max_chars: 2000, multiline: true } as const satisfies TextRule
export const TERMS = { required: true, max_chars: 2000, multiline: true } as const satisfies TextRule
export const ATTENDEES = { required: false, max_chars: 200, multiline: false } as const satisfies TextRule

/** The typed wrappers of the workflow's commands, as bindings.ts's makeCommands will have them. */
export function makeWorkflowCommands(call: Call) {
  return {
    disputeAct: (id: string, request: ActionRequest) => call<RecordView>('dispute_act', { id, request }),
    disputeWorkflow: (id: string) => call<DisputeWorkflow>('dispute_workflow', { id }),
    tasks: () => call<Array<TaskItem>>('tasks'),
    taskCount: () => call<number>('task_count'),
    referenceData: () => call<ReferenceData | null>('reference_data'),
  }
}
