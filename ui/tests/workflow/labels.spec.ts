import { describe, expect, it } from 'vitest'
import { WORKFLOW_ACTIONS } from '../../src/api/types'
import en from '../../src/i18n/en'
import zhCN from '../../src/i18n/zh-CN'
import { ACTION_TAKES, DETAIL_DISPLAY } from '../../src/records/workflow'

describe('workflow field labels', () => {
  it('every detail field an action takes or the timeline shows has a label in both languages', () => {
    const keys = new Set<string>(['assignee', ...DETAIL_DISPLAY.map(([k]) => k)])
    for (const a of WORKFLOW_ACTIONS) for (const k of ACTION_TAKES[a]) keys.add(k)
    for (const k of keys) {
      expect((zhCN.workflow.field as Record<string, string>)[k], `zh-CN ${k}`).toMatch(/\S/)
      expect((en.workflow.field as Record<string, string>)[k], `en ${k}`).toMatch(/\S/)
    }
  })

  it('the timeline shows every detail field there is', () => {
    const all = new Set(WORKFLOW_ACTIONS.flatMap((a) => [...ACTION_TAKES[a]]))
    expect(new Set(DETAIL_DISPLAY.map(([k]) => k))).toEqual(all)
  })
})
