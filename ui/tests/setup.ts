import { vi } from 'vitest'

// Both Tauri modules are replaced in every test file by the fake bridge in ./tauri.ts.
vi.mock('@tauri-apps/api/core', async () => ({ invoke: (await import('./tauri')).invokeMock }))
vi.mock('@tauri-apps/api/event', async () => ({ listen: (await import('./tauri')).listenMock }))

// jsdom lacks these; Vant touches them.
if (!('ResizeObserver' in globalThis)) {
  class RO {
    observe() {}
    unobserve() {}
    disconnect() {}
  }
  ;(globalThis as unknown as { ResizeObserver: unknown }).ResizeObserver = RO
}
if (!window.scrollTo) window.scrollTo = () => {}
