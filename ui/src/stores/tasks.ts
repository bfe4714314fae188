import { defineStore } from 'pinia'
import { ref } from 'vue'
import { api, onRecordsChanged, type AppError, type TaskItem, type UnlistenFn } from '../api'

/**
 * 待办: the disputes waiting for the signed-in user, most urgent first (the order Rust returns), and
 * their count for the tab's badge. Both are re-read after a sync and after an action.
 */
export const useTasksStore = defineStore('tasks', () => {
  const items = ref<TaskItem[]>([])
  const count = ref(0)
  const loaded = ref(false)
  const error = ref<AppError | null>(null)
  let seq = 0
  let unlisten: Promise<UnlistenFn> | null = null

  async function loadCount() {
    try {
      count.value = await api.taskCount()
    } catch {
      /* the badge keeps its last number */
    }
  }

  async function load() {
    const mine = ++seq
    try {
      const list = await api.tasks()
      if (mine !== seq) return
      items.value = list
      count.value = list.length
      error.value = null
    } catch (e) {
      if (mine === seq) error.value = e as AppError
    } finally {
      if (mine === seq) loaded.value = true
    }
  }

  /** The list when it has been shown, the count always. */
  async function refresh() {
    await (loaded.value ? load() : loadCount())
  }

  /** Follows `records-changed` (a sync, an edit, an action); idempotent. */
  function bind() {
    if (!unlisten) unlisten = onRecordsChanged(() => void refresh()).catch(() => () => {})
  }

  async function unbind() {
    const u = unlisten
    unlisten = null
    if (u) (await u)()
  }

  function $reset() {
    seq++
    items.value = []
    count.value = 0
    loaded.value = false
    error.value = null
  }

  return { items, count, loaded, error, load, loadCount, refresh, bind, unbind, $reset }
})
