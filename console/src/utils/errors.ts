// Where an API error belongs on a form: the server names the field (`details.note`,
// `parties[0].phone`, `summary`); a form field matches that path or its last part.
import type { ApiError } from '../api/http'

export function errorOn(err: ApiError | null | undefined, field: string): boolean {
  if (!err?.field) return false
  const f = err.field
  return f === field || f.endsWith(`.${field}`) || f.startsWith(`${field}[`) || f.startsWith(`${field}.`)
}

/** True when the error names no field of this form (shown as an alert above it). */
export function errorIsGeneral(err: ApiError | null | undefined, fields: readonly string[]): boolean {
  return !!err && !fields.some((f) => errorOn(err, f))
}
