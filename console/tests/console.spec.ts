import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { asList, consoleApi } from '../src/api/console'
import { setCsrf } from '../src/api/http'

let calls: { url: string; method: string; body?: string; csrf?: string }[] = []

beforeEach(() => {
  calls = []
  setCsrf('t0k')
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit) => {
      const h = init.headers as Record<string, string>
      calls.push({ url, method: String(init.method), body: init.body as string | undefined, csrf: h['X-CSRF-Token'] })
      return new Response('{}', { status: 200 })
    }),
  )
})
afterEach(() => vi.unstubAllGlobals())

describe('the console endpoints', () => {
  it('call the contract paths with the CSRF header on writes', async () => {
    await consoleApi.act('a/b', { action: 'assign', details: { assignee_user: 'li.na' } })
    await consoleApi.reveal('id1', 0, 'phone')
    await consoleApi.cases({ status: 'reported', page: 2 })
    await consoleApi.patchCase('id1', { risk_level: 'high' })
    await consoleApi.admin.putBoundary('g-03', { type: 'FeatureCollection', features: [] })
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      'POST /v1/console/cases/a%2Fb/actions',
      'POST /v1/console/cases/id1/reveal',
      'GET /v1/console/cases?status=reported&page=2',
      'PATCH /v1/console/cases/id1',
      'PUT /v1/console/admin/areas/g-03/boundary',
    ])
    expect(calls.map((c) => c.csrf)).toEqual(['t0k', 't0k', undefined, 't0k', 't0k'])
    expect(JSON.parse(calls[0].body!)).toEqual({ action: 'assign', details: { assignee_user: 'li.na' } })
    expect(JSON.parse(calls[1].body!)).toEqual({ party_index: 0, field: 'phone' })
  })

  it('read list answers given as arrays or as {items}', () => {
    expect(asList([1, 2])).toEqual([1, 2])
    expect(asList({ items: [3], total: 1 })).toEqual([3])
    expect(asList(null)).toEqual([])
  })
})
