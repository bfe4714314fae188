import { describe, expect, it } from 'vitest'
import { ENUM_LABELS } from '@shared'
import zhCN from '../src/i18n/zh-CN'
import en from '../src/i18n/en'
import { messages } from '../src/i18n'

function keys(o: unknown, prefix = ''): string[] {
  if (typeof o !== 'object' || o === null) return [prefix]
  return Object.entries(o).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k)).sort()
}

describe('console texts', () => {
  it('have the same keys in zh-CN and en', () => {
    expect(keys(en)).toEqual(keys(zhCN))
  })

  it('have no empty text', () => {
    for (const m of [zhCN, en]) {
      const flat = keys(m)
      for (const k of flat) {
        const v = k.split('.').reduce<unknown>((o, p) => (o as Record<string, unknown>)[p], m)
        expect(typeof v === 'string' && v.trim() !== '', k).toBe(true)
      }
    }
  })

  it('do not shadow the enumeration labels shared from Rust', () => {
    const own = new Set(Object.keys(zhCN))
    for (const ns of Object.keys(ENUM_LABELS['zh-CN'])) expect(own.has(ns), ns).toBe(false)
    expect((messages['zh-CN'] as unknown as { status: Record<string, string> }).status.reported).toBe(ENUM_LABELS['zh-CN'].status.reported)
    expect((messages.en as unknown as { status: Record<string, string> }).status.reported).toBe(ENUM_LABELS.en.status.reported)
  })
})
