import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api, type Area, type Colleague, type ReferenceData, type Unit } from '../api'

/**
 * The command centre's reference data (areas, units, colleagues), as the device last received it:
 * what turns `jingkou-zhengdonglu-03` into its area name and `wang.wei` into 王伟. Without it
 * (never synced, or an old device) every name falls back to the id it names.
 */
export const useReferenceStore = defineStore('reference', () => {
  const data = ref<ReferenceData | null>(null)
  let inflight: Promise<void> | null = null
  let loaded = false

  const areas = computed(() => new Map<string, Area>((data.value?.areas ?? []).map((a) => [a.id, a])))
  const units = computed(() => new Map<string, Unit>((data.value?.units ?? []).map((u) => [u.id, u])))
  const colleagues = computed(() => new Map<string, Colleague>((data.value?.colleagues ?? []).map((c) => [c.name, c])))

  /** Reads the device's copy again (after a sync may have brought a new one). */
  async function load() {
    const p = api
      .referenceData()
      .then((d) => {
        data.value = d ?? null
      })
      .catch(() => {
        /* keep what we have: names fall back to ids */
      })
      .finally(() => {
        if (inflight === p) inflight = null
        loaded = true
      })
    inflight = p
    await p
  }

  /** Loads once (again while the device has none yet); calls during a load wait for it. */
  async function ensure() {
    if (inflight) return inflight
    if (!loaded || !data.value) await load()
  }

  const areaName = (id: string | null | undefined): string => (id ? (areas.value.get(id)?.name ?? id) : '')
  const userName = (name: string | null | undefined): string => (name ? (colleagues.value.get(name)?.display_name ?? name) : '')
  const unitName = (id: string | null | undefined): string => (id ? (units.value.get(id)?.name ?? id) : '')

  function $reset() {
    data.value = null
    inflight = null
    loaded = false
  }

  return { data, areas, units, colleagues, load, ensure, areaName, userName, unitName, $reset }
})
