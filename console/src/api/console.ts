// One function per console endpoint (the table of docs/console-api.md), all through `http`.
import { http, type Query } from './http'
import type {
  ActionBody,
  AdminArea,
  AdminDevice,
  AdminUser,
  AreasAnswer,
  CaseDetail,
  CaseRow,
  ConsoleConfig,
  ConsoleSession,
  DeadlineTable,
  FeatureCollection,
  IntakeBody,
  ListAnswer,
  RevealField,
  StatsAnswer,
} from './types'
import { type CaseFilters, filtersToQuery } from './filters'
import type { SupervisionAnswer } from '../utils/supervision'
import { type ServedStats, statsView } from '../utils/stats'

const V = '/v1/console'
const enc = encodeURIComponent

/** A list answer that may come as a bare array or as {items}. */
export function asList<T>(x: unknown): T[] {
  if (Array.isArray(x)) return x as T[]
  if (x && typeof x === 'object' && Array.isArray((x as { items?: unknown }).items)) return (x as { items: T[] }).items
  return []
}

export const consoleApi = {
  signIn: (user: string, password: string) => http.post<ConsoleSession>(`${V}/session`, { user, password }),
  session: () => http.get<ConsoleSession>(`${V}/session`, undefined, { quiet401: true }),
  signOut: () => http.delete<void>(`${V}/session`),
  config: () => http.get<ConsoleConfig>(`${V}/config`),
  areas: () => http.get<AreasAnswer>(`${V}/areas`),

  cases: (f: CaseFilters) => http.get<ListAnswer<CaseRow>>(`${V}/cases`, filtersToQuery(f)),
  caseDetail: (id: string) => http.get<CaseDetail>(`${V}/cases/${enc(id)}`),
  reveal: (id: string, party_index: number, field: RevealField) =>
    http.post<{ value: string | null }>(`${V}/cases/${enc(id)}/reveal`, { party_index, field }),
  act: (id: string, body: ActionBody) => http.post<CaseDetail>(`${V}/cases/${enc(id)}/actions`, body),
  patchCase: (id: string, patch: Record<string, unknown>) => http.patch<CaseDetail>(`${V}/cases/${enc(id)}`, patch),
  intake: (body: IntakeBody) => http.post<CaseDetail | { id: string }>(`${V}/intake`, body),
  supervision: (area?: string) => http.get<SupervisionAnswer>(`${V}/supervision`, { area }),
  stats: async (q: Query): Promise<StatsAnswer> => statsView(await http.get<ServedStats>(`${V}/stats`, q)),
  boundaries: (area?: string) => http.get<FeatureCollection>(`${V}/map/boundaries`, { area }),
  points: (q: Query) => http.get<FeatureCollection>(`${V}/map/points`, q),

  admin: {
    users: () => http.get<AdminUser[] | ListAnswer<AdminUser>>(`${V}/admin/users`),
    addUser: (u: AdminUser & { password: string }) => http.post<AdminUser>(`${V}/admin/users`, u),
    patchUser: (user: string, patch: Record<string, unknown>) => http.patch<AdminUser>(`${V}/admin/users/${enc(user)}`, patch),
    devices: () => http.get<AdminDevice[] | ListAnswer<AdminDevice>>(`${V}/admin/devices`),
    revokeDevice: (id: string) => http.post<void>(`${V}/admin/devices/${enc(id)}/revoke`),
    areas: () => http.get<AdminArea[] | ListAnswer<AdminArea>>(`${V}/admin/areas`),
    putArea: (a: AdminArea) => http.put<AdminArea>(`${V}/admin/areas/${enc(a.id)}`, { name: a.name, level: a.level }),
    putBoundary: (id: string, geojson: unknown) => http.put<void>(`${V}/admin/areas/${enc(id)}/boundary`, geojson),
    units: () => http.get<{ id: string; name: string }[] | ListAnswer<{ id: string; name: string }>>(`${V}/admin/units`),
    putUnit: (id: string, name: string) => http.put<void>(`${V}/admin/units/${enc(id)}`, { name }),
    deadlines: () => http.get<DeadlineTable>(`${V}/admin/deadlines`),
  },
}

/** The export link of the current filter (a plain link: the browser downloads it with the cookie). */
export function exportUrl(format: 'xlsx' | 'csv', f: CaseFilters): string {
  const q = filtersToQuery({ ...f, page: undefined, page_size: undefined })
  const s = q.toString()
  return `${V}/export.${format}${s ? `?${s}` : ''}`
}
