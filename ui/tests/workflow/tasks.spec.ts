import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { byTestId, click, settle, waitFor } from '../helpers'
import { callsOf, emit, on, resetTauri } from '../tauri'
import { boot, GRID, GRID_NAME, ID, label, signedIn } from './fixtures'

const OTHER = '0190f000-0000-7000-8000-000000000043'
const THIRD = '0190f000-0000-7000-8000-000000000044'

const overdue = { id: ID, title: '邻里纠纷 · 漏水', grid_id: GRID, status: 'assigned', risk_level: 'high', next_action: 'start', due_at: '2026-11-27T02:00:00.000Z', overdue: true }
const onTime = { id: OTHER, title: '物业纠纷 · 停车', grid_id: GRID, status: 'reported', risk_level: 'low', next_action: 'accept', due_at: '2026-12-05T06:30:00.000Z', overdue: false }
const unknownGrid = { id: THIRD, title: '劳动纠纷', grid_id: 'jingkou-other-01', status: 'in_progress', risk_level: 'medium', next_action: null, due_at: null, overdue: false }

describe('待办', () => {
  beforeEach(() => {
    resetTauri()
    document.body.innerHTML = ''
    signedIn()
  })
  afterEach(() => {
    document.body.innerHTML = ''
  })

  it('lists the tasks in the order Rust gives, overdue in red and in words, grids by name', async () => {
    on('task_count', 3)
    on('tasks', [overdue, onTime, unknownGrid])
    const { w } = await boot('/tasks')
    await waitFor(() => document.querySelectorAll('[data-testid="task-item"]').length === 3)
    const items = [...document.querySelectorAll<HTMLElement>('[data-testid="task-item"]')]
    expect(items.map((e) => e.dataset.id)).toEqual([ID, OTHER, THIRD])

    const [first, second, third] = items as [HTMLElement, HTMLElement, HTMLElement]
    expect(first.dataset.overdue).toBe('true')
    expect(first.querySelector('[data-testid="task-overdue"]')?.textContent).toContain('已超期')
    const due = first.querySelector('[data-testid="task-due"]') as HTMLElement
    expect(due.classList).toContain('gm-danger')
    expect(due.textContent).toContain('已超期')
    expect(due.textContent).toContain('10:00') // 02:00 UTC is 10:00 in China
    expect(first.querySelector('[data-testid="task-grid"]')?.textContent).toBe(GRID_NAME)
    expect(first.querySelector('[data-testid="task-next"]')?.textContent).toContain(label('workflow_action.start'))
    expect(first.textContent).toContain(label('status.assigned'))

    expect(second.dataset.overdue).toBe('false')
    expect(second.querySelector('[data-testid="task-overdue"]')).toBeNull()
    expect(second.querySelector('[data-testid="task-due"]')?.classList).not.toContain('gm-danger')
    expect(second.querySelector('[data-testid="task-due"]')?.textContent).toContain('14:30')

    // a grid the reference data does not know is shown by its id; no due time, no next action
    expect(third.querySelector('[data-testid="task-grid"]')?.textContent).toBe('jingkou-other-01')
    expect(third.querySelector('[data-testid="task-due"]')).toBeNull()
    expect(third.querySelector('[data-testid="task-next"]')).toBeNull()

    click(first)
    await waitFor(() => window.location.hash === `#/record/${ID}`)
    w.unmount()
  })

  it('the tab has a badge with the count, and an empty list says so', async () => {
    on('task_count', 2)
    on('tasks', [])
    const { w } = await boot('/')
    await waitFor(() => byTestId('tab-tasks')?.querySelector('.van-badge'))
    expect(byTestId('tab-tasks')?.querySelector('.van-badge')?.textContent).toBe('2')
    expect(byTestId('tab-tasks')?.getAttribute('aria-label')).toBe('待办，2 项')
    click(byTestId('tab-tasks'))
    await waitFor(() => byTestId('task-empty'))
    expect(byTestId('task-empty')?.textContent).toContain('暂无待办')
    // the list read just now is what the badge counts
    expect(byTestId('tab-tasks')?.querySelector('.van-badge')).toBeNull()
    w.unmount()
  })

  it('is read again after a sync and after records change', async () => {
    let list = [onTime]
    on('task_count', () => list.length)
    on('tasks', () => list)
    const { w } = await boot('/tasks')
    await waitFor(() => document.querySelectorAll('[data-testid="task-item"]').length === 1)
    list = [overdue, onTime]
    emit('sync-status', { state: 'up_to_date', at_ms: Date.now(), rejected: 0 })
    await waitFor(() => document.querySelectorAll('[data-testid="task-item"]').length === 2)
    expect(byTestId('tab-tasks')?.querySelector('.van-badge')?.textContent).toBe('2')
    list = []
    emit('records-changed', { ids: [] })
    await waitFor(() => byTestId('task-empty'))
    expect(callsOf('tasks').length).toBeGreaterThanOrEqual(3)
    w.unmount()
  })

  it('pull to refresh syncs, then reads the tasks', async () => {
    on('task_count', 0)
    on('tasks', [])
    const { w } = await boot('/tasks')
    await waitFor(() => byTestId('task-empty'))
    const before = callsOf('tasks').length
    const pull = w.findComponent({ name: 'van-pull-refresh' })
    pull.vm.$emit('refresh')
    await settle()
    await waitFor(() => callsOf('tasks').length > before)
    expect(callsOf('sync_now')).toHaveLength(1)
    w.unmount()
  })
})
