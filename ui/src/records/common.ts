// Shared pieces of the form state <-> draft JSON mapping.
import type { DraftInput, LegalPerson, LegalRole, Location, RecordJson, RecordKind } from '../api/types'

/** Lat/lon as typed: null while empty. */
export interface LocationInput {
  lat: number | null
  lon: number | null
  accuracy_m?: number | null
}

export interface LegalPersonInput {
  name: string
  legal_role: LegalRole | ''
}

/** How one kind's form maps to and from the record JSON of docs/records.md. */
export interface FormSpec<K extends RecordKind, F extends { kind: K; grid_id: string }> {
  kind: K
  /** A new form; times default to now. */
  empty(): F
  /** The form for editing a stored record. */
  fromRecord(r: RecordJson): F
  /** The draft to validate or create: empty optional values are left out. */
  toDraft(f: F): DraftInput
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : ''
}

export function strList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []
}

export function locationIn(v: unknown): LocationInput | null {
  if (!v || typeof v !== 'object') return null
  const l = v as Partial<Location>
  return {
    lat: typeof l.lat === 'number' ? l.lat : null,
    lon: typeof l.lon === 'number' ? l.lon : null,
    ...(typeof l.accuracy_m === 'number' ? { accuracy_m: l.accuracy_m } : {}),
  }
}

/** `{lat, lon, accuracy_m?}`; a half-filled location is sent as typed so Rust names the missing part. */
export function locationOut(l: LocationInput | null): Record<string, unknown> | undefined {
  if (!l || (l.lat === null && l.lon === null)) return undefined
  const out: Record<string, unknown> = { lat: l.lat, lon: l.lon }
  if (typeof l.accuracy_m === 'number') out.accuracy_m = l.accuracy_m
  return out
}

export function peopleIn(v: unknown): LegalPersonInput[] {
  if (!Array.isArray(v)) return []
  return v.map((p: Partial<LegalPerson>) => ({ name: str(p?.name), legal_role: (p?.legal_role ?? '') as LegalRole | '' }))
}

export function peopleOut(list: LegalPersonInput[]): Record<string, unknown>[] {
  return list.map((p) => {
    const o: Record<string, unknown> = { name: p.name.trim() }
    if (p.legal_role) o.legal_role = p.legal_role
    return o
  })
}

/** Sets `key` only when the text is not blank. */
export function putText(out: Record<string, unknown>, key: string, v: string | null | undefined, trim = true) {
  if (typeof v !== 'string') return
  const t = trim ? v.trim() : v
  if (t.trim() !== '') out[key] = t
}

export function tagsOut(list: string[]): string[] {
  return list.map((t) => t.trim()).filter((t) => t !== '')
}
