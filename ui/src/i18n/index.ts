import { createI18n } from 'vue-i18n'
import { Locale as VantLocale } from 'vant'
import vantEnUS from 'vant/es/locale/lang/en-US'
import vantZhCN from 'vant/es/locale/lang/zh-CN'
import zhCN from './zh-CN'
import en from './en'
import type { Localized } from '../api/types'

export const LOCALES = ['zh-CN', 'en'] as const
export type AppLocale = (typeof LOCALES)[number]
export const LOCALE_STORAGE_KEY = 'gridmate.locale'

function storedLocale(): AppLocale {
  try {
    const v = globalThis.localStorage?.getItem(LOCALE_STORAGE_KEY)
    return v === 'en' ? 'en' : 'zh-CN'
  } catch {
    return 'zh-CN'
  }
}

export const messages = { 'zh-CN': zhCN, en }

export const i18n = createI18n({
  legacy: false,
  locale: storedLocale(),
  fallbackLocale: 'zh-CN',
  messages,
})

function applyVant(l: AppLocale) {
  if (l === 'en') VantLocale.use('en-US', vantEnUS)
  else VantLocale.use('zh-CN', vantZhCN)
  if (typeof document !== 'undefined') document.documentElement.lang = l
}
applyVant(i18n.global.locale.value as AppLocale)

export function currentLocale(): AppLocale {
  return i18n.global.locale.value as AppLocale
}

export function setLocale(l: AppLocale) {
  i18n.global.locale.value = l
  applyVant(l)
  try {
    globalThis.localStorage?.setItem(LOCALE_STORAGE_KEY, l)
  } catch {
    /* private mode: the choice lasts for this run only */
  }
}

/** Picks the current language from a Rust message {zh-CN, en}. */
export function localized(m: Localized | string | null | undefined): string {
  if (!m) return ''
  if (typeof m === 'string') return m
  return currentLocale() === 'en' ? m.en : m['zh-CN']
}
