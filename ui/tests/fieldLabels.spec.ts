import { describe, expect, it } from 'vitest'
import en from '../src/i18n/en'
import zhCN from '../src/i18n/zh-CN'
import { fieldPathLabel, fieldValueLabel, historyFieldLabels } from '../src/utils/fieldLabels'

type Tree = { [k: string]: string | Tree }

/** `t` and `te` over one language's messages, as vue-i18n resolves dotted keys. */
function lang(messages: unknown) {
  const get = (key: string) =>
    key.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Tree)[k] : undefined), messages)
  return { t: (k: string) => String(get(k) ?? k), has: (k: string) => typeof get(k) === 'string' }
}

describe('history field labels', () => {
  const zh = lang(zhCN)
  const english = lang(en)

  it('names top-level, nested and listed fields in the user language', () => {
    expect(fieldPathLabel('risk_level', zh.t, zh.has)).toBe('风险等级')
    expect(fieldPathLabel('location.lat', zh.t, zh.has)).toBe('位置 · 纬度')
    expect(fieldPathLabel('parties[0].phone', zh.t, zh.has)).toBe('当事人 1 · 手机号')
    expect(fieldPathLabel('parties.1.id_number', zh.t, zh.has)).toBe('当事人 2 · 身份证号')
    expect(fieldPathLabel('hazards[2]', zh.t, zh.has)).toBe('发现隐患 3')
    expect(fieldPathLabel('risk_level', english.t, english.has)).toBe(english.t('field.risk_level'))
    expect(fieldPathLabel('risk_level', english.t, english.has)).not.toBe('risk_level')
  })

  it('keeps a name it has no label for (a newer app version\'s field) as it is', () => {
    expect(fieldPathLabel('noise_level', zh.t, zh.has)).toBe('noise_level')
    expect(fieldPathLabel('parties[0].wechat', zh.t, zh.has)).toBe('当事人 1 · wechat')
  })

  it('leaves out the update time beside real edits, and names each field once', () => {
    expect(historyFieldLabels(['parties[0].phone', 'parties[0].phone', 'updated_at'], zh.t, zh.has)).toEqual([
      '当事人 1 · 手机号',
    ])
    expect(historyFieldLabels(['updated_at'], zh.t, zh.has)).toEqual(['更新时间'])
    expect(historyFieldLabels([], zh.t, zh.has)).toEqual([])
  })

  it('shows a conflicting choice by its label, other values as they are', () => {
    expect(fieldValueLabel('risk_level', 'high', zh.t, zh.has)).toBe('高')
    expect(fieldValueLabel('status', 'accepted', zh.t, zh.has)).toBe('受理')
    expect(fieldValueLabel('risk_level', 'extreme', zh.t, zh.has)).toBe('extreme')
    expect(fieldValueLabel('summary', '楼上漏水', zh.t, zh.has)).toBe('楼上漏水')
    expect(fieldValueLabel('location', { lat: 32.2, lon: 119.45 }, zh.t, zh.has)).toBe('{"lat":32.2,"lon":119.45}')
  })
})
