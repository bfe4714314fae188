import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { byTestId, click, settle, waitFor } from '../helpers'
import { callsOf, on, resetTauri } from '../tauri'
import { boot, GRID_NAME, ID, label, record, signedIn, state, UNIT, workflow } from './fixtures'

const ASSIGN = '0190f001-0000-7000-8000-000000000001'
const RESOLVE = '0190f001-0000-7000-8000-000000000002'
const LOG = '0190f001-0000-7000-8000-000000000003'

/** The dispatcher reassigned to a unit while the lawyer, offline, resolved: the merge flagged the resolve. */
const events = [
  { id: ASSIGN, action: 'assign', by: 'li.na', role: 'dispatcher', by_unit: null, at: '2026-11-28T03:00:00.000Z', details: { assignee_unit: UNIT, due_at: '2026-12-01T10:00:00.000Z' } },
  { id: LOG, action: 'log', by: 'zhao.lei', role: 'legal_volunteer', by_unit: UNIT, at: '2026-11-28T05:00:00.000Z', details: { log_kind: 'call', occurred_at: '2026-11-28T04:30:00.000Z', note: '电话联系申请人。' } },
  { id: RESOLVE, action: 'resolve', by: 'someone.else', role: 'legal_volunteer', by_unit: null, at: '2026-11-28T06:00:00.000Z', details: { resolution_method: 'mediation', outcome: 'withdrawn' } },
]
const verdicts = [{ verdict: 'applied' }, { verdict: 'applied' }, { verdict: 'flagged', code: 'not_assignee', conflicts_with: ASSIGN }]

function detailBridge(wf: Record<string, unknown>) {
  signedIn()
  on('task_count', 1)
  on('record_get', { record: { ...record, status: 'assigned' }, sync_state: 'synced', rejection: null, conflicts: [] })
  on('dispute_workflow', wf)
}

describe('a dispute’s workflow on its detail page', () => {
  beforeEach(() => {
    resetTauri()
    document.body.innerHTML = ''
  })
  afterEach(() => {
    document.body.innerHTML = ''
  })

  it('timeline: each event with its author by name and its details; a flagged one marked with why and what it conflicts with', async () => {
    detailBridge(
      workflow({
        events,
        verdicts,
        state: state({ status: 'assigned', assignee_unit: UNIT, due_at: '2026-12-01T10:00:00.000Z', supervised: true, last_move: ASSIGN }),
        available: ['supervise', 'assign'],
        due_at: '2026-12-01T10:00:00.000Z',
        overdue: true,
      }),
    )
    const { w } = await boot(`/record/${ID}`)
    await waitFor(() => document.querySelectorAll('[data-testid="timeline-item"]').length === 3)
    const items = [...document.querySelectorAll<HTMLElement>('[data-testid="timeline-item"]')]
    expect(items.map((e) => e.dataset.action)).toEqual(['assign', 'log', 'resolve'])
    const [assign, log, resolve] = items as [HTMLElement, HTMLElement, HTMLElement]

    expect(assign.querySelector('[data-testid="timeline-by"]')?.textContent).toBe('李娜')
    expect(assign.querySelector('[data-testid="timeline-detail-assignee_unit"]')?.textContent).toBe('正东路司法所')
    expect(assign.querySelector('[data-testid="timeline-detail-due_at"]')?.textContent).toContain('18:00')
    expect(assign.querySelector('[data-testid="timeline-flagged"]')).toBeNull()
    expect(log.querySelector('[data-testid="timeline-by"]')?.textContent).toBe('赵磊 · 正东路司法所')
    expect(log.querySelector('[data-testid="timeline-detail-note"]')?.textContent).toBe('电话联系申请人。')
    expect(log.querySelector('[data-testid="timeline-detail-occurred_at"]')?.textContent).toContain('12:30')

    // only the flagged event is marked, with the flag's label and the conflicting event's action and author
    expect(document.querySelectorAll('[data-testid="timeline-flagged"]')).toHaveLength(1)
    expect(resolve.dataset.flagged).toBe('true')
    const flag = resolve.querySelector('[data-testid="timeline-flagged"]') as HTMLElement
    expect(flag.dataset.code).toBe('not_assignee')
    expect(flag.textContent).toContain('未生效')
    expect(flag.textContent).toContain(label('flag.not_assignee'))
    expect(flag.querySelector('[data-testid="timeline-conflict"]')?.textContent).toBe(`与“${label('workflow_action.assign')}（李娜）”冲突`)
    // an author the reference data does not know is shown by the user name
    expect(resolve.querySelector('[data-testid="timeline-by"]')?.textContent).toBe('someone.else')

    // the state: holder by name, due time overdue in words, 督办
    expect(byTestId('workflow-assignee')?.textContent).toContain('正东路司法所')
    expect(byTestId('workflow-due')?.dataset.overdue).toBe('true')
    expect(byTestId('workflow-due')?.textContent).toContain('已超期')
    expect(byTestId('workflow-due')?.querySelector('.gm-danger')).not.toBeNull()
    expect(byTestId('workflow-supervised')?.textContent).toBe('督办')
    // the header's grid and creator by name
    expect(byTestId('detail-grid')?.textContent).toBe(GRID_NAME)
    expect(byTestId('detail-field-grid_id')?.textContent).toContain(GRID_NAME)
    expect(byTestId('detail-field-created_by')?.textContent).toContain('王芳')
    w.unmount()
  })

  it('offers a button for each available action and no other', async () => {
    detailBridge(workflow({ available: ['accept', 'not_accept', 'assign'] }))
    const { w } = await boot(`/record/${ID}`)
    await waitFor(() => byTestId('workflow-actions'))
    const buttons = [...document.querySelectorAll<HTMLElement>('[data-testid^="action-"]')].map((b) => b.dataset.testid)
    expect(buttons).toEqual(['action-accept', 'action-not_accept', 'action-assign'])
    expect(byTestId('action-accept')?.textContent).toContain(label('workflow_action.accept'))
    w.unmount()
  })

  it('with no action available there are no action buttons', async () => {
    detailBridge(workflow({ state: state({ status: 'closed' }), available: [] }))
    const { w } = await boot(`/record/${ID}`)
    await waitFor(() => byTestId('workflow-state'))
    expect(byTestId('workflow-actions')).toBeNull()
    expect(document.querySelectorAll('[data-testid^="action-"]')).toHaveLength(0)
    w.unmount()
  })

  it('an action: its form, dispute_act, then the detail, its workflow and the tasks are read again', async () => {
    let wf = workflow({ available: ['accept', 'not_accept'] })
    detailBridge(wf)
    on('tasks', [])
    on('dispute_act', () => {
      wf = workflow({
        events: [{ id: ASSIGN, action: 'accept', by: 'li.na', role: 'dispatcher', by_unit: null, at: '2026-11-28T03:00:00.000Z', details: {} }],
        verdicts: [{ verdict: 'applied' }],
        state: state({ status: 'accepted' }),
        available: ['assign'],
      })
      return { record: { ...record, status: 'accepted' }, sync_state: 'pending', rejection: null, conflicts: [] }
    })
    on('dispute_workflow', () => wf)
    const { w } = await boot(`/record/${ID}`)
    await waitFor(() => byTestId('action-accept'))
    const tasksBefore = callsOf('task_count').length + callsOf('tasks').length
    click(byTestId('action-accept'))
    await waitFor(() => byTestId('action-submit'))
    expect(byTestId('field-details.note')).not.toBeNull()
    click(byTestId('action-submit'))
    await waitFor(() => byTestId('action-assign'))
    expect(callsOf('dispute_act')).toEqual([{ id: ID, request: { action: 'accept', details: {} } }])
    expect(byTestId('action-accept')).toBeNull()
    expect(document.querySelectorAll('[data-testid="timeline-item"]')).toHaveLength(1)
    expect(byTestId('detail-field-status')?.textContent).toContain(label('status.accepted'))
    await settle()
    expect(callsOf('task_count').length + callsOf('tasks').length).toBeGreaterThan(tasksBefore)
    expect(callsOf('record_history').length).toBeGreaterThanOrEqual(2)
    w.unmount()
  })
})
