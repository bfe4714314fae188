import type { RecordJson, SubjectKind } from '../api/types'
import { nowRfc3339 } from '../utils/time'
import {
  locationIn,
  locationOut,
  peopleIn,
  peopleOut,
  putText,
  str,
  strList,
  tagsOut,
  type FormSpec,
  type LegalPersonInput,
  type LocationInput,
} from './common'

export interface PatrolVisitForm {
  kind: 'patrol_visit'
  grid_id: string
  visited_at: string
  location: LocationInput | null
  address: string
  subject_kind: SubjectKind | ''
  subject_name: string
  findings: string
  hazards: string[]
  follow_up_needed: boolean
  follow_up_due_at: string | null
  volunteers: LegalPersonInput[]
  dispute_ids: string[]
}

export const patrolVisitSpec: FormSpec<'patrol_visit', PatrolVisitForm> = {
  kind: 'patrol_visit',
  empty: () => ({
    kind: 'patrol_visit',
    grid_id: '',
    visited_at: nowRfc3339(),
    location: null,
    address: '',
    subject_kind: '',
    subject_name: '',
    findings: '',
    hazards: [],
    follow_up_needed: false,
    follow_up_due_at: null,
    volunteers: [],
    dispute_ids: [],
  }),
  fromRecord: (r: RecordJson) => {
    const o = r as unknown as Record<string, unknown>
    return {
      kind: 'patrol_visit',
      grid_id: str(o.grid_id),
      visited_at: str(o.visited_at),
      location: locationIn(o.location),
      address: str(o.address),
      subject_kind: str(o.subject_kind) as SubjectKind | '',
      subject_name: str(o.subject_name),
      findings: str(o.findings),
      hazards: strList(o.hazards),
      follow_up_needed: o.follow_up_needed === true,
      follow_up_due_at: str(o.follow_up_due_at) || null,
      volunteers: peopleIn(o.volunteers),
      dispute_ids: strList(o.dispute_ids),
    }
  },
  toDraft: (f) => {
    const d: Record<string, unknown> = { kind: 'patrol_visit' }
    putText(d, 'grid_id', f.grid_id)
    putText(d, 'visited_at', f.visited_at)
    const loc = locationOut(f.location)
    if (loc) d.location = loc
    putText(d, 'address', f.address)
    if (f.subject_kind) d.subject_kind = f.subject_kind
    putText(d, 'subject_name', f.subject_name)
    putText(d, 'findings', f.findings, false)
    d.hazards = tagsOut(f.hazards)
    d.follow_up_needed = f.follow_up_needed
    if (f.follow_up_needed && f.follow_up_due_at) d.follow_up_due_at = f.follow_up_due_at
    d.volunteers = peopleOut(f.volunteers)
    d.dispute_ids = [...f.dispute_ids]
    return d as { kind: 'patrol_visit' } & Record<string, unknown>
  },
}
