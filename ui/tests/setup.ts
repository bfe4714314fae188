import { config } from '@vue/test-utils'
import { vi } from 'vitest'

// Vant is not installed globally, in the app or here: every <van-*> tag is imported on demand by
// unplugin-vue-components (vite.config.ts). A tag it failed to resolve fails the test.
config.global.config.warnHandler = (msg) => {
  if (msg.includes('Failed to resolve component')) throw new Error(msg)
}

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
