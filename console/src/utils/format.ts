// Display formatting. Every time is shown in Asia/Shanghai whatever the browser's zone (the
// command centre and its exports speak Beijing time); rates are fractions 0..1 shown as percent.

export const TIME_ZONE = 'Asia/Shanghai'
const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000 // no daylight saving in China

function toMs(t: number | string | Date | null | undefined): number | null {
  if (t === null || t === undefined || t === '') return null
  const ms = t instanceof Date ? t.getTime() : typeof t === 'number' ? t : Date.parse(t)
  return Number.isFinite(ms) ? ms : null
}

function parts(ms: number) {
  const d = new Date(ms + SHANGHAI_OFFSET_MS)
  const p = (n: number) => String(n).padStart(2, '0')
  return {
    date: `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}`,
    time: `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`,
  }
}

/** `2026-12-04 09:45` in Beijing time; '' for no time. */
export function formatDateTime(t: number | string | Date | null | undefined): string {
  const ms = toMs(t)
  if (ms === null) return ''
  const { date, time } = parts(ms)
  return `${date} ${time}`
}

/** `2026-12-04` in Beijing time. */
export function formatDate(t: number | string | Date | null | undefined): string {
  const ms = toMs(t)
  return ms === null ? '' : parts(ms).date
}

/** The UTC ms of 00:00 Beijing time of a `YYYY-MM-DD` day (what a date picker gives). */
export function shanghaiDayStart(day: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day)
  if (!m) return undefined
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) - SHANGHAI_OFFSET_MS
}

/** The last ms of a `YYYY-MM-DD` day in Beijing time. */
export function shanghaiDayEnd(day: string): number | undefined {
  const s = shanghaiDayStart(day)
  return s === undefined ? undefined : s + 24 * 3600 * 1000 - 1
}

/** A `YYYY-MM-DD HH:mm` Beijing wall time (a datetime picker's value) as RFC 3339 with +08:00. */
export function shanghaiWallToRfc3339(wall: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})(?::(\d{2}))?$/.exec(wall)
  if (!m) return undefined
  return `${m[1]}T${m[2]}:${m[3] ?? '00'}+08:00`
}

/** A fraction 0..1 as `87.5%`; '—' when there is nothing to divide. */
export function formatRate(r: number | null | undefined): string {
  if (r === null || r === undefined || !Number.isFinite(r)) return '—'
  const pct = Math.round(r * 1000) / 10
  return `${pct}%`
}

/** True for a value the server masked (e.g. `张*`, `138****5678`, `3201**********1234`). */
export function isMasked(v: string | null | undefined): boolean {
  return typeof v === 'string' && v.includes('*')
}

/**
 * Masks a personal value the way the server does for lists shown here before any answer
 * (names: first character; phones: first 3 and last 4; ID numbers: first 4 and last 4).
 */
export function maskValue(field: 'name' | 'phone' | 'id_number', v: string | null | undefined): string {
  if (!v) return ''
  const chars = [...v]
  if (field === 'name') return chars.length <= 1 ? '*' : chars[0] + '*'.repeat(chars.length - 1)
  const keepHead = field === 'phone' ? 3 : 4
  if (chars.length <= keepHead + 4) return '*'.repeat(chars.length)
  return chars.slice(0, keepHead).join('') + '*'.repeat(chars.length - keepHead - 4) + chars.slice(-4).join('')
}

/** A fresh request id (idempotency key of a form's submission). */
export function newRequestId(): string {
  if (globalThis.crypto?.randomUUID) return globalThis.crypto.randomUUID()
  const b = new Uint8Array(16)
  globalThis.crypto.getRandomValues(b)
  b[6] = (b[6] & 0x0f) | 0x40
  b[8] = (b[8] & 0x3f) | 0x80
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/** Area id → name, from the areas tree of `GET /v1/console/areas` (every level). */
export function areaNames(tree: { id: string; name: string; children?: unknown[] }[] | undefined): Map<string, string> {
  const out = new Map<string, string>()
  const walk = (nodes: { id: string; name: string; children?: unknown[] }[]) => {
    for (const n of nodes) {
      out.set(n.id, n.name)
      if (n.children?.length) walk(n.children as { id: string; name: string; children?: unknown[] }[])
    }
  }
  walk(tree ?? [])
  return out
}
