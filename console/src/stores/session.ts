// The signed-in console user. The session cookie is HttpOnly (JavaScript never sees it); what
// the page keeps is the answer of sign-in / GET /v1/console/session, including its CSRF token,
// which the fetch wrapper sends on every unsafe request. A reload probes the session again.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { consoleApi } from '../api/console'
import { ApiError, setCsrf } from '../api/http'
import type { AreasAnswer, ConsoleSession } from '../api/types'
import { areaNames } from '../utils/format'

export const useSession = defineStore('session', () => {
  const session = ref<ConsoleSession | null>(null)
  const probed = ref(false)
  const areas = ref<AreasAnswer | null>(null)

  const isAdmin = computed(() => session.value?.role === 'admin')
  const isDispatcher = computed(() => session.value?.role === 'dispatcher')

  function set(s: ConsoleSession | null) {
    session.value = s
    setCsrf(s?.csrf ?? null)
    if (!s) areas.value = null
  }

  /** Asks the server whether the cookie still holds a session (once per page load). */
  async function probe(): Promise<ConsoleSession | null> {
    if (probed.value) return session.value
    try {
      set(await consoleApi.session())
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) throw e
      set(null)
    } finally {
      probed.value = true
    }
    return session.value
  }

  async function signIn(user: string, password: string) {
    set(await consoleApi.signIn(user, password))
    probed.value = true
  }

  async function signOut() {
    try {
      await consoleApi.signOut()
    } finally {
      set(null)
    }
  }

  /** The user's area tree, units and assignable users (loaded once per session). */
  async function loadAreas(force = false): Promise<AreasAnswer> {
    if (!areas.value || force) areas.value = await consoleApi.areas()
    return areas.value
  }

  /** Forgets the session locally (the server said 401). */
  function expire() {
    set(null)
  }

  // A grid's name for lists and the drawer (its id when the catalogue has no name for it).
  const names = computed(() => areaNames(areas.value?.areas))
  const areaName = (id: string | null | undefined) => (id ? names.value.get(id) ?? id : '')
  return { session, probed, areas, isAdmin, isDispatcher, probe, signIn, signOut, loadAreas, expire, areaName }
})
