import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import PatrolVisitForm from '../../src/components/forms/PatrolVisitForm.vue'
import { byTestId, click, mountApp, pick, settle, type, waitFor } from '../helpers'
import { callsOf, on, resetTauri, validationFailed } from '../tauri'

const GRID = 'jingkou-zhengdonglu-03'

function bridge() {
  on('grids_list', [GRID])
  on('draft_load', null)
  on('draft_save', null)
  on('draft_clear', null)
  on('record_validate', [])
  on('record_create', (a: Record<string, unknown>) => ({ ...(a.draft as object), id: '0190f000-0000-7000-8000-000000000001' }))
}

describe('PatrolVisitForm', () => {
  beforeEach(() => {
    resetTauri()
    document.body.innerHTML = ''
    bridge()
  })
  afterEach(() => {
    document.body.innerHTML = ''
  })

  it('renders every field, the grid preselected when there is only one', async () => {
    const w = mountApp(PatrolVisitForm)
    await settle()
    for (const f of ['grid_id', 'visited_at', 'subject_kind', 'subject_name', 'findings', 'hazards', 'follow_up_needed', 'volunteers', 'location', 'address']) {
      expect(byTestId(`field-${f}`), f).not.toBeNull()
    }
    expect(byTestId('form-submit')).not.toBeNull()
    expect((byTestId('field-grid_id')?.querySelector('input') as HTMLInputElement).value).toBe(GRID)
    // follow-up due appears only when a follow-up is needed
    expect(byTestId('field-follow_up_due_at')).toBeNull()
    w.unmount()
  })

  it('builds the draft JSON of docs/records.md and creates it', async () => {
    const w = mountApp(PatrolVisitForm)
    await settle()
    await pick('subject_kind', 'place')
    await type('subject_name', '正东路菜场')
    await type('findings', '楼道内堆放大量纸箱，堵塞消防通道。')
    await type('hazards', '消防通道堵塞')
    click(byTestId('add-hazards'))
    await settle()
    click(byTestId('add-volunteer'))
    await settle()
    await type('volunteers.0.name', '李娜')
    await pick('volunteers.0.legal_role', 'lawyer')
    await type('location.lat', '32.2041')
    await type('location.lon', '119.4552')
    await type('address', '正东路菜场东门')
    click(byTestId('form-submit'))
    await settle()
    const [call] = callsOf('record_create')
    expect(call?.draft).toEqual({
      kind: 'patrol_visit',
      grid_id: GRID,
      visited_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00\+08:00$/),
      location: { lat: 32.2041, lon: 119.4552 },
      address: '正东路菜场东门',
      subject_kind: 'place',
      subject_name: '正东路菜场',
      findings: '楼道内堆放大量纸箱，堵塞消防通道。',
      hazards: ['消防通道堵塞'],
      follow_up_needed: false,
      volunteers: [{ name: '李娜', legal_role: 'lawyer' }],
      dispute_ids: [],
    })
    expect(w.emitted('saved')).toHaveLength(1)
    expect(callsOf('draft_clear')).toEqual([{ key: 'new:patrol_visit' }])
    w.unmount()
  })

  it('shows the inline errors of a rejected validation_failed', async () => {
    on('record_create', () => {
      throw validationFailed([
        { code: 'required', field: 'findings', zh: '必填', en: 'required' },
        { code: 'required', field: 'subject_kind', zh: '请选择走访对象', en: 'choose a subject kind' },
        { code: 'out_of_range', field: 'location.lat', zh: '纬度应在 -90 到 90 之间', en: 'lat out of range' },
      ])
    })
    const w = mountApp(PatrolVisitForm)
    await settle()
    click(byTestId('form-submit'))
    await settle()
    expect(byTestId('error-findings')?.textContent).toContain('必填')
    expect(byTestId('error-subject_kind')?.textContent).toContain('请选择走访对象')
    expect(byTestId('error-location.lat')?.textContent).toContain('纬度')
    expect(byTestId('form-errors')).not.toBeNull()
    expect(w.emitted('saved')).toBeUndefined()
    w.unmount()
  })

  it('without a geolocation plugin says so and keeps manual entry', async () => {
    const w = mountApp(PatrolVisitForm)
    await settle()
    click(byTestId('location-current'))
    await waitFor(() => byTestId('location-unavailable'))
    expect(byTestId('location-unavailable')?.textContent).toContain('无法获取定位')
    await type('location.lat', '32.2')
    await type('location.lon', '119.4')
    await type('location.lat', '')
    await type('location.lon', '')
    await type('findings', '正常')
    await pick('subject_kind', 'event')
    click(byTestId('form-submit'))
    await settle()
    expect(callsOf('record_create')[0]?.draft).not.toHaveProperty('location')
    w.unmount()
  })

  it('restores a saved draft, then keeps saving it while typing', async () => {
    on('draft_load', (a: Record<string, unknown>) =>
      a.key === 'new:patrol_visit'
        ? {
            kind: 'patrol_visit',
            form: {
              kind: 'patrol_visit',
              grid_id: GRID,
              visited_at: '2026-11-28T09:30:00+08:00',
              location: null,
              address: '',
              subject_kind: 'person',
              subject_name: '独居老人',
              findings: '身体状况良好',
              hazards: ['燃气灶老化'],
              follow_up_needed: true,
              follow_up_due_at: '2026-12-05T09:00:00+08:00',
              volunteers: [],
              dispute_ids: [],
            },
          }
        : null,
    )
    const w = mountApp(PatrolVisitForm)
    await settle()
    expect(byTestId('draft-restored')).not.toBeNull()
    expect((byTestId('field-findings')?.querySelector('textarea') as HTMLTextAreaElement).value).toBe('身体状况良好')
    expect(byTestId('tag-hazards.0')?.textContent).toContain('燃气灶老化')
    expect(byTestId('field-follow_up_due_at')).not.toBeNull()
    await type('findings', '身体状况良好，已提醒更换燃气灶')
    await settle(650)
    const saves = callsOf('draft_save')
    expect(saves.at(-1)?.key).toBe('new:patrol_visit')
    expect((saves.at(-1)?.value as { form: { findings: string } }).form.findings).toBe('身体状况良好，已提醒更换燃气灶')
    // and validation ran with the same shared rules
    expect(callsOf('record_validate').length).toBeGreaterThan(0)
    click(byTestId('form-submit'))
    await settle()
    expect(callsOf('record_create')[0]?.draft).toMatchObject({
      visited_at: '2026-11-28T09:30:00+08:00',
      subject_kind: 'person',
      follow_up_needed: true,
      follow_up_due_at: '2026-12-05T09:00:00+08:00',
      hazards: ['燃气灶老化'],
    })
    w.unmount()
  })
})
