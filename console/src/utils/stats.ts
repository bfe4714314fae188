// The statistics answer as served (`GET /v1/console/stats`: key figures, buckets with the case
// list's filter, per-child-area rows) in the shape the statistics screen draws.
import type { StatsAnswer } from '../api/types'

export interface KeyFigures {
  patrol_visits: number
  legal_education_sessions: number
  legal_education_audience: number
  disputes: number
  overdue: number
  on_time_rate: number | null
  success_rate: number | null
  satisfaction_rate: number | null
}
interface Bucket { key: string | null; count: number }
export interface ServedStats {
  totals: KeyFigures
  visits_by_worker: { worker: string; count: number }[]
  disputes_by_category: Bucket[]
  disputes_by_status: Bucket[]
  children: { area: string; name?: string | null; figures: KeyFigures }[]
}

export function statsView(s: ServedStats): StatsAnswer {
  const t = s.totals
  return {
    visits_per_worker: s.visits_by_worker.map((w) => ({ user: w.worker, visits: w.count })),
    legal_education: { sessions: t.legal_education_sessions, audience: t.legal_education_audience },
    disputes_by_category: s.disputes_by_category.map((b) => ({ category: b.key ?? 'other', count: b.count })),
    disputes_by_status: s.disputes_by_status.map((b) => ({ status: b.key ?? 'reported', count: b.count })),
    on_time_rate: t.on_time_rate,
    mediation_success_rate: t.success_rate,
    satisfaction_rate: t.satisfaction_rate,
    overdue: t.overdue,
    children: s.children.map((c) => ({
      area: c.area,
      name: c.name ?? undefined,
      disputes: c.figures.disputes,
      overdue: c.figures.overdue,
      visits: c.figures.patrol_visits,
      on_time_rate: c.figures.on_time_rate,
      mediation_success_rate: c.figures.success_rate,
      satisfaction_rate: c.figures.satisfaction_rate,
    })),
  }
}
