import { reactive, ref } from 'vue'
import { api, toAppError, type AppError, type FieldError, type RecordView, type WorkflowAction } from '../api'
import { emptyActionForm, toRequest, type ActionForm } from '../records/workflow'
import { provideFormContext } from './formContext'

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

  /** Errors with no field on screen (e.g. `action`, `status`). */
  const unplacedErrors = provideFormContext(() => errors.value)

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
