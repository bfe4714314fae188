import { flushPromises, mount, type ComponentMountingOptions } from '@vue/test-utils'
import { createPinia, setActivePinia, type Pinia } from 'pinia'
import type { Component } from 'vue'
import { i18n, setLocale } from '../src/i18n'

export function freshPinia(): Pinia {
  const p = createPinia()
  setActivePinia(p)
  return p
}

/** Mounts with Pinia and vue-i18n (zh-CN; Vant's components are imported on demand, as in the app), attached to the document (pickers teleport to body). */
export function mountApp<C extends Component>(component: C, options: ComponentMountingOptions<C> = {}) {
  setLocale('zh-CN')
  const pinia = freshPinia()
  return mount(component, {
    attachTo: document.body,
    ...options,
    global: { plugins: [pinia, i18n], ...(options.global ?? {}) },
  } as ComponentMountingOptions<C>)
}

export async function settle(ms = 0) {
  await flushPromises()
  if (ms) await new Promise((r) => setTimeout(r, ms))
  await flushPromises()
}

export function byTestId(id: string): HTMLElement | null {
  return document.body.querySelector(`[data-testid="${id}"]`)
}

export function click(el: Element | null) {
  if (!el) throw new Error('nothing to click')
  el.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true }))
}

/** Types into the input/textarea inside `field-<path>`. */
export async function type(path: string, value: string) {
  const el = byTestId(`field-${path}`)?.querySelector('input, textarea') as HTMLInputElement | HTMLTextAreaElement | null
  if (!el) throw new Error(`no input for ${path}`)
  el.value = value
  el.dispatchEvent(new Event('input', { bubbles: true }))
  await flushPromises()
}

/** Picks `value` in the picker of `field-<path>`: click the field, the option, then confirm. */
export async function pick(path: string, value: string) {
  click(byTestId(`field-${path}`))
  await flushPromises()
  const option = byTestId(`option-${value}`)
  if (!option) throw new Error(`no option-${value} for ${path}`)
  click(option)
  await flushPromises()
  click(byTestId('picker-confirm'))
  await flushPromises()
  await new Promise((r) => setTimeout(r, 0))
  await flushPromises()
}

/**
 * The open Vant confirm dialog (showConfirmDialog), or null. Vant mounts that dialog once per test
 * file and reuses it: emptying `document.body` after it was first shown detaches it for good.
 */
export function openDialog(): HTMLElement | null {
  const all = [...document.body.querySelectorAll<HTMLElement>('.van-dialog')]
  return all.find((d) => d.style.display !== 'none') ?? null
}

/** Answers the open confirm dialog: its confirm or its cancel button. */
export async function answerDialog(confirm: boolean) {
  const d = openDialog()
  if (!d) throw new Error('no dialog is open')
  click(d.querySelector(confirm ? '.van-dialog__confirm' : '.van-dialog__cancel'))
  await settle()
  // The dialog leaves through a transition that ends on an animation frame, which a busy machine
  // delays past the promises `settle` flushes: wait until it is really gone.
  await waitFor(() => d.style.display === 'none')
}

/** Polls until `cond` holds (lazy routes load asynchronously). */
export async function waitFor(cond: () => unknown, timeout = 3000) {
  const start = Date.now()
  for (;;) {
    await flushPromises()
    if (cond()) return
    if (Date.now() - start > timeout) throw new Error(`timed out waiting for ${cond.toString()}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
