import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import DisputeForm from '../../src/components/forms/DisputeForm.vue'
import FilterSheet from '../../src/components/FilterSheet.vue'
import { byTestId, click, mountApp, settle } from '../helpers'
import { callsOf, on, resetTauri } from '../tauri'

const GRIDS = ['jingkou-zhengdonglu-03', 'jingkou-zhengdonglu-01']

function opener(path: string): HTMLButtonElement {
  const b = byTestId(`field-${path}`)?.querySelector<HTMLButtonElement>('.gm-opener')
  if (!b) throw new Error(`no opener for ${path}`)
  return b
}
const openDialogs = () => [...document.body.querySelectorAll<HTMLElement>('.van-popup[role="dialog"]')].filter((d) => d.style.display !== 'none')
const shown = (path: string) => (byTestId(`field-${path}`)?.querySelector('input') as HTMLInputElement).value

/** Opens from the focused button, checks the popup, closes with Escape, checks focus came back. */
async function opensAndReturnsFocus(path: string, label: string) {
  const b = opener(path)
  expect(b.tagName).toBe('BUTTON')
  expect(b.type).toBe('button')
  expect(b.tabIndex).toBe(0)
  expect(b.disabled).toBe(false)
  expect(b.getAttribute('aria-haspopup')).toBe('dialog')
  expect(b.getAttribute('aria-expanded')).toBe('false')
  const names = (b.getAttribute('aria-labelledby') ?? '').split(' ').map((id) => document.getElementById(id)?.textContent?.trim())
  expect(names[0]).toBe(label)
  expect(names[1]).toBe(b.textContent?.trim())
  b.focus()
  click(b) // what Enter or Space does on a focused <button>
  await settle()
  expect(b.getAttribute('aria-expanded')).toBe('true')
  const dialog = openDialogs().at(-1)
  expect(dialog?.getAttribute('aria-label')).toBe(label)
  expect(dialog?.contains(document.activeElement)).toBe(true)
  dialog!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }))
  await settle()
  expect(b.getAttribute('aria-expanded')).toBe('false')
  expect(document.activeElement).toBe(b)
}

describe('pickers open from a focusable button', () => {
  beforeEach(() => {
    resetTauri()
    document.body.innerHTML = ''
    on('grids_list', GRIDS)
    on('draft_load', null)
    on('draft_save', null)
    on('draft_clear', null)
    on('record_validate', [])
    on('record_create', (a: Record<string, unknown>) => ({ ...(a.draft as object), id: '0190f000-0000-7000-8000-000000000009' }))
  })
  afterEach(() => {
    document.body.innerHTML = ''
  })

  it('enum, grid and date-time fields of a form', async () => {
    const w = mountApp(DisputeForm)
    await settle()
    await opensAndReturnsFocus('source', '来源')
    await opensAndReturnsFocus('grid_id', '网格')
    await opensAndReturnsFocus('reported_at', '上报时间')
    w.unmount()
  })

  it('date fields of the list filters', async () => {
    const w = mountApp(FilterSheet, { props: { show: true, kind: 'dispute', grids: GRIDS, modelValue: {} } })
    await settle()
    await opensAndReturnsFocus('filter.from', '开始日期')
    await opensAndReturnsFocus('filter.status', '状态')
    w.unmount()
  })

  it('the picker of an empty field preselects nothing, and confirming without a choice saves nothing', async () => {
    const w = mountApp(DisputeForm)
    await settle()
    click(opener('grid_id'))
    await settle()
    for (const g of GRIDS) expect(byTestId(`option-${g}`)?.getAttribute('aria-pressed')).toBe('false')
    click(byTestId('picker-confirm'))
    await settle()
    expect(byTestId('picker-required')?.getAttribute('role')).toBe('alert')
    expect(byTestId('picker-required')?.textContent).toContain('请先选择一项')
    expect(byTestId('picker-confirm')).not.toBeNull()
    click(byTestId('picker-cancel'))
    await settle()
    expect(shown('grid_id')).toBe('')

    click(opener('source'))
    await settle()
    click(byTestId('option-walk_in'))
    await settle()
    expect(byTestId('picker-required')).toBeNull()
    click(byTestId('picker-confirm'))
    await settle()
    expect(shown('source')).toBe('群众来访')
    // Reopened, it starts on the current value.
    click(opener('source'))
    await settle()
    expect(byTestId('option-walk_in')?.getAttribute('aria-pressed')).toBe('true')
    click(byTestId('picker-confirm'))
    await settle()
    expect(shown('source')).toBe('群众来访')
    // Saved now, the draft has no grid rather than the first one offered.
    click(byTestId('form-submit'))
    await settle()
    const drafts = callsOf('record_create').map((c) => c.draft as Record<string, unknown>)
    expect(drafts).toHaveLength(1)
    expect(drafts[0]).not.toHaveProperty('grid_id')
    expect(drafts[0]?.source).toBe('walk_in')
    w.unmount()
  })
})
