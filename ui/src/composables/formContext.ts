import { inject, watchEffect, type InjectionKey } from 'vue'

/** What a form gives its fields: the error at a path, and which paths have a field on screen. */
export interface FormContext {
  errorFor(path: string): string | undefined
  register(path: string): () => void
}

export const FORM_CONTEXT: InjectionKey<FormContext> = Symbol('gridmate-form')

export function useFormContext(): FormContext | null {
  return inject(FORM_CONTEXT, null)
}

/** Marks `path` as shown by a field (so the form does not list its error again at the top). */
export function useRegisterPath(path: () => string) {
  const ctx = useFormContext()
  watchEffect((onCleanup) => {
    const unregister = ctx?.register(path())
    onCleanup(() => unregister?.())
  })
  return ctx
}
