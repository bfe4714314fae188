// Shared data of the workflow tests: a signed-in dispatcher, the reference data, a dispute.
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import App from '../../src/App.vue'
import { i18n, setLocale } from '../../src/i18n'
import { createAppRouter } from '../../src/router'
import { settle, waitFor } from '../helpers'
import { on } from '../tauri'

export const GRID = 'jingkou-zhengdonglu-03'
export const GRID_NAME = '正东路街道 03 网格'
export const UNIT = 'jingkou-zhengdonglu-sfs'
export const ID = '0190f000-0000-7000-8000-000000000042'

export const reference = {
  areas: [{ id: GRID, name: GRID_NAME, level: 'grid' }],
  units: [{ id: UNIT, name: '正东路司法所' }],
  colleagues: [
    { name: 'wang.fang', display_name: '王芳', role: 'grid_worker', legal_role: null, unit: null },
    { name: 'li.na', display_name: '李娜', role: 'dispatcher', legal_role: null, unit: null },
    { name: 'zhao.lei', display_name: '赵磊', role: 'legal_volunteer', legal_role: 'lawyer', unit: UNIT },
  ],
  deadlines: { steps: [], holidays: [], workdays: [] },
}

export const session = {
  user: 'li.na',
  display_name: '李娜',
  role: 'dispatcher',
  legal_role: null,
  server: 'https://sync.example.cn',
  scope: [GRID],
  device_id: 'dev-1',
}

export const record = {
  kind: 'dispute',
  id: ID,
  schema_version: 1,
  created_by: 'wang.fang',
  created_at: '2026-11-28T02:15:00.000Z',
  updated_at: '2026-11-28T03:00:00.000Z',
  deleted_at: null,
  grid_id: GRID,
  reported_at: '2026-11-28T02:15:00.000Z',
  source: 'field',
  dispute_category: 'neighbour',
  location: null,
  address: null,
  parties: [],
  summary: '楼上卫生间漏水至楼下。',
  risk_level: 'high',
  status: 'reported',
}

export function state(over: Record<string, unknown> = {}) {
  return {
    status: 'reported',
    level: 'grid',
    assignee_user: null,
    assignee_unit: null,
    due_at: null,
    status_since: null,
    handlers: [],
    supervised: false,
    outcome: null,
    satisfaction: null,
    last_move: null,
    ...over,
  }
}

export function workflow(over: Record<string, unknown> = {}) {
  return { events: [], verdicts: [], state: state(), available: ['accept', 'not_accept'], due_at: null, overdue: false, ...over }
}

/** The bridge of a signed-in dispatcher whose device has the reference data. */
export function signedIn() {
  on('session_get', session)
  on('home_summary', { visits_today: 0, open_disputes: 1, follow_ups_due: 0, pending: 0, rejected: 0, last_sync_at: null })
  on('sync_status', { state: 'syncing', done: 0, total: 1, pulled: 0 })
  on('sync_log', [])
  on('sync_now', null)
  on('grids_list', [GRID])
  on('reference_data', reference)
  on('record_history', [])
}

/** Starts the whole app at `path`. */
export async function boot(path: string) {
  window.location.hash = `#${path}`
  setLocale('zh-CN')
  const pinia = createPinia()
  setActivePinia(pinia)
  const router = createAppRouter()
  const w = mount(App, { attachTo: document.body, global: { plugins: [pinia, i18n, router] } })
  await router.isReady()
  await settle(20)
  await waitFor(() => document.querySelector('.gm-page'))
  return { w, router }
}

/** What the UI shows for an enumeration value (the generated label, or the key until it exists). */
export const label = (key: string) => i18n.global.t(key)
