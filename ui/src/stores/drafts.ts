import { defineStore } from 'pinia'
import { api, type DraftValue } from '../api'

export const DRAFT_DELAY_MS = 500

/**
 * Form drafts kept on the Rust side while typing (debounced), so a killed app loses nothing.
 * Keys: `new:<kind>` or `edit:<id>`.
 */
export const useDraftsStore = defineStore('drafts', () => {
  const pending = new Map<string, { timer: ReturnType<typeof setTimeout>; value: DraftValue }>()

  function schedule(key: string, value: DraftValue, delay = DRAFT_DELAY_MS) {
    const prev = pending.get(key)
    if (prev) clearTimeout(prev.timer)
    const timer = setTimeout(() => {
      pending.delete(key)
      void api.draftSave(key, value).catch(() => {})
    }, delay)
    pending.set(key, { timer, value })
  }

  /** Writes a scheduled draft now (e.g. when the form closes). */
  async function flush(key: string) {
    const p = pending.get(key)
    if (!p) return
    clearTimeout(p.timer)
    pending.delete(key)
    await api.draftSave(key, p.value).catch(() => {})
  }

  function cancel(key: string) {
    const p = pending.get(key)
    if (p) clearTimeout(p.timer)
    pending.delete(key)
  }

  async function load(key: string): Promise<DraftValue | null> {
    try {
      return await api.draftLoad(key)
    } catch {
      return null
    }
  }

  /** After a successful save: drop the scheduled write and the stored draft. */
  async function clear(key: string) {
    cancel(key)
    await api.draftClear(key).catch(() => {})
  }

  function hasPending(key: string): boolean {
    return pending.has(key)
  }

  return { schedule, flush, cancel, load, clear, hasPending }
})
