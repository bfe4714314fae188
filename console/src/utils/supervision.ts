// The supervision answer (units → assignees → cases, as `GET /v1/console/supervision` nests it)
// as the screen's flat list of groups, one per (unit, assignee), most urgent first as served.
import type { CaseRow, SupervisionGroup } from '../api/types'

interface Counts { total: number; overdue: number; due_soon: number }
interface SupervisedCase extends Omit<CaseRow, 'kind' | 'occurred_at' | 'updated_at' | 'created_by'> {}
interface AssigneeGroup { user?: string | null; counts: Counts; truncated?: boolean; cases: SupervisedCase[] }
interface UnitGroup { unit?: string | null; unit_name?: string | null; counts: Counts; assignees: AssigneeGroup[] }
export interface SupervisionAnswer { units?: UnitGroup[] }

export function supervisionGroups(ans: SupervisionAnswer): SupervisionGroup[] {
  return (ans.units ?? []).flatMap((u) =>
    u.assignees.map((a) => ({
      unit: u.unit ?? null,
      assignee_user: a.user ?? null,
      overdue: a.counts.overdue,
      near_due: a.counts.due_soon,
      items: a.cases.map((c) => ({ kind: 'dispute', occurred_at: 0, updated_at: 0, created_by: '', ...c }) as CaseRow),
    })),
  )
}
