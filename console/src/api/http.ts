// The console's one fetch wrapper. Every request goes through `request`: it sends the session's
// CSRF token as `X-CSRF-Token` on every unsafe method (the cookie itself is HttpOnly and sent by the
// browser), turns a 401 into a call of the unauthorized handler (the router goes to sign-in), and
// turns every error answer into an `ApiError` carrying the server's {code, message, field}.
import type { Localized } from '@shared'

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly messages: Localized
  readonly field?: string

  constructor(status: number, code: string, messages: Localized, field?: string) {
    super(messages.en || code)
    this.status = status
    this.code = code
    this.messages = messages
    this.field = field
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

let csrfToken: string | null = null
let unauthorized: () => void = () => {}

/** The CSRF token of the current session (from sign-in or GET /v1/console/session). */
export function setCsrf(token: string | null) {
  csrfToken = token
}

export function csrf(): string | null {
  return csrfToken
}

/** What to do when the server says the session is gone (401). */
export function onUnauthorized(handler: () => void) {
  unauthorized = handler
}

export type Query = Record<string, string | number | boolean | null | undefined>

export interface RequestOptions {
  query?: Query | URLSearchParams
  body?: unknown
  /** Sent as is (e.g. a GeoJSON file's text) with this content type, instead of JSON. */
  rawBody?: { text: string; type: string }
  /** Do not call the unauthorized handler on 401 (the session probe at start-up). */
  quiet401?: boolean
}

/** Builds `path?query`, leaving out empty values. */
export function withQuery(path: string, query?: Query | URLSearchParams): string {
  if (!query) return path
  const q = query instanceof URLSearchParams ? query : new URLSearchParams()
  if (!(query instanceof URLSearchParams)) {
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined || v === null || v === '') continue
      q.set(k, String(v))
    }
  }
  const s = q.toString()
  return s ? `${path}?${s}` : path
}

const OFFLINE: Localized = { 'zh-CN': '无法连接服务器，请检查网络', en: 'Cannot reach the server; check the network' }

function fallbackMessage(status: number): Localized {
  return { 'zh-CN': `服务器错误（${status}）`, en: `Server error (${status})` }
}

function isLocalized(m: unknown): m is Localized {
  return !!m && typeof m === 'object' && typeof (m as Localized)['zh-CN'] === 'string' && typeof (m as Localized).en === 'string'
}

/** Maps an error answer (any body, possibly not JSON) to an ApiError. */
export async function toApiError(res: Response): Promise<ApiError> {
  let body: unknown = null
  try {
    body = await res.json()
  } catch {
    body = null
  }
  if (body && typeof body === 'object' && typeof (body as { code?: unknown }).code === 'string') {
    const b = body as { code: string; message?: unknown; field?: unknown }
    const message = isLocalized(b.message)
      ? b.message
      : typeof b.message === 'string'
        ? { 'zh-CN': b.message, en: b.message }
        : fallbackMessage(res.status)
    return new ApiError(res.status, b.code, message, typeof b.field === 'string' ? b.field : undefined)
  }
  return new ApiError(res.status, `http_${res.status}`, fallbackMessage(res.status))
}

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' }
  let body: string | undefined
  if (opts.rawBody) {
    headers['Content-Type'] = opts.rawBody.type
    body = opts.rawBody.text
  } else if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(opts.body)
  }
  if (UNSAFE.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken
  let res: Response
  try {
    res = await fetch(withQuery(path, opts.query), { method, headers, body, credentials: 'same-origin' })
  } catch {
    throw new ApiError(0, 'offline', OFFLINE)
  }
  if (!res.ok) {
    const err = await toApiError(res)
    if (res.status === 401 && !opts.quiet401) {
      csrfToken = null
      unauthorized()
    }
    throw err
  }
  if (res.status === 204) return undefined as T
  const text = await res.text()
  return (text ? JSON.parse(text) : undefined) as T
}

export const http = {
  get: <T>(path: string, query?: Query | URLSearchParams, opts: RequestOptions = {}) => request<T>('GET', path, { ...opts, query }),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, { body }),
  put: <T>(path: string, body?: unknown) => request<T>('PUT', path, { body }),
  patch: <T>(path: string, body?: unknown) => request<T>('PATCH', path, { body }),
  delete: <T>(path: string) => request<T>('DELETE', path),
}
