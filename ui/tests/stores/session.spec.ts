import { beforeEach, describe, expect, it } from 'vitest'
import { useSessionStore } from '../../src/stores/session'
import { freshPinia } from '../helpers'
import { callsOf, on, resetTauri } from '../tauri'

const session = {
  user: 'wang.fang',
  display_name: '王芳',
  role: 'grid_worker',
  legal_role: null,
  server: 'https://sync.example.cn',
  scope: ['jingkou-zhengdonglu-03'],
  device_id: 'dev-1',
}

describe('session store', () => {
  beforeEach(() => {
    resetTauri()
    freshPinia()
  })

  it('loads the persisted session (or none)', async () => {
    on('session_get', null)
    const s = useSessionStore()
    expect(await s.load()).toBeNull()
    expect(s.loaded).toBe(true)
    expect(s.signedIn).toBe(false)
    on('session_get', session)
    await s.load()
    expect(s.session?.user).toBe('wang.fang')
    expect(s.signedIn).toBe(true)
  })

  it('logs in with the request wrapped as `req`', async () => {
    on('login', session)
    const s = useSessionStore()
    await s.login({ server: 'https://sync.example.cn', user: 'wang.fang', password: 'pw', allow_insecure: false })
    expect(callsOf('login')).toEqual([
      { req: { server: 'https://sync.example.cn', user: 'wang.fang', password: 'pw', allow_insecure: false } },
    ])
    expect(s.session).toEqual(session)
  })

  it('passes login errors through as AppError', async () => {
    on('login', () => {
      throw { code: 'invalid_credentials', message: { 'zh-CN': '用户名或密码错误', en: 'wrong' } }
    })
    const s = useSessionStore()
    await expect(s.login({ server: 'x', user: 'u', password: 'p', allow_insecure: false })).rejects.toMatchObject({
      code: 'invalid_credentials',
    })
    expect(s.session).toBeNull()
  })

  it('keeps the session when logout is refused for unsynced records, clears it when forced', async () => {
    on('session_get', session)
    on('logout', (a: Record<string, unknown>) => {
      if (!a.force) throw { code: 'unsynced_records', message: { 'zh-CN': '还有 2 条记录未同步', en: '2 records' } }
      return null
    })
    const s = useSessionStore()
    await s.load()
    await expect(s.logout(false)).rejects.toMatchObject({ code: 'unsynced_records' })
    expect(s.signedIn).toBe(true)
    await s.logout(true)
    expect(s.signedIn).toBe(false)
    expect(callsOf('logout')).toEqual([{ force: false }, { force: true }])
  })
})
