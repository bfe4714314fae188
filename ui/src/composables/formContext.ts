import { computed, inject, provide, reactive, watchEffect, type ComputedRef, type InjectionKey } from 'vue'
import type { FieldError } from '../api'
import { localized } from '../i18n'
import { normalizePath } from '../utils/paths'

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

/**
 * Provides the form context to the fields below: each field shows the first error at its path,
 * and registers the paths it shows. Returns the errors no field on screen shows (the form lists
 * those at the top).
 */
export function provideFormContext(errors: () => FieldError[]): ComputedRef<FieldError[]> {
  const registered = reactive(new Map<string, number>())
  const errorMap = computed(() => {
    const m: Record<string, string> = {}
    for (const e of errors()) {
      const p = normalizePath(e.field)
      if (!(p in m)) m[p] = localized(e.message)
    }
    return m
  })
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
  return computed(() => errors().filter((e) => !registered.has(normalizePath(e.field))))
}
