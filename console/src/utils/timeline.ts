// The detail's timeline as rows: each workflow event with whether the fold applied it or kept it
// flagged (and why). Accepts the server's list of events-with-verdicts, or the workflow view's
// parallel {events, verdicts} arrays.
import type { Verdict, WorkflowEvent } from '@shared'
import type { CaseDetail, TimelineItem } from '../api/types'

export interface TimelineRow {
  event: WorkflowEvent
  flagged: boolean
  code?: string
}

function fromVerdict(v: Verdict | 'applied' | 'flagged' | undefined, code?: string | null): { flagged: boolean; code?: string } {
  if (!v) return { flagged: !!code, code: code ?? undefined }
  if (typeof v === 'string') return { flagged: v === 'flagged', code: code ?? undefined }
  return v.verdict === 'flagged' ? { flagged: true, code: v.code } : { flagged: false }
}

export function timelineRows(detail: Pick<CaseDetail, 'timeline'> | null | undefined): TimelineRow[] {
  const tl = detail?.timeline
  if (!tl) return []
  if (Array.isArray(tl)) {
    return tl.map((item: TimelineItem) => ({ event: item, ...fromVerdict(item.verdict, item.code) }))
  }
  return (tl.events ?? []).map((event, i) => ({ event, ...fromVerdict(tl.verdicts?.[i]) }))
}
