// vue-i18n set-up: zh-CN default, en; the choice is kept in localStorage. Messages are the
// console's own texts plus the enumeration labels generated from Rust (`@shared` ENUM_LABELS).
import { createI18n } from 'vue-i18n'
import { ENUM_LABELS, type Localized } from '@shared'
import zhCN from './zh-CN'
import en from './en'

export const LOCALES = ['zh-CN', 'en'] as const
export type ConsoleLocale = (typeof LOCALES)[number]
export const LOCALE_STORAGE_KEY = 'gridmate.console.locale'

function storedLocale(): ConsoleLocale {
  try {
    return globalThis.localStorage?.getItem(LOCALE_STORAGE_KEY) === 'en' ? 'en' : 'zh-CN'
  } catch {
    return 'zh-CN'
  }
}

export const messages = {
  'zh-CN': { ...zhCN, ...ENUM_LABELS['zh-CN'] },
  en: { ...en, ...ENUM_LABELS.en },
}

export const i18n = createI18n({
  legacy: false,
  locale: storedLocale(),
  fallbackLocale: 'zh-CN',
  messages,
})

export function currentLocale(): ConsoleLocale {
  return i18n.global.locale.value as ConsoleLocale
}

export function setLocale(l: ConsoleLocale) {
  i18n.global.locale.value = l
  if (typeof document !== 'undefined') document.documentElement.lang = l
  try {
    globalThis.localStorage?.setItem(LOCALE_STORAGE_KEY, l)
  } catch {
    /* private mode: the choice lasts for this visit */
  }
}

/** The current language's text of a server message {zh-CN, en}. */
export function localized(m: Localized | string | null | undefined): string {
  if (!m) return ''
  if (typeof m === 'string') return m
  return currentLocale() === 'en' ? m.en : m['zh-CN']
}

/** An enumeration's label (`status`, `reported`), or the raw value when Rust has no label. */
export function enumLabel(ns: string, value: string | null | undefined): string {
  if (!value) return ''
  const set = ENUM_LABELS[currentLocale()] as unknown as Record<string, Record<string, string> | undefined>
  return set[ns]?.[value] ?? value
}
