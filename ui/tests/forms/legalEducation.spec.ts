import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import LegalEducationForm from '../../src/components/forms/LegalEducationForm.vue'
import { answerDialog, byTestId, click, mountApp, pick, settle, type } from '../helpers'
import { callsOf, on, resetTauri, validationFailed } from '../tauri'

const GRIDS = ['jingkou-zhengdonglu-03', 'jingkou-jiankanglu-01']

describe('LegalEducationForm', () => {
  beforeEach(() => {
    resetTauri()
    document.body.innerHTML = ''
    on('grids_list', GRIDS)
    on('draft_load', null)
    on('draft_save', null)
    on('draft_clear', null)
    on('record_validate', [])
    on('record_create', (a: Record<string, unknown>) => ({ ...(a.draft as object), id: '0190f000-0000-7000-8000-000000000002' }))
  })
  afterEach(() => {
    document.body.innerHTML = ''
  })

  it('renders, with no grid preselected when several are allowed', async () => {
    const w = mountApp(LegalEducationForm)
    await settle()
    for (const f of ['grid_id', 'held_at', 'topic', 'format', 'audience_count', 'speakers', 'materials', 'notes', 'location', 'address']) {
      expect(byTestId(`field-${f}`), f).not.toBeNull()
    }
    expect((byTestId('field-grid_id')?.querySelector('input') as HTMLInputElement).value).toBe('')
    expect(byTestId('field-audience_count')?.querySelector('input')).not.toBeNull()
    w.unmount()
  })

  it('builds the draft JSON (picker, stepper, speakers, materials)', async () => {
    const w = mountApp(LegalEducationForm)
    await settle()
    await pick('grid_id', 'jingkou-jiankanglu-01')
    await type('topic', '防范电信网络诈骗')
    await pick('format', 'lecture')
    click(byTestId('field-audience_count')?.querySelector('.van-stepper__plus') ?? null)
    click(byTestId('field-audience_count')?.querySelector('.van-stepper__plus') ?? null)
    await settle()
    click(byTestId('add-speaker'))
    await settle()
    await type('speakers.0.name', '周警官')
    await pick('speakers.0.legal_role', 'police_officer')
    await type('materials', '反诈宣传册')
    click(byTestId('add-materials'))
    await type('notes', '现场答疑十余人次。')
    click(byTestId('form-submit'))
    await settle()
    expect(callsOf('record_create')[0]?.draft).toEqual({
      kind: 'legal_education',
      grid_id: 'jingkou-jiankanglu-01',
      held_at: expect.stringMatching(/\+08:00$/),
      topic: '防范电信网络诈骗',
      format: 'lecture',
      audience_count: 2,
      speakers: [{ name: '周警官', legal_role: 'police_officer' }],
      materials: ['反诈宣传册'],
      notes: '现场答疑十余人次。',
    })
    expect(w.emitted('saved')).toHaveLength(1)
    w.unmount()
  })

  it('shows inline errors from validation_failed, in English too', async () => {
    const { setLocale } = await import('../../src/i18n')
    on('record_create', () => {
      throw validationFailed([
        { code: 'required', field: 'grid_id', zh: '请选择网格', en: 'choose a grid' },
        { code: 'required', field: 'speakers[0].legal_role', zh: '请选择身份', en: 'choose a legal role' },
      ])
    })
    const w = mountApp(LegalEducationForm)
    await settle()
    click(byTestId('add-speaker'))
    await settle()
    click(byTestId('form-submit'))
    await settle()
    expect(byTestId('error-grid_id')?.textContent).toContain('请选择网格')
    expect(byTestId('error-speakers.0.legal_role')?.textContent).toContain('请选择身份')
    setLocale('en')
    await settle()
    expect(byTestId('error-speakers.0.legal_role')?.textContent).toContain('choose a legal role')
    setLocale('zh-CN')
    w.unmount()
  })

  it('restores a saved draft', async () => {
    on('draft_load', {
      kind: 'legal_education',
      form: { grid_id: GRIDS[0], topic: '民法典进社区', format: 'consultation', audience_count: 30, materials: ['民法典手册'] },
    })
    const w = mountApp(LegalEducationForm)
    await settle()
    expect(byTestId('draft-restored')).not.toBeNull()
    expect((byTestId('field-topic')?.querySelector('input') as HTMLInputElement).value).toBe('民法典进社区')
    expect((byTestId('field-format')?.querySelector('input') as HTMLInputElement).value).toBe('咨询')
    expect((byTestId('field-audience_count')?.querySelector('input') as HTMLInputElement).value).toBe('30')
    click(byTestId('discard-draft'))
    await settle()
    await answerDialog(true)
    expect(callsOf('draft_clear')).toEqual([{ key: 'new:legal_education' }])
    expect((byTestId('field-topic')?.querySelector('input') as HTMLInputElement).value).toBe('')
    w.unmount()
  })
})
