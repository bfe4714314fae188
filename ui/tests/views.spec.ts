import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import App from '../src/App.vue'
import { i18n, LOCALE_STORAGE_KEY, setLocale } from '../src/i18n'
import { createAppRouter } from '../src/router'
import { byTestId, click, settle, waitFor } from './helpers'
import { callsOf, emit, on, resetTauri } from './tauri'

const GRID = 'jingkou-zhengdonglu-03'
const ID = '0190f000-0000-7000-8000-000000000042'
const session = { user: 'wang.fang', display_name: '王芳', role: 'grid_worker', legal_role: null, server: 'https://sync.example.cn', scope: [GRID], device_id: 'dev-1' }

async function boot(path: string) {
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

function signedInBridge() {
  on('session_get', session)
  on('home_summary', { visits_today: 2, open_disputes: 5, follow_ups_due: 1, pending: 3, rejected: 1, last_sync_at: '2026-11-28T01:00:00.000Z' })
  on('sync_status', { state: 'syncing', done: 1, total: 3, pulled: 0 })
  on('sync_log', [
    { at: '2026-11-28T01:00:00.000Z', ok: true, pushed: 2, pulled: 4, rejected: 0, error: null },
    { at: '2026-11-28T00:00:00.000Z', ok: false, pushed: 0, pulled: 0, rejected: 0, error: { code: 'offline', message: { 'zh-CN': '无法连接服务器（离线）', en: 'cannot reach the server (offline)' } } },
  ])
  on('grids_list', [GRID])
  on('sync_now', null)
}

describe('screens', () => {
  beforeEach(() => {
    resetTauri()
    document.body.innerHTML = ''
  })
  afterEach(() => {
    document.body.innerHTML = ''
  })

  it('first run: login form, error by code, then home', async () => {
    on('session_get', null)
    let attempts = 0
    on('login', () => {
      if (attempts++ === 0) throw { code: 'invalid_credentials', message: { 'zh-CN': '用户名或密码错误', en: 'wrong' } }
      return session
    })
    const { w, router } = await boot('/')
    expect(router.currentRoute.value.name).toBe('login')
    for (const id of ['login-server', 'login-user', 'login-password', 'login-submit']) expect(byTestId(id), id).not.toBeNull()
    await w.find('[data-testid="login-server"] input').setValue('https://sync.example.cn')
    await w.find('[data-testid="login-user"] input').setValue('wang.fang')
    await w.find('[data-testid="login-password"] input').setValue('secret')
    click(byTestId('login-submit'))
    await settle()
    expect(byTestId('login-error')?.textContent).toContain('用户名或密码错误')
    signedInBridge()
    click(byTestId('login-submit'))
    await waitFor(() => router.currentRoute.value.name === 'home')
    expect(callsOf('login').at(-1)).toEqual({ req: { server: 'https://sync.example.cn', user: 'wang.fang', password: 'secret', allow_insecure: false } })
    expect(router.currentRoute.value.name).toBe('home')
    w.unmount()
  })

  it('sign-in: an untrusted certificate opens Advanced, where the organisation\'s CA is pasted and sent', async () => {
    on('session_get', null)
    let attempts = 0
    on('login', () => {
      if (attempts++ === 0) throw { code: 'tls_untrusted', message: { 'zh-CN': '证书不受信任', en: 'untrusted' } }
      signedInBridge()
      return session
    })
    const { w, router } = await boot('/')
    await w.find('[data-testid="login-server"] input').setValue('https://sync.gov.example')
    await w.find('[data-testid="login-user"] input').setValue('wang.fang')
    await w.find('[data-testid="login-password"] input').setValue('secret')
    click(byTestId('login-submit'))
    await settle()
    expect(byTestId('login-error')?.getAttribute('data-code')).toBe('tls_untrusted')
    expect(byTestId('login-error')?.textContent).toContain('自建 CA')
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----'
    await waitFor(() => byTestId('login-ca-cert')?.querySelector('textarea'))
    await w.find('[data-testid="login-ca-cert"] textarea').setValue(`  ${pem}\n`)
    click(byTestId('login-submit'))
    await waitFor(() => router.currentRoute.value.name === 'home')
    expect(callsOf('login').at(-1)).toEqual({
      req: { server: 'https://sync.gov.example', user: 'wang.fang', password: 'secret', allow_insecure: false, ca_cert: pem },
    })
    w.unmount()
  })

  it('the sign-in form starts with the installation\'s server address, and home shows the sync the sign-in started', async () => {
    on('session_get', null)
    on('app_defaults', { server_url: 'http://127.0.0.1:8477' })
    on('login', () => {
      signedInBridge()
      return session
    })
    const { w, router } = await boot('/')
    await waitFor(() => (w.find('[data-testid="login-server"] input').element as HTMLInputElement).value !== '')
    expect((w.find('[data-testid="login-server"] input').element as HTMLInputElement).value).toBe('http://127.0.0.1:8477')
    await w.find('[data-testid="login-user"] input').setValue('wang.fang')
    await w.find('[data-testid="login-password"] input').setValue('secret')
    click(byTestId('login-submit'))
    await waitFor(() => router.currentRoute.value.name === 'home')
    await settle()
    expect(callsOf('login').at(-1)?.req).toMatchObject({ server: 'http://127.0.0.1:8477' })
    expect(document.body.textContent).not.toContain('未登录服务器')
    expect(document.body.textContent).toContain('同步中')
    w.unmount()
  })

  it('home: today, sync status, pending count, quick add, tabs', async () => {
    signedInBridge()
    const { w, router } = await boot('/')
    expect(byTestId('home-sync-status')?.textContent).toContain('同步中 1/3')
    expect(byTestId('home-pending-count')?.textContent).toBe('3')
    expect(byTestId('home-visits-today')?.textContent).toContain('2')
    for (const id of ['tab-home', 'tab-patrol_visit', 'tab-legal_education', 'tab-dispute', 'tab-me', 'quick-add-patrol_visit', 'quick-add-legal_education', 'quick-add-dispute'])
      expect(byTestId(id), id).not.toBeNull()
    emit('sync-status', { state: 'error', code: 'offline', message: '服务器无法连接', pending: 3, retry_in_ms: 30000 })
    await settle()
    expect(byTestId('home-sync-status')?.textContent).toContain('错误')
    click(byTestId('quick-add-dispute'))
    await waitFor(() => byTestId('form-submit'))
    expect(router.currentRoute.value.fullPath).toBe('/record/new/dispute')
    w.unmount()
  })

  it('list: rows with data-id and a sync badge; records-changed refreshes', async () => {
    signedInBridge()
    let title = '邻里纠纷 · 漏水'
    on('records_list', () => ({
      items: [
        { id: ID, kind: 'dispute', grid_id: GRID, status: 'reported', risk_level: 'high', occurred_at: '2026-11-28T02:15:00.000Z', updated_at: '2026-11-28T02:15:00.000Z', title, sync_state: 'rejected', deleted: false, quarantined: false },
      ],
      next_cursor: null,
    }))
    const { w } = await boot('/list/dispute')
    await waitFor(() => byTestId('record-item'))
    expect(byTestId('record-list')).not.toBeNull()
    expect(byTestId('list-search')?.querySelector('input')).not.toBeNull()
    const row = byTestId('record-item')
    expect(row?.getAttribute('data-id')).toBe(ID)
    expect(row?.querySelector('[data-testid="sync-badge"]')?.getAttribute('data-state')).toBe('rejected')
    expect(row?.textContent).toContain('被退回')
    title = '邻里纠纷 · 已调解'
    emit('records-changed', { ids: [ID] })
    await settle()
    expect(byTestId('record-item')?.textContent).toContain('已调解')
    w.unmount()
  })

  it('detail: fields, rejection, history, conflicts', async () => {
    signedInBridge()
    on('record_get', {
      record: {
        kind: 'dispute', id: ID, schema_version: 1, created_by: 'wang.fang', created_at: '2026-11-28T02:15:00.000Z', updated_at: '2026-11-28T03:00:00.000Z', deleted_at: null,
        grid_id: GRID, reported_at: '2026-11-28T02:15:00.000Z', source: 'field', dispute_category: 'neighbour', location: null, address: '梦溪园巷12号',
        parties: [{ name: '张三', role: 'applicant', phone: '13800138000', id_number: '320102199003071239' }],
        summary: '楼上卫生间漏水至楼下。', risk_level: 'medium', status: 'reported',
      },
      sync_state: 'rejected',
      rejection: { code: 'invalid_status', field: 'status', message_zh: '状态变更无效', message_en: 'invalid status move' },
      conflicts: [{ field: 'risk_level', values: [{ value: 'medium', by: 'wang.fang', at: '2026-11-28T02:20:00.000Z' }, { value: 'high', by: 'li.na', at: '2026-11-28T02:21:00.000Z' }] }],
    })
    on('record_history', [
      { change: 'aa11', at: '2026-11-28T02:15:00.000Z', by: 'wang.fang', actor: 'ab12cd34ef', op: 'create', fields: [] },
      { change: 'bb22', at: '2026-11-28T03:00:00.000Z', by: 'li.na', actor: 'cd34ef56', op: 'edit', fields: ['parties[0].phone', 'risk_level', 'updated_at'] },
    ])
    const { w } = await boot(`/record/${ID}`)
    await waitFor(() => byTestId('detail-field-summary'))
    expect(byTestId('record-detail')).not.toBeNull()
    expect(byTestId('detail-field-summary')?.textContent).toContain('楼上卫生间漏水至楼下')
    expect(byTestId('detail-field-parties')?.textContent).toContain('320102199003071239')
    expect(byTestId('detail-field-dispute_category')?.textContent).toContain('邻里')
    expect(byTestId('detail-field-reported_at')?.textContent).toContain('10:15')
    expect(byTestId('rejection')?.textContent).toContain('状态变更无效')
    expect(byTestId('rejection')?.textContent).toContain('问题字段：状态')
    expect(document.querySelectorAll('[data-testid="history-entry"]')).toHaveLength(2)
    const edited = document.querySelectorAll('[data-testid="history-entry"]')[1]?.textContent ?? ''
    expect(edited).toContain('当事人 1 · 手机号、风险等级')
    expect(edited).not.toMatch(/risk_level|parties|updated_at|更新时间/)
    expect(byTestId('conflict')?.textContent).toContain('li.na')
    expect(document.querySelectorAll('[data-testid="conflict-value"]')).toHaveLength(2)
    expect(byTestId('conflict')?.textContent).toContain('风险等级')
    expect([...document.querySelectorAll('[data-testid="conflict-value"]')].map((e) => e.textContent)).toEqual([
      expect.stringContaining('中'),
      expect.stringContaining('高'),
    ])
    expect(byTestId('conflict')?.textContent).not.toMatch(/risk_level|medium|high/)
    expect(byTestId('edit-record')).not.toBeNull()
    on('record_delete', null)
    on('records_list', { items: [], next_cursor: null })
    click(byTestId('delete-record'))
    await settle()
    click(byTestId('delete-confirm'))
    await waitFor(() => callsOf('record_delete').length > 0)
    expect(callsOf('record_delete')).toEqual([{ id: ID }])
    w.unmount()
  })

  it('me: account, language switch persisted, sync log, logout with the unsynced warning', async () => {
    signedInBridge()
    on('logout', (a: Record<string, unknown>) => {
      if (!a.force) throw { code: 'unsynced_records', message: { 'zh-CN': '还有 3 条记录未同步、1 条被退回', en: '3 records are not synced' } }
      return null
    })
    const { w, router } = await boot('/me')
    await waitFor(() => byTestId('me-account'))
    expect(byTestId('me-account')?.textContent).toContain('wang.fang')
    expect(document.querySelectorAll('[data-testid="sync-log-entry"]')).toHaveLength(2)
    // a failed sync reads in the user's language
    expect(document.querySelectorAll('[data-testid="sync-log-entry"]')[1]?.textContent).toContain('无法连接服务器（离线）')
    expect(byTestId('me-sync-log')).not.toBeNull()
    click(byTestId('me-language'))
    await settle()
    expect(localStorage.getItem(LOCALE_STORAGE_KEY)).toBe('en')
    expect(byTestId('me-logout')?.textContent).toContain('Sign out')
    click(byTestId('me-language'))
    await settle()
    expect(localStorage.getItem(LOCALE_STORAGE_KEY)).toBe('zh-CN')
    click(byTestId('me-sync-now'))
    await settle()
    expect(callsOf('sync_now')).toHaveLength(1)
    click(byTestId('me-logout'))
    await settle()
    expect(document.body.textContent).toContain('还有 3 条记录未同步')
    expect(byTestId('logout-sync-now')).not.toBeNull()
    click(byTestId('logout-force'))
    await waitFor(() => router.currentRoute.value.name === 'login')
    expect(callsOf('logout')).toEqual([{ force: false }, { force: true }])
    expect(router.currentRoute.value.name).toBe('login')
    w.unmount()
    await flushPromises()
  })
})
