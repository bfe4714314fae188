// The unit-test boundary: a fake Tauri bridge behind vi.mock('@tauri-apps/api/core' | '/event').
import { vi } from 'vitest'

type Args = Record<string, unknown>
type Handler = (args: Args) => unknown
type Listener = (e: { event: string; id: number; payload: unknown }) => void

export const handlers = new Map<string, Handler>()
export const calls: { cmd: string; args: Args }[] = []
const listeners = new Map<string, Set<Listener>>()

export const invokeMock = vi.fn(async (cmd: string, args?: Args): Promise<unknown> => {
  const a = JSON.parse(JSON.stringify(args ?? {})) as Args
  calls.push({ cmd, args: a })
  const h = handlers.get(cmd)
  if (!h) throw { code: 'not_mocked', message: { 'zh-CN': cmd, en: cmd } }
  return await h(a)
})

export const listenMock = vi.fn(async (event: string, cb: Listener) => {
  let set = listeners.get(event)
  if (!set) listeners.set(event, (set = new Set()))
  set.add(cb)
  return () => {
    set?.delete(cb)
  }
})

/** Rust answering `cmd` (a value, or a function of the args; throw to reject). */
export function on(cmd: string, h: Handler | unknown) {
  handlers.set(cmd, typeof h === 'function' ? (h as Handler) : () => h)
}

export function emit(event: string, payload: unknown) {
  for (const cb of listeners.get(event) ?? []) cb({ event, id: 0, payload })
}

export function listenerCount(event: string): number {
  return listeners.get(event)?.size ?? 0
}

export function callsOf(cmd: string): Args[] {
  return calls.filter((c) => c.cmd === cmd).map((c) => c.args)
}

export function resetTauri() {
  handlers.clear()
  calls.length = 0
  listeners.clear()
  invokeMock.mockClear()
  listenMock.mockClear()
}

export function validationFailed(errors: { code: string; field: string; zh: string; en: string }[]) {
  return {
    code: 'validation_failed',
    field: errors[0]?.field,
    message: { 'zh-CN': '记录有误，请修改标出的项目', en: 'the record has errors: fix the marked fields' },
    errors: errors.map((e) => ({ code: e.code, field: e.field, message: { 'zh-CN': e.zh, en: e.en } })),
  }
}
