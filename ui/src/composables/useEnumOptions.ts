import { computed, type ComputedRef } from 'vue'
import { useI18n } from 'vue-i18n'
import type { EnumOption } from '../components/fields/EnumField.vue'

/** Picker options for an enumeration, labelled from the i18n namespace of the same name. */
export function useEnumOptions(ns: string, values: readonly string[]): ComputedRef<EnumOption[]> {
  const { t } = useI18n()
  return computed(() => values.map((v) => ({ value: v, text: t(`${ns}.${v}`) })))
}
