import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import ActionForm from '../../src/components/workflow/ActionForm.vue'
import { WORKFLOW_ACTIONS, type EscalationLevel, type WorkflowAction } from '../../src/api/types'
import { byTestId, click, mountApp, pick, settle, type } from '../helpers'
import { callsOf, on, resetTauri, validationFailed } from '../tauri'
import { ID, record, reference, UNIT } from './fixtures'

/** The detail fields on screen, by their path under `details.`. */
function shown(): string[] {
  return [...document.body.querySelectorAll<HTMLElement>('[data-testid^="field-details."]')].map((e) => e.dataset.testid!.slice('field-details.'.length)).sort()
}

function mountForm(action: WorkflowAction, level: EscalationLevel = 'grid') {
  return mountApp(ActionForm, { props: { recordId: ID, action, level } })
}

async function submit() {
  click(byTestId('action-submit'))
  await settle()
}

const view = { record, sync_state: 'pending', rejection: null, conflicts: [] }

describe('action forms', () => {
  beforeEach(() => {
    resetTauri()
    document.body.innerHTML = ''
    on('reference_data', reference)
    on('dispute_act', view)
  })
  afterEach(() => {
    document.body.innerHTML = ''
  })

  it('show only the fields their action takes', async () => {
    const expected: Record<WorkflowAction, string[]> = {
      accept: ['note'],
      start: ['note'],
      close: ['note'],
      not_accept: ['not_accepted_reason', 'note'],
      assign: ['assignee', 'due_at', 'note'],
      log: ['attendees', 'log_kind', 'note', 'occurred_at'],
      resolve: ['note', 'outcome', 'resolution_method'],
      return: ['note', 'return_reason'],
      escalate: ['level', 'note'],
      supervise: ['note'],
      follow_up: ['note'],
      evaluate: ['note', 'satisfaction'],
    }
    for (const action of WORKFLOW_ACTIONS) {
      const w = mountForm(action)
      await settle()
      expect(shown(), action).toEqual(expected[action])
      w.unmount()
    }
  })

  it('resolve: terms only with an agreement, a referral only without one; sends just those', async () => {
    const w = mountForm('resolve')
    await settle()
    await pick('details.resolution_method', 'mediation')
    await pick('details.outcome', 'agreement')
    expect(shown()).toEqual(['note', 'outcome', 'resolution_method', 'terms'])
    await type('details.terms', '楼上修复防水，赔偿楼下 800 元。')
    await pick('details.outcome', 'no_agreement')
    expect(shown()).toEqual(['note', 'outcome', 'referral', 'resolution_method'])
    await pick('details.referral', 'litigation')
    await submit()
    expect(callsOf('dispute_act')).toEqual([
      { id: ID, request: { action: 'resolve', details: { resolution_method: 'mediation', outcome: 'no_agreement', referral: 'litigation' } } },
    ])
    expect(w.emitted('done')?.[0]).toEqual([view])
    w.unmount()
  })

  it('assign: picks a colleague by typing a part of the name, or a unit; with a due time and a note', async () => {
    const w = mountForm('assign')
    await settle()
    click(byTestId('field-details.assignee'))
    await settle()
    // both lists, by display name
    expect(byTestId('assignee-user-zhao.lei')?.textContent).toContain('赵磊')
    expect(byTestId(`assignee-unit-${UNIT}`)?.textContent).toContain('正东路司法所')
    const search = byTestId('assignee-search')!.querySelector('input') as HTMLInputElement
    search.value = '赵'
    search.dispatchEvent(new Event('input', { bubbles: true }))
    await settle()
    expect(byTestId('assignee-user-zhao.lei')).not.toBeNull()
    expect(byTestId('assignee-user-wang.fang')).toBeNull()
    expect(byTestId(`assignee-unit-${UNIT}`)).toBeNull()
    click(byTestId('assignee-user-zhao.lei'))
    await settle()
    expect(byTestId('field-details.assignee')?.textContent).toContain('赵磊')
    click(byTestId('field-details.due_at'))
    await settle()
    click(byTestId('datetime-confirm'))
    await settle()
    await type('details.note', '请三日内联系双方。')
    await submit()
    const sent = callsOf('dispute_act')[0] as { id: string; request: { action: string; details: Record<string, unknown> } }
    expect(sent.id).toBe(ID)
    expect(sent.request.action).toBe('assign')
    expect(Object.keys(sent.request.details).sort()).toEqual(['assignee_user', 'due_at', 'note'])
    expect(sent.request.details.assignee_user).toBe('zhao.lei')
    expect(sent.request.details.note).toBe('请三日内联系双方。')
    expect(sent.request.details.due_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00\+08:00$/)
    w.unmount()
  })

  it('assign to a unit sends the unit only', async () => {
    const w = mountForm('assign')
    await settle()
    click(byTestId('field-details.assignee'))
    await settle()
    click(byTestId(`assignee-unit-${UNIT}`))
    await settle()
    await submit()
    expect(callsOf('dispute_act')).toEqual([{ id: ID, request: { action: 'assign', details: { assignee_unit: UNIT } } }])
    w.unmount()
  })

  it('log: kind, when (now by default), attendees, note', async () => {
    const w = mountForm('log')
    await settle()
    await pick('details.log_kind', 'session')
    await type('details.attendees', '双方当事人、社区调解员')
    await type('details.note', '双方同意先修复防水。')
    await submit()
    const d = (callsOf('dispute_act')[0] as { request: { details: Record<string, unknown> } }).request.details
    expect(d).toMatchObject({ log_kind: 'session', attendees: '双方当事人、社区调解员', note: '双方同意先修复防水。' })
    expect(d.occurred_at).toMatch(/\+08:00$/)
    expect(Object.keys(d).sort()).toEqual(['attendees', 'log_kind', 'note', 'occurred_at'])
    w.unmount()
  })

  it('escalate offers only the levels above the current one', async () => {
    const w = mountForm('escalate', 'township')
    await settle()
    click(byTestId('field-details.level'))
    await settle()
    expect(byTestId('option-county')).not.toBeNull()
    expect(byTestId('option-township')).toBeNull()
    expect(byTestId('option-grid')).toBeNull()
    w.unmount()
  })

  it('not_accept asks before sending; the duplicate reason asks for the record', async () => {
    const w = mountForm('not_accept')
    await settle()
    await pick('details.not_accepted_reason', 'duplicate')
    expect(shown()).toEqual(['duplicate_of', 'not_accepted_reason', 'note'])
    await type('details.duplicate_of', '0190f000-0000-7000-8000-000000000007')
    await submit()
    expect(callsOf('dispute_act')).toEqual([])
    expect(byTestId('action-confirm')).not.toBeNull()
    click(byTestId('action-confirm-cancel'))
    await settle()
    expect(callsOf('dispute_act')).toEqual([])
    await submit()
    click(byTestId('action-confirm'))
    await settle()
    expect(callsOf('dispute_act')).toEqual([
      { id: ID, request: { action: 'not_accept', details: { not_accepted_reason: 'duplicate', duplicate_of: '0190f000-0000-7000-8000-000000000007' } } },
    ])
    w.unmount()
  })

  it('close asks too; accept does not', async () => {
    const w = mountForm('close')
    await settle()
    await submit()
    expect(byTestId('action-confirm')).not.toBeNull()
    expect(callsOf('dispute_act')).toEqual([])
    w.unmount()
    document.body.innerHTML = ''
    const a = mountForm('accept')
    await settle()
    await submit()
    expect(callsOf('dispute_act')).toEqual([{ id: ID, request: { action: 'accept', details: {} } }])
    a.unmount()
  })

  it("shows Rust's field errors at their fields, and a refusal without a field above the form", async () => {
    on('dispute_act', () => {
      throw validationFailed([
        { code: 'required', field: 'details.note', zh: '必填项不能为空', en: 'this field is required' },
        { code: 'required', field: 'details.assignee_user', zh: '请选择承办人或承办单位', en: 'choose a handler' },
      ])
    })
    const w = mountForm('assign')
    await settle()
    await submit()
    expect(byTestId('error-details.note')?.textContent).toContain('必填项不能为空')
    expect(byTestId('error-details.assignee_user')?.textContent).toContain('请选择承办人或承办单位')
    expect(byTestId('action-errors')).toBeNull()
    // the assignee's opener names its error for screen readers
    const opener = byTestId('field-details.assignee')?.querySelector('button.gm-opener') as HTMLElement
    expect(opener.getAttribute('aria-invalid')).toBe('true')
    expect(opener.getAttribute('aria-describedby')).toBe(byTestId('error-details.assignee_user')?.id)
    const note = byTestId('field-details.note')?.querySelector('textarea') as HTMLElement
    expect(note.getAttribute('aria-describedby')).toBe(byTestId('error-details.note')?.id)
    expect(w.emitted('done')).toBeUndefined()

    // a denial names the action itself, which has no field: it is listed above the form
    on('dispute_act', () => {
      throw validationFailed([{ code: 'invalid_status', field: 'action', zh: '纠纷当前为“办结”，不能执行“分流交办”', en: 'not now' }])
    })
    await submit()
    expect(byTestId('action-errors')?.textContent).toContain('不能执行“分流交办”')
    expect(byTestId('error-details.note')).toBeNull()

    on('dispute_act', () => {
      throw { code: 'forbidden_action', message: { 'zh-CN': '当前状态不能执行该操作', en: 'not allowed now' } }
    })
    await submit()
    expect(byTestId('action-error')?.getAttribute('data-code')).toBe('forbidden_action')
    expect(byTestId('action-error')?.textContent).toContain('当前状态不能执行该操作')
    expect(byTestId('action-errors')).toBeNull()
    w.unmount()
  })
})
