// The form rules a field needs, read from the generated contract (bindings.ts), so that a form's
// limits and locked fields are Rust's, never a copy.
import { IMMUTABLE_FIELDS, TEXT_RULES, type RecordKind, type TextRule } from '../api/types'

/** The rule of a text field by its path in the record JSON (`summary`, `parties[].name`). */
export function textRule(kind: RecordKind, path: string): TextRule {
  const rules = TEXT_RULES[kind] as Record<string, TextRule>
  const rule = rules[path]
  if (!rule) throw new Error(`no text rule for ${kind}.${path}`)
  return rule
}

/** How many characters the field takes. */
export function maxChars(kind: RecordKind, path: string): number {
  return textRule(kind, path).max_chars
}

/** Whether a field is locked once the record exists. */
export function isImmutable(field: string): boolean {
  return (IMMUTABLE_FIELDS as readonly string[]).includes(field)
}
