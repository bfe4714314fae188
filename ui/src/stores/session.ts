import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api, type LoginRequest, type Session } from '../api'
import { useSyncStore } from './sync'

/** Who is signed in. The session itself persists on the Rust side; this mirrors it. */
export const useSessionStore = defineStore('session', () => {
  const session = ref<Session | null>(null)
  const loaded = ref(false)
  const signedIn = computed(() => session.value !== null)

  async function load(): Promise<Session | null> {
    try {
      session.value = await api.sessionGet()
    } finally {
      loaded.value = true
    }
    return session.value
  }

  async function login(req: LoginRequest): Promise<Session> {
    const s = await api.login(req)
    session.value = s
    loaded.value = true
    // The sign-in started a sync: show that state now, not the signed-out one.
    await useSyncStore().refresh()
    return s
  }

  /** Rejects with `unsynced_records` when `force` is false and records wait; the caller asks the user. */
  async function logout(force: boolean): Promise<void> {
    await api.logout(force)
    session.value = null
  }

  return { session, loaded, signedIn, load, login, logout }
})
