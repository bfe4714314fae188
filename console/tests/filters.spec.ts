import { describe, expect, it } from 'vitest'
import { type CaseFilters, filtersToQuery, filtersToRouteQuery, queryToFilters } from '../src/api/filters'
import { exportUrl } from '../src/api/console'

describe('case filters and the query string', () => {
  it('writes every set filter and leaves defaults out', () => {
    const f: CaseFilters = {
      area: 'jingkou-zhengdonglu',
      status: 'assigned',
      category: 'neighbour',
      risk: 'high',
      source: 'hotline_12345',
      overdue: true,
      supervised: true,
      assignee: 'li.na',
      from: 1764777600000,
      to: 1764863999999,
      q: '漏水 物业',
      sort: 'due_at',
      order: 'asc',
      page: 3,
      page_size: 50,
      kind: 'dispute',
    }
    expect(filtersToQuery(f).toString()).toBe(
      'area=jingkou-zhengdonglu&status=assigned&category=neighbour&risk=high&source=hotline_12345&assignee=li.na&q=%E6%BC%8F%E6%B0%B4+%E7%89%A9%E4%B8%9A&kind=dispute&overdue=true&supervised=true&from=1764777600000&to=1764863999999&sort=due_at&order=asc&page=3&page_size=50',
    )
    expect(filtersToQuery({ overdue: false, page: 1, page_size: 20, q: '  ' }).toString()).toBe('')
  })

  it('round-trips through the URL', () => {
    const f: CaseFilters = { area: 'a', status: 'reported', overdue: true, from: 5, to: 10, q: '噪音', sort: 'risk', order: 'desc', page: 2, page_size: 100 }
    expect(queryToFilters(filtersToRouteQuery(f))).toEqual(f)
    expect(queryToFilters(filtersToQuery(f))).toEqual(f)
  })

  it('drops malformed and unknown values', () => {
    expect(
      queryToFilters({ sort: 'title', order: 'asc', page: 'x', page_size: '1000', from: '12abc', overdue: 'yes', other: 'z', status: ['assigned', 'closed'] }),
    ).toEqual({ status: 'assigned' })
    expect(queryToFilters({ sort: 'updated_at' })).toEqual({ sort: 'updated_at', order: 'desc' })
    expect(queryToFilters({ page: '1', page_size: '20' })).toEqual({})
  })

  it('makes export links of the filter without the page', () => {
    expect(exportUrl('xlsx', { status: 'resolved', page: 4, page_size: 50 })).toBe('/v1/console/export.xlsx?status=resolved')
    expect(exportUrl('csv', {})).toBe('/v1/console/export.csv')
  })
})
