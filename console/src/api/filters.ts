// The case list's filter, both ways: to the API's query string (GET /v1/console/cases, the export
// links) and from/to the console's own URL (so a filtered list, e.g. a drill-down from the
// statistics, is a link). Defaults are left out; unknown or malformed values are dropped.

export const SORT_KEYS = ['occurred_at', 'updated_at', 'due_at', 'risk', 'status'] as const
export type SortKey = (typeof SORT_KEYS)[number]

export interface CaseFilters {
  area?: string
  status?: string
  category?: string
  risk?: string
  source?: string
  overdue?: boolean
  supervised?: boolean
  assignee?: string
  /** UTC ms, inclusive. */
  from?: number
  /** UTC ms, inclusive. */
  to?: number
  q?: string
  sort?: SortKey
  order?: 'asc' | 'desc'
  page?: number
  page_size?: number
  kind?: string
}

export const DEFAULT_PAGE_SIZE = 20
export const MAX_PAGE_SIZE = 100

const TEXT_KEYS = ['area', 'status', 'category', 'risk', 'source', 'assignee', 'q', 'kind'] as const
const BOOL_KEYS = ['overdue', 'supervised'] as const
const TIME_KEYS = ['from', 'to'] as const

export function filtersToQuery(f: CaseFilters): URLSearchParams {
  const q = new URLSearchParams()
  for (const k of TEXT_KEYS) {
    const v = f[k]?.trim()
    if (v) q.set(k, v)
  }
  for (const k of BOOL_KEYS) if (f[k] === true) q.set(k, 'true')
  for (const k of TIME_KEYS) {
    const v = f[k]
    if (typeof v === 'number' && Number.isFinite(v)) q.set(k, String(Math.trunc(v)))
  }
  if (f.sort) {
    q.set('sort', f.sort)
    q.set('order', f.order ?? 'desc')
  }
  if (f.page && f.page > 1) q.set('page', String(f.page))
  if (f.page_size && f.page_size !== DEFAULT_PAGE_SIZE) q.set('page_size', String(f.page_size))
  return q
}

function first(v: unknown): string | undefined {
  if (Array.isArray(v)) return first(v[0])
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined
}

function int(v: unknown): number | undefined {
  const s = first(v)
  if (s === undefined || !/^-?\d+$/.test(s)) return undefined
  const n = Number(s)
  return Number.isSafeInteger(n) ? n : undefined
}

/** Reads a filter from a URL query (vue-router's `route.query` or URLSearchParams entries). */
export function queryToFilters(query: Record<string, unknown> | URLSearchParams): CaseFilters {
  const get = (k: string): unknown => (query instanceof URLSearchParams ? (query.get(k) ?? undefined) : query[k])
  const f: CaseFilters = {}
  for (const k of TEXT_KEYS) {
    const v = first(get(k))
    if (v) f[k] = v
  }
  for (const k of BOOL_KEYS) if (first(get(k)) === 'true') f[k] = true
  for (const k of TIME_KEYS) {
    const v = int(get(k))
    if (v !== undefined) f[k] = v
  }
  const sort = first(get('sort'))
  if (sort && (SORT_KEYS as readonly string[]).includes(sort)) {
    f.sort = sort as SortKey
    f.order = first(get('order')) === 'asc' ? 'asc' : 'desc'
  }
  const page = int(get('page'))
  if (page !== undefined && page > 1) f.page = page
  const size = int(get('page_size'))
  if (size !== undefined && size >= 1 && size <= MAX_PAGE_SIZE && size !== DEFAULT_PAGE_SIZE) f.page_size = size
  return f
}

/** The filter as a vue-router query object. */
export function filtersToRouteQuery(f: CaseFilters): Record<string, string> {
  return Object.fromEntries(filtersToQuery(f).entries())
}
