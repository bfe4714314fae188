import { defineStore } from 'pinia'
import { ref } from 'vue'
import { api, type AppError, type HomeSummary } from '../api'

/** Today's numbers on the home screen. */
export const useHomeStore = defineStore('home', () => {
  const summary = ref<HomeSummary | null>(null)
  const error = ref<AppError | null>(null)

  async function load() {
    try {
      summary.value = await api.homeSummary()
      error.value = null
    } catch (e) {
      error.value = e as AppError
    }
  }

  return { summary, error, load }
})
