import { defineStore } from 'pinia'
import { ref } from 'vue'
import {
  api,
  onRecordsChanged,
  type AppError,
  type DisputeStatus,
  type ListQuery,
  type RecordKind,
  type RecordSummary,
  type RiskLevel,
  type SyncState,
  type UnlistenFn,
} from '../api'

export const PAGE_SIZE = 20

export interface ListFilters {
  grid_id?: string
  status?: DisputeStatus
  risk_level?: RiskLevel
  sync_state?: SyncState
  /** `YYYY-MM-DD`, China time */
  from?: string
  to?: string
}

function defineListStore(kind: RecordKind) {
  return defineStore(`records/${kind}`, () => {
    const items = ref<RecordSummary[]>([])
    const nextCursor = ref<string | null>(null)
    const finished = ref(false)
    const loading = ref(false)
    const error = ref<AppError | null>(null)
    const filters = ref<ListFilters>({})
    const searchText = ref('')
    /** null while not searching */
    const searchResults = ref<RecordSummary[] | null>(null)
    let generation = 0
    let inflight: Promise<void> | null = null
    let unlisten: Promise<UnlistenFn> | null = null

    function query(limit: number, cursor?: string): ListQuery {
      return { kind, ...filters.value, limit, ...(cursor ? { cursor } : {}) }
    }

    async function run(work: (gen: number) => Promise<void>) {
      const gen = generation
      loading.value = true
      const p = work(gen)
        .catch((e: unknown) => {
          if (gen === generation) error.value = e as AppError
        })
        .finally(() => {
          if (inflight === p) {
            inflight = null
            loading.value = false
          }
        })
      inflight = p
      await p
    }

    /** The next page (van-list's `load`). */
    async function loadMore() {
      if (inflight) {
        await inflight
        return
      }
      if (finished.value) return
      error.value = null
      await run(async (gen) => {
        const page = await api.recordsList(query(PAGE_SIZE, nextCursor.value ?? undefined))
        if (gen !== generation) return
        items.value = [...items.value, ...page.items]
        nextCursor.value = page.next_cursor ?? null
        finished.value = !page.next_cursor
      })
    }

    /** Back to the first page (new filters, after a sync). */
    async function reload() {
      generation++
      inflight = null
      items.value = []
      nextCursor.value = null
      finished.value = false
      error.value = null
      await loadMore()
    }

    /** Re-reads what is shown, keeping as many rows as are loaded (records-changed). */
    async function refresh() {
      generation++
      inflight = null
      const limit = Math.max(PAGE_SIZE, items.value.length)
      error.value = null
      await run(async (gen) => {
        const page = await api.recordsList(query(limit))
        if (gen !== generation) return
        items.value = page.items
        nextCursor.value = page.next_cursor ?? null
        finished.value = !page.next_cursor
      })
      if (searchResults.value !== null) await search(searchText.value)
    }

    async function setFilters(f: ListFilters) {
      const clean: ListFilters = {}
      for (const [k, v] of Object.entries(f) as [keyof ListFilters, string | undefined][]) {
        if (v) (clean as Record<string, string>)[k] = v
      }
      filters.value = clean
      await reload()
    }

    /** Chinese full-text search; a blank text leaves search mode. */
    async function search(text: string) {
      searchText.value = text
      const t = text.trim()
      if (!t) {
        searchResults.value = null
        return
      }
      try {
        const found = await api.recordsSearch({ text: t, kind, limit: 50 })
        if (searchText.value === text) searchResults.value = found
      } catch (e) {
        error.value = e as AppError
      }
    }

    /** Pull-to-refresh: start a sync, then reload (a failed sync still reloads the local list). */
    async function syncAndReload() {
      try {
        await api.syncNow()
      } catch (e) {
        error.value = e as AppError
      }
      await reload()
    }

    /** Follows `records-changed`; idempotent. */
    function bind() {
      if (!unlisten) {
        unlisten = onRecordsChanged(() => {
          void refresh()
        }).catch(() => () => {})
      }
    }

    async function unbind() {
      const u = unlisten
      unlisten = null
      if (u) (await u)()
    }

    function $reset() {
      generation++
      inflight = null
      items.value = []
      nextCursor.value = null
      finished.value = false
      loading.value = false
      error.value = null
      filters.value = {}
      searchText.value = ''
      searchResults.value = null
    }

    return {
      kind,
      items,
      nextCursor,
      finished,
      loading,
      error,
      filters,
      searchText,
      searchResults,
      loadMore,
      reload,
      refresh,
      setFilters,
      search,
      syncAndReload,
      bind,
      unbind,
      $reset,
    }
  })
}

const definitions = new Map<RecordKind, ReturnType<typeof defineListStore>>()

/** One list store per record kind (`records/patrol_visit`, ...). */
export function useRecordListStore(kind: RecordKind) {
  let def = definitions.get(kind)
  if (!def) {
    def = defineListStore(kind)
    definitions.set(kind, def)
  }
  return def()
}

export type RecordListStore = ReturnType<typeof useRecordListStore>
