import { beforeEach, describe, expect, it } from 'vitest'
import { useSyncStore } from '../../src/stores/sync'
import { freshPinia, settle } from '../helpers'
import { callsOf, emit, on, resetTauri } from '../tauri'

describe('sync store', () => {
  beforeEach(() => {
    resetTauri()
    freshPinia()
  })

  it('fetches the status and follows sync-status events', async () => {
    on('sync_status', { state: 'offline', pending: 3, last_success_ms: null })
    const s = useSyncStore()
    await s.start()
    await s.start()
    expect(s.status).toEqual({ state: 'offline', pending: 3, last_success_ms: null })
    emit('sync-status', { state: 'syncing', done: 1, total: 3, pulled: 0 })
    expect(s.status).toEqual({ state: 'syncing', done: 1, total: 3, pulled: 0 })
    emit('sync-status', { state: 'up_to_date', at_ms: 1764296100000, rejected: 0 })
    expect(s.status?.state).toBe('up_to_date')
    await s.stop()
    emit('sync-status', { state: 'offline', pending: 9 })
    expect(s.status?.state).toBe('up_to_date')
  })

  it('sync now calls sync_now and re-reads the status; failures are kept', async () => {
    let n = 0
    on('sync_status', () => (n++ === 0 ? { state: 'offline', pending: 1 } : { state: 'up_to_date', at_ms: 1, rejected: 0 }))
    on('sync_now', null)
    const s = useSyncStore()
    expect(await s.syncNow()).toBe(true)
    expect(callsOf('sync_now')).toHaveLength(1)
    expect(s.status?.state).toBe('offline')
    on('sync_now', () => {
      throw { code: 'offline', message: { 'zh-CN': '离线', en: 'offline' } }
    })
    expect(await s.syncNow()).toBe(false)
    expect(s.lastError?.code).toBe('offline')
    expect(s.requesting).toBe(false)
    await settle()
  })

  it('loads the sync log', async () => {
    const log = [{ at: '2026-11-28T02:00:00.000Z', ok: true, pushed: 2, pulled: 1, rejected: 0, error: null }]
    on('sync_log', log)
    const s = useSyncStore()
    await s.loadLog()
    expect(s.log).toEqual(log)
  })
})
