// Times: stored as RFC 3339, shown in China time (Asia/Shanghai, UTC+8, no DST).
import { currentLocale } from '../i18n'

const TZ = 'Asia/Shanghai'
const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000

const formatters = new Map<string, Intl.DateTimeFormat>()
function formatter(kind: 'datetime' | 'date'): Intl.DateTimeFormat {
  const locale = currentLocale() === 'en' ? 'en-GB' : 'zh-CN'
  const key = `${locale}|${kind}`
  let f = formatters.get(key)
  if (!f) {
    f = new Intl.DateTimeFormat(locale, {
      timeZone: TZ,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      ...(kind === 'datetime' ? { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' as const } : {}),
    })
    formatters.set(key, f)
  }
  return f
}

function toDate(t: string | number | Date | null | undefined): Date | null {
  if (t === null || t === undefined || t === '') return null
  const d = t instanceof Date ? t : new Date(t)
  return Number.isNaN(d.getTime()) ? null : d
}

/** `2026-11-28 09:30` style, in China time. */
export function formatDateTime(t: string | number | Date | null | undefined): string {
  const d = toDate(t)
  return d ? formatter('datetime').format(d) : ''
}

export function formatDate(t: string | number | Date | null | undefined): string {
  const d = toDate(t)
  return d ? formatter('date').format(d) : ''
}

export interface WallClock {
  year: number
  month: number // 1-12
  day: number
  hour: number
  minute: number
}

/** The China wall-clock time of an instant. */
export function shanghaiParts(t: string | number | Date): WallClock {
  const d = toDate(t) ?? new Date()
  const s = new Date(d.getTime() + SHANGHAI_OFFSET_MS)
  return {
    year: s.getUTCFullYear(),
    month: s.getUTCMonth() + 1,
    day: s.getUTCDate(),
    hour: s.getUTCHours(),
    minute: s.getUTCMinutes(),
  }
}

const p2 = (n: number) => String(n).padStart(2, '0')

/** RFC 3339 with the +08:00 offset, e.g. `2026-11-28T09:30:00+08:00`. */
export function fromShanghaiParts(w: WallClock): string {
  return `${w.year}-${p2(w.month)}-${p2(w.day)}T${p2(w.hour)}:${p2(w.minute)}:00+08:00`
}

export function nowRfc3339(): string {
  return fromShanghaiParts(shanghaiParts(new Date()))
}

/** `YYYY-MM-DD` in China time. */
export function shanghaiDay(t: string | number | Date): string {
  const w = shanghaiParts(t)
  return `${w.year}-${p2(w.month)}-${p2(w.day)}`
}
