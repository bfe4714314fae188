import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import DisputeForm from '../../src/components/forms/DisputeForm.vue'
import { answerDialog, byTestId, click, mountApp, pick, settle, type } from '../helpers'
import { callsOf, on, resetTauri, validationFailed } from '../tauri'

const GRID = 'jingkou-zhengdonglu-03'
const ID = '0190f000-0000-7000-8000-000000000003'

const stored = {
  kind: 'dispute',
  id: ID,
  schema_version: 1,
  created_by: 'wang.fang',
  created_at: '2026-11-28T02:15:00.000Z',
  updated_at: '2026-11-28T02:15:00.000Z',
  deleted_at: null,
  grid_id: GRID,
  reported_at: '2026-11-28T02:15:00.000Z',
  source: 'field',
  dispute_category: 'neighbour',
  location: null,
  address: '梦溪园巷12号',
  parties: [
    { name: '张三', role: 'applicant', phone: '13800138000', id_number: '320102199003071239' },
    { name: '李四', role: 'respondent', phone: null, id_number: null },
  ],
  summary: '楼上卫生间漏水至楼下，两户多次争执。',
  risk_level: 'medium',
  status: 'reported',
}

describe('DisputeForm', () => {
  beforeEach(() => {
    resetTauri()
    document.body.innerHTML = ''
    on('grids_list', [GRID])
    on('draft_load', null)
    on('draft_save', null)
    on('draft_clear', null)
    on('record_validate', [])
    on('record_create', (a: Record<string, unknown>) => ({ ...(a.draft as object), id: ID }))
    on('record_get', { record: stored, sync_state: 'synced', rejection: null, conflicts: [] })
    on('record_update', (a: Record<string, unknown>) => ({ ...stored, ...(a.patch as object) }))
  })
  afterEach(() => {
    document.body.innerHTML = ''
  })

  it('renders the new form without a status picker', async () => {
    const w = mountApp(DisputeForm)
    await settle()
    for (const f of ['grid_id', 'reported_at', 'source', 'dispute_category', 'risk_level', 'summary', 'parties', 'location', 'address']) {
      expect(byTestId(`field-${f}`), f).not.toBeNull()
    }
    expect(byTestId('field-status')).toBeNull()
    expect(byTestId('add-party')).not.toBeNull()
    w.unmount()
  })

  it('builds the draft JSON with parties', async () => {
    const w = mountApp(DisputeForm)
    await settle()
    await pick('source', 'hotline_12345')
    await pick('dispute_category', 'neighbour')
    await pick('risk_level', 'medium')
    await type('summary', '楼上卫生间漏水至楼下。')
    click(byTestId('add-party'))
    await settle()
    await pick('parties.0.role', 'applicant')
    await type('parties.0.name', '张三')
    await type('parties.0.phone', '13800138000')
    await type('parties.0.id_number', '320102199003071239')
    click(byTestId('add-party'))
    await settle()
    await pick('parties.1.role', 'respondent')
    await type('address', '梦溪园巷12号')
    click(byTestId('form-submit'))
    await settle()
    expect(callsOf('record_create')[0]?.draft).toEqual({
      kind: 'dispute',
      grid_id: GRID,
      reported_at: expect.stringMatching(/\+08:00$/),
      source: 'hotline_12345',
      dispute_category: 'neighbour',
      address: '梦溪园巷12号',
      parties: [
        { name: '张三', role: 'applicant', phone: '13800138000', id_number: '320102199003071239' },
        { role: 'respondent' },
      ],
      summary: '楼上卫生间漏水至楼下。',
      risk_level: 'medium',
    })
    w.unmount()
  })

  it('shows a party ID number error inline from validation_failed', async () => {
    on('record_create', () => {
      throw validationFailed([
        {
          code: 'invalid_id_number',
          field: 'parties[0].id_number',
          zh: '身份证号码无效：应为 18 位，出生日期有效且校验位正确',
          en: 'not a valid resident ID number',
        },
        { code: 'invalid_phone', field: 'parties[0].phone', zh: '手机号无效', en: 'invalid phone' },
      ])
    })
    const w = mountApp(DisputeForm)
    await settle()
    click(byTestId('add-party'))
    await settle()
    await type('parties.0.id_number', '320102199003071230')
    click(byTestId('form-submit'))
    await settle()
    expect(byTestId('error-parties.0.id_number')?.textContent).toContain('身份证号码无效')
    expect(byTestId('error-parties.0.phone')?.textContent).toContain('手机号无效')
    w.unmount()
  })

  it('shows errors from record_validate while typing, only for touched fields', async () => {
    on('record_validate', [
      { code: 'invalid_phone', field: 'parties[0].phone', message: { 'zh-CN': '手机号无效', en: 'invalid phone' } },
      { code: 'required', field: 'summary', message: { 'zh-CN': '必填', en: 'required' } },
    ])
    const w = mountApp(DisputeForm)
    await settle()
    click(byTestId('add-party'))
    await settle()
    await type('parties.0.phone', '12345')
    await settle(650)
    expect(byTestId('error-parties.0.phone')?.textContent).toContain('手机号无效')
    expect(byTestId('error-summary')).toBeNull()
    w.unmount()
  })

  it('edits as a merge patch of the changed fields only, without a status picker (status moves by workflow actions)', async () => {
    const w = mountApp(DisputeForm, { props: { id: ID } })
    await settle()
    expect(callsOf('record_get')).toEqual([{ id: ID }])
    expect(byTestId('field-status')).toBeNull()
    expect((byTestId('field-summary')?.querySelector('textarea') as HTMLTextAreaElement).value).toBe(stored.summary)
    await pick('risk_level', 'high')
    await type('address', '')
    click(byTestId('remove-party-1'))
    await settle()
    await answerDialog(true)
    click(byTestId('form-submit'))
    await settle()
    expect(callsOf('record_update')).toEqual([
      {
        id: ID,
        patch: {
          risk_level: 'high',
          address: null,
          parties: [{ name: '张三', role: 'applicant', phone: '13800138000', id_number: '320102199003071239' }],
        },
      },
    ])
    expect(callsOf('draft_clear')).toEqual([{ key: `edit:${ID}` }])
    // neither the check while typing nor the patch carries a status
    for (const v of callsOf('record_validate')) expect((v.draft as Record<string, unknown>).status).toBeUndefined()
    w.unmount()
  })

  it('restores an edit draft over the stored record', async () => {
    on('draft_load', (a: Record<string, unknown>) =>
      a.key === `edit:${ID}` ? { kind: 'dispute', form: { summary: '草稿中的概要', grid_id: 'other-grid' } } : null,
    )
    const w = mountApp(DisputeForm, { props: { id: ID } })
    await settle()
    expect((byTestId('field-summary')?.querySelector('textarea') as HTMLTextAreaElement).value).toBe('草稿中的概要')
    // grid is fixed after creation: a draft cannot move it
    expect((byTestId('field-grid_id')?.querySelector('input') as HTMLInputElement).value).toBe(GRID)
    w.unmount()
  })
})
