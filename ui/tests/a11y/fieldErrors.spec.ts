import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import App from '../../src/App.vue'
import { i18n, setLocale } from '../../src/i18n'
import { createAppRouter } from '../../src/router'
import DisputeForm from '../../src/components/forms/DisputeForm.vue'
import LegalEducationForm from '../../src/components/forms/LegalEducationForm.vue'
import PatrolVisitForm from '../../src/components/forms/PatrolVisitForm.vue'
import { byTestId, click, mountApp, settle, type, waitFor } from '../helpers'
import { on, resetTauri, validationFailed } from '../tauri'

const GRID = 'jingkou-zhengdonglu-03'
const err = (field: string) => ({ code: 'invalid', field, zh: `${field} 有误`, en: `${field} is wrong` })

/** The control of `field-<path>` that a screen reader lands on. */
function control(path: string, css: string): HTMLElement {
  const el = byTestId(`field-${path}`)
  const c = el?.matches(css) ? el : el?.querySelector<HTMLElement>(css)
  if (!c) throw new Error(`no ${css} in field-${path}`)
  return c
}

/** The control is invalid and described by exactly the error element of `errorPaths`. */
function expectTied(c: HTMLElement, ...errorPaths: string[]) {
  expect(c.getAttribute('aria-invalid')).toBe('true')
  const ids = (c.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean)
  expect(ids).toHaveLength(errorPaths.length)
  ids.forEach((id, i) => {
    const target = document.getElementById(id)
    expect(target).toBe(byTestId(`error-${errorPaths[i]}`))
    expect(target?.getAttribute('role')).toBe('alert')
    expect(document.querySelectorAll(`[id="${id}"]`)).toHaveLength(1)
  })
}

function expectClean(c: HTMLElement) {
  expect(c.hasAttribute('aria-invalid')).toBe(false)
  expect(c.hasAttribute('aria-describedby')).toBe(false)
}

describe('errors are tied to their inputs', () => {
  beforeEach(() => {
    resetTauri()
    document.body.innerHTML = ''
    on('grids_list', [GRID])
    on('draft_load', null)
    on('draft_save', null)
    on('draft_clear', null)
    on('record_validate', [])
  })
  afterEach(() => {
    document.body.innerHTML = ''
  })

  it('dispute: text, textarea, pickers, date-time, the parties and location groups', async () => {
    on('record_create', () => {
      throw validationFailed(['summary', 'source', 'reported_at', 'parties', 'parties[0].phone', 'parties[1].phone', 'location', 'location.accuracy_m'].map(err))
    })
    const w = mountApp(DisputeForm)
    await settle()
    click(byTestId('add-party'))
    await settle()
    click(byTestId('add-party'))
    await settle()
    expectClean(control('summary', 'textarea'))
    expectClean(control('source', 'button.gm-opener'))
    expect(byTestId('field-parties')?.getAttribute('role')).toBe('group')
    expectClean(byTestId('field-parties')!)
    click(byTestId('form-submit'))
    await settle()
    expectTied(control('summary', 'textarea'), 'summary')
    expectTied(control('source', 'button.gm-opener'), 'source')
    expectTied(control('reported_at', 'button.gm-opener'), 'reported_at')
    expectTied(control('parties.0.phone', 'input'), 'parties.0.phone')
    expectTied(control('parties.1.phone', 'input'), 'parties.1.phone')
    expectTied(byTestId('field-parties')!, 'parties')
    expectTied(byTestId('field-location')!, 'location', 'location.accuracy_m')
    expectClean(control('parties.0.name', 'input'))
    expectClean(control('dispute_category', 'button.gm-opener'))
    // Fixing a field by typing clears its error, and with it the link.
    on('record_validate', [])
    await type('summary', '楼上漏水。')
    await settle(650)
    expect(byTestId('error-summary')).toBeNull()
    expectClean(control('summary', 'textarea'))
    w.unmount()
  })

  it('patrol visit: the switch, the tag input and one tag', async () => {
    on('record_create', () => {
      throw validationFailed(['follow_up_needed', 'hazards', 'hazards[0]'].map(err))
    })
    const w = mountApp(PatrolVisitForm)
    await settle()
    await type('hazards', '消防通道堵塞')
    click(byTestId('add-hazards'))
    await settle()
    click(byTestId('form-submit'))
    await settle()
    expectTied(byTestId('switch-follow_up_needed')!, 'follow_up_needed')
    expectTied(control('hazards', 'input'), 'hazards')
    const removeTag = byTestId('remove-tag-hazards.0')!
    expect(document.getElementById(removeTag.getAttribute('aria-describedby') ?? '')).toBe(byTestId('error-hazards.0'))
    w.unmount()
  })

  it('legal education: the stepper input; ids differ between field instances', async () => {
    on('record_create', () => {
      throw validationFailed(['audience_count', 'speakers[0].name', 'speakers[1].name'].map(err))
    })
    const w = mountApp(LegalEducationForm)
    await settle()
    click(byTestId('add-speaker'))
    await settle()
    click(byTestId('add-speaker'))
    await settle()
    click(byTestId('form-submit'))
    await settle()
    expectTied(control('audience_count', 'input'), 'audience_count')
    const a = control('speakers.0.name', 'input').getAttribute('aria-describedby')
    const b = control('speakers.1.name', 'input').getAttribute('aria-describedby')
    expect(a).not.toBe(b)
    expectTied(control('speakers.0.name', 'input'), 'speakers.0.name')
    expectTied(control('speakers.1.name', 'input'), 'speakers.1.name')
    w.unmount()
  })

  it('sign-in: the inputs the error is about', async () => {
    on('session_get', null)
    on('login', () => {
      throw { code: 'invalid_credentials', message: { 'zh-CN': '用户名或密码错误', en: 'wrong' } }
    })
    window.location.hash = '#/login'
    setLocale('zh-CN')
    const pinia = createPinia()
    setActivePinia(pinia)
    const router = createAppRouter()
    const w = mount(App, { attachTo: document.body, global: { plugins: [pinia, i18n, router] } })
    await router.isReady()
    await waitFor(() => byTestId('login-submit'))
    const input = (id: string) => byTestId(id)!.querySelector('input')!
    for (const id of ['login-server', 'login-user', 'login-password']) expectClean(input(id))
    await w.find('[data-testid="login-server"] input').setValue('https://sync.example.cn')
    click(byTestId('login-submit'))
    await settle()
    expect(byTestId('login-error')?.getAttribute('data-code')).toBe('required')
    expectClean(input('login-server'))
    const banner = byTestId('login-error')!
    expect(banner.getAttribute('role')).toBe('alert')
    for (const id of ['login-user', 'login-password']) {
      expect(input(id).getAttribute('aria-invalid')).toBe('true')
      expect(document.getElementById(input(id).getAttribute('aria-describedby') ?? '')).toBe(banner)
    }
    // Wrong credentials: the user name and password, not the server.
    await w.find('[data-testid="login-user"] input').setValue('wang.fang')
    await w.find('[data-testid="login-password"] input').setValue('x')
    click(byTestId('login-submit'))
    await settle()
    expect(byTestId('login-error')?.getAttribute('data-code')).toBe('invalid_credentials')
    expectClean(input('login-server'))
    for (const id of ['login-user', 'login-password']) {
      expect(document.getElementById(input(id).getAttribute('aria-describedby') ?? '')).toBe(byTestId('login-error'))
    }
    w.unmount()
  })
})
