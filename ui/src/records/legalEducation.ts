import type { EducationFormat, RecordJson } from '../api/types'
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

export interface LegalEducationForm {
  kind: 'legal_education'
  grid_id: string
  held_at: string
  topic: string
  format: EducationFormat | ''
  location: LocationInput | null
  address: string
  audience_count: number
  speakers: LegalPersonInput[]
  materials: string[]
  notes: string
}

export const legalEducationSpec: FormSpec<'legal_education', LegalEducationForm> = {
  kind: 'legal_education',
  empty: () => ({
    kind: 'legal_education',
    grid_id: '',
    held_at: nowRfc3339(),
    topic: '',
    format: '',
    location: null,
    address: '',
    audience_count: 0,
    speakers: [],
    materials: [],
    notes: '',
  }),
  fromRecord: (r: RecordJson) => {
    const o = r as unknown as Record<string, unknown>
    return {
      kind: 'legal_education',
      grid_id: str(o.grid_id),
      held_at: str(o.held_at),
      topic: str(o.topic),
      format: str(o.format) as EducationFormat | '',
      location: locationIn(o.location),
      address: str(o.address),
      audience_count: typeof o.audience_count === 'number' ? o.audience_count : 0,
      speakers: peopleIn(o.speakers),
      materials: strList(o.materials),
      notes: str(o.notes),
    }
  },
  toDraft: (f) => {
    const d: Record<string, unknown> = { kind: 'legal_education' }
    putText(d, 'grid_id', f.grid_id)
    putText(d, 'held_at', f.held_at)
    putText(d, 'topic', f.topic)
    if (f.format) d.format = f.format
    const loc = locationOut(f.location)
    if (loc) d.location = loc
    putText(d, 'address', f.address)
    d.audience_count = Number.isFinite(f.audience_count) ? Math.trunc(f.audience_count) : 0
    d.speakers = peopleOut(f.speakers)
    d.materials = tagsOut(f.materials)
    putText(d, 'notes', f.notes, false)
    return d as { kind: 'legal_education' } & Record<string, unknown>
  },
}
