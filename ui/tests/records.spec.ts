import { describe, expect, it } from 'vitest'
import { disputeSpec, legalEducationSpec, mergePatch, patrolVisitSpec } from '../src/records'
import type { RecordJson } from '../src/api/types'
import { errorTestId, fieldTestId, normalizePath, topKey } from '../src/utils/paths'
import { formatDateTime, fromShanghaiParts, shanghaiDay, shanghaiParts } from '../src/utils/time'
import { setLocale } from '../src/i18n'

const meta = {
  id: '0190f000-0000-7000-8000-000000000009',
  schema_version: 1,
  created_by: 'wang.fang',
  created_at: '2026-11-28T01:30:00.000Z',
  updated_at: '2026-11-28T01:30:00.000Z',
  deleted_at: null,
}

describe('form <-> record JSON', () => {
  it('a stored patrol visit round-trips to the same draft (no spurious patch)', () => {
    const r = {
      ...meta,
      kind: 'patrol_visit',
      grid_id: 'jingkou-zhengdonglu-03',
      visited_at: '2026-11-28T01:30:00.000Z',
      location: { lat: 32.2041, lon: 119.4552, accuracy_m: 12 },
      address: '正东路菜场东门',
      subject_kind: 'place',
      subject_name: '正东路菜场',
      findings: '楼道内堆放大量纸箱。',
      hazards: ['消防通道堵塞'],
      follow_up_needed: true,
      follow_up_due_at: '2026-12-05T01:00:00.000Z',
      volunteers: [{ name: '李娜', legal_role: 'lawyer' }],
      dispute_ids: [],
    } as unknown as RecordJson
    const before = patrolVisitSpec.toDraft(patrolVisitSpec.fromRecord(r))
    expect(before).toMatchObject({ location: { lat: 32.2041, lon: 119.4552, accuracy_m: 12 }, follow_up_due_at: '2026-12-05T01:00:00.000Z' })
    expect(mergePatch(before, patrolVisitSpec.toDraft(patrolVisitSpec.fromRecord(r)))).toEqual({})
    const f = patrolVisitSpec.fromRecord(r)
    f.follow_up_needed = false
    expect(mergePatch(before, patrolVisitSpec.toDraft(f))).toEqual({ follow_up_needed: false, follow_up_due_at: null })
  })

  it('an empty form sends only what it has, so Rust reports what is required', () => {
    const d = legalEducationSpec.toDraft(legalEducationSpec.empty())
    expect(Object.keys(d).sort()).toEqual(['audience_count', 'held_at', 'kind', 'materials', 'speakers'])
    const dd = disputeSpec.toDraft(disputeSpec.empty())
    expect(dd).not.toHaveProperty('status')
    expect(dd).not.toHaveProperty('summary')
  })

  it('a half-typed location is sent as typed', () => {
    const f = patrolVisitSpec.empty()
    f.location = { lat: 32.2, lon: null }
    expect(patrolVisitSpec.toDraft(f).location).toEqual({ lat: 32.2, lon: null })
  })

  it('merge patches never touch fixed fields', () => {
    expect(mergePatch({ kind: 'dispute', grid_id: 'a', summary: 'x' }, { kind: 'dispute', grid_id: 'b', summary: 'y' })).toEqual({ summary: 'y' })
  })
})

describe('paths and times', () => {
  it('turns Rust field paths into testid paths', () => {
    expect(normalizePath('parties[0].id_number')).toBe('parties.0.id_number')
    expect(topKey('parties[10].phone')).toBe('parties')
    expect(fieldTestId('parties[0].id_number')).toBe('field-parties.0.id_number')
    expect(errorTestId('location.lat')).toBe('error-location.lat')
  })

  it('shows and writes times in China time', () => {
    setLocale('zh-CN')
    expect(formatDateTime('2026-11-28T01:30:00.000Z')).toContain('09:30')
    expect(formatDateTime('2026-11-27T17:30:00Z')).toMatch(/2026.11.28/)
    expect(shanghaiDay('2026-11-27T17:30:00Z')).toBe('2026-11-28')
    expect(shanghaiParts('2026-11-28T01:30:00.000Z')).toEqual({ year: 2026, month: 11, day: 28, hour: 9, minute: 30 })
    expect(fromShanghaiParts({ year: 2026, month: 11, day: 28, hour: 9, minute: 5 })).toBe('2026-11-28T09:05:00+08:00')
  })
})
