import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { closeDialog } from 'vant'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import App from '../../src/App.vue'
import DisputeForm from '../../src/components/forms/DisputeForm.vue'
import PatrolVisitForm from '../../src/components/forms/PatrolVisitForm.vue'
import { i18n, setLocale } from '../../src/i18n'
import { createAppRouter } from '../../src/router'
import { answerDialog, byTestId, click, mountApp, openDialog, pick, settle, type, waitFor } from '../helpers'
import { callsOf, on, resetTauri } from '../tauri'

const GRID = 'jingkou-zhengdonglu-03'
const items = (testid: string) => document.body.querySelectorAll(`[data-testid="${testid}"]`).length

describe('destructive actions ask first', () => {
  beforeEach(() => {
    resetTauri()
    on('grids_list', [GRID])
    on('draft_load', null)
    on('draft_save', null)
    on('draft_clear', null)
    on('record_validate', [])
  })
  // The page is not emptied between these tests: Vant mounts its function-call dialog once per
  // file and reuses it, so it must stay attached; each test unmounts its own form.
  afterEach(async () => {
    closeDialog()
    await waitFor(() => !openDialog())
  })

  it('removing a party with typed data asks; cancel keeps it, confirm removes it', async () => {
    const w = mountApp(DisputeForm)
    await settle()
    click(byTestId('add-party'))
    await settle()
    await type('parties.0.name', '张三')
    click(byTestId('remove-party-0'))
    await settle()
    expect(openDialog()?.textContent).toContain('删除当事人 1？')
    expect(openDialog()?.textContent).toContain('这里已填写的内容将被丢弃')
    await answerDialog(false)
    expect(items('parties-item')).toBe(1)
    expect((byTestId('field-parties.0.name')?.querySelector('input') as HTMLInputElement).value).toBe('张三')
    click(byTestId('remove-party-0'))
    await settle()
    await answerDialog(true)
    expect(items('parties-item')).toBe(0)
    w.unmount()
  })

  it('a party with only a role chosen counts as typed; an untouched one goes at once', async () => {
    const w = mountApp(DisputeForm)
    await settle()
    click(byTestId('add-party'))
    await settle()
    click(byTestId('add-party'))
    await settle()
    await pick('parties.0.role', 'applicant')
    click(byTestId('remove-party-1'))
    await settle()
    expect(openDialog()).toBeNull()
    expect(items('parties-item')).toBe(1)
    click(byTestId('remove-party-0'))
    await settle()
    expect(openDialog()).not.toBeNull()
    await answerDialog(true)
    expect(items('parties-item')).toBe(0)
    w.unmount()
  })

  it('removing a volunteer with a name, or a hazard, asks in English too', async () => {
    setLocale('en')
    const w = mountApp(PatrolVisitForm)
    setLocale('en')
    await settle()
    click(byTestId('add-volunteer'))
    await settle()
    await type('volunteers.0.name', '李娜')
    click(byTestId('remove-volunteer-0'))
    await settle()
    expect(openDialog()?.textContent).toContain('Remove person 1?')
    expect(openDialog()?.querySelector('.van-dialog__cancel')?.textContent).toContain('Cancel')
    await answerDialog(false)
    expect(items('volunteers-item')).toBe(1)

    await type('hazards', '消防通道堵塞')
    click(byTestId('add-hazards'))
    await settle()
    click(byTestId('remove-tag-hazards.0'))
    await settle()
    expect(openDialog()?.textContent).toContain('Remove “消防通道堵塞”?')
    await answerDialog(true)
    expect(byTestId('tag-hazards.0')).toBeNull()
    w.unmount()
    setLocale('zh-CN')
  })

  it('discarding a restored draft asks; cancel keeps the draft, confirm clears it', async () => {
    on('draft_load', (a: Record<string, unknown>) => (a.key === 'new:dispute' ? { kind: 'dispute', form: { summary: '草稿中的概要' } } : null))
    const summary = () => (byTestId('field-summary')?.querySelector('textarea') as HTMLTextAreaElement).value
    const w = mountApp(DisputeForm)
    await settle()
    expect(byTestId('draft-restored')).not.toBeNull()
    click(byTestId('discard-draft'))
    await settle()
    expect(openDialog()?.textContent).toContain('放弃未保存的草稿？')
    expect(openDialog()?.querySelector('.van-dialog__confirm')?.textContent).toContain('放弃草稿')
    await answerDialog(false)
    expect(summary()).toBe('草稿中的概要')
    expect(callsOf('draft_clear')).toEqual([])
    click(byTestId('discard-draft'))
    await settle()
    await answerDialog(true)
    expect(summary()).toBe('')
    expect(byTestId('draft-restored')).toBeNull()
    expect(callsOf('draft_clear')).toEqual([{ key: 'new:dispute' }])
    w.unmount()
  })
})

describe('the nav bar back arrow', () => {
  beforeEach(() => {
    resetTauri()
    document.body.innerHTML = ''
    on('session_get', { user: 'wang.fang', display_name: '王芳', role: 'grid_worker', legal_role: null, server: 'https://sync.example.cn', scope: [GRID], device_id: 'dev-1' })
    on('home_summary', { visits_today: 0, open_disputes: 0, follow_ups_due: 0, pending: 0, rejected: 0, last_sync_at: null })
    on('sync_status', { state: 'offline' })
    on('grids_list', [GRID])
    on('draft_load', null)
    on('draft_save', null)
    on('record_validate', [])
  })
  afterEach(() => {
    document.body.innerHTML = ''
  })

  it('is a named button with a testid inside .van-nav-bar__left, and both go back', async () => {
    window.location.hash = '#/'
    setLocale('zh-CN')
    setActivePinia(createPinia())
    const router = createAppRouter()
    const w = mount(App, { attachTo: document.body, global: { plugins: [createPinia(), i18n, router] } })
    await router.isReady()
    for (const way of ['nav-back', '.van-nav-bar__left']) {
      await router.push('/record/new/dispute')
      await waitFor(() => byTestId('form-dispute') && byTestId('nav-back'))
      const back = byTestId('nav-back')!
      expect(back.tagName).toBe('BUTTON')
      expect(back.getAttribute('aria-label')).toBe('返回')
      expect(back.closest('.van-nav-bar__left')).not.toBeNull()
      click(way === 'nav-back' ? back : document.body.querySelector('.van-nav-bar__left'))
      await waitFor(() => router.currentRoute.value.path === '/')
    }
    w.unmount()
  })
})
