import { RECORD_KINDS } from '../api/types'
import { useHomeStore } from './home'
import { useRecordListStore } from './records'
import { useReferenceStore } from './reference'
import { useSyncStore } from './sync'
import { useTasksStore } from './tasks'

/** Forget everything the previous user saw (after sign-out). */
export function resetStores() {
  for (const k of RECORD_KINDS) {
    const s = useRecordListStore(k)
    void s.unbind()
    s.$reset()
  }
  useSyncStore().reset()
  useHomeStore().summary = null
  const tasks = useTasksStore()
  void tasks.unbind()
  tasks.$reset()
  useReferenceStore().$reset()
}
