// Simple grid clustering of map points: points whose screen positions fall in the same square
// cell (at the current zoom) become one cluster at their mean position. Pure, so it is tested
// without a map; the map view re-runs it on every zoom.

export interface ClusterPoint {
  lat: number
  lon: number
}

export interface Cluster<P extends ClusterPoint> {
  lat: number
  lon: number
  points: P[]
}

export function clusterPoints<P extends ClusterPoint>(
  points: readonly P[],
  toPixel: (lat: number, lon: number) => { x: number; y: number },
  cellPx: number,
): Cluster<P>[] {
  const cells = new Map<string, P[]>()
  for (const p of points) {
    if (!Number.isFinite(p.lat) || !Number.isFinite(p.lon)) continue
    const { x, y } = toPixel(p.lat, p.lon)
    const key = `${Math.floor(x / cellPx)}:${Math.floor(y / cellPx)}`
    const cell = cells.get(key)
    if (cell) cell.push(p)
    else cells.set(key, [p])
  }
  return [...cells.values()].map((ps) => ({
    lat: ps.reduce((s, p) => s + p.lat, 0) / ps.length,
    lon: ps.reduce((s, p) => s + p.lon, 0) / ps.length,
    points: ps,
  }))
}

const OPEN_NEW = new Set(['reported', 'escalated'])
const OPEN_WORKING = new Set(['accepted', 'assigned', 'in_progress', 'follow_up'])
const DONE = new Set(['resolved', 'evaluated', 'closed'])

/** A point's colour: patrol visits green, legal education blue, disputes by their state. */
export function pointColor(kind: string, status?: string | null): string {
  if (kind === 'patrol_visit') return '#2e9e5b'
  if (kind === 'legal_education') return '#2f6fb5'
  if (status && OPEN_NEW.has(status)) return '#d93025'
  if (status && OPEN_WORKING.has(status)) return '#f29900'
  if (status === 'returned') return '#8e44ad'
  if (status && DONE.has(status)) return '#6b8e7f'
  return '#9e9e9e'
}

export const LEGEND: { key: string; color: string; ns: string; value: string }[] = [
  { key: 'patrol_visit', color: pointColor('patrol_visit'), ns: 'kind', value: 'patrol_visit' },
  { key: 'legal_education', color: pointColor('legal_education'), ns: 'kind', value: 'legal_education' },
  { key: 'reported', color: pointColor('dispute', 'reported'), ns: 'status', value: 'reported' },
  { key: 'in_progress', color: pointColor('dispute', 'in_progress'), ns: 'status', value: 'in_progress' },
  { key: 'returned', color: pointColor('dispute', 'returned'), ns: 'status', value: 'returned' },
  { key: 'resolved', color: pointColor('dispute', 'resolved'), ns: 'status', value: 'resolved' },
  { key: 'not_accepted', color: pointColor('dispute', 'not_accepted'), ns: 'status', value: 'not_accepted' },
]
