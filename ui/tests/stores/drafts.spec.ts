import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { DRAFT_DELAY_MS, useDraftsStore } from '../../src/stores/drafts'
import { freshPinia } from '../helpers'
import { callsOf, on, resetTauri } from '../tauri'

describe('drafts store', () => {
  beforeEach(() => {
    resetTauri()
    freshPinia()
    vi.useFakeTimers()
    on('draft_save', null)
    on('draft_clear', null)
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('saves once, ~500 ms after the last change', async () => {
    const d = useDraftsStore()
    d.schedule('new:dispute', { form: { summary: '楼' } })
    await vi.advanceTimersByTimeAsync(DRAFT_DELAY_MS - 100)
    d.schedule('new:dispute', { form: { summary: '楼上漏水' } })
    await vi.advanceTimersByTimeAsync(DRAFT_DELAY_MS - 100)
    expect(callsOf('draft_save')).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(200)
    expect(callsOf('draft_save')).toEqual([{ key: 'new:dispute', value: { form: { summary: '楼上漏水' } } }])
  })

  it('keys are independent', async () => {
    const d = useDraftsStore()
    d.schedule('new:dispute', { a: 1 })
    d.schedule('edit:abc', { b: 2 })
    await vi.advanceTimersByTimeAsync(DRAFT_DELAY_MS)
    expect(callsOf('draft_save').map((c) => c.key).sort()).toEqual(['edit:abc', 'new:dispute'])
  })

  it('flush writes now; clear cancels the pending write and clears the stored one', async () => {
    const d = useDraftsStore()
    d.schedule('new:patrol_visit', { x: 1 })
    await d.flush('new:patrol_visit')
    expect(callsOf('draft_save')).toHaveLength(1)
    d.schedule('new:patrol_visit', { x: 2 })
    expect(d.hasPending('new:patrol_visit')).toBe(true)
    await d.clear('new:patrol_visit')
    await vi.advanceTimersByTimeAsync(DRAFT_DELAY_MS * 2)
    expect(callsOf('draft_save')).toHaveLength(1)
    expect(callsOf('draft_clear')).toEqual([{ key: 'new:patrol_visit' }])
  })

  it('loads a draft, or null when the bridge fails', async () => {
    on('draft_load', (a: Record<string, unknown>) => (a.key === 'new:dispute' ? { form: { summary: 's' } } : null))
    const d = useDraftsStore()
    expect(await d.load('new:dispute')).toEqual({ form: { summary: 's' } })
    expect(await d.load('new:legal_education')).toBeNull()
    on('draft_load', () => {
      throw { code: 'storage_error', message: { 'zh-CN': 'x', en: 'x' } }
    })
    expect(await d.load('new:dispute')).toBeNull()
  })
})
