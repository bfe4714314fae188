// The dispute workflow's action forms: which detail fields each action takes and requires (Rust's
// `takes` and `requires`, generated into bindings.ts as ACTION_FIELDS and ACTION_REQUIRED), which
// of them show given what is chosen
// (terms only with an agreement, a referral only without one, the duplicate only with that
// reason), and the ActionRequest a form sends. Whether the details are complete and allowed is
// Rust's to say: `dispute_act` answers with field errors under `details.`.
import type {
  ActionRequest,
  EscalationLevel,
  EventDetails,
  LogKind,
  NotAcceptedReason,
  Referral,
  ResolutionMethod,
  ResolutionOutcome,
  ReturnReason,
  Satisfaction,
  TextRule,
  WorkflowAction,
} from '../api/types'
import { ACTION_FIELDS, ACTION_REQUIRED, ACTION_TEXT_RULES, ESCALATION_LEVELS, RETURN_REASON_NEEDING_NOTE } from '../api/types'
import { nowRfc3339 } from '../utils/time'
import { putText } from './common'

export type DetailKey = keyof EventDetails

/** The detail fields each action takes, in the order its form shows them (from Rust). */
export const ACTION_TAKES: Record<WorkflowAction, readonly DetailKey[]> = ACTION_FIELDS

/** Actions that cannot be taken back: the form asks before sending them. */
export const IRREVERSIBLE: readonly WorkflowAction[] = ['not_accept', 'close']

/** An action form as typed: '' or null while empty. */
export interface ActionForm {
  note: string
  not_accepted_reason: NotAcceptedReason | ''
  duplicate_of: string
  assignee_user: string
  assignee_unit: string
  due_at: string | null
  return_reason: ReturnReason | ''
  resolution_method: ResolutionMethod | ''
  outcome: ResolutionOutcome | ''
  terms: string
  referral: Referral | ''
  level: EscalationLevel | ''
  satisfaction: Satisfaction | ''
  log_kind: LogKind | ''
  attendees: string
  occurred_at: string | null
}

export function emptyActionForm(action: WorkflowAction): ActionForm {
  return {
    note: '',
    not_accepted_reason: '',
    duplicate_of: '',
    assignee_user: '',
    assignee_unit: '',
    due_at: null,
    return_reason: '',
    resolution_method: '',
    outcome: '',
    terms: '',
    referral: '',
    level: '',
    satisfaction: '',
    log_kind: '',
    attendees: '',
    // a log entry is usually written right after the visit or call
    occurred_at: action === 'log' ? nowRfc3339() : null,
  }
}

/** The fields of `action` to show now, given what the form holds. */
export function shownFields(action: WorkflowAction, f: ActionForm): DetailKey[] {
  return ACTION_TAKES[action].filter((k) => {
    if (k === 'terms') return f.outcome === 'agreement'
    if (k === 'referral') return f.outcome === 'no_agreement'
    if (k === 'duplicate_of') return f.not_accepted_reason === 'duplicate'
    return true
  })
}

/** Marks a field as required (the asterisk), by Rust's table; Rust's check decides. */
export function isRequired(action: WorkflowAction, key: DetailKey, f: ActionForm): boolean {
  if ((ACTION_REQUIRED[action] as readonly DetailKey[]).includes(key)) return true
  return action === 'return' && key === 'note' && f.return_reason === RETURN_REASON_NEEDING_NOTE
}

/** The request the form sends: the shown fields that hold something, nothing else. */
export function toRequest(action: WorkflowAction, f: ActionForm): ActionRequest {
  const d: Record<string, unknown> = {}
  for (const k of shownFields(action, f)) {
    const v = f[k]
    if (typeof v === 'string') putText(d, k, v, !isMultiline(k))
    else if (v !== null) d[k] = v
  }
  return { action, details: d as EventDetails }
}

/** The text rule of an action's free-text field. */
export function actionTextRule(key: 'note' | 'terms' | 'attendees'): TextRule {
  return ACTION_TEXT_RULES[key]
}

function isMultiline(k: DetailKey): boolean {
  return k in ACTION_TEXT_RULES && ACTION_TEXT_RULES[k as keyof typeof ACTION_TEXT_RULES].multiline
}

/** The levels a dispute at `current` may be escalated to (only upwards). */
export function levelsAbove(current: EscalationLevel): EscalationLevel[] {
  const i = ESCALATION_LEVELS.indexOf(current)
  return ESCALATION_LEVELS.slice(i + 1)
}

/** How the timeline shows a detail value. */
export type DetailDisplay = 'text' | 'longtext' | 'time' | 'user' | 'unit' | { ns: string }

/** Every detail field in the timeline's order, with how it is shown. */
export const DETAIL_DISPLAY: readonly [DetailKey, DetailDisplay][] = [
  ['not_accepted_reason', { ns: 'not_accepted_reason' }],
  ['duplicate_of', 'text'],
  ['assignee_user', 'user'],
  ['assignee_unit', 'unit'],
  ['due_at', 'time'],
  ['return_reason', { ns: 'return_reason' }],
  ['resolution_method', { ns: 'resolution_method' }],
  ['outcome', { ns: 'outcome' }],
  ['terms', 'longtext'],
  ['referral', { ns: 'referral' }],
  ['level', { ns: 'level' }],
  ['satisfaction', { ns: 'satisfaction' }],
  ['log_kind', { ns: 'log_kind' }],
  ['occurred_at', 'time'],
  ['attendees', 'text'],
  ['note', 'longtext'],
]
