// The case drawer is one for the whole console (opened from the intake desk, the case list,
// supervision and the map). `changed` counts actions taken in it, so lists can reload.
import { defineStore } from 'pinia'
import { ref } from 'vue'

export const useDrawer = defineStore('drawer', () => {
  const caseId = ref<string | null>(null)
  const changed = ref(0)
  function open(id: string) {
    caseId.value = id
  }
  function close() {
    caseId.value = null
  }
  function bump() {
    changed.value++
  }
  return { caseId, changed, open, close, bump }
})
