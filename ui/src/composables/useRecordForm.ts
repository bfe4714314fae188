import { computed, onBeforeUnmount, reactive, ref, watch, type ComputedRef, type Ref } from 'vue'
import { api, toAppError, type AppError, type DraftInput, type FieldError, type RecordJson, type RecordKind } from '../api'
import { mergePatch, type FormSpec } from '../records'
import { useDraftsStore } from '../stores/drafts'
import { topKey } from '../utils/paths'
import { provideFormContext } from './formContext'

export const VALIDATE_DELAY_MS = 500

type FormBase<K extends RecordKind> = { kind: K; grid_id: string }

/** The value kept by draft_save: which kind, and the form as typed. */
export interface StoredDraft {
  kind: RecordKind
  form: Record<string, unknown>
}

function isStoredDraft(v: unknown, kind: RecordKind): v is StoredDraft {
  return (
    !!v &&
    typeof v === 'object' &&
    (v as StoredDraft).kind === kind &&
    !!(v as StoredDraft).form &&
    typeof (v as StoredDraft).form === 'object'
  )
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T

/**
 * One record form: its state, the draft kept while typing, validation by the shared Rust rules
 * (debounced while typing, and on submit), and create or edit (merge patch).
 */
/** What the form frame (`RecordFormShell`) needs of a record form: its state flags, the errors it
 *  lists itself, and the actions behind its buttons. */
export interface FormShellModel {
  ready: Ref<boolean>
  saving: Ref<boolean>
  restored: Ref<boolean>
  loadError: Ref<AppError | null>
  generalError: Ref<AppError | null>
  visibleErrors: ComputedRef<FieldError[]>
  unplacedErrors: ComputedRef<FieldError[]>
  submit(): Promise<RecordJson | null>
  discardDraft(): Promise<void>
}

export function useRecordForm<K extends RecordKind, F extends FormBase<K>>(spec: FormSpec<K, F>, id?: string) {
  const drafts = useDraftsStore()
  const key = id ? `edit:${id}` : `new:${spec.kind}`
  const state = reactive(spec.empty()) as F

  const ready = ref(false)
  const loadError = ref<AppError | null>(null)
  const grids = ref<string[]>([])
  const fieldErrors = ref<FieldError[]>([])
  const submitted = ref(false)
  const saving = ref(false)
  const generalError = ref<AppError | null>(null)
  const restored = ref(false)
  const touched = reactive(new Set<string>())

  let original: DraftInput | null = null
  let originalRecord: RecordJson | null = null
  let baseline = JSON.stringify(state)
  let lastSeen = baseline
  let seq = 0
  let validateTimer: ReturnType<typeof setTimeout> | undefined
  let disposed = false

  const visibleErrors = computed(() =>
    fieldErrors.value.filter((e) => submitted.value || touched.has(topKey(e.field))),
  )
  /** Errors whose path has no field on screen (e.g. `location`), listed at the top of the form. */
  const unplacedErrors = provideFormContext(() => visibleErrors.value)

  async function validateNow() {
    const mine = ++seq
    try {
      const errs = await api.recordValidate(spec.toDraft(state))
      if (mine === seq && !disposed) fieldErrors.value = errs
    } catch {
      /* the bridge is down: the submit will tell */
    }
  }

  function scheduleValidate() {
    clearTimeout(validateTimer)
    validateTimer = setTimeout(() => void validateNow(), VALIDATE_DELAY_MS)
  }

  function markTouched(before: Record<string, unknown>) {
    const now = state as unknown as Record<string, unknown>
    for (const k of Object.keys(now)) {
      if (JSON.stringify(before[k]) !== JSON.stringify(now[k])) touched.add(k)
    }
  }

  /** Called by the form's deep watcher on every change the user makes. */
  function onChange() {
    const now = JSON.stringify(state)
    if (now === lastSeen || !ready.value) return
    markTouched(JSON.parse(lastSeen) as Record<string, unknown>)
    lastSeen = now
    const value: StoredDraft = { kind: spec.kind, form: JSON.parse(now) as Record<string, unknown> }
    drafts.schedule(key, value as unknown as Record<string, unknown>)
    scheduleValidate()
  }

  function applyDraft(saved: StoredDraft) {
    const target = state as unknown as Record<string, unknown>
    const before = JSON.parse(baseline) as Record<string, unknown>
    for (const [k, v] of Object.entries(saved.form)) {
      if (k === 'kind' || !(k in target)) continue
      if (id && k === 'grid_id') continue
      target[k] = clone(v)
    }
    markTouched(before)
    lastSeen = JSON.stringify(state)
    restored.value = true
  }

  async function init() {
    try {
      grids.value = await api.gridsList().catch(() => [] as string[])
      if (id) {
        const view = await api.recordGet(id)
        originalRecord = view.record
        Object.assign(state, spec.fromRecord(view.record))
        original = spec.toDraft(state)
      } else if (grids.value.length === 1 && !state.grid_id) {
        ;(state as FormBase<K>).grid_id = grids.value[0] ?? ''
      }
      baseline = JSON.stringify(state)
      lastSeen = baseline
      const saved = await drafts.load(key)
      if (isStoredDraft(saved, spec.kind)) {
        applyDraft(saved)
        void validateNow()
      }
    } catch (e) {
      loadError.value = toAppError(e)
    } finally {
      ready.value = true
    }
  }

  /** Saves (create, or edit as a merge patch). Resolves to the stored record, or null on refusal. */
  async function submit(): Promise<RecordJson | null> {
    if (saving.value) return null
    clearTimeout(validateTimer)
    seq++
    submitted.value = true
    saving.value = true
    generalError.value = null
    try {
      const draft = spec.toDraft(state)
      let saved: RecordJson
      if (id && original && originalRecord) {
        const patch = mergePatch(original, draft)
        saved = Object.keys(patch).length > 0 ? await api.recordUpdate(id, patch) : originalRecord
      } else {
        saved = await api.recordCreate(draft)
      }
      await drafts.clear(key)
      fieldErrors.value = []
      restored.value = false
      return saved
    } catch (e) {
      const err = toAppError(e)
      if (err.code === 'validation_failed') {
        fieldErrors.value = err.errors ?? []
      } else if (err.field) {
        // a single-field refusal (e.g. an id or filter) carries a field rule's code
        fieldErrors.value = [{ code: err.code as FieldError['code'], field: err.field, message: err.message }]
      } else {
        generalError.value = err
      }
      return null
    } finally {
      saving.value = false
    }
  }

  /** Throws the kept draft away and goes back to the form as it was opened. */
  async function discardDraft() {
    await drafts.clear(key)
    Object.assign(state, JSON.parse(baseline) as F)
    lastSeen = baseline
    touched.clear()
    fieldErrors.value = []
    submitted.value = false
    restored.value = false
  }

  watch(() => state, onChange, { deep: true })

  onBeforeUnmount(() => {
    disposed = true
    clearTimeout(validateTimer)
    void drafts.flush(key)
  })

  return {
    key,
    mode: id ? ('edit' as const) : ('new' as const),
    state,
    ready,
    loadError,
    grids,
    fieldErrors,
    visibleErrors,
    unplacedErrors,
    submitted,
    saving,
    generalError,
    restored,
    touched,
    init,
    onChange,
    validateNow,
    submit,
    discardDraft,
  }
}

export type RecordFormApi = ReturnType<typeof useRecordForm>

