import { describe, expect, it } from 'vitest'
import {
  formatDate,
  formatDateTime,
  formatRate,
  isMasked,
  maskValue,
  newRequestId,
  shanghaiDayEnd,
  shanghaiDayStart,
  shanghaiWallToRfc3339,
} from '../src/utils/format'
import { clusterPoints, pointColor } from '../src/utils/cluster'
import { timelineRows } from '../src/utils/timeline'
import { errorOn } from '../src/utils/errors'
import { ApiError } from '../src/api/http'

describe('times in Asia/Shanghai', () => {
  it('formats UTC instants as Beijing wall time, across the date line', () => {
    // 2026-12-03T16:30Z is 00:30 on the 4th in Beijing
    expect(formatDateTime(Date.UTC(2026, 11, 3, 16, 30))).toBe('2026-12-04 00:30')
    expect(formatDate(Date.UTC(2026, 11, 3, 16, 30))).toBe('2026-12-04')
    expect(formatDateTime('2026-12-04T01:45:00Z')).toBe('2026-12-04 09:45')
    expect(formatDateTime('2026-12-04T09:45:00+08:00')).toBe('2026-12-04 09:45')
    expect(formatDateTime(null)).toBe('')
    expect(formatDateTime('not a date')).toBe('')
  })

  it('turns picked days into Beijing day bounds', () => {
    expect(shanghaiDayStart('2026-12-04')).toBe(Date.UTC(2026, 11, 3, 16, 0))
    expect(shanghaiDayEnd('2026-12-04')).toBe(Date.UTC(2026, 11, 4, 16, 0) - 1)
    expect(shanghaiDayStart('12/04/2026')).toBeUndefined()
    expect(formatDate(shanghaiDayStart('2026-01-01')!)).toBe('2026-01-01')
  })

  it('turns a picked wall time into RFC 3339 with +08:00', () => {
    expect(shanghaiWallToRfc3339('2026-12-05 18:00')).toBe('2026-12-05T18:00:00+08:00')
    expect(Date.parse(shanghaiWallToRfc3339('2026-12-05 18:00')!)).toBe(Date.UTC(2026, 11, 5, 10, 0))
    expect(shanghaiWallToRfc3339('tomorrow')).toBeUndefined()
  })
})

describe('rates and masked values', () => {
  it('shows fractions as percent with one decimal', () => {
    expect(formatRate(0.875)).toBe('87.5%')
    expect(formatRate(1)).toBe('100%')
    expect(formatRate(0)).toBe('0%')
    expect(formatRate(2 / 3)).toBe('66.7%')
    expect(formatRate(null)).toBe('—')
    expect(formatRate(Number.NaN)).toBe('—')
  })

  it('masks names, phones and ID numbers, keeping only the agreed parts', () => {
    expect(maskValue('name', '张三丰')).toBe('张**')
    expect(maskValue('name', '李')).toBe('*')
    expect(maskValue('phone', '13812345678')).toBe('138****5678')
    expect(maskValue('id_number', '320102199001011234')).toBe('3201**********1234')
    expect(maskValue('phone', '1234')).toBe('****')
    expect(maskValue('phone', null)).toBe('')
    expect(isMasked('138****5678')).toBe(true)
    expect(isMasked('13812345678')).toBe(false)
    expect(isMasked(null)).toBe(false)
  })

  it('makes version-4 UUIDs for request ids', () => {
    const a = newRequestId()
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(newRequestId()).not.toBe(a)
  })
})

describe('map clustering', () => {
  const px = (lat: number, lon: number) => ({ x: lon * 100, y: -lat * 100 })
  it('groups points of one cell and keeps far ones apart', () => {
    const pts = [
      { lat: 32.0, lon: 119.0, id: 'a' },
      { lat: 32.001, lon: 119.001, id: 'b' },
      { lat: 33.0, lon: 120.0, id: 'c' },
      { lat: Number.NaN, lon: 1, id: 'bad' },
    ]
    const cs = clusterPoints(pts, px, 48)
    expect(cs.map((c) => c.points.map((p) => p.id).sort())).toEqual([['a', 'b'], ['c']])
    expect(cs[0].lat).toBeCloseTo(32.0005)
    expect(clusterPoints(pts, (lat, lon) => ({ x: lon * 1e6, y: -lat * 1e6 }), 48)).toHaveLength(3)
  })
  it('colours by kind and dispute state', () => {
    expect(pointColor('patrol_visit')).not.toBe(pointColor('legal_education'))
    expect(pointColor('dispute', 'reported')).not.toBe(pointColor('dispute', 'resolved'))
    expect(pointColor('dispute', 'escalated')).toBe(pointColor('dispute', 'reported'))
  })
})

describe('the timeline rows', () => {
  const ev = (id: string) => ({ id, action: 'accept' as const, by: 'zhao.min', role: 'dispatcher' as const, at: '2026-12-04T01:00:00Z', details: {} })
  it('reads events with verdicts, or parallel arrays', () => {
    expect(timelineRows({ timeline: [{ ...ev('1'), verdict: { verdict: 'applied' } }, { ...ev('2'), verdict: { verdict: 'flagged', code: 'not_allowed_in_state' } }] }).map((r) => [r.flagged, r.code])).toEqual([
      [false, undefined],
      [true, 'not_allowed_in_state'],
    ])
    expect(timelineRows({ timeline: { events: [ev('1'), ev('2')], verdicts: [{ verdict: 'applied' }, { verdict: 'flagged', code: 'role_not_allowed' }] } }).map((r) => r.flagged)).toEqual([false, true])
    expect(timelineRows(null)).toEqual([])
  })
})

describe('errors on form fields', () => {
  const err = (field?: string) => new ApiError(422, 'invalid_value', { 'zh-CN': '无效', en: 'invalid' }, field)
  it('matches a field by its path or last part', () => {
    expect(errorOn(err('details.note'), 'note')).toBe(true)
    expect(errorOn(err('parties[0].phone'), 'parties')).toBe(true)
    expect(errorOn(err('grid_id'), 'grid_id')).toBe(true)
    expect(errorOn(err('summary'), 'note')).toBe(false)
    expect(errorOn(err(), 'note')).toBe(false)
  })
})

import { supervisionGroups } from '../src/utils/supervision'

describe('supervision groups', () => {
  it('flattens units and assignees into one group each, keeping counts and cases', () => {
    const groups = supervisionGroups({
      units: [
        {
          unit: 'sfs-zd', unit_name: '司法所', counts: { total: 3, overdue: 2, due_soon: 1 },
          assignees: [
            { user: 'li.na', counts: { total: 2, overdue: 1, due_soon: 1 }, cases: [
              { id: 'a', grid_id: 'g', title: 't', status: 'assigned', due_at: 1, overdue: true, supervised: false },
              { id: 'b', grid_id: 'g', title: 'u', status: 'in_progress', due_at: 2, overdue: false, supervised: true },
            ] },
            { user: null, counts: { total: 1, overdue: 1, due_soon: 0 }, cases: [
              { id: 'c', grid_id: 'g', title: 'v', status: 'assigned', due_at: 3, overdue: true, supervised: false },
            ] },
          ],
        },
      ],
    })
    expect(groups.map((g) => [g.unit, g.assignee_user, g.overdue, g.near_due, g.items.map((i) => i.id)])).toEqual([
      ['sfs-zd', 'li.na', 1, 1, ['a', 'b']],
      ['sfs-zd', null, 1, 0, ['c']],
    ])
    expect(supervisionGroups({})).toEqual([])
  })
})

import { statsView } from '../src/utils/stats'

describe('statistics view', () => {
  it('maps the served key figures, buckets and children to the screen', () => {
    const figures = (n: number) => ({
      patrol_visits: n, legal_education_sessions: 2, legal_education_audience: 90, disputes: n + 1, overdue: 1,
      on_time_rate: 0.5, success_rate: 0.25, satisfaction_rate: null,
    })
    const v = statsView({
      totals: figures(7),
      visits_by_worker: [{ worker: 'wang.wei', count: 7 }],
      disputes_by_category: [{ key: 'neighbour', count: 5 }, { key: null, count: 3 }],
      disputes_by_status: [{ key: 'resolved', count: 1 }],
      children: [{ area: 'jingkou-zhengdonglu-03', name: '03 网格', figures: figures(3) }],
    })
    expect(v.visits_per_worker).toEqual([{ user: 'wang.wei', visits: 7 }])
    expect(v.legal_education).toEqual({ sessions: 2, audience: 90 })
    expect(v.disputes_by_category).toEqual([{ category: 'neighbour', count: 5 }, { category: 'other', count: 3 }])
    expect(v.disputes_by_status).toEqual([{ status: 'resolved', count: 1 }])
    expect([v.on_time_rate, v.mediation_success_rate, v.satisfaction_rate, v.overdue]).toEqual([0.5, 0.25, null, 1])
    expect(v.children?.[0]).toMatchObject({ area: 'jingkou-zhengdonglu-03', disputes: 4, visits: 3, overdue: 1 })
  })
})

import { areaNames } from '../src/utils/format'

describe('area names', () => {
  it('names every area of the tree, at every level', () => {
    const names = areaNames([
      { id: 'jingkou-zhengdonglu', name: '正东路街道', children: [{ id: 'jingkou-zhengdonglu-03', name: '03 网格' }] },
    ])
    expect(names.get('jingkou-zhengdonglu-03')).toBe('03 网格')
    expect(names.get('jingkou-zhengdonglu')).toBe('正东路街道')
    expect(areaNames(undefined).size).toBe(0)
  })
})
