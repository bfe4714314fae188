// The UI keeps no business rule of its own: enumerations, their labels, text limits and locked
// fields come from the Rust definitions through the generated api/bindings.ts. These tests check
// that the forms and the i18n messages use those values, not copies.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  DISPUTE_CATEGORIES,
  DISPUTE_STATUSES,
  ENUM_LABELS,
  FORMATS,
  ID_NUMBER_INPUT_MAX_CHARS,
  IMMUTABLE_FIELDS,
  LEGAL_ROLES,
  PARTY_ROLES,
  PHONE_INPUT_MAX_CHARS,
  RECORD_KINDS,
  RISK_LEVELS,
  ROLES,
  SOURCES,
  SUBJECT_KINDS,
  TEXT_RULES,
} from '../src/api/types'
import DisputeForm from '../src/components/forms/DisputeForm.vue'
import LegalEducationForm from '../src/components/forms/LegalEducationForm.vue'
import PatrolVisitForm from '../src/components/forms/PatrolVisitForm.vue'
import { i18n } from '../src/i18n'
import { isImmutable, maxChars } from '../src/records/rules'
import { byTestId, click, mountApp, settle } from './helpers'
import { on, resetTauri } from './tauri'

const enums: [string, readonly string[]][] = [
  ['kind', RECORD_KINDS],
  ['role', ROLES],
  ['legal_role', LEGAL_ROLES],
  ['subject_kind', SUBJECT_KINDS],
  ['format', FORMATS],
  ['source', SOURCES],
  ['dispute_category', DISPUTE_CATEGORIES],
  ['risk_level', RISK_LEVELS],
  ['status', DISPUTE_STATUSES],
  ['party_role', PARTY_ROLES],
]

describe('the generated contract', () => {
  it('labels every value of every enumeration in both languages, as the i18n messages show them', () => {
    for (const locale of ['zh-CN', 'en'] as const) {
      const messages = i18n.global.getLocaleMessage(locale) as Record<string, Record<string, string>>
      for (const [ns, values] of enums) {
        const labels = ENUM_LABELS[locale][ns as keyof (typeof ENUM_LABELS)['en']] as Record<string, string>
        expect(Object.keys(labels).sort(), `${locale} ${ns}`).toEqual([...values].sort())
        for (const v of values) {
          expect(labels[v], `${locale} ${ns}.${v}`).toMatch(/\S/)
          expect(messages[ns]?.[v], `${locale} ${ns}.${v}`).toBe(labels[v])
        }
      }
    }
  })

  it('has a text rule for every free-text field the forms show, and the grid is locked once created', () => {
    expect(maxChars('dispute', 'summary')).toBe(TEXT_RULES.dispute.summary.max_chars)
    expect(TEXT_RULES.dispute['parties[].name'].max_chars).toBeLessThan(TEXT_RULES.dispute.summary.max_chars)
    expect(() => maxChars('dispute', 'no_such_field')).toThrow()
    expect(IMMUTABLE_FIELDS).toContain('grid_id')
    expect(isImmutable('grid_id')).toBe(true)
    expect(isImmutable('summary')).toBe(false)
  })
})

describe('forms take their limits from the contract', () => {
  beforeEach(() => {
    resetTauri()
    document.body.innerHTML = ''
    on('grids_list', ['jingkou-zhengdonglu-03'])
    on('draft_load', null)
    on('draft_save', null)
    on('record_validate', [])
  })
  afterEach(() => {
    document.body.innerHTML = ''
  })

  /** How many characters the input keeps when a user types far more than any limit. */
  async function maxlength(path: string): Promise<number> {
    const el = byTestId(`field-${path}`)?.querySelector('input:not([type="hidden"]), textarea') as HTMLInputElement | null
    if (!el) throw new Error(`no input for ${path}`)
    el.value = '字'.repeat(6000)
    el.dispatchEvent(new Event('input', { bubbles: true }))
    await settle()
    return el.value.length
  }

  it('dispute: summary, address, and a party name, phone and ID number', async () => {
    const w = mountApp(DisputeForm)
    await settle()
    expect(await maxlength('summary')).toBe(TEXT_RULES.dispute.summary.max_chars)
    expect(await maxlength('address')).toBe(TEXT_RULES.dispute.address.max_chars)
    click(byTestId('add-party'))
    await settle()
    expect(await maxlength('parties.0.name')).toBe(TEXT_RULES.dispute['parties[].name'].max_chars)
    expect(await maxlength('parties.0.phone')).toBe(PHONE_INPUT_MAX_CHARS)
    expect(await maxlength('parties.0.id_number')).toBe(ID_NUMBER_INPUT_MAX_CHARS)
    w.unmount()
  })

  it('patrol visit: findings, subject name, address', async () => {
    const w = mountApp(PatrolVisitForm)
    await settle()
    expect(await maxlength('findings')).toBe(TEXT_RULES.patrol_visit.findings.max_chars)
    expect(await maxlength('subject_name')).toBe(TEXT_RULES.patrol_visit.subject_name.max_chars)
    expect(await maxlength('address')).toBe(TEXT_RULES.patrol_visit.address.max_chars)
    w.unmount()
  })

  it('legal education: topic, notes', async () => {
    const w = mountApp(LegalEducationForm)
    await settle()
    expect(await maxlength('topic')).toBe(TEXT_RULES.legal_education.topic.max_chars)
    expect(await maxlength('notes')).toBe(TEXT_RULES.legal_education.notes.max_chars)
    w.unmount()
  })
})
