// The only module that talks to Rust. The typed wrapper of every command is generated from the
// Rust command table (bindings.ts); the rest of the app never imports @tauri-apps/api.
import { invoke } from '@tauri-apps/api/core'
import { listen, type UnlistenFn } from '@tauri-apps/api/event'
import { makeCommands } from './bindings'
import type { AppError, FieldError, RecordsChangedPayload, SyncStatus } from './types'

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

/** One typed wrapper per command of the generated contract (bindings.ts). */
export const api = makeCommands(call)

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
