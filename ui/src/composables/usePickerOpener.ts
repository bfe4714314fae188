// A field that opens a picker popup: the opener is a real <button> (focusable, Enter and Space open
// it, `aria-haspopup="dialog"`, `aria-expanded`), the popup takes focus when it opens and Escape
// closes it, and focus goes back to the opener when it closes.
import { nextTick, ref, useId, useTemplateRef, watch } from 'vue'

/** The opener button must carry `ref="opener"`. */
export function usePickerOpener() {
  const show = ref(false)
  const opener = useTemplateRef<HTMLButtonElement>('opener')
  const id = useId()
  const openerId = `${id}-opener`
  const labelId = `${id}-label`

  watch(show, (open, was) => {
    if (!open && was) void nextTick(() => opener.value?.focus())
  })

  function onPopupKeydown(e: KeyboardEvent) {
    if (e.key === 'Escape') show.value = false
  }

  /** Attributes of the opener button; `describedBy` is the id of the field's error, if shown. */
  function openerAttrs(describedBy?: string | null) {
    return {
      id: openerId,
      type: 'button' as const,
      'aria-haspopup': 'dialog' as const,
      'aria-expanded': show.value ? ('true' as const) : ('false' as const),
      'aria-labelledby': `${labelId} ${openerId}`,
      ...(describedBy ? { 'aria-invalid': 'true' as const, 'aria-describedby': describedBy } : {}),
    }
  }

  return { show, openerId, labelId, openerAttrs, onPopupKeydown }
}
