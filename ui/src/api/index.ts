// The only module that talks to Rust. Every command of the contract has one typed wrapper here;
// the rest of the app never imports @tauri-apps/api.
import { invoke } from '@tauri-apps/api/core'
import { listen, type UnlistenFn } from '@tauri-apps/api/event'
import type {
  AppError,
  DraftInput,
  DraftValue,
  FieldError,
  HistoryEntry,
  HomeSummary,
  ListQuery,
  LoginRequest,
  Page,
  RecordDraft,
  RecordJson,
  RecordPatch,
  RecordSummary,
  RecordView,
  RecordsChangedPayload,
  SearchQuery,
  Session,
  SyncLogEntry,
  SyncStatus,
} from './types'

export type { UnlistenFn }
export * from './types'

/** Turns anything a rejected invoke (or the bridge itself) throws into an AppError. */
export function toAppError(e: unknown): AppError {
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) {
    const o = e as { code: unknown; message: unknown; field?: unknown; errors?: unknown }
    const message =
      o.message && typeof o.message === 'object' && 'en' in o.message
        ? (o.message as AppError['message'])
        : { 'zh-CN': String(o.message), en: String(o.message) }
    return {
      code: String(o.code),
      field: typeof o.field === 'string' ? o.field : undefined,
      message,
      errors: Array.isArray(o.errors) ? (o.errors as FieldError[]) : undefined,
    }
  }
  const text = e instanceof Error ? e.message : String(e)
  return { code: 'bridge_error', message: { 'zh-CN': text, en: text } }
}

export function isAppError(e: unknown): e is AppError {
  return !!e && typeof e === 'object' && 'code' in e && 'message' in e
}

async function call<T>(name: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(name, args)
  } catch (e) {
    throw toAppError(e)
  }
}

/** Drops undefined and empty-string filters so Rust sees only what was chosen. */
function compact<T extends object>(q: T): Partial<T> {
  const out: Partial<T> = {}
  for (const [k, v] of Object.entries(q) as [keyof T, T[keyof T]][]) {
    if (v !== undefined && v !== null && v !== '') out[k] = v
  }
  return out
}

export const api = {
  sessionGet: () => call<Session | null>('session_get'),
  login: (req: LoginRequest) => call<Session>('login', { req }),
  logout: (force: boolean) => call<null>('logout', { force }),

  homeSummary: () => call<HomeSummary>('home_summary'),
  recordsList: (query: ListQuery) => call<Page>('records_list', { query: compact(query) }),
  recordsSearch: (query: SearchQuery) => call<RecordSummary[]>('records_search', { query: compact(query) }),
  recordGet: (id: string) => call<RecordView>('record_get', { id }),
  recordCreate: (draft: RecordDraft | DraftInput) => call<RecordJson>('record_create', { draft }),
  recordUpdate: (id: string, patch: RecordPatch) => call<RecordJson>('record_update', { id, patch }),
  recordDelete: (id: string) => call<null>('record_delete', { id }),
  recordHistory: (id: string) => call<HistoryEntry[]>('record_history', { id }),
  recordValidate: (draft: RecordDraft | DraftInput) => call<FieldError[]>('record_validate', { draft }),

  draftSave: (key: string, value: DraftValue) => call<null>('draft_save', { key, value }),
  draftLoad: (key: string) => call<DraftValue | null>('draft_load', { key }),
  draftClear: (key: string) => call<null>('draft_clear', { key }),

  gridsList: () => call<string[]>('grids_list'),

  syncNow: () => call<null>('sync_now'),
  syncStatus: () => call<SyncStatus>('sync_status'),
  syncLog: () => call<SyncLogEntry[]>('sync_log'),
}

export type Api = typeof api

export function onRecordsChanged(cb: (p: RecordsChangedPayload) => void): Promise<UnlistenFn> {
  return listen<RecordsChangedPayload>('records-changed', (e) => cb(e.payload))
}

export function onSyncStatus(cb: (s: SyncStatus) => void): Promise<UnlistenFn> {
  return listen<SyncStatus>('sync-status', (e) => cb(e.payload))
}

type Position = { coords: { latitude: number; longitude: number; accuracy?: number } }

/**
 * The Tauri geolocation plugin, only when this build has it; null otherwise (no plugin, no
 * permission, no fix). Tries the plugin's JS package first, then its command over the bridge.
 */
export async function currentPosition(): Promise<{ lat: number; lon: number; accuracy_m?: number } | null> {
  const options = { enableHighAccuracy: true, timeout: 10000, maximumAge: 0 }
  let p: Position | null = null
  try {
    const mod = '@tauri-apps/plugin-geolocation'
    const plugin = (await import(/* @vite-ignore */ mod)) as {
      getCurrentPosition: (o?: typeof options) => Promise<Position>
    }
    p = await plugin.getCurrentPosition(options)
  } catch {
    try {
      p = await invoke<Position>('plugin:geolocation|get_current_position', { options })
    } catch {
      p = null
    }
  }
  if (!p || !p.coords || !Number.isFinite(p.coords.latitude) || !Number.isFinite(p.coords.longitude)) return null
  const accuracy = p.coords.accuracy
  return {
    lat: p.coords.latitude,
    lon: p.coords.longitude,
    ...(typeof accuracy === 'number' && Number.isFinite(accuracy) ? { accuracy_m: Math.round(accuracy) } : {}),
  }
}
