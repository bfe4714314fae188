import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(__dirname, '..', '..')
const html = readFileSync(join(root, 'index.html'), 'utf8')
const css = readFileSync(join(root, 'src', 'styles.css'), 'utf8')

describe('pinch-zoom and large text', () => {
  it('the viewport lets the user zoom', () => {
    const viewport = html.match(/<meta\s+name="viewport"\s+content="([^"]*)"/)?.[1]
    expect(viewport).toBeDefined()
    const parts = Object.fromEntries(
      viewport!.split(',').map((p) => p.trim().split('=').map((x) => x.trim()) as [string, string]),
    )
    expect(parts.width).toBe('device-width')
    expect(parts['user-scalable']).toBeUndefined()
    expect(parts['maximum-scale']).toBeUndefined()
    expect(parts['minimum-scale']).toBeUndefined()
  })

  it('nothing in the app styles blocks pinch or double-tap zoom', () => {
    expect(css).not.toMatch(/touch-action\s*:\s*(none|pan-x|pan-y|manipulation)/)
    expect(css).not.toMatch(/text-size-adjust\s*:\s*none/)
  })

  it('buttons and the tab bar grow with enlarged text instead of clipping it', () => {
    const sheet = new CSSStyleSheet()
    sheet.replaceSync(css)
    const rule = (selector: string) =>
      [...sheet.cssRules].find((r): r is CSSStyleRule => r instanceof CSSStyleRule && r.selectorText === selector)
    for (const sel of [':root .van-button', ':root .van-tabbar', ':root .gm-quick__btn']) {
      expect(rule(sel)?.style.height, sel).toBe('auto')
      expect(rule(sel)?.style.minHeight, sel).not.toBe('')
    }
  })
})
