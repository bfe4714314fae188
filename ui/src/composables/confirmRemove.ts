// Asks before a destructive action in a form (removing a party, a person, a tag, discarding a
// restored draft): typed data must
// not vanish from one stray tap. The texts come from i18n; the dialog is Vant's, so its buttons
// are `.van-dialog__confirm` / `.van-dialog__cancel`.
import { showConfirmDialog } from 'vant'
import 'vant/es/dialog/style'
import { i18n } from '../i18n'

/** True once the user confirms; false when they cancel or close the dialog. */
export async function confirmRemove(title: string, message?: string, confirmText?: string): Promise<boolean> {
  const t = i18n.global.t
  try {
    await showConfirmDialog({
      title,
      message: message ?? t('form.removeHint'),
      confirmButtonText: confirmText ?? t('form.remove'),
      confirmButtonColor: '#ee0a24',
      cancelButtonText: t('app.cancel'),
      teleport: 'body',
    })
    return true
  } catch {
    return false
  }
}

/** Whether any field of an entry holds something the user entered. */
export function hasContent(entry: object): boolean {
  return Object.values(entry).some((v) => v !== null && v !== undefined && String(v).trim() !== '')
}
