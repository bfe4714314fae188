import { computed, provide, reactive, ref } from 'vue'
import { api, toAppError, type AppError, type FieldError, type RecordView, type WorkflowAction } from '../api'
import { localized } from '../i18n'
import { emptyActionForm, toRequest, type ActionForm } from '../records/workflow'
import { normalizePath } from '../utils/paths'
import { FORM_CONTEXT, type FormContext } from './formContext'

/**
 * One workflow action's form: its state, the request it sends (`dispute_act`), and Rust's answer
 * shown where it belongs: field errors (`details.note`, ...) under their fields, the rest (not
 * allowed now, not allowed for this role, a field the form does not show) above the form.
 */
export function useActionForm(recordId: () => string, action: () => WorkflowAction) {
  const state = reactive(emptyActionForm(action())) as ActionForm
  const errors = ref<FieldError[]>([])
  const generalError = ref<AppError | null>(null)
  const sending = ref(false)
  const registered = reactive(new Map<string, number>())

  const errorMap = computed(() => {
    const m: Record<string, string> = {}
    for (const e of errors.value) {
      const p = normalizePath(e.field)
      if (!(p in m)) m[p] = localized(e.message)
    }
    return m
  })
  /** Errors with no field on screen (e.g. `action`, `status`). */
  const unplacedErrors = computed(() => errors.value.filter((e) => !registered.has(normalizePath(e.field))))

  const ctx: FormContext = {
    errorFor: (path) => errorMap.value[normalizePath(path)],
    register(path) {
      const p = normalizePath(path)
      registered.set(p, (registered.get(p) ?? 0) + 1)
      return () => {
        const n = (registered.get(p) ?? 1) - 1
        if (n <= 0) registered.delete(p)
        else registered.set(p, n)
      }
    },
  }
  provide(FORM_CONTEXT, ctx)

  /** Sends the action. Resolves to the record as it now is, or null when Rust refused it. */
  async function submit(): Promise<RecordView | null> {
    if (sending.value) return null
    sending.value = true
    generalError.value = null
    try {
      const view = await api.disputeAct(recordId(), toRequest(action(), state))
      errors.value = []
      return view
    } catch (e) {
      const err = toAppError(e)
      if (err.errors && err.errors.length > 0) {
        errors.value = err.errors
      } else if (err.field) {
        errors.value = [{ code: err.code as FieldError['code'], field: err.field, message: err.message }]
      } else {
        errors.value = []
        generalError.value = err
      }
      return null
    } finally {
      sending.value = false
    }
  }

  return { state, errors, unplacedErrors, generalError, sending, submit }
}
