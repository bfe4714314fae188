import type {
  DisputeCategory,
  DisputeSource,
  Party,
  PartyRole,
  RecordJson,
  RiskLevel,
} from '../api/types'
import { nowRfc3339 } from '../utils/time'
import { locationIn, locationOut, putText, str, type FormSpec, type LocationInput } from './common'

export interface PartyInput {
  name: string
  role: PartyRole | ''
  phone: string
  id_number: string
}

export interface DisputeForm {
  kind: 'dispute'
  grid_id: string
  reported_at: string
  source: DisputeSource | ''
  dispute_category: DisputeCategory | ''
  location: LocationInput | null
  address: string
  parties: PartyInput[]
  summary: string
  risk_level: RiskLevel | ''
}

export function emptyParty(): PartyInput {
  return { name: '', role: '', phone: '', id_number: '' }
}

export const disputeSpec: FormSpec<'dispute', DisputeForm> = {
  kind: 'dispute',
  empty: () => ({
    kind: 'dispute',
    grid_id: '',
    reported_at: nowRfc3339(),
    source: '',
    dispute_category: '',
    location: null,
    address: '',
    parties: [],
    summary: '',
    risk_level: '',
  }),
  fromRecord: (r: RecordJson) => {
    const o = r as unknown as Record<string, unknown>
    const parties = Array.isArray(o.parties) ? (o.parties as Partial<Party>[]) : []
    return {
      kind: 'dispute',
      grid_id: str(o.grid_id),
      reported_at: str(o.reported_at),
      source: str(o.source) as DisputeSource | '',
      dispute_category: str(o.dispute_category) as DisputeCategory | '',
      location: locationIn(o.location),
      address: str(o.address),
      parties: parties.map((p) => ({
        name: str(p?.name),
        role: (p?.role ?? '') as PartyRole | '',
        phone: str(p?.phone),
        id_number: str(p?.id_number),
      })),
      summary: str(o.summary),
      risk_level: str(o.risk_level) as RiskLevel | '',
    }
  },
  toDraft: (f) => {
    const d: Record<string, unknown> = { kind: 'dispute' }
    putText(d, 'grid_id', f.grid_id)
    putText(d, 'reported_at', f.reported_at)
    if (f.source) d.source = f.source
    if (f.dispute_category) d.dispute_category = f.dispute_category
    const loc = locationOut(f.location)
    if (loc) d.location = loc
    putText(d, 'address', f.address)
    d.parties = f.parties.map((p) => {
      const o: Record<string, unknown> = {}
      putText(o, 'name', p.name)
      if (p.role) o.role = p.role
      putText(o, 'phone', p.phone)
      putText(o, 'id_number', p.id_number)
      return o
    })
    putText(d, 'summary', f.summary, false)
    if (f.risk_level) d.risk_level = f.risk_level
    return d as { kind: 'dispute' } & Record<string, unknown>
  },
}
