import { defineStore } from 'pinia'
import { ref } from 'vue'
import { api, onSyncStatus, type AppError, type SyncLogEntry, type SyncStatus, type UnlistenFn } from '../api'

/** Sync status (pushed by the `sync-status` event), the sync log, and "sync now". */
export const useSyncStore = defineStore('sync', () => {
  const status = ref<SyncStatus | null>(null)
  const log = ref<SyncLogEntry[]>([])
  const requesting = ref(false)
  const lastError = ref<AppError | null>(null)
  let unlisten: Promise<UnlistenFn> | null = null

  async function refresh() {
    try {
      status.value = await api.syncStatus()
    } catch (e) {
      lastError.value = e as AppError
    }
  }

  /** Fetches the status once and follows the event stream; idempotent. */
  async function start() {
    if (!unlisten) {
      unlisten = onSyncStatus((s) => {
        status.value = s
      }).catch(() => () => {})
    }
    await refresh()
  }

  async function stop() {
    const u = unlisten
    unlisten = null
    if (u) (await u)()
  }

  async function syncNow(): Promise<boolean> {
    requesting.value = true
    lastError.value = null
    try {
      await api.syncNow()
      return true
    } catch (e) {
      lastError.value = e as AppError
      return false
    } finally {
      requesting.value = false
      await refresh()
    }
  }

  async function loadLog() {
    try {
      log.value = await api.syncLog()
    } catch (e) {
      lastError.value = e as AppError
    }
  }

  function reset() {
    status.value = null
    log.value = []
    lastError.value = null
  }

  return { status, log, requesting, lastError, start, stop, refresh, syncNow, loadLog, reset }
})
