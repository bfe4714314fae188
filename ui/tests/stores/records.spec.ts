import { beforeEach, describe, expect, it } from 'vitest'
import type { RecordSummary } from '../../src/api/types'
import { PAGE_SIZE, useRecordListStore } from '../../src/stores/records'
import { freshPinia, settle } from '../helpers'
import { callsOf, emit, listenerCount, on, resetTauri } from '../tauri'

function summary(n: number, over: Partial<RecordSummary> = {}): RecordSummary {
  return {
    id: `0190f000-0000-7000-8000-${String(n).padStart(12, '0')}`,
    kind: 'dispute',
    grid_id: 'jingkou-zhengdonglu-03',
    status: 'reported',
    risk_level: 'medium',
    occurred_at: '2026-11-28T02:15:00.000Z',
    updated_at: '2026-11-28T02:15:00.000Z',
    title: `纠纷 ${n}`,
    sync_state: 'pending',
    deleted: false,
    quarantined: false,
    ...over,
  }
}

/** 45 records newest first; the cursor is the offset. */
function fakeStore(total = 45) {
  let rows = Array.from({ length: total }, (_, i) => summary(total - i))
  on('records_list', (a: Record<string, unknown>) => {
    const q = a.query as { limit?: number; cursor?: string }
    const start = q.cursor ? Number(q.cursor) : 0
    const limit = q.limit ?? 30
    const items = rows.slice(start, start + limit)
    const next = start + limit < rows.length ? String(start + limit) : null
    return { items, next_cursor: next }
  })
  return {
    set(r: RecordSummary[]) {
      rows = r
    },
    get rows() {
      return rows
    },
  }
}

describe('record list store', () => {
  beforeEach(() => {
    resetTauri()
    freshPinia()
  })

  it('pages with next_cursor until finished', async () => {
    fakeStore(45)
    const s = useRecordListStore('dispute')
    await s.loadMore()
    expect(s.items).toHaveLength(PAGE_SIZE)
    expect(s.finished).toBe(false)
    await s.loadMore()
    await s.loadMore()
    expect(s.items).toHaveLength(45)
    expect(s.finished).toBe(true)
    await s.loadMore()
    const queries = callsOf('records_list').map((a) => a.query)
    expect(queries).toEqual([
      { kind: 'dispute', limit: PAGE_SIZE },
      { kind: 'dispute', limit: PAGE_SIZE, cursor: '20' },
      { kind: 'dispute', limit: PAGE_SIZE, cursor: '40' },
    ])
    // newest first, as Rust returns them
    expect(s.items[0]?.title).toBe('纠纷 45')
  })

  it('one store per kind', () => {
    expect(useRecordListStore('dispute')).toBe(useRecordListStore('dispute'))
    expect(useRecordListStore('dispute')).not.toBe(useRecordListStore('patrol_visit'))
  })

  it('sends filters and reloads from the first page', async () => {
    fakeStore(45)
    const s = useRecordListStore('dispute')
    await s.loadMore()
    await s.loadMore()
    await s.setFilters({ grid_id: 'jingkou-zhengdonglu-03', status: 'reported', risk_level: undefined, from: '2026-11-01', to: '' })
    expect(s.items).toHaveLength(PAGE_SIZE)
    expect(callsOf('records_list').at(-1)?.query).toEqual({
      kind: 'dispute',
      grid_id: 'jingkou-zhengdonglu-03',
      status: 'reported',
      from: '2026-11-01',
      limit: PAGE_SIZE,
    })
  })

  it('refreshes what is shown on records-changed, keeping the loaded count', async () => {
    const db = fakeStore(45)
    const s = useRecordListStore('dispute')
    s.bind()
    s.bind() // idempotent
    await settle()
    expect(listenerCount('records-changed')).toBe(1)
    await s.loadMore()
    await s.loadMore()
    expect(s.items).toHaveLength(40)
    db.set([summary(46, { title: '新纠纷', sync_state: 'local_only' }), ...db.rows])
    emit('records-changed', { ids: [summary(46).id] })
    await settle()
    expect(callsOf('records_list').at(-1)?.query).toEqual({ kind: 'dispute', limit: 40 })
    expect(s.items).toHaveLength(40)
    expect(s.items[0]?.title).toBe('新纠纷')
    expect(s.finished).toBe(false)
    await s.unbind()
    expect(listenerCount('records-changed')).toBe(0)
  })

  it('drops a page that arrives after a reload', async () => {
    let release: (() => void) | null = null
    let first = true
    on('records_list', async () => {
      if (first) {
        first = false
        await new Promise<void>((r) => (release = r))
        return { items: [summary(1, { title: 'stale' })], next_cursor: null }
      }
      return { items: [summary(2, { title: 'fresh' })], next_cursor: null }
    })
    const s = useRecordListStore('dispute')
    const slow = s.loadMore()
    await settle()
    await s.reload()
    release!()
    await slow
    expect(s.items.map((i) => i.title)).toEqual(['fresh'])
  })

  it('searches in Chinese full text and leaves search on blank text', async () => {
    fakeStore(3)
    on('records_search', [summary(2, { title: '漏水纠纷' })])
    const s = useRecordListStore('dispute')
    await s.search('漏水')
    expect(callsOf('records_search')).toEqual([{ query: { text: '漏水', kind: 'dispute', limit: 50 } }])
    expect(s.searchResults?.map((r) => r.title)).toEqual(['漏水纠纷'])
    await s.search('  ')
    expect(s.searchResults).toBeNull()
  })

  it('pull-to-refresh starts a sync, then reloads even when offline', async () => {
    fakeStore(5)
    on('sync_now', () => {
      throw { code: 'offline', message: { 'zh-CN': '离线', en: 'offline' } }
    })
    const s = useRecordListStore('dispute')
    await s.syncAndReload()
    expect(callsOf('sync_now')).toHaveLength(1)
    expect(s.items).toHaveLength(5)
    expect(s.finished).toBe(true)
  })

  it('keeps the error of a failed page for van-list to show', async () => {
    on('records_list', () => {
      throw { code: 'storage_error', message: { 'zh-CN': '本机存储出错', en: 'storage error' } }
    })
    const s = useRecordListStore('dispute')
    await s.loadMore()
    expect(s.error?.code).toBe('storage_error')
    expect(s.loading).toBe(false)
  })
})
