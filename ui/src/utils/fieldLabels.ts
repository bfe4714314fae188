// Field paths in the user's language, for the record history.
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
