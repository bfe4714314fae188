import type { DraftInput, RecordKind, RecordPatch } from '../api/types'
import { patrolVisitSpec, type PatrolVisitForm } from './patrolVisit'
import { legalEducationSpec, type LegalEducationForm } from './legalEducation'
import { disputeSpec, type DisputeForm } from './dispute'

export * from './common'
export { patrolVisitSpec, legalEducationSpec, disputeSpec }
export type { PatrolVisitForm, LegalEducationForm, DisputeForm }
export type { PartyInput } from './dispute'
export { emptyParty } from './dispute'

export type AnyForm = PatrolVisitForm | LegalEducationForm | DisputeForm

/** Fields that an edit can never change (docs/records.md). */
const FIXED = new Set(['kind', 'grid_id', 'id', 'schema_version', 'created_by', 'created_at', 'updated_at', 'deleted_at'])

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

/**
 * RFC 7386 merge patch from the stored record's draft to the edited one: changed keys only,
 * `null` for optional fields that were emptied, lists whole.
 */
export function mergePatch(before: DraftInput, after: DraftInput): RecordPatch {
  const patch: RecordPatch = {}
  for (const [k, v] of Object.entries(after)) {
    if (FIXED.has(k)) continue
    if (!same(before[k], v)) patch[k] = v
  }
  for (const k of Object.keys(before)) {
    if (FIXED.has(k)) continue
    if (!(k in after)) patch[k] = null
  }
  return patch
}

/** How the detail screen shows a field. */
export type DisplayType =
  | { t: 'text' }
  | { t: 'longtext' }
  | { t: 'time' }
  | { t: 'enum'; ns: string }
  | { t: 'bool' }
  | { t: 'count' }
  | { t: 'tags' }
  | { t: 'people' }
  | { t: 'parties' }
  | { t: 'location' }
  /** a grid id, shown by its area name (reference data) */
  | { t: 'grid' }
  /** a user name, shown by the display name (reference data) */
  | { t: 'user' }

export interface DetailField {
  name: string
  display: DisplayType
}

const text = { t: 'text' } as const
const common: DetailField[] = [
  { name: 'location', display: { t: 'location' } },
  { name: 'address', display: text },
]

export const DETAIL_FIELDS: Record<RecordKind, DetailField[]> = {
  patrol_visit: [
    { name: 'visited_at', display: { t: 'time' } },
    { name: 'subject_kind', display: { t: 'enum', ns: 'subject_kind' } },
    { name: 'subject_name', display: text },
    { name: 'findings', display: { t: 'longtext' } },
    { name: 'hazards', display: { t: 'tags' } },
    { name: 'follow_up_needed', display: { t: 'bool' } },
    { name: 'follow_up_due_at', display: { t: 'time' } },
    { name: 'volunteers', display: { t: 'people' } },
    ...common,
    { name: 'dispute_ids', display: { t: 'tags' } },
  ],
  legal_education: [
    { name: 'held_at', display: { t: 'time' } },
    { name: 'topic', display: text },
    { name: 'format', display: { t: 'enum', ns: 'format' } },
    { name: 'audience_count', display: { t: 'count' } },
    { name: 'speakers', display: { t: 'people' } },
    { name: 'materials', display: { t: 'tags' } },
    { name: 'notes', display: { t: 'longtext' } },
    ...common,
  ],
  dispute: [
    { name: 'status', display: { t: 'enum', ns: 'status' } },
    { name: 'risk_level', display: { t: 'enum', ns: 'risk_level' } },
    { name: 'reported_at', display: { t: 'time' } },
    { name: 'source', display: { t: 'enum', ns: 'source' } },
    { name: 'dispute_category', display: { t: 'enum', ns: 'dispute_category' } },
    { name: 'summary', display: { t: 'longtext' } },
    { name: 'parties', display: { t: 'parties' } },
    ...common,
  ],
}

export const META_FIELDS: DetailField[] = [
  { name: 'grid_id', display: { t: 'grid' } },
  { name: 'created_by', display: { t: 'user' } },
  { name: 'created_at', display: { t: 'time' } },
  { name: 'updated_at', display: { t: 'time' } },
  { name: 'id', display: text },
]
