import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const src = join(__dirname, '..', 'src')
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? files(p) : /\.(vue|ts)$/.test(f) ? [p] : []
  })
}

describe('Vant on demand', () => {
  it('the app installs no whole Vant bundle and no whole Vant stylesheet', () => {
    for (const f of files(src)) {
      const text = readFileSync(f, 'utf8')
      expect(text, f).not.toMatch(/import\s+Vant\b/)
      expect(text, f).not.toMatch(/use\(Vant\)/)
      expect(text, f).not.toMatch(/vant\/lib\/index\.css|vant\/es\/index\.css/)
    }
  })

  it('every function API imported from vant comes with its styles', () => {
    const styleOf: Record<string, string> = { Dialog: 'dialog', Toast: 'toast', Notify: 'notify', ImagePreview: 'image-preview' }
    const checked: string[] = []
    for (const f of files(src)) {
      const text = readFileSync(f, 'utf8')
      const names = [...text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'vant'/g)].flatMap((m) => m[1]!.split(',').map((s) => s.trim()))
      for (const n of names) {
        const kind = Object.keys(styleOf).find((k) => new RegExp(`^show\\w*${k}$`).test(n))
        if (!kind) continue
        expect(text, `${f}: ${n}`).toContain(`import 'vant/es/${styleOf[kind]}/style'`)
        checked.push(n)
      }
    }
    expect(checked).toEqual(expect.arrayContaining(['showConfirmDialog', 'showSuccessToast']))
  })
})
