// A compacted series of the archive (core's ArchivedSeries) as the archive_series table keeps it:
// the row as event JSON and the skeleton as `[[index, type, level], …]`.
import type { Level, TaskEvent } from '@taskcast/core'
import type { ArchivedSeries } from '@taskcast/core/internal'

export interface ArchivedSeriesColumns {
  row: string
  skeleton: string
}

export function encodeArchivedSeries(series: ArchivedSeries): ArchivedSeriesColumns {
  const skeleton = [...series.skeleton].map(([index, { type, level }]) => [index, type, level])
  return { row: JSON.stringify(series.row), skeleton: JSON.stringify(skeleton) }
}

export function decodeArchivedSeries(columns: ArchivedSeriesColumns): ArchivedSeries {
  const places = JSON.parse(columns.skeleton) as [number, string, Level][]
  return {
    row: JSON.parse(columns.row) as TaskEvent,
    skeleton: new Map(places.map(([index, type, level]) => [index, { type, level }])),
  }
}
