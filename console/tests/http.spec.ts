import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError, onUnauthorized, request, setCsrf, withQuery } from '../src/api/http'

type Call = { url: string; init: RequestInit }
let calls: Call[] = []

function answer(status: number, body?: unknown, raw?: string) {
  const text = raw ?? (body === undefined ? '' : JSON.stringify(body))
  return vi.fn(async (url: string, init: RequestInit) => {
    calls.push({ url, init })
    return new Response(status === 204 ? null : text, { status, headers: { 'Content-Type': 'application/json' } })
  })
}

function headers(i: number): Record<string, string> {
  return calls[i].init.headers as Record<string, string>
}

beforeEach(() => {
  calls = []
  setCsrf(null)
  onUnauthorized(() => {})
})
afterEach(() => vi.unstubAllGlobals())

describe('the fetch wrapper', () => {
  it('sends the CSRF token on every unsafe method and never on GET', async () => {
    vi.stubGlobal('fetch', answer(200, { ok: true }))
    setCsrf('tok-123')
    for (const m of ['POST', 'PUT', 'PATCH', 'DELETE']) await request(m, '/v1/console/x', { body: {} })
    await request('GET', '/v1/console/x')
    expect(calls.slice(0, 4).map((_, i) => headers(i)['X-CSRF-Token'])).toEqual(['tok-123', 'tok-123', 'tok-123', 'tok-123'])
    expect(headers(4)['X-CSRF-Token']).toBeUndefined()
    expect(calls[0].init.credentials).toBe('same-origin')
  })

  it('sends a JSON body with its content type and parses the JSON answer', async () => {
    vi.stubGlobal('fetch', answer(200, { id: 'a' }))
    const got = await request<{ id: string }>('POST', '/v1/console/intake', { body: { summary: '漏水' } })
    expect(got).toEqual({ id: 'a' })
    expect(headers(0)['Content-Type']).toBe('application/json')
    expect(calls[0].init.body).toBe('{"summary":"漏水"}')
  })

  it('answers undefined for 204', async () => {
    vi.stubGlobal('fetch', answer(204))
    await expect(request('DELETE', '/v1/console/session')).resolves.toBeUndefined()
  })

  it('calls the unauthorized handler on 401, forgets the token, and still rejects', async () => {
    vi.stubGlobal('fetch', answer(401, { code: 'unauthorized', message: { 'zh-CN': '请重新登录', en: 'Sign in again' } }))
    const handler = vi.fn()
    onUnauthorized(handler)
    setCsrf('tok')
    await expect(request('GET', '/v1/console/cases')).rejects.toMatchObject({ status: 401, code: 'unauthorized' })
    expect(handler).toHaveBeenCalledTimes(1)
    vi.stubGlobal('fetch', answer(200, {}))
    await request('POST', '/v1/console/x', { body: {} })
    expect(headers(1)['X-CSRF-Token']).toBeUndefined()
  })

  it('does not call the handler for a quiet 401 (the session probe)', async () => {
    vi.stubGlobal('fetch', answer(401, { code: 'unauthorized', message: { 'zh-CN': '未登录', en: 'Not signed in' } }))
    const handler = vi.fn()
    onUnauthorized(handler)
    await expect(request('GET', '/v1/console/session', { quiet401: true })).rejects.toBeInstanceOf(ApiError)
    expect(handler).not.toHaveBeenCalled()
  })

  it('maps a typed error body to code, both messages and the field', async () => {
    const body = { code: 'invalid_field', message: { 'zh-CN': '网格不在您的管辖范围内', en: 'The grid is outside your areas' }, field: 'grid_id' }
    vi.stubGlobal('fetch', answer(422, body))
    const err = (await request('POST', '/v1/console/intake', { body: {} }).catch((e) => e)) as ApiError
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(422)
    expect(err.code).toBe('invalid_field')
    expect(err.messages['zh-CN']).toBe('网格不在您的管辖范围内')
    expect(err.messages.en).toBe('The grid is outside your areas')
    expect(err.field).toBe('grid_id')
  })

  it('maps console_role_refused (403) without calling the 401 handler', async () => {
    const handler = vi.fn()
    onUnauthorized(handler)
    vi.stubGlobal('fetch', answer(403, { code: 'console_role_refused', message: { 'zh-CN': '控制台仅供指挥中心调度员和管理员使用', en: 'The console is for command-centre dispatchers and administrators' } }))
    const err = (await request('POST', '/v1/console/session', { body: {} }).catch((e) => e)) as ApiError
    expect(err.code).toBe('console_role_refused')
    expect(err.status).toBe(403)
    expect(handler).not.toHaveBeenCalled()
  })

  it('maps a body that is not JSON to http_<status>', async () => {
    vi.stubGlobal('fetch', answer(502, undefined, '<html>bad gateway</html>'))
    const err = (await request('GET', '/v1/console/stats').catch((e) => e)) as ApiError
    expect(err.code).toBe('http_502')
    expect(err.messages['zh-CN']).toContain('502')
    expect(err.field).toBeUndefined()
  })

  it('maps a network failure to offline', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => { throw new TypeError('Failed to fetch') }))
    const err = (await request('GET', '/v1/console/cases').catch((e) => e)) as ApiError
    expect(err.code).toBe('offline')
    expect(err.status).toBe(0)
  })

  it('builds query strings leaving out empty values', () => {
    expect(withQuery('/p', { a: 'x', b: '', c: undefined, d: null, e: 0, f: false })).toBe('/p?a=x&e=0&f=false')
    expect(withQuery('/p', {})).toBe('/p')
  })
})
