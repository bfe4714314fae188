// Field paths and values in the user's language, for the record history, rejections and conflicts.
import { DETAIL_FIELDS } from '../records'
import { normalizePath } from './paths'

type Translate = (key: string) => string
type HasKey = (key: string) => boolean

/**
 * A changed field's path as the record history names it (`risk_level`, `location.lat`,
 * `parties[0].phone`), in the user's language: `风险等级`, `位置 · 纬度`, `当事人 1 · 手机号`.
 * A name without a label (a field from a newer app version) is shown as it is, never dropped.
 */
export function fieldPathLabel(path: string, t: Translate, has: HasKey): string {
  const parts: string[] = []
  for (const seg of normalizePath(path).split('.')) {
    if (seg === '') continue
    if (/^\d+$/.test(seg) && parts.length > 0) {
      parts[parts.length - 1] += ` ${Number(seg) + 1}` // list positions count from 1 for people
    } else {
      parts.push(has(`field.${seg}`) ? t(`field.${seg}`) : seg)
    }
  }
  return parts.join(' · ')
}

/**
 * The labels of a history entry's fields, each once, in the order given. `updated_at` is left out
 * when other fields changed: every edit sets it, so it says nothing about what was edited.
 */
export function historyFieldLabels(fields: string[], t: Translate, has: HasKey): string[] {
  const shown = fields.length > 1 ? fields.filter((f) => f !== 'updated_at') : fields
  return [...new Set(shown.map((f) => fieldPathLabel(f, t, has)))]
}

/** The label namespace of a top-level choice field (`risk_level` -> `risk_level`), if it is one. */
function enumNamespace(path: string): string | undefined {
  for (const fields of Object.values(DETAIL_FIELDS)) {
    const f = fields.find((d) => d.name === path)
    if (f?.display.t === 'enum') return f.display.ns
  }
  return undefined
}

/**
 * A conflicting value as the user reads it: a choice by its label (`high` -> `高`), text as it
 * is, anything else (a location, a list) as JSON. A value without a label stays as it is.
 */
export function fieldValueLabel(path: string, value: unknown, t: Translate, has: HasKey): string {
  if (typeof value !== 'string') return JSON.stringify(value)
  const ns = enumNamespace(path)
  return ns && has(`${ns}.${value}`) ? t(`${ns}.${value}`) : value
}
