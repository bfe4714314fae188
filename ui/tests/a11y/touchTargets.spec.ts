import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import PatrolVisitForm from '../../src/components/forms/PatrolVisitForm.vue'
import DisputeForm from '../../src/components/forms/DisputeForm.vue'
import LegalEducationForm from '../../src/components/forms/LegalEducationForm.vue'
import FilterSheet from '../../src/components/FilterSheet.vue'
import App from '../../src/App.vue'
import { i18n, setLocale } from '../../src/i18n'
import { createAppRouter } from '../../src/router'
import { byTestId, click, mountApp, settle, type, waitFor } from '../helpers'
import { on, resetTauri } from '../tauri'

const ui = join(__dirname, '..', '..')
const css = readFileSync(join(ui, 'src', 'styles.css'), 'utf8')
const vantVar = (component: string, name: string): number => {
  const text = readFileSync(join(ui, 'node_modules', 'vant', 'es', component, 'index.css'), 'utf8')
  const m = text.match(new RegExp(`--van-${name}:\\s*([\\d.]+)px`))
  if (!m) throw new Error(`no --van-${name} in vant/es/${component}`)
  return Number(m[1])
}

/** Selectors whose ::after hit area in styles.css is at least 44×44. */
function hitSelectors(): string[] {
  const sheet = new CSSStyleSheet()
  sheet.replaceSync(css)
  const out: string[] = []
  for (const r of sheet.cssRules) {
    if (!(r instanceof CSSStyleRule)) continue
    const minW = parseFloat(r.style.minWidth)
    const minH = parseFloat(r.style.minHeight)
    if (!(minW >= 44 && minH >= 44)) continue
    for (const s of r.selectorText.split(',').map((x) => x.trim())) out.push(s.replace(/::?after$/, ''))
  }
  return out
}

/** Vant controls drawn at least 44 px tall by Vant's own theme (checked against its CSS below). */
const FULL_SIZE = [
  '.van-button--normal', // --van-button-default-height
  '.van-button--large', // --van-button-large-height
  '.van-cell--clickable', // cell line height + 2 × vertical padding
  '.van-collapse-item__title', // a cell
  '.van-picker__cancel', // the toolbar's height, 16 px padding either side
  '.van-picker__confirm',
  '.van-tab', // --van-tabs-line-height
  '.van-picker-column__item', // the column's width; its height is checked in the picker below
  '.van-overlay', // the whole screen
  '.van-tabbar-item', // min-height 50px in styles.css, a fifth of the screen's width
]

function tappables(): HTMLElement[] {
  const els = document.body.querySelectorAll<HTMLElement>(
    'button, a[href], [role="button"], [role="switch"], [role="tab"], input[type="checkbox"], .van-tag__close',
  )
  return [...els].filter((e) => e.getAttribute('role') !== 'dialog')
}

function tooSmall(): string[] {
  const ok = [...hitSelectors(), ...FULL_SIZE]
  return tappables()
    .filter((e) => !ok.some((sel) => e.matches(sel)))
    .filter((e) => !(parseFloat(e.style.width) >= 44 && parseFloat(e.style.height) >= 44))
    .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}[${e.dataset.testid ?? e.textContent?.trim()}]`)
}

describe('touch targets are at least 44×44 CSS px', () => {
  beforeEach(() => {
    resetTauri()
    document.body.innerHTML = ''
    on('grids_list', ['jingkou-zhengdonglu-03', 'jingkou-zhengdonglu-01'])
    on('draft_load', null)
    on('draft_save', null)
    on('draft_clear', null)
    on('record_validate', [])
  })
  afterEach(() => {
    document.body.innerHTML = ''
  })

  it('Vant draws the listed controls at full size', () => {
    expect(vantVar('button', 'button-default-height')).toBeGreaterThanOrEqual(44)
    expect(vantVar('button', 'button-large-height')).toBeGreaterThanOrEqual(44)
    expect(vantVar('cell', 'cell-line-height') + 2 * vantVar('cell', 'cell-vertical-padding')).toBeGreaterThanOrEqual(44)
    expect(vantVar('picker', 'picker-toolbar-height')).toBeGreaterThanOrEqual(44)
    expect(vantVar('tabs', 'tabs-line-height')).toBeGreaterThanOrEqual(44)
  })

  it('styles.css gives small controls a hit area', () => {
    const sels = hitSelectors()
    for (const s of ['.gm-hit', ':root .van-button--mini', ':root .van-button--small', ':root .van-field__clear', ':root .van-popup__close-icon']) {
      expect(sels, s).toContain(s)
    }
    expect(sels).toContain('.gm-choice')
  })

  it('in the patrol visit form: remove volunteer, remove hazard, the switch, clear buttons', async () => {
    const w = mountApp(PatrolVisitForm)
    await settle()
    await type('hazards', '消防通道堵塞')
    click(byTestId('add-hazards'))
    click(byTestId('add-volunteer'))
    await settle()
    click(byTestId('switch-follow_up_needed'))
    await settle()
    expect(byTestId('remove-tag-hazards.0')?.classList).toContain('gm-hit')
    expect(byTestId('switch-follow_up_needed')?.classList).toContain('gm-hit')
    expect(tappables().length).toBeGreaterThan(10)
    expect(tooSmall()).toEqual([])
    w.unmount()
  })

  it('in the dispute form with a party, and in its open picker', async () => {
    const w = mountApp(DisputeForm)
    await settle()
    click(byTestId('add-party'))
    await settle()
    expect(tooSmall()).toEqual([])
    click(byTestId('field-source'))
    await settle()
    expect(byTestId('picker-confirm')).not.toBeNull()
    for (const item of document.body.querySelectorAll<HTMLElement>('.van-picker-column__item')) {
      expect(parseFloat(item.style.height)).toBeGreaterThanOrEqual(44)
    }
    expect(tooSmall()).toEqual([])
    w.unmount()
  })

  it('in the legal education form: the stepper buttons are drawn 44 px', async () => {
    const w = mountApp(LegalEducationForm)
    await settle()
    const plus = byTestId('field-audience_count')?.querySelector<HTMLElement>('.van-stepper__plus')
    expect(plus?.style.width).toBe('44px')
    expect(plus?.style.height).toBe('44px')
    expect(tooSmall()).toEqual([])
    w.unmount()
  })

  it('in the list filter sheet, its close icon and date clear buttons', async () => {
    const w = mountApp(FilterSheet, {
      props: { show: true, kind: 'dispute', grids: ['jingkou-zhengdonglu-03'], modelValue: { from: '2026-11-01' } },
    })
    await settle()
    expect(document.body.querySelector('.van-popup__close-icon')).not.toBeNull()
    expect(tooSmall()).toEqual([])
    w.unmount()
  })

  it('on the tasks tab and a dispute with its workflow, an action form and the assignee picker open', async () => {
    const ID = '0190f000-0000-7000-8000-000000000042'
    const GRID = 'jingkou-zhengdonglu-03'
    on('session_get', { user: 'li.na', display_name: '李娜', role: 'dispatcher', legal_role: null, server: 'https://sync.example.cn', scope: [GRID], device_id: 'dev-1' })
    on('sync_status', { state: 'offline' })
    on('reference_data', {
      areas: [{ id: GRID, name: '正东路街道 03 网格', level: 'grid' }],
      units: [{ id: 'jingkou-zhengdonglu-sfs', name: '正东路司法所' }],
      colleagues: [{ name: 'zhao.lei', display_name: '赵磊', role: 'legal_volunteer', legal_role: 'lawyer', unit: null }],
      deadlines: { steps: [], holidays: [], workdays: [] },
    })
    on('task_count', 1)
    on('tasks', [{ id: ID, title: '漏水', grid_id: GRID, status: 'accepted', risk_level: 'high', next_action: 'assign', due_at: '2026-11-27T02:00:00.000Z', overdue: true }])
    on('record_history', [])
    on('record_get', {
      record: { kind: 'dispute', id: ID, schema_version: 1, created_by: 'wang.fang', created_at: '2026-11-28T02:15:00.000Z', updated_at: '2026-11-28T02:15:00.000Z', deleted_at: null, grid_id: GRID, reported_at: '2026-11-28T02:15:00.000Z', source: 'field', dispute_category: 'neighbour', location: null, address: null, parties: [], summary: '漏水', risk_level: 'high', status: 'accepted' },
      sync_state: 'synced',
      rejection: null,
      conflicts: [],
    })
    on('dispute_workflow', {
      events: [{ id: '0190f001-0000-7000-8000-000000000001', action: 'accept', by: 'li.na', role: 'dispatcher', by_unit: null, at: '2026-11-28T03:00:00.000Z', details: { note: '受理' } }],
      verdicts: [{ verdict: 'flagged', code: 'not_allowed_in_state', conflicts_with: null }],
      state: { status: 'accepted', level: 'grid', assignee_user: null, assignee_unit: null, due_at: null, status_since: null, handlers: [], supervised: true, outcome: null, satisfaction: null, last_move: null },
      available: ['assign', 'not_accept'],
      due_at: '2026-11-27T02:00:00.000Z',
      overdue: true,
    })
    window.location.hash = '#/tasks'
    setLocale('zh-CN')
    const pinia = createPinia()
    setActivePinia(pinia)
    const router = createAppRouter()
    const w = mount(App, { attachTo: document.body, global: { plugins: [pinia, i18n, router] } })
    await router.isReady()
    await waitFor(() => byTestId('task-item'))
    expect(tooSmall()).toEqual([])

    await router.push(`/record/${ID}`)
    await waitFor(() => byTestId('action-assign'))
    expect(tooSmall()).toEqual([])
    click(byTestId('action-assign'))
    await waitFor(() => byTestId('action-submit'))
    expect(tooSmall()).toEqual([])
    click(byTestId('field-details.assignee'))
    await waitFor(() => byTestId('assignee-user-zhao.lei'))
    expect(tooSmall()).toEqual([])
    w.unmount()
  })

  it('on the screens: home, a list with a search, a record, and me', async () => {
    const ID = '0190f000-0000-7000-8000-000000000042'
    const GRID = 'jingkou-zhengdonglu-03'
    on('session_get', { user: 'wang.fang', display_name: '王芳', role: 'grid_worker', legal_role: null, server: 'https://sync.example.cn', scope: [GRID], device_id: 'dev-1' })
    on('home_summary', { visits_today: 2, open_disputes: 5, follow_ups_due: 1, pending: 3, rejected: 1, last_sync_at: null })
    on('sync_status', { state: 'offline' })
    on('sync_log', [])
    const row = { id: ID, kind: 'dispute', grid_id: GRID, status: 'reported', risk_level: 'high', occurred_at: '2026-11-28T02:15:00.000Z', updated_at: '2026-11-28T02:15:00.000Z', title: '漏水', sync_state: 'pending', deleted: false, quarantined: false }
    on('records_list', { items: [row], next_cursor: null })
    on('records_search', [row])
    on('record_history', [])
    on('record_get', {
      record: { kind: 'dispute', id: ID, schema_version: 1, created_by: 'wang.fang', created_at: row.occurred_at, updated_at: row.occurred_at, deleted_at: null, grid_id: GRID, reported_at: row.occurred_at, source: 'field', dispute_category: 'neighbour', location: null, address: null, parties: [], summary: '漏水', risk_level: 'high', status: 'reported' },
      sync_state: 'pending',
      rejection: null,
      conflicts: [],
    })
    window.location.hash = '#/'
    setLocale('zh-CN')
    const pinia = createPinia()
    setActivePinia(pinia)
    const router = createAppRouter()
    const w = mount(App, { attachTo: document.body, global: { plugins: [pinia, i18n, router] } })
    await router.isReady()
    await waitFor(() => byTestId('home-sync-now'))
    expect(tooSmall()).toEqual([])

    await router.push('/list/dispute')
    await waitFor(() => byTestId('record-item'))
    const search = byTestId('list-search')!.querySelector('input')!
    search.value = '漏水'
    search.dispatchEvent(new Event('input', { bubbles: true }))
    search.dispatchEvent(new Event('focus'))
    search.dispatchEvent(new KeyboardEvent('keypress', { key: 'Enter', keyCode: 13, bubbles: true }))
    await waitFor(() => byTestId('search-summary'))
    expect(document.body.querySelector('.van-field__clear')).not.toBeNull()
    expect(byTestId('search-summary')?.querySelector('.van-button--mini')).not.toBeNull()
    expect(tooSmall()).toEqual([])

    await router.push(`/record/${ID}`)
    await waitFor(() => byTestId('nav-back') && byTestId('delete-record'))
    expect(tooSmall()).toEqual([])

    await router.push('/me')
    await waitFor(() => byTestId('me-logout'))
    expect(tooSmall()).toEqual([])
    w.unmount()
  })
})
