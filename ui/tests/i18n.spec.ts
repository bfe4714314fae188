import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as types from '../src/api/types'
import en from '../src/i18n/en'
import zhCN from '../src/i18n/zh-CN'

type Tree = { [k: string]: string | Tree }

function keys(t: Tree, prefix = ''): string[] {
  return Object.entries(t).flatMap(([k, v]) => (typeof v === 'string' ? [`${prefix}${k}`] : keys(v, `${prefix}${k}.`)))
}
function get(t: Tree, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Tree)[k] : undefined), t)
}
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? files(p) : /\.(vue|ts)$/.test(f) ? [p] : []
  })
}

const zhKeys = keys(zhCN as unknown as Tree).sort()
const enKeys = keys(en as unknown as Tree).sort()

describe('i18n messages', () => {
  it('every key exists in both zh-CN and en', () => {
    expect(enKeys.filter((k) => !zhKeys.includes(k))).toEqual([])
    expect(zhKeys.filter((k) => !enKeys.includes(k))).toEqual([])
  })

  it('no message is empty, and placeholders match across languages', () => {
    const ph = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort().join(',')
    for (const k of zhKeys) {
      const z = get(zhCN as unknown as Tree, k) as string
      const e = get(en as unknown as Tree, k) as string
      expect(z.trim(), k).not.toBe('')
      expect(e.trim(), k).not.toBe('')
      expect(ph(e), k).toBe(ph(z))
    }
  })

  it('every enumeration value has a label in both languages', () => {
    const enums: [string, readonly string[]][] = [
      ['kind', types.RECORD_KINDS],
      ['role', types.ROLES],
      ['legal_role', types.LEGAL_ROLES],
      ['subject_kind', types.SUBJECT_KINDS],
      ['format', types.FORMATS],
      ['source', types.SOURCES],
      ['dispute_category', types.DISPUTE_CATEGORIES],
      ['risk_level', types.RISK_LEVELS],
      ['status', types.DISPUTE_STATUSES],
      ['party_role', types.PARTY_ROLES],
      ['sync_state', types.SYNC_STATES],
    ]
    for (const [ns, values] of enums) {
      for (const v of values) {
        expect(zhKeys, `${ns}.${v}`).toContain(`${ns}.${v}`)
        expect(enKeys, `${ns}.${v}`).toContain(`${ns}.${v}`)
      }
    }
  })

  it('uses the glossary Chinese for the record kinds and dispute categories', () => {
    expect(zhCN.kind).toEqual({ patrol_visit: '巡查走访', legal_education: '普法宣传', dispute: '矛盾纠纷' })
    expect(zhCN.dispute_category.property_management).toBe('物业')
    expect(zhCN.dispute_category.traffic).toBe('交通事故')
    expect(zhCN.legal_role).toEqual({ judge: '法官', prosecutor: '检察官', police_officer: '警官', lawyer: '律师' })
  })

  it('every literal key the source passes to t() exists', () => {
    const src = join(__dirname, '..', 'src')
    const used = new Set<string>()
    for (const f of files(src)) {
      const text = readFileSync(f, 'utf8')
      for (const m of text.matchAll(/\bt\(\s*'([a-zA-Z_][\w.]*)'/g)) used.add(m[1] as string)
    }
    expect(used.size).toBeGreaterThan(50)
    const missing = [...used].filter((k) => !zhKeys.includes(k))
    expect(missing).toEqual([])
  })
})
