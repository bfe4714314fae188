// Ties a field's inline error to its control for screen readers: while the form has an error at the
// field's path, the control gets `aria-invalid="true"` and `aria-describedby` naming the FieldError
// element (role="alert", so the message is also announced when it appears). Ids come from useId(),
// unique per field instance.
import { computed, useId, type ComputedRef, type Directive } from 'vue'
import { useFormContext } from './formContext'

export interface FieldErrorLink {
  /** The id to give this field's FieldError. */
  errorId: string
  /** `errorId` while there is an error at the path, else null: for `aria-describedby`. */
  describedBy: ComputedRef<string | null>
}

export function useFieldError(path: () => string): FieldErrorLink {
  const ctx = useFormContext()
  const errorId = `${useId()}-error`
  const describedBy = computed(() => (ctx?.errorFor(path()) ? errorId : null))
  return { errorId, describedBy }
}

/** Vant's text controls inside the element: a field's input or textarea, a stepper's input. */
const CONTROLS = '.van-field__control:not(.van-field__control--custom), .van-stepper__input'

function apply(el: HTMLElement, describedBy: string | null | undefined) {
  for (const c of el.querySelectorAll(CONTROLS)) {
    if (describedBy) {
      c.setAttribute('aria-invalid', 'true')
      c.setAttribute('aria-describedby', describedBy)
    } else {
      c.removeAttribute('aria-invalid')
      c.removeAttribute('aria-describedby')
    }
  }
}

/**
 * `v-described-by="describedBy"` on a field's wrapper: Vant renders the input itself and passes no
 * attributes to it, so they are set on the rendered control, again after every update.
 */
export const vDescribedBy: Directive<HTMLElement, string | null> = {
  mounted: (el, b) => apply(el, b.value),
  updated: (el, b) => apply(el, b.value),
}
